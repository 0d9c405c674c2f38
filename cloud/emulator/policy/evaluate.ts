/**
 * A pure evaluator of IAM and AWS IoT policy documents, used both by the control plane (IAM
 * authorization of every API call) and by the broker (AWS IoT policies on MQTT actions).
 *
 * Semantics follow AWS's policy evaluation logic for identity-based policies:
 * - an explicit `Deny` in any matching statement wins (`ExplicitDeny`);
 * - otherwise any matching `Allow` allows (`Allow`);
 * - otherwise the request is implicitly denied (`ImplicitDeny`).
 * Actions match case-insensitively, resources case-sensitively; `*` matches any run of characters
 * (including none, and across `/` and `:`) and `?` exactly one. `NotAction`/`NotResource` match
 * everything the listed patterns do not. Policy variables (`${iot:ClientId}`,
 * `${cognito-identity.amazonaws.com:sub}`, ...) are substituted in Resource/NotResource from
 * `request.variables`; a statement whose variable cannot be resolved does not apply, as in AWS IoT.
 * The special variables `${*}`, `${?}` and `${$}` stand for the literal characters.
 * Condition blocks are evaluated (see condition.ts) against the same `variables` map as context keys;
 * a Condition with an operator not supported here fails closed: such an Allow does not apply, such a
 * Deny does.
 */
import type { PolicyDocument, PolicyStatement } from '../contracts/index.js';
import { evaluateCondition } from './condition.js';
import { cached, escapeRegExp, wildcardBody, wildcardToRegExp } from './wildcard.js';

export type PolicyDecision = 'Allow' | 'ExplicitDeny' | 'ImplicitDeny';

export interface PolicyRequest {
  /** e.g. `iot:CreateProvisioningClaim` or `iot:Publish`. */
  action: string;
  /** e.g. `arn:aws:iot:us-east-1:123456789012:provisioningtemplate/MyTemplate`. */
  resource: string;
  /** Policy variable values by name without `${}`, e.g. `{ 'iot:ClientId': 'thing-1' }`. */
  variables?: Record<string, string>;
}

/** A statement as stored: besides the contract's fields, NotAction/NotResource may appear. */
interface AnyStatement {
  Effect?: unknown;
  Action?: unknown;
  NotAction?: unknown;
  Resource?: unknown;
  NotResource?: unknown;
  Condition?: unknown;
}

const LITERAL_VARIABLES: Record<string, string> = { '*': '*', '?': '?', $: '$' };

function toList(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value;
  return [];
}

const hasWildcard = (text: string): boolean => text.includes('*') || text.includes('?');

/** A compiled resource pattern: plain strings compare directly, wildcards go through a RegExp. */
type Matcher = (value: string) => boolean;

/**
 * Substitutes `${name}` in a resource pattern. Returns undefined when a variable is unknown. Values
 * are matched literally (a `*` inside a client id is not a wildcard).
 */
function substitute(pattern: string, variables: Record<string, string>): Matcher | undefined {
  if (!pattern.includes('${')) {
    if (pattern === '*') return () => true;
    if (!hasWildcard(pattern)) return (v) => v === pattern;
    const re = wildcardToRegExp(pattern, false);
    return (v) => re.test(v);
  }
  const pieces: Array<{ literal: boolean; text: string }> = [];
  const re = /\$\{([^}]*)\}/g;
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(pattern)) !== null) {
    if (m.index > last) pieces.push({ literal: false, text: pattern.slice(last, m.index) });
    const name = (m[1] ?? '').trim();
    const value = LITERAL_VARIABLES[name] ?? (Object.hasOwn(variables, name) ? variables[name] : undefined);
    if (value === undefined) return undefined;
    pieces.push({ literal: true, text: value });
    last = m.index + m[0].length;
  }
  if (last < pattern.length) pieces.push({ literal: false, text: pattern.slice(last) });
  if (!pieces.some((p) => !p.literal && hasWildcard(p.text))) {
    const exact = pieces.map((p) => p.text).join('');
    return (v) => v === exact;
  }
  const body = pieces.map((p) => (p.literal ? escapeRegExp(p.text) : wildcardBody(p.text))).join('');
  const compiled = cached(`regexp:${body}`, () => new RegExp(`^${body}$`, 'su'));
  return (v) => compiled.test(v);
}

