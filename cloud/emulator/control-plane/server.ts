/**
 * The AWS IoT control plane of the emulator: REST-JSON over HTTP on node:http, every request
 * SigV4-verified (signing name `iot`) and IAM-authorized for the caller's credentials, answering with
 * AWS's field names, statuses and error shapes so `@aws-sdk/client-iot` and `aws iot` work unmodified.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EmulatorCa } from '../ca/index.js';
import { DEFAULT_ACCOUNT_ID, DEFAULT_REGION } from '../contracts/index.js';
import type { AwsCredentialRecord, CredentialStore } from '../contracts/index.js';
import { applyCors } from '../cors/index.js';
import type { Registry } from '../registry/index.js';
import { parseQueryPairs, verifySigV4 } from '../sigv4/index.js';
import { authorize } from './authorize.js';
import { awsError, toAwsError } from './contract/index.js';
import type { ControlPlaneContext, JsonBody } from './contract/index.js';
import { OPERATIONS } from './operations/index.js';
import { Router } from './router.js';
import type { RateLimit } from './throttle.js';
import { Throttle } from './throttle.js';

/** Signing names AWS IoT's control plane accepts: `iot`, and `execute-api` of botocore's older models. */
export const IOT_SIGNING_NAMES: readonly string[] = ['iot', 'execute-api'];
/** Largest request body accepted (the largest legitimate one, a 10 KiB template body, fits many times). */
export const MAX_REQUEST_BODY_BYTES = 256 * 1024;
/** DescribeEndpoint's answer when the composer gives none: a bare host name, as AWS answers. */
export const DEFAULT_DATA_ENDPOINT = 'localhost';

export interface ControlPlaneOptions {
  registry: Registry;
  ca: EmulatorCa;
  credentials: CredentialStore;
  region?: string;
  accountId?: string;
  /** Interface to listen on; loopback by default. */
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /**
   * Answered by DescribeEndpoint for iot:Data-ATS / iot:Data: a host name without port, as AWS's
   * `endpointAddress` (e.g. `abc123-ats.iot.us-east-1.amazonaws.com`), so that AWS's samples'
   * `--endpoint "$(aws iot describe-endpoint … --output text)"` works; the port goes separately.
   */
  dataEndpoint?: string;
  /** Injected clock for signature skew, credential expiry and claim expiry. */
  now?: () => Date;
  /** Per-access-key rate limit (ThrottlingException); none by default. */
  rateLimit?: RateLimit;
  /** Other AWS services served on this port (the emulator's minimal Lambda and IAM), by path. */
  otherServices?: {
    serviceOf(method: string, rawPath: string): string | undefined;
    /** Their request body limit (a Lambda deployment package is far over the IoT one). */
    maxBodyBytes: number;
    handle(
      service: string,
      req: { method: string; rawPath: string; body: Buffer; credential: AwsCredentialRecord },
    ): ServiceResponse | Promise<ServiceResponse>;
  };
}

