/**
 * What RegisterThing answers when the pre-provisioning hook refuses or fails (AWS IoT Developer
 * Guide, "Pre-provisioning hooks": "the provisioning request fails with ACCESS_DENIED").
 */
export const HOOK_REFUSED_ERROR_CODE = 'ACCESS_DENIED';

/** A fleet-provisioning request refused: published on `/rejected` as `{statusCode, errorCode, errorMessage}`. */
export class FleetError extends Error {
  constructor(
    readonly statusCode: number,
    readonly errorCode: string,
    message: string,
  ) {
    super(message);
    this.name = 'FleetError';
  }

  toResponse(): { statusCode: number; errorCode: string; errorMessage: string } {
    return { statusCode: this.statusCode, errorCode: this.errorCode, errorMessage: this.message };
  }
}

/** RegisterThing with an ownership token that is unknown, used or expired. */
export const invalidOwnershipToken = (): FleetError =>
  new FleetError(400, 'InvalidCertificateOwnershipToken', 'Certificate ownership token is invalid or has expired.');

/** RegisterThing whose ownership token names a certificate deleted since. */
export const certificateGone = (): FleetError =>
  new FleetError(400, 'InvalidCertificateOwnershipToken', 'The certificate for this ownership token no longer exists.');
