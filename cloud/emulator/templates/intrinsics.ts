/**
 * The intrinsic functions AWS IoT provisioning templates support (Ref, Fn::Join, Fn::Sub,
 * Fn::Select, Fn::Split, Fn::FindInMap, plus Fn::If and the condition functions), as one
 * evaluator. `check` mode walks the same code without values, so a template's shape is validated
 * when it is created, as AWS does.
 */
import { TemplateError } from './errors.js';

export type Value = string | number | boolean | Value[] | { [k: string]: Value } | null;
export type Resolved = string | string[];

export interface Scope {
  /** Resolves a Ref name; undefined when the name is unknown. In check mode values may be placeholders. */
  ref(name: string): Resolved | undefined;
  mappings: Record<string, Record<string, Record<string, Value>>>;
  condition(name: string): boolean;
  hasCondition(name: string): boolean;
  /** True while validating: any value may be a placeholder, and no branch is pruned. */
  checking: boolean;
}

const FUNCTIONS = [
  'Ref',
  'Fn::Join',
  'Fn::Sub',
  'Fn::Select',
  'Fn::Split',
  'Fn::FindInMap',
  'Fn::If',
  'Fn::Equals',
  'Fn::Not',
  'Fn::And',
  'Fn::Or',
  'Condition',
] as const;

function fail(path: string, message: string): never {
  throw new TemplateError('InvalidTemplate', `${path}: ${message}`);
}

export function isIntrinsic(v: Value): v is { [k: string]: Value } {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const keys = Object.keys(v);
  return keys.length === 1 && (FUNCTIONS as readonly string[]).includes(keys[0] as string);
}

/** Evaluates `v` to a string (or list of strings for list-valued functions). */
export function resolve(v: Value, scope: Scope, path: string): Resolved {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return v.map((item, i) => asString(resolve(item, scope, `${path}[${i}]`), `${path}[${i}]`));
  if (v === null) fail(path, 'null is not a value');
  if (!isIntrinsic(v))
    fail(path, `expected a string or an intrinsic function, got an object with keys ${Object.keys(v).join(', ')}`);
  const [fn, arg] = Object.entries(v)[0] as [string, Value];
  const at = `${path}.${fn}`;
  switch (fn) {
    case 'Ref': {
      if (typeof arg !== 'string') fail(at, 'Ref takes a name');
      const r = scope.ref(arg);
      if (r === undefined) fail(at, `unresolved reference ${arg}`);
      return r;
    }
    case 'Fn::Join': {
      if (!Array.isArray(arg) || arg.length !== 2 || typeof arg[0] !== 'string')
        fail(at, 'Fn::Join takes [delimiter, [values]]');
      const list = resolveList(arg[1] as Value, scope, `${at}[1]`);
      return list.join(arg[0]);
    }
    case 'Fn::Split': {
      if (!Array.isArray(arg) || arg.length !== 2 || typeof arg[0] !== 'string' || arg[0] === '')
        fail(at, 'Fn::Split takes [delimiter, string]');
      const s = asString(resolve(arg[1] as Value, scope, `${at}[1]`), `${at}[1]`);
      return s.split(arg[0]);
    }
    case 'Fn::Select': {
      if (!Array.isArray(arg) || arg.length !== 2) fail(at, 'Fn::Select takes [index, list]');
      const index = Number(asString(resolve(arg[0] as Value, scope, `${at}[0]`), `${at}[0]`));
      const list = resolveList(arg[1] as Value, scope, `${at}[1]`);
      if (scope.checking) return list[0] ?? '';
      if (!Number.isInteger(index) || index < 0 || index >= list.length)
        fail(at, `index ${index} is out of range for a list of ${list.length}`);
      return list[index] as string;
    }
    case 'Fn::FindInMap': {
      if (!Array.isArray(arg) || arg.length !== 3)
        fail(at, 'Fn::FindInMap takes [mapName, topLevelKey, secondLevelKey]');
      const [mapName, top, second] = arg.map((a, i) => asString(resolve(a, scope, `${at}[${i}]`), `${at}[${i}]`)) as [
        string,
        string,
        string,
      ];
      if (typeof arg[0] === 'string' && !(arg[0] in scope.mappings)) fail(at, `mapping ${arg[0]} is not defined`);
      if (scope.checking) return '';
      const found = scope.mappings[mapName]?.[top]?.[second];
      if (found === undefined) fail(at, `no value for [${mapName}][${top}][${second}]`);
      return resolve(found, scope, at);
    }
    case 'Fn::Sub':
      return substitute(arg, scope, at);
    case 'Fn::If': {
      if (!Array.isArray(arg) || arg.length !== 3 || typeof arg[0] !== 'string')
        fail(at, 'Fn::If takes [conditionName, valueIfTrue, valueIfFalse]');
      if (!scope.hasCondition(arg[0])) fail(at, `condition ${arg[0]} is not defined`);
      if (scope.checking) {
        resolve(arg[2] as Value, scope, `${at}[2]`);
        return resolve(arg[1] as Value, scope, `${at}[1]`);
      }
      return scope.condition(arg[0])
        ? resolve(arg[1] as Value, scope, `${at}[1]`)
        : resolve(arg[2] as Value, scope, `${at}[2]`);
    }
    default:
      return String(evaluateCondition(v, scope, path));
  }
}

