/**
 * IAM wildcard patterns (`*` any run of characters, `?` exactly one, everything else literal) as
 * RegExps, compiled once: the broker evaluates policies on every publish.
 */

/** Bound on compiled patterns kept; the cache is cleared when it fills. */
export const REGEXP_CACHE_MAX_ENTRIES = 10_000;
const regexpCache = new Map<string, RegExp>();

export function cached(key: string, build: () => RegExp): RegExp {
  let re = regexpCache.get(key);
  if (re === undefined) {
    if (regexpCache.size >= REGEXP_CACHE_MAX_ENTRIES) regexpCache.clear();
    re = build();
    regexpCache.set(key, re);
  }
  return re;
}

export const escapeRegExp = (text: string): string => text.replace(/[.+^${}()|[\]\\*?]/g, '\\$&');

/** The RegExp body of a wildcard pattern. */
export function wildcardBody(pattern: string): string {
  return pattern
    .split('*')
    .map((part) => part.split('?').map(escapeRegExp).join('.'))
    .join('.*');
}

export function wildcardToRegExp(pattern: string, caseInsensitive: boolean): RegExp {
  const flags = caseInsensitive ? 'isu' : 'su';
  return cached(`wildcard:${flags}:${pattern}`, () => new RegExp(`^${wildcardBody(pattern)}$`, flags));
}
