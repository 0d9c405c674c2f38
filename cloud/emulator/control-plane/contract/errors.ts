/**
 * AWS IoT's control-plane exceptions with their HTTP statuses (from the service model), and the
 * translation of the registry's and template engine's failures into them, once, at the edge.
 */
import { isRegistryError } from '../../registry/index.js';
import { AwsServiceError } from '../../sigv4/index.js';
import { TemplateError } from '../../templates/index.js';

export const ERROR_STATUS: Record<string, number> = {
  InvalidRequestException: 400,
  MalformedPolicyException: 400,
  SerializationException: 400,
  UnauthorizedException: 401,
  AccessDeniedException: 403,
  ResourceNotFoundException: 404,
  UnknownOperationException: 404,
  CertificateStateException: 406,
  ResourceAlreadyExistsException: 409,
  DeleteConflictException: 409,
  VersionConflictException: 409,
  VersionsLimitExceededException: 409,
  ConflictingResourceUpdateException: 409,
  LimitExceededException: 410,
  RequestEntityTooLargeException: 413,
  ThrottlingException: 429,
  InternalFailureException: 500,
  ServiceUnavailableException: 503,
};

export function awsError(type: string, message: string, fields?: Record<string, string>): AwsServiceError {
  return new AwsServiceError(type, ERROR_STATUS[type] ?? 400, message, fields);
}

export const invalidRequest = (message: string): AwsServiceError => awsError('InvalidRequestException', message);
export const notFound = (message: string): AwsServiceError => awsError('ResourceNotFoundException', message);

/** `User: <arn> is not authorized to perform: <action> on resource: <resource>`, as IAM words it. */
export function accessDenied(principalArn: string, action: string, resource: string): AwsServiceError {
  return awsError(
    'AccessDeniedException',
    `User: ${principalArn} is not authorized to perform: ${action} on resource: ${resource}`,
  );
}

/** Any failure thrown by an operation, as the error the client receives. */
export function toAwsError(err: unknown): AwsServiceError {
  if (err instanceof AwsServiceError) return err;
  if (isRegistryError(err)) return awsError(err.code, err.message);
  if (err instanceof TemplateError) return invalidRequest(err.message);
  return awsError('InternalFailureException', 'An internal error occurred');
}
