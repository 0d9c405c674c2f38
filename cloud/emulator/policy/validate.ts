/**
 * Structural validation of a policy document as AWS IoT's CreatePolicy does it (the service answers
 * `MalformedPolicyException` for documents that fail these checks).
 */
import type { PolicyDocument } from '../contracts/index.js';

/** AWS IoT's limit on a policy document: 2048 characters, whitespace excluded. */
export const MAX_POLICY_DOCUMENT_CHARS = 2048;

export type PolicyValidationResult = { ok: true; document: PolicyDocument } | { ok: false; message: string };

const STATEMENT_KEYS = new Set(['Sid', 'Effect', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition']);

function isStringOrStrings(v: unknown): boolean {
  return typeof v === 'string' || (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string'));
}

function checkStatement(st: unknown, index: number): string | undefined {
  if (typeof st !== 'object' || st === null || Array.isArray(st)) return `Statement ${index} is not an object`;
  const s = st as Record<string, unknown>;
  for (const key of Object.keys(s))
    if (!STATEMENT_KEYS.has(key)) return `Statement ${index} has an unknown field ${key}`;
  if (s.Effect !== 'Allow' && s.Effect !== 'Deny') return `Statement ${index}: Effect must be Allow or Deny`;
  const hasAction = s.Action !== undefined;
  const hasNotAction = s.NotAction !== undefined;
  if (hasAction === hasNotAction) return `Statement ${index} must have exactly one of Action or NotAction`;
  if (!isStringOrStrings(hasAction ? s.Action : s.NotAction))
    return `Statement ${index}: Action must be a string or a list of strings`;
  const hasResource = s.Resource !== undefined;
  const hasNotResource = s.NotResource !== undefined;
  if (hasResource === hasNotResource) return `Statement ${index} must have exactly one of Resource or NotResource`;
  if (!isStringOrStrings(hasResource ? s.Resource : s.NotResource))
    return `Statement ${index}: Resource must be a string or a list of strings`;
  if (
    s.Condition !== undefined &&
    (typeof s.Condition !== 'object' || s.Condition === null || Array.isArray(s.Condition))
  ) {
    return `Statement ${index}: Condition must be an object`;
  }
  return undefined;
}

/** Parses and checks a policy document given as JSON text. */
export function validatePolicyDocument(text: string): PolicyValidationResult {
  if (text.replace(/\s/g, '').length > MAX_POLICY_DOCUMENT_CHARS) {
    return { ok: false, message: `Policy document exceeds ${MAX_POLICY_DOCUMENT_CHARS} characters` };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ok: false, message: 'Policy document is not valid JSON' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    return { ok: false, message: 'Policy document must be a JSON object' };
  const doc = parsed as Record<string, unknown>;
  if (doc.Version !== undefined && doc.Version !== '2012-10-17' && doc.Version !== '2008-10-17') {
    return { ok: false, message: 'Policy document has an unsupported Version' };
  }
  const statement = doc.Statement;
  if (statement === undefined) return { ok: false, message: 'Policy document is missing Statement' };
  const list = Array.isArray(statement) ? statement : [statement];
  if (list.length === 0) return { ok: false, message: 'Policy document has no statements' };
  for (let i = 0; i < list.length; i++) {
    const err = checkStatement(list[i], i);
    if (err !== undefined) return { ok: false, message: err };
  }
  return { ok: true, document: parsed as PolicyDocument };
}
