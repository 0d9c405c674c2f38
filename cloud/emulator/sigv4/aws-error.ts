/**
 * An error answered to an AWS client in the shape the AWS SDKs parse for REST-JSON services: HTTP
 * status, an `x-amzn-ErrorType` header naming the exception and a JSON body `{ "message": ... }`.
 * The SDK v3 takes the error name from that header (falling back to the body's `code`/`__type`), so
 * callers see `err.name === 'ResourceNotFoundException'` exactly as against the real service.
 */
export class AwsServiceError extends Error {
  constructor(
    /** The exception name, e.g. `InvalidSignatureException`. */
    readonly type: string,
    readonly statusCode: number,
    message: string,
    /** Extra members of the error body, e.g. resourceId/resourceArn of ResourceAlreadyExistsException. */
    readonly fields: Record<string, string> = {},
  ) {
    super(message);
    this.name = type;
  }

  /** Headers and body to send. */
  toHttp(): { statusCode: number; headers: Record<string, string>; body: string } {
    return {
      statusCode: this.statusCode,
      headers: { 'content-type': 'application/json', 'x-amzn-errortype': this.type },
      body: JSON.stringify({ message: this.message, ...this.fields }),
    };
  }
}
