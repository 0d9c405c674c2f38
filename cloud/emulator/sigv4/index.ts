export { AwsServiceError } from './aws-error.js';
export {
  verifySigV4,
  constantTimeEqual,
  toAmzDate,
  MAX_CLOCK_SKEW_MS,
  MAX_PRESIGN_EXPIRES_S,
  SIGNATURE_MISMATCH_MESSAGE,
  INVALID_TOKEN_MESSAGE,
  EXPIRED_TOKEN_MESSAGE,
} from './verify.js';
export type { IncomingSignedRequest, SigV4VerifierOptions, VerifiedCaller } from './verify.js';
export { awsUriEncode, canonicalPath, canonicalQuery, parseQueryPairs, signingKey } from './canonical.js';
export { NodeSha256 } from './node-sha256.js';