/** Evaluates a condition expression (Fn::Equals/Not/And/Or, {Condition: name}). */
export function evaluateCondition(v: Value, scope: Scope, path: string): boolean {
  if (!isIntrinsic(v)) fail(path, 'a condition must be Fn::Equals, Fn::Not, Fn::And, Fn::Or or {"Condition": name}');
  const [fn, arg] = Object.entries(v)[0] as [string, Value];
  const at = `${path}.${fn}`;
  switch (fn) {
    case 'Fn::Equals': {
      if (!Array.isArray(arg) || arg.length !== 2) fail(at, 'Fn::Equals takes [a, b]');
      const a = resolve(arg[0] as Value, scope, `${at}[0]`);
      const b = resolve(arg[1] as Value, scope, `${at}[1]`);
      return JSON.stringify(a) === JSON.stringify(b);
    }
    case 'Fn::Not':
      if (!Array.isArray(arg) || arg.length !== 1) fail(at, 'Fn::Not takes [condition]');
      return !evaluateCondition(arg[0] as Value, scope, `${at}[0]`);
    case 'Fn::And':
    case 'Fn::Or': {
      if (!Array.isArray(arg) || arg.length < 2 || arg.length > 10) fail(at, `${fn} takes 2 to 10 conditions`);
      const values = arg.map((c, i) => evaluateCondition(c, scope, `${at}[${i}]`));
      return fn === 'Fn::And' ? values.every(Boolean) : values.some(Boolean);
    }
    case 'Condition':
      if (typeof arg !== 'string' || !scope.hasCondition(arg))
        fail(at, `condition ${typeof arg === 'string' ? arg : JSON.stringify(arg)} is not defined`);
      return scope.checking ? true : scope.condition(arg);
    default:
      fail(at, `${fn} is not a condition function`);
  }
}

function substitute(arg: Value, scope: Scope, at: string): string {
  let text: string;
  let vars: Record<string, Value> = {};
  if (typeof arg === 'string') text = arg;
  else if (
    Array.isArray(arg) &&
    arg.length === 2 &&
    typeof arg[0] === 'string' &&
    arg[1] !== null &&
    typeof arg[1] === 'object' &&
    !Array.isArray(arg[1])
  ) {
    text = arg[0];
    vars = arg[1];
  } else fail(at, 'Fn::Sub takes a string or [string, {variables}]');
  return text.replace(/\$\{(!?)([^}]*)\}/g, (_m, bang: string, name: string) => {
    if (bang === '!') return '${' + name + '}'; // ${!Literal} escapes a literal ${Literal}.
    const key = name.trim();
    if (key in vars) return asString(resolve(vars[key] as Value, scope, `${at}.${key}`), `${at}.${key}`);
    const r = scope.ref(key);
    if (r === undefined) fail(at, `unresolved reference \${${key}}`);
    return asString(r, at);
  });
}

function resolveList(v: Value, scope: Scope, path: string): string[] {
  const r = resolve(v, scope, path);
  if (typeof r === 'string') {
    if (scope.checking) return [r];
    fail(path, 'expected a list');
  }
  return r;
}

export function asString(r: Resolved, path: string): string {
  if (typeof r !== 'string') fail(path, 'expected a string, got a list');
  return r;
}
