/**
 * The request members the identity pool's operations share, checked as Cognito does, with its
 * validation messages (`InvalidParameterException`, `SerializationException`).
 */
import { CognitoError } from './cognito-errors.js';

/** Cognito: at most 10 entries in Logins. */
export const MAX_LOGINS = 10;

export function requireString(value: unknown, member: string, pattern: RegExp, maxLength: number): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new CognitoError(
      'InvalidParameterException',
      `1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`,
    );
  }
  if (value.length > maxLength || !pattern.test(value)) {
    throw new CognitoError(
      'InvalidParameterException',
      `1 validation error detected: Value '${value.slice(0, 80)}' at '${member}' failed to satisfy constraint: Member must satisfy regular expression pattern: ${pattern.source}`,
    );
  }
  return value;
}

export function readLogins(value: unknown): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value))
    throw new CognitoError('SerializationException', 'Logins must be a map.');
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > MAX_LOGINS) {
    throw new CognitoError(
      'InvalidParameterException',
      `1 validation error detected: Value at 'logins' failed to satisfy constraint: Member must have length less than or equal to ${MAX_LOGINS}`,
    );
  }
  const logins: Record<string, string> = {};
  for (const [key, token] of entries) {
    if (typeof token !== 'string' || token.length === 0 || key.length === 0 || key.length > 128) {
      throw new CognitoError(
        'InvalidParameterException',
        "1 validation error detected: Value at 'logins' failed to satisfy constraint: Map keys and values must have length between 1 and 128 (keys) or 1 and 50000 (values)",
      );
    }
    logins[key] = token;
  }
  return logins;
}
