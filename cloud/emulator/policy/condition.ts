/**
 * IAM / AWS IoT `Condition` blocks: the string, ARN, Bool, Numeric and Null operators with the
 * `...IfExists` suffix and the `ForAnyValue:`/`ForAllValues:` qualifiers, evaluated against the request's context keys (the same map as the policy
 * variables, e.g. `iot:Connection.Thing.IsAttached`). All operators of a block must hold, and all
 * keys of an operator; several values for one key are alternatives. A key missing from the context
 * makes a positive operator false and a negated one (`StringNotEquals`, ...) true, as IAM documents.
 * An operator this evaluator does not know yields `undefined`, which the caller treats fail-closed.
 */
import { wildcardToRegExp } from './wildcard.js';

type Outcome = boolean | undefined;

type Compare = (actual: string, expected: string) => boolean;

function numeric(cmp: (a: number, b: number) => boolean): Compare {
  return (a, b) => {
    const x = Number(a);
    const y = Number(b);
    return !Number.isNaN(x) && !Number.isNaN(y) && cmp(x, y);
  };
}

/** Operator name → comparison and whether the operator is negated. */
const OPERATORS: Record<string, { compare: Compare; negated: boolean }> = {
  StringEquals: { compare: (a, b) => a === b, negated: false },
  StringNotEquals: { compare: (a, b) => a === b, negated: true },
  StringEqualsIgnoreCase: { compare: (a, b) => a.toLowerCase() === b.toLowerCase(), negated: false },
  StringNotEqualsIgnoreCase: { compare: (a, b) => a.toLowerCase() === b.toLowerCase(), negated: true },
  StringLike: { compare: (a, b) => wildcardToRegExp(b, false).test(a), negated: false },
  StringNotLike: { compare: (a, b) => wildcardToRegExp(b, false).test(a), negated: true },
  ArnEquals: { compare: (a, b) => wildcardToRegExp(b, false).test(a), negated: false },
  ArnLike: { compare: (a, b) => wildcardToRegExp(b, false).test(a), negated: false },
  ArnNotEquals: { compare: (a, b) => wildcardToRegExp(b, false).test(a), negated: true },
  ArnNotLike: { compare: (a, b) => wildcardToRegExp(b, false).test(a), negated: true },
  Bool: { compare: (a, b) => a.toLowerCase() === b.toLowerCase(), negated: false },
  NumericEquals: { compare: numeric((a, b) => a === b), negated: false },
  NumericNotEquals: { compare: numeric((a, b) => a === b), negated: true },
  NumericLessThan: { compare: numeric((a, b) => a < b), negated: false },
  NumericLessThanEquals: { compare: numeric((a, b) => a <= b), negated: false },
  NumericGreaterThan: { compare: numeric((a, b) => a > b), negated: false },
  NumericGreaterThanEquals: { compare: numeric((a, b) => a >= b), negated: false },
};

/** Context keys are case-insensitive in IAM. */
function lookUp(context: Record<string, string>, key: string): string | undefined {
  if (Object.hasOwn(context, key)) return context[key];
  const lower = key.toLowerCase();
  for (const [k, v] of Object.entries(context)) if (k.toLowerCase() === lower) return v;
  return undefined;
}

function values(v: unknown): string[] {
  if (Array.isArray(v)) return v.map(String);
  return [String(v)];
}

function evaluateOperator(
  operator: string,
  block: unknown,
  context: Record<string, string>,
  substitute: (value: string) => string | undefined,
): Outcome {
  if (typeof block !== 'object' || block === null) return undefined;
  // Set qualifiers: context values here are single-valued, so ForAnyValue acts as the plain operator
  // (a missing key fails) and ForAllValues holds vacuously for a missing key.
  const colon = operator.indexOf(':');
  const qualifier = colon < 0 ? undefined : operator.slice(0, colon);
  if (qualifier !== undefined && qualifier !== 'ForAnyValue' && qualifier !== 'ForAllValues') return undefined;
  const unqualified = colon < 0 ? operator : operator.slice(colon + 1);
  const ifExists = unqualified.endsWith('IfExists') || qualifier === 'ForAllValues';
  const name = unqualified.endsWith('IfExists') ? unqualified.slice(0, -'IfExists'.length) : unqualified;
  for (const [key, expectedRaw] of Object.entries(block as Record<string, unknown>)) {
    const actual = lookUp(context, key);
    if (name === 'Null') {
      const wantsAbsent = values(expectedRaw).some((v) => v.toLowerCase() === 'true');
      if ((actual === undefined) !== wantsAbsent) return false;
      continue;
    }
    const op = OPERATORS[name];
    if (op === undefined) return undefined;
    if (actual === undefined) {
      if (ifExists || op.negated) continue;
      return false;
    }
    const expected = values(expectedRaw)
      .map(substitute)
      .filter((v): v is string => v !== undefined);
    const anyMatch = expected.some((e) => op.compare(actual, e));
    if (op.negated ? anyMatch : !anyMatch) return false;
  }
  return true;
}

/** Whether a statement's Condition holds; `undefined` when it uses an operator not supported here. */
export function evaluateCondition(
  condition: unknown,
  context: Record<string, string>,
  substitute: (value: string) => string | undefined,
): Outcome {
  if (condition === undefined || condition === null) return true;
  if (typeof condition !== 'object') return undefined;
  let result: Outcome = true;
  for (const [operator, block] of Object.entries(condition as Record<string, unknown>)) {
    const r = evaluateOperator(operator, block, context, substitute);
    if (r === undefined) result = undefined;
    else if (!r) return false;
  }
  return result;
}