export interface ServiceResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface ControlPlane {
  /** e.g. `http://127.0.0.1:41234`: pass as `endpoint` to IoTClient or `--endpoint-url` to the CLI. */
  url: string;
  port: number;
  close(): Promise<void>;
}

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        // Stop keeping the body but drain it, so the client still reads the 413 answer.
        req.off('data', onData);
        req.resume();
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function parseJsonBody(body: Buffer): JsonBody {
  if (body.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw awsError('SerializationException', 'The request body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw awsError('SerializationException', 'The request body must be a JSON object');
  return parsed as JsonBody;
}

function send(
  res: ServerResponse,
  requestId: string,
  statusCode: number,
  headers: Record<string, string>,
  body: string,
): void {
  res.writeHead(statusCode, { ...headers, 'x-amzn-requestid': requestId, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** What one request is served with: the options, the operations' context, the router and the rate limit. */
interface Served {
  options: ControlPlaneOptions;
  ctx: ControlPlaneContext;
  router: Router;
  throttle: Throttle | undefined;
}

type Answer = { status: number; body: JsonBody | undefined } | { raw: ServiceResponse };

/** Starts the control plane; resolves once it listens. */
export async function startControlPlane(options: ControlPlaneOptions): Promise<ControlPlane> {
  const now = options.now ?? (() => new Date());
  const served: Served = {
    options,
    ctx: {
      registry: options.registry,
      ca: options.ca,
      region: options.region ?? DEFAULT_REGION,
      accountId: options.accountId ?? DEFAULT_ACCOUNT_ID,
      dataEndpoint: options.dataEndpoint ?? DEFAULT_DATA_ENDPOINT,
      now,
    },
    router: new Router(OPERATIONS),
    throttle: options.rateLimit ? new Throttle(options.rateLimit, now) : undefined,
  };
  const server = createServer((req, res) => {
    // Browsers (the web app's AWS SDK) preflight signed requests; a preflight carries no signature.
    if (applyCors(req, res)) return;
    const requestId = randomUUID();
    handle(served, req).then(
      (out) => answer(res, requestId, out),
      (err: unknown) => {
        const e = toAwsError(err).toHttp();
        if (!res.headersSent) send(res, requestId, e.statusCode, e.headers, e.body);
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** One request: body, signature, rate limit, then another service's handler or an IoT operation. */
async function handle(served: Served, req: IncomingMessage): Promise<Answer> {
  const { options, ctx, throttle } = served;
  const url = req.url ?? '/';
  const method = (req.method ?? 'GET').toUpperCase();
  const q = url.indexOf('?');
  const rawPath = q < 0 ? url : url.slice(0, q);
  const other = options.otherServices?.serviceOf(method, rawPath);
  const limit =
    other !== undefined && options.otherServices ? options.otherServices.maxBodyBytes : MAX_REQUEST_BODY_BYTES;
  const raw = await readLimitedBody(req, limit);
  const caller = verifySigV4(
    { method, url, rawHeaders: req.rawHeaders, body: raw },
    {
      credentials: options.credentials,
      service: other ? [other] : IOT_SIGNING_NAMES,
      region: ctx.region,
      now: ctx.now,
    },
  );
  if (throttle !== undefined && !throttle.take(caller.accessKeyId))
    throw awsError('ThrottlingException', 'Rate exceeded');
  if (other !== undefined && options.otherServices)
    return {
      raw: await options.otherServices.handle(other, { method, rawPath, body: raw, credential: caller.credential }),
    };
  const rawQuery = q < 0 ? '' : url.slice(q + 1);
  const body = await runOperation(served, caller.credential, { method, rawPath, rawQuery, raw, headers: req.headers });
  return { status: 200, body };
}

/** The request's body, or RequestEntityTooLargeException over `limit` bytes. */
async function readLimitedBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  try {
    return await readBody(req, limit);
  } catch (err) {
    if (err instanceof BodyTooLarge)
      throw awsError('RequestEntityTooLargeException', `The request body exceeds ${limit} bytes`);
    throw err;
  }
}

/** The AWS IoT operation the method and path name, prepared, authorized for the caller, and run. */
async function runOperation(
  served: Served,
  credential: AwsCredentialRecord,
  req: {
    method: string;
    rawPath: string;
    rawQuery: string;
    raw: Buffer;
    headers: IncomingMessage['headers'];
  },
): Promise<JsonBody | undefined> {
  const route = served.router.match(req.method, req.rawPath);
  // One answer for every operation the emulator does not offer, whatever its method and path:
  // AWS's REST services answer a request matching no operation 404 UnknownOperationException.
  if (route === undefined)
    throw awsError(
      'UnknownOperationException',
      `${req.method} ${req.rawPath} is not an operation the emulator offers (see cloud/emulator/control-plane/README.md)`,
    );
  // Decoded exactly as the signature was checked (a `+` is a literal plus, as AWS reads it).
  const query = new Map(parseQueryPairs(req.rawQuery));
  const prepared = route.operation.prepare(
    { labels: route.labels, query, body: parseJsonBody(req.raw), headers: req.headers },
    served.ctx,
  );
  authorize(credential, prepared.permissions, served.ctx.accountId);
  return prepared.run();
}

function answer(res: ServerResponse, requestId: string, out: Answer): void {
  if ('raw' in out) send(res, requestId, out.raw.status, out.raw.headers, out.raw.body);
  else
    send(
      res,
      requestId,
      out.status,
      { 'content-type': 'application/json' },
      out.body === undefined ? '' : JSON.stringify(out.body),
    );
}
