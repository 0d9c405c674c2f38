/**
 * Registry failures, named by the AWS IoT exception the control plane answers with
 * (`ResourceNotFoundException` etc.), so translating them at the HTTP edge is a lookup.
 */
export type RegistryErrorCode =
  | 'ResourceNotFoundException'
  | 'ResourceAlreadyExistsException'
  | 'DeleteConflictException'
  | 'VersionConflictException'
  | 'VersionsLimitExceededException'
  | 'InvalidRequestException'
  | 'CertificateStateException';

export class RegistryError extends Error {
  constructor(
    readonly code: RegistryErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'RegistryError';
  }
}

export function isRegistryError(err: unknown, code?: RegistryErrorCode): err is RegistryError {
  return err instanceof RegistryError && (code === undefined || err.code === code);
}
