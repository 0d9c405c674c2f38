/**
 * Offset pagination behind opaque tokens, as the List* operations page (nextToken / nextMarker).
 * A token that does not decode is InvalidRequestException, as AWS answers a garbled token.
 */
import { invalidRequest } from './errors.js';

/** Page size when the caller gives none. */
export const DEFAULT_PAGE_SIZE = 50;

function decodeToken(token: string): number {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { o?: unknown };
    if (typeof parsed.o === 'number' && Number.isSafeInteger(parsed.o) && parsed.o >= 0) return parsed.o;
  } catch {
    // falls through to the refusal below
  }
  throw invalidRequest('The pagination token is invalid');
}

export function paginate<T>(
  items: readonly T[],
  token: string | undefined,
  pageSize: number | undefined,
): { page: T[]; next: string | undefined } {
  const start = token === undefined || token === '' ? 0 : decodeToken(token);
  const size = pageSize ?? DEFAULT_PAGE_SIZE;
  const page = items.slice(start, start + size);
  const end = start + page.length;
  const next = end < items.length ? Buffer.from(JSON.stringify({ o: end })).toString('base64url') : undefined;
  return { page, next };
}
