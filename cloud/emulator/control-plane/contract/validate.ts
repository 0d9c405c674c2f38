/**
 * Input validation with AWS's constraint wording ("1 validation error detected: Value ... at
 * 'field' failed to satisfy constraint: ..."), raised as InvalidRequestException as AWS IoT does.
 * Values are echoed only for names, never for bodies or documents.
 */
import { invalidRequest } from './errors.js';

/** AWS IoT name constraints (from the service model). */
export const TEMPLATE_NAME = { pattern: '^[0-9A-Za-z_-]+$', min: 1, max: 36 } as const;
export const THING_NAME = { pattern: '[a-zA-Z0-9:_-]+', min: 1, max: 128 } as const;
export const POLICY_NAME = { pattern: '[\\w+=,.@-]+', min: 1, max: 128 } as const;
export const CERTIFICATE_ID = { pattern: '(0x)?[a-fA-F0-9]+', min: 64, max: 64 } as const;
/** templateDescription: at most 500 characters of [^\p{C}]*. */
export const TEMPLATE_DESCRIPTION_MAX = 500;
/** Page sizes accepted by the List* operations. */
export const PAGE_SIZE = { min: 1, max: 250 } as const;

function constraint(value: string, field: string, text: string, echo = true): never {
  const shown = echo ? `Value '${value}'` : 'Value';
  throw invalidRequest(`1 validation error detected: ${shown} at '${field}' failed to satisfy constraint: ${text}`);
}

export function checkName(value: string, field: string, rule: { pattern: string; min: number; max: number }): string {
  if (value.length < rule.min) constraint(value, field, `Member must have length greater than or equal to ${rule.min}`);
  if (value.length > rule.max) constraint(value, field, `Member must have length less than or equal to ${rule.max}`);
  const anchored = rule.pattern.startsWith('^') ? rule.pattern : `^(?:${rule.pattern})$`;
  if (!new RegExp(anchored, 'u').test(value))
    constraint(value, field, `Member must satisfy regular expression pattern: ${rule.pattern}`);
  return value;
}

export type JsonBody = Record<string, unknown>;

export function requiredString(body: JsonBody, field: string): string {
  const v = body[field];
  if (v === undefined || v === null) constraint('null', field, 'Member must not be null', false);
  if (typeof v !== 'string') throw invalidRequest(`${field} must be a string`);
  return v;
}

export function optionalString(body: JsonBody, field: string): string | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw invalidRequest(`${field} must be a string`);
  return v;
}

export function optionalBoolean(body: JsonBody, field: string): boolean | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw invalidRequest(`${field} must be a boolean`);
  return v;
}

export function optionalInteger(body: JsonBody, field: string): number | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw invalidRequest(`${field} must be an integer`);
  return v;
}

export function optionalObject(body: JsonBody, field: string): JsonBody | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw invalidRequest(`${field} must be an object`);
  return v as JsonBody;
}

/** A query-string integer within [min, max], e.g. maxResults / pageSize. */
export function queryInteger(
  query: ReadonlyMap<string, string>,
  field: string,
  range: { min: number; max: number },
): number | undefined {
  const raw = query.get(field);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!/^-?\d+$/.test(raw) || !Number.isSafeInteger(n))
    throw invalidRequest(
      `1 validation error detected: Value '${raw}' at '${field}' failed to satisfy constraint: Member must be an integer`,
    );
  if (n < range.min) constraint(raw, field, `Member must have value greater than or equal to ${range.min}`);
  if (n > range.max) constraint(raw, field, `Member must have value less than or equal to ${range.max}`);
  return n;
}

export function queryBoolean(query: ReadonlyMap<string, string>, field: string): boolean | undefined {
  const raw = query.get(field);
  if (raw === undefined) return undefined;
  if (raw !== 'true' && raw !== 'false')
    throw invalidRequest(
      `1 validation error detected: Value '${raw}' at '${field}' failed to satisfy constraint: Member must be a boolean`,
    );
  return raw === 'true';
}

/** A member the service model binds to an HTTP header (e.g. `principal` to `x-amzn-principal`). */
export function requiredHeader(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  name: string,
  member: string,
): string {
  const v = headers[name];
  const value = Array.isArray(v) ? v[0] : v;
  if (value === undefined || value === '') constraint('null', member, 'Member must not be null', false);
  return value;
}
