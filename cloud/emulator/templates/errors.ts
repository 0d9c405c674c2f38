/**
 * A template that cannot be used. `code` is the AWS exception or fleet-provisioning errorCode the
 * caller reports: InvalidRequestException when a template is created or updated (AWS validates
 * there), InvalidParameters / InvalidTemplate when RegisterThing evaluates it.
 */
export type TemplateErrorCode = 'InvalidRequestException' | 'InvalidParameters' | 'InvalidTemplate';

export class TemplateError extends Error {
  constructor(
    readonly code: TemplateErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'TemplateError';
  }
}