/** Whether an action pattern list matches (case-insensitive, as IAM compares actions). */
function actionMatches(patterns: string[], action: string): boolean {
  return patterns.some((p) => {
    if (p === '*') return true;
    if (!hasWildcard(p)) return p.toLowerCase() === action.toLowerCase();
    return wildcardToRegExp(p, true).test(action);
  });
}

/**
 * Whether a resource pattern list matches. `unresolved` is set when a pattern needed a variable that
 * is not known; such a pattern matches nothing.
 */
function resourceMatches(
  patterns: string[],
  resource: string,
  variables: Record<string, string>,
): { match: boolean; unresolved: boolean } {
  let unresolved = false;
  for (const p of patterns) {
    const s = substitute(p, variables);
    if (s === undefined) {
      unresolved = true;
      continue;
    }
    if (s(resource)) return { match: true, unresolved };
  }
  return { match: false, unresolved };
}

/** Whether one statement applies to the request (Effect aside). */
export function statementApplies(statement: PolicyStatement | AnyStatement, request: PolicyRequest): boolean {
  const st = statement as AnyStatement;
  const variables = request.variables ?? {};
  const actions = toList(st.Action);
  const notActions = toList(st.NotAction);
  if (actions !== undefined) {
    if (!actionMatches(actions, request.action)) return false;
  } else if (notActions !== undefined) {
    if (actionMatches(notActions, request.action)) return false;
  } else {
    return false;
  }
  const resources = toList(st.Resource);
  const notResources = toList(st.NotResource);
  if (resources !== undefined) {
    if (!resourceMatches(resources, request.resource, variables).match) return false;
  } else if (notResources !== undefined) {
    const r = resourceMatches(notResources, request.resource, variables);
    // An unresolvable NotResource pattern makes the statement inapplicable rather than widen it.
    if (r.match || r.unresolved) return false;
  } else {
    return false;
  }
  return true;
}

/** Substitutes variables in a condition value, literally; undefined when one is unknown. */
function substituteText(value: string, variables: Record<string, string>): string | undefined {
  let missing = false;
  const out = value.replace(/\$\{([^}]*)\}/g, (_m, raw: string) => {
    const name = raw.trim();
    const v = LITERAL_VARIABLES[name] ?? (Object.hasOwn(variables, name) ? variables[name] : undefined);
    if (v === undefined) missing = true;
    return v ?? '';
  });
  return missing ? undefined : out;
}

function statementsOf(doc: PolicyDocument): AnyStatement[] {
  const s = (doc as { Statement?: unknown }).Statement;
  if (s === undefined || s === null) return [];
  return (Array.isArray(s) ? s : [s]).filter((x): x is AnyStatement => typeof x === 'object' && x !== null);
}

/** Evaluates `policies` for one request: explicit Deny wins, then Allow, else implicit deny. */
export function evaluatePolicies(policies: readonly PolicyDocument[], request: PolicyRequest): PolicyDecision {
  const variables = request.variables ?? {};
  const substitute = (v: string): string | undefined => substituteText(v, variables);
  let allowed = false;
  for (const doc of policies) {
    for (const st of statementsOf(doc)) {
      if (st.Effect === 'Deny') {
        // An unsupported condition (undefined) makes a Deny apply: fail closed.
        if (statementApplies(st, request) && evaluateCondition(st.Condition, variables, substitute) !== false)
          return 'ExplicitDeny';
      } else if (st.Effect === 'Allow' && !allowed) {
        if (statementApplies(st, request) && evaluateCondition(st.Condition, variables, substitute) === true)
          allowed = true;
      }
    }
  }
  return allowed ? 'Allow' : 'ImplicitDeny';
}

/** Convenience: true only for `Allow`. */
export function isAllowed(policies: readonly PolicyDocument[], request: PolicyRequest): boolean {
  return evaluatePolicies(policies, request) === 'Allow';
}
