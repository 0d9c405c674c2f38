import { isProvisioningError, ProvisioningError } from '../../protocol/index.js';
import type { ErrorCode } from '../../protocol/index.js';

interface AwsServiceError {
  name: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

/**
 * Translates an AWS SDK failure into the product's error, once, at the edge. `byName` maps AWS
 * exception names to codes; a failure without an HTTP status never reached the service:
 * CLOUD_UNREACHABLE. The AWS exception name goes into the detail (it is not secret).
 */
export function awsError(
  err: unknown,
  what: string,
  byName: Readonly<Record<string, ErrorCode>>,
  fallback: ErrorCode,
): ProvisioningError {
  if (isProvisioningError(err)) return err;
  const e = (typeof err === 'object' && err !== null ? err : { name: String(err) }) as AwsServiceError;
  if (e.$metadata?.httpStatusCode === undefined) {
    const net =
      (err as { code?: string; cause?: { code?: string } }).code ?? (err as { cause?: { code?: string } }).cause?.code;
    return new ProvisioningError('CLOUD_UNREACHABLE', {
      detail: `${what}: ${net ?? e.name} (no answer: check the endpoint in the configuration, and that the service or the emulator, npx tp-cloud, is up)`,
      cause: err,
    });
  }
  const code = byName[e.name] ?? fallback;
  const message = e.message ? `: ${e.message.slice(0, 160)}` : '';
  return new ProvisioningError(code, { detail: `${what}: ${e.name}${message}`, cause: err });
}
