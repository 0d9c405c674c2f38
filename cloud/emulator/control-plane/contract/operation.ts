/**
 * The shape of one control-plane operation: its HTTP binding (as in the AWS SDK's service model),
 * a `prepare` step that validates the input and names what IAM must allow, then `run`.
 */
import type { EmulatorCa } from '../../ca/index.js';
import type { Registry } from '../../registry/index.js';
import type { JsonBody } from './validate.js';

export interface ControlPlaneContext {
  registry: Registry;
  ca: EmulatorCa;
  region: string;
  accountId: string;
  /** Host (and port) answered by DescribeEndpoint for the data endpoint types. */
  dataEndpoint: string;
  now: () => Date;
}

export interface OperationInput {
  /** Path labels, already percent-decoded. */
  labels: Record<string, string>;
  query: ReadonlyMap<string, string>;
  body: JsonBody;
  /** Request headers, lower-cased names (some operations bind a member to a header, e.g. `x-amzn-principal`). */
  headers: Readonly<Record<string, string | string[] | undefined>>;
}

/** One IAM check: `action` (e.g. iot:DescribeThing) on `resource` (an ARN or `*`). */
export interface Permission {
  action: string;
  resource: string;
}

export interface PreparedCall {
  /** Every permission the call needs; the first refused one is reported. */
  permissions: Permission[];
  /** Performs the call; returns the JSON response body (undefined: an empty 200). */
  run(): Promise<JsonBody | undefined> | JsonBody | undefined;
}

export interface Operation {
  name: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path template with `{label}` segments, e.g. `/things/{thingName}`. */
  path: string;
  prepare(input: OperationInput, ctx: ControlPlaneContext): PreparedCall;
}

/** Epoch seconds with milliseconds, as REST-JSON timestamps travel. */
export function epochSeconds(d: Date): number {
  return d.getTime() / 1000;
}

export function iotArn(ctx: ControlPlaneContext, resource: string): string {
  return `arn:aws:iot:${ctx.region}:${ctx.accountId}:${resource}`;
}
