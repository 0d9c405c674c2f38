export { evaluatePolicies, isAllowed, statementApplies } from './evaluate.js';
export type { PolicyDecision, PolicyRequest } from './evaluate.js';
export { validatePolicyDocument } from './validate.js';
export type { PolicyValidationResult } from './validate.js';
export { wildcardToRegExp } from './wildcard.js';
