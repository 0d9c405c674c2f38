/**
 * Verification of AWS Signature Version 4 on incoming HTTP requests, in the header form
 * (`Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`) and the presigned
 * query-string form (`X-Amz-Signature=…`). Failures throw {@link AwsServiceError} with the exception
 * names, HTTP statuses and messages AWS's JSON services answer, so SDKs surface the same error.
 */
import { timingSafeEqual } from 'node:crypto';
import type { AwsCredentialRecord, CredentialStore } from '../contracts/index.js';
import { AwsServiceError } from './aws-error.js';
import {
  SIGV4_ALGORITHM,
  UNSIGNED_PAYLOAD,
  canonicalHeaders,
  canonicalPath,
  canonicalQuery,
  parseQueryPairs,
  sha256Hex,
  signatureOf,
  signingKey,
  stringToSign,
} from './canonical.js';

/** How far a request's timestamp may be from the server's clock (AWS: 15 minutes). */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;
/** Longest validity of a presigned request (AWS: 7 days). */
export const MAX_PRESIGN_EXPIRES_S = 7 * 24 * 60 * 60;

export const SIGNATURE_MISMATCH_MESSAGE =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';
export const INVALID_TOKEN_MESSAGE = 'The security token included in the request is invalid.';
export const EXPIRED_TOKEN_MESSAGE = 'The security token included in the request is expired';

export interface IncomingSignedRequest {
  method: string;
  /** Path and query exactly as received (node's `req.url`), still percent-encoded. */
  url: string;
  /** node's `req.rawHeaders`: a flat name, value, name, value… list. */
  rawHeaders: readonly string[];
  body: Uint8Array;
}

export interface SigV4VerifierOptions {
  credentials: CredentialStore;
  /**
   * Signing name(s) the service accepts, e.g. `iot`. AWS IoT accepts both `iot` (newer SDKs) and
   * `execute-api` (botocore's older models, hence the Debian AWS CLI); the first is named in errors.
   */
  service: string | readonly string[];
  region: string;
  /** Injected clock. */
  now?: () => Date;
}

export interface VerifiedCaller {
  credential: AwsCredentialRecord;
  accessKeyId: string;
}

interface ParsedAuth {
  accessKeyId: string;
  scopeDate: string;
  scopeRegion: string;
  scopeService: string;
  scopeTerminator: string;
  signedHeaders: string[];
  signature: string;
  amzDate: string;
  securityToken: string | undefined;
  /** Seconds the presigned URL is valid; undefined for the header form. */
  expiresS: number | undefined;
  presigned: boolean;
}

const AMZ_DATE_RE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

function invalidSignature(message: string): AwsServiceError {
  return new AwsServiceError('InvalidSignatureException', 403, message);
}

function incomplete(message: string): AwsServiceError {
  return new AwsServiceError('IncompleteSignatureException', 403, message);
}

function header(rawHeaders: readonly string[], name: string): string | undefined {
  for (let i = 0; i + 1 < rawHeaders.length; i += 2)
    if (rawHeaders[i]?.toLowerCase() === name) return rawHeaders[i + 1];
  return undefined;
}

function parseAmzDate(value: string): Date | undefined {
  const m = AMZ_DATE_RE.exec(value);
  if (!m) return undefined;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
  return Number.isNaN(d.getTime()) ? undefined : d;
}

