/** What every control-plane operation is written against: the Operation shape, AWS-shaped errors, validation and pagination. */
export { accessDenied, awsError, invalidRequest, notFound, toAwsError } from './errors.js';
export type { Permission, ControlPlaneContext, Operation } from './operation.js';
export { epochSeconds, iotArn } from './operation.js';
export { paginate } from './pagination.js';
export {
  CERTIFICATE_ID,
  PAGE_SIZE,
  checkName,
  queryBoolean,
  queryInteger,
  THING_NAME,
  optionalObject,
  optionalString,
  POLICY_NAME,
  requiredHeader,
  requiredString,
  TEMPLATE_NAME,
  TEMPLATE_DESCRIPTION_MAX,
  optionalBoolean,
  optionalInteger,
} from './validate.js';
export type { JsonBody } from './validate.js';
