import { ProvisioningError } from '../../../protocol/index.js';

/**
 * A small hand-written validator: each reader takes the value and its JSON path (e.g.
 * `oidc.users[0].username`) so that a bad file gets an error naming the exact field.
 */
export function configError(path: string, problem: string, source?: string): ProvisioningError {
  const where = source ? ` in ${source}` : '';
  return new ProvisioningError('CONFIG_INVALID', { detail: `${path}${where}: ${problem}` });
}

export class ConfigReader {
  constructor(readonly source?: string) {}

  fail(path: string, problem: string): never {
    throw configError(path, problem, this.source);
  }

  object(value: unknown, path: string): Record<string, unknown> {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(path, 'must be an object');
    return value as Record<string, unknown>;
  }

  /** Refuses keys the schema does not know, so that a typo is an error rather than silently ignored. */
  onlyKeys(obj: Record<string, unknown>, path: string, allowed: readonly string[]): void {
    for (const key of Object.keys(obj)) {
      if (!allowed.includes(key)) this.fail(join(path, key), `unknown field (expected one of: ${allowed.join(', ')})`);
    }
  }

  string(
    value: unknown,
    path: string,
    opts: { pattern?: RegExp; patternText?: string; maxLength?: number } = {},
  ): string {
    if (typeof value !== 'string' || value.length === 0) this.fail(path, 'must be a non-empty string');
    if (opts.maxLength !== undefined && value.length > opts.maxLength)
      this.fail(path, `must be at most ${opts.maxLength} characters`);
    if (opts.pattern && !opts.pattern.test(value))
      this.fail(path, `must match ${opts.patternText ?? String(opts.pattern)}`);
    return value;
  }

  optionalString(
    value: unknown,
    path: string,
    opts: { pattern?: RegExp; patternText?: string; maxLength?: number } = {},
  ): string | undefined {
    return value === undefined ? undefined : this.string(value, path, opts);
  }

  boolean(value: unknown, path: string, fallback: boolean): boolean {
    if (value === undefined) return fallback;
    if (typeof value !== 'boolean') this.fail(path, 'must be true or false');
    return value;
  }

  integer(value: unknown, path: string, fallback: number, min: number, max: number): number {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      this.fail(path, `must be an integer from ${min} to ${max}`);
    }
    return value;
  }

  port(value: unknown, path: string, fallback: number): number {
    return this.integer(value, path, fallback, 0, 65535);
  }

  array(value: unknown, path: string, opts: { minItems?: number } = {}): unknown[] {
    if (!Array.isArray(value)) this.fail(path, 'must be an array');
    if (opts.minItems !== undefined && value.length < opts.minItems)
      this.fail(path, `must have at least ${opts.minItems} item(s)`);
    return value;
  }

  url(value: unknown, path: string): string {
    const text = this.string(value, path);
    try {
      const parsed = new URL(text);
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') this.fail(path, 'must be an http(s) URL');
    } catch (err) {
      if (err instanceof ProvisioningError) throw err;
      this.fail(path, 'must be a URL');
    }
    return text;
  }
}

export function join(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}