export function toAmzDate(d: Date): string {
  return d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

function splitCredential(
  credential: string,
): Pick<ParsedAuth, 'accessKeyId' | 'scopeDate' | 'scopeRegion' | 'scopeService' | 'scopeTerminator'> {
  const parts = credential.split('/');
  if (parts.length !== 5)
    throw incomplete(
      `Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${credential}'`,
    );
  const [accessKeyId, scopeDate, scopeRegion, scopeService, scopeTerminator] = parts as [
    string,
    string,
    string,
    string,
    string,
  ];
  return { accessKeyId, scopeDate, scopeRegion, scopeService, scopeTerminator };
}

function parseHeaderAuth(authorization: string, rawHeaders: readonly string[]): ParsedAuth {
  const space = authorization.indexOf(' ');
  const algorithm = space < 0 ? authorization : authorization.slice(0, space);
  if (algorithm !== SIGV4_ALGORITHM) {
    throw incomplete(`Authorization header requires a supported signing algorithm ('${SIGV4_ALGORITHM}').`);
  }
  const params = new Map<string, string>();
  for (const part of authorization.slice(space + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) params.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const missing: string[] = [];
  for (const p of ['Credential', 'Signature', 'SignedHeaders'])
    if (!params.has(p)) missing.push(`Authorization header requires '${p}' parameter.`);
  const amzDateHeader = header(rawHeaders, 'x-amz-date');
  const dateHeader = header(rawHeaders, 'date');
  if (amzDateHeader === undefined && dateHeader === undefined)
    missing.push("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
  if (missing.length > 0) throw incomplete(missing.join(' '));
  let amzDate = amzDateHeader;
  if (amzDate === undefined) {
    const parsed = new Date(dateHeader as string);
    if (Number.isNaN(parsed.getTime()))
      throw incomplete("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
    amzDate = toAmzDate(parsed);
  }
  return {
    ...splitCredential(params.get('Credential') as string),
    signedHeaders: (params.get('SignedHeaders') as string).split(';'),
    signature: params.get('Signature') as string,
    amzDate,
    securityToken: header(rawHeaders, 'x-amz-security-token'),
    expiresS: undefined,
    presigned: false,
  };
}

function parsePresignedAuth(query: Map<string, string>): ParsedAuth {
  const missing = [
    'X-Amz-Algorithm',
    'X-Amz-Credential',
    'X-Amz-Date',
    'X-Amz-SignedHeaders',
    'X-Amz-Signature',
  ].filter((k) => !query.has(k));
  if (missing.length > 0)
    throw incomplete(missing.map((k) => `AWS query-string parameters must include '${k}'.`).join(' '));
  if (query.get('X-Amz-Algorithm') !== SIGV4_ALGORITHM)
    throw incomplete(`X-Amz-Algorithm only supports '${SIGV4_ALGORITHM}'`);
  const expiresRaw = query.get('X-Amz-Expires');
  const expiresS = expiresRaw === undefined ? MAX_PRESIGN_EXPIRES_S : Number(expiresRaw);
  if (!Number.isInteger(expiresS) || expiresS < 0 || expiresS > MAX_PRESIGN_EXPIRES_S) {
    throw incomplete(`X-Amz-Expires must be an integer between 0 and ${MAX_PRESIGN_EXPIRES_S} seconds`);
  }
  return {
    ...splitCredential(query.get('X-Amz-Credential') as string),
    signedHeaders: (query.get('X-Amz-SignedHeaders') as string).split(';'),
    signature: query.get('X-Amz-Signature') as string,
    amzDate: query.get('X-Amz-Date') as string,
    securityToken: query.get('X-Amz-Security-Token'),
    expiresS,
    presigned: true,
  };
}

function checkScope(auth: ParsedAuth, options: SigV4VerifierOptions): void {
  if (auth.scopeTerminator !== 'aws4_request') {
    throw invalidSignature(
      `Credential should be scoped with a valid terminator: 'aws4_request', not '${auth.scopeTerminator}'. `,
    );
  }
  const services = typeof options.service === 'string' ? [options.service] : options.service;
  if (!services.includes(auth.scopeService))
    throw invalidSignature(`Credential should be scoped to correct service: '${services[0] ?? ''}'. `);
  if (auth.scopeRegion !== options.region)
    throw invalidSignature(`Credential should be scoped to a valid region, not '${auth.scopeRegion}'. `);
  if (auth.scopeDate !== auth.amzDate.slice(0, 8)) {
    throw invalidSignature(
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${auth.scopeDate}' != '${auth.amzDate.slice(0, 8)}', from '${auth.amzDate}'.`,
    );
  }
  if (!auth.signedHeaders.includes('host'))
    throw invalidSignature("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
}

function checkTime(auth: ParsedAuth, now: Date): void {
  const signedAt = parseAmzDate(auth.amzDate);
  if (signedAt === undefined)
    throw incomplete(
      `Date must be in ISO-8601 'basic format'. Got '${auth.amzDate}'. See http://en.wikipedia.org/wiki/ISO_8601`,
    );
  const nowS = toAmzDate(now);
  if (auth.expiresS !== undefined) {
    if (signedAt.getTime() - now.getTime() > MAX_CLOCK_SKEW_MS) {
      throw invalidSignature(
        `Signature not yet current: ${auth.amzDate} is still later than ${toAmzDate(new Date(now.getTime() + MAX_CLOCK_SKEW_MS))} (${nowS} + 15 min.)`,
      );
    }
    const expiresAt = signedAt.getTime() + auth.expiresS * 1000;
    if (now.getTime() > expiresAt) {
      throw invalidSignature(
        `Signature expired: ${toAmzDate(new Date(expiresAt))} is now earlier than ${nowS} (${auth.amzDate} + ${auth.expiresS} sec.)`,
      );
    }
    return;
  }
  if (now.getTime() - signedAt.getTime() > MAX_CLOCK_SKEW_MS) {
    throw invalidSignature(
      `Signature expired: ${auth.amzDate} is now earlier than ${toAmzDate(new Date(now.getTime() - MAX_CLOCK_SKEW_MS))} (${nowS} - 15 min.)`,
    );
  }
  if (signedAt.getTime() - now.getTime() > MAX_CLOCK_SKEW_MS) {
    throw invalidSignature(
      `Signature not yet current: ${auth.amzDate} is still later than ${toAmzDate(new Date(now.getTime() + MAX_CLOCK_SKEW_MS))} (${nowS} + 15 min.)`,
    );
  }
}

function lookUpCredential(auth: ParsedAuth, options: SigV4VerifierOptions, now: Date): AwsCredentialRecord {
  const record = options.credentials.get(auth.accessKeyId);
  if (record === undefined) throw new AwsServiceError('UnrecognizedClientException', 403, INVALID_TOKEN_MESSAGE);
  const expected = record.sessionToken;
  if (expected !== undefined || auth.securityToken !== undefined) {
    if (
      expected === undefined ||
      auth.securityToken === undefined ||
      !constantTimeEqual(expected, auth.securityToken)
    ) {
      throw new AwsServiceError('UnrecognizedClientException', 403, INVALID_TOKEN_MESSAGE);
    }
  }
  if (record.expiration !== undefined && record.expiration.getTime() <= now.getTime()) {
    throw new AwsServiceError('ExpiredTokenException', 403, EXPIRED_TOKEN_MESSAGE);
  }
  return record;
}

/**
 * The payload hash the signature must cover. AWS IoT (like every service but S3) signs the body:
 * the canonical request ends with the hex SHA-256 of the payload ("HashedPayload", IAM User Guide,
 * "Create a signed AWS API request",
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html). The literal
 * `UNSIGNED-PAYLOAD` is an Amazon S3 option ("Signature Calculations for the Authorization Header:
 * Transferring Payload in a Single Chunk", Amazon S3 API Reference,
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html); a non-S3 service
 * hashes the body it received, so a request signed over `UNSIGNED-PAYLOAD`, or whose body was
 * swapped, fails as a signature mismatch (InvalidSignatureException, 403), which is what we answer.
 * A presigned URL carries no body hash, so it may use `UNSIGNED-PAYLOAD` only with an empty body.
 */
function payloadHashesFor(request: IncomingSignedRequest, auth: ParsedAuth): string[] {
  const bodyHash = sha256Hex(request.body);
  const declared = header(request.rawHeaders, 'x-amz-content-sha256');
  // A declared hash that is not the body's (UNSIGNED-PAYLOAD included): the body is not the one signed.
  if (declared !== undefined && declared !== bodyHash) throw invalidSignature(SIGNATURE_MISMATCH_MESSAGE);
  return auth.presigned && request.body.length === 0 ? [bodyHash, UNSIGNED_PAYLOAD] : [bodyHash];
}

/** Compares two strings in time independent of where they differ. */
export function constantTimeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a, 'utf8');
  const bb = Buffer.from(b, 'utf8');
  // Compare equal-length buffers regardless, so the length check does not short-circuit the work.
  const same = timingSafeEqual(ab.length === bb.length ? ab : bb, bb);
  return same && ab.length === bb.length;
}

/**
 * Verifies the request's signature and returns the caller's credential record. Throws
 * {@link AwsServiceError}: MissingAuthenticationTokenException, IncompleteSignatureException,
 * InvalidSignatureException (bad signature, scope, skew), UnrecognizedClientException (unknown key or
 * session token), ExpiredTokenException (expired temporary credentials).
 */
export function verifySigV4(request: IncomingSignedRequest, options: SigV4VerifierOptions): VerifiedCaller {
  const now = (options.now ?? (() => new Date()))();
  const q = request.url.indexOf('?');
  const rawPath = q < 0 ? request.url : request.url.slice(0, q);
  const queryPairs = parseQueryPairs(q < 0 ? '' : request.url.slice(q + 1));
  const query = new Map(queryPairs);
  const authorization = header(request.rawHeaders, 'authorization');
  let auth: ParsedAuth;
  if (authorization !== undefined) auth = parseHeaderAuth(authorization, request.rawHeaders);
  else if (query.has('X-Amz-Signature') || query.has('X-Amz-Credential')) auth = parsePresignedAuth(query);
  else throw new AwsServiceError('MissingAuthenticationTokenException', 403, 'Missing Authentication Token');

  checkScope(auth, options);
  checkTime(auth, now);
  const record = lookUpCredential(auth, options, now);

  const headersBlock = canonicalHeaders(request.rawHeaders, auth.signedHeaders);
  if (headersBlock === undefined) throw invalidSignature(SIGNATURE_MISMATCH_MESSAGE);
  const payloadHashes = payloadHashesFor(request, auth);
  const scope = `${auth.scopeDate}/${auth.scopeRegion}/${auth.scopeService}/aws4_request`;
  const key = signingKey(record.secretAccessKey, auth.scopeDate, auth.scopeRegion, auth.scopeService);
  const canonicalBase = [
    request.method.toUpperCase(),
    canonicalPath(rawPath),
    canonicalQuery(queryPairs, auth.presigned ? 'X-Amz-Signature' : undefined),
    headersBlock,
    auth.signedHeaders.join(';'),
  ].join('\n');
  for (const payloadHash of payloadHashes) {
    const expected = signatureOf(key, stringToSign(auth.amzDate, scope, `${canonicalBase}\n${payloadHash}`));
    if (constantTimeEqual(expected, auth.signature)) return { credential: record, accessKeyId: auth.accessKeyId };
  }
  throw invalidSignature(SIGNATURE_MISMATCH_MESSAGE);
}
