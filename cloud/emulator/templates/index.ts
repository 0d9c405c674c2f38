/** The fleet-provisioning template engine: validate at create time, evaluate at RegisterThing. */
export {
  evaluateTemplate,
  validateTemplate,
  MAX_TEMPLATE_BODY_CHARS,
  THING_NAME_PATTERN,
  POLICY_NAME_PATTERN,
} from './engine.js';
export { TemplateError } from './errors.js';
export type { TemplateErrorCode } from './errors.js';
export { CERTIFICATE_ID_PARAMETER } from './model.js';
export type {
  EvaluationContext,
  PlannedCertificate,
  PlannedPolicy,
  PlannedThing,
  TemplatePlan,
  OverrideAction,
} from './model.js';
