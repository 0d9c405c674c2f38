/**
 * The fleet-provisioning routine (AWS IoT fleet provisioning by trusted user, over MQTT): trade a
 * claim for the device's own certificate and thing, store them, prove them. Every step is
 * journaled, and the routine starts by reading the journal and the credential store, so calling it
 * again after a crash or power cut resumes (see resume.ts for the rules).
 *
 *   claim check → connect with the claim → CreateCertificateFromCsr (key made here) or
 *   CreateKeysAndCertificate → save cert + key + token (0600, atomic) → RegisterThing →
 *   reconnect with the permanent certificate → publish/subscribe round trip → commit.
 */
import { iotidentity } from 'aws-iot-device-sdk-v2';
import type { mqtt5 } from 'aws-iot-device-sdk-v2';
import { ProvisioningError, sleep } from '../../protocol/index.js';
import type { Clock, ErrorCode, Timers } from '../../protocol/index.js';
import { systemClock, systemTimers } from '../system/index.js';
import type { CredentialStore, PendingCredentials, JournalEntry, ProvisioningJournal } from '../storage/index.js';
import type { Claim, ClaimValidity } from './claim.js';
import { assertClaimUsable, claimValidity } from './claim.js';
import { finishCommit } from './commit.js';
import type { KeyAlgorithm } from './csr.js';
import { generateKeyAndCsr } from './csr.js';
import type { MqttEndpoint } from './mqtt-connection.js';
import { closeClient, connectMtls } from './mqtt-connection.js';
import { planResume } from './resume.js';
import type { ResumePlan } from './resume.js';
import type { RetryOptions } from './retry.js';
import { backoffDelay, isTransient, withRetry } from './retry.js';
import { verifyRoundTrip } from './verify.js';

/** How long the SDK waits for an /accepted or /rejected answer (s). */
export const OPERATION_TIMEOUT_SECONDS = 20;
/** Window for retrying the permanent-certificate round trip, which no longer depends on the claim (ms). */
export const VERIFY_RETRY_WINDOW_MS = 60_000;
/**
 * Passes over the journal when a request on an established claim connection failed transiently
 * (no answer in time, the connection dropped): the device would otherwise sit in `failed` until a
 * phone commits again, and the journal makes another pass safe. Connecting has its own retries.
 */
export const REQUEST_PASSES = 3;
/** The template parameter the device fills in itself. */
export const SERIAL_NUMBER_PARAMETER = 'SerialNumber';

export type FleetStep =
  | 'resumed'
  | 'cloud-connected'
  | 'key-generated'
  | 'certificate-issued'
  | 'certificate-abandoned'
  | 'thing-registered'
  | 'verified'
  | 'committed';

export interface ProvisionWithClaimOptions {
  endpoint: MqttEndpoint;
  caPem: string;
  claim: Claim;
  templateName: string;
  /** Template parameters from the phone (e.g. DeviceLocation). */
  parameters?: Record<string, string>;
  /** The device's own serial number; it overrides any SerialNumber the phone sent. */
  serialNumber: string;
  /**
   * The thing name the template gives this serial (cloud/setup: `mything_<SerialNumber>`). When an
   * interrupted RegisterThing turns out to have succeeded (its token is spent), the kept certificate
   * goes on to verification under this name: registering a new certificate instead would be refused
   * by the pre-provisioning hook, since the thing already has an ACTIVE one. Without it, the
   * certificate is abandoned for a new one (templates without such a hook).
   */
  thingNameFor?(serialNumber: string): string;
  keyAlgorithm?: KeyAlgorithm;
  mode?: 'csr' | 'create-keys';
  /** MQTT client id used with the claim. */
  clientId: string;
  /** Where the permanent certificate is proven; must be allowed by the device policy. */
  verify: { topic(thingName: string): string; clientId?(thingName: string): string; timeoutMs?: number };
  /** Time for timings, certificate dates and waits (default the system's). */
  clock?: Clock;
  timers?: Timers;
  store: CredentialStore;
  journal: ProvisioningJournal;
  onStep?(step: FleetStep, info: Record<string, string>): void;
  signal?: AbortSignal;
  operationTimeoutSeconds?: number;
  connectTimeoutMs?: number;
  retry?: Pick<RetryOptions, 'initialDelayMs' | 'maxDelayMs' | 'maxAttempts'>;
}

export interface ProvisionResult {
  thingName: string;
  certificateId: string;
  /** RegisterThing's deviceConfiguration; empty when resumed past RegisterThing. */
  deviceConfiguration: Record<string, string>;
  /** How the run started: 'fresh', or the resume plan it picked up from. */
  startedFrom: ResumePlan['kind'];
  /** Milliseconds per phase, by the injected clock. */
  timings: Partial<Record<'connect' | 'certificate' | 'register' | 'verify' | 'commit', number>>;
}

interface ModeledError {
  statusCode?: number;
  errorCode?: string;
  errorMessage?: string;
}

/** Turns an SDK ServiceError into our code, passing AWS's errorCode and message through. */
export function serviceErrorToProvisioning(err: unknown, rejectedCode: ErrorCode): ProvisioningError {
  if (err instanceof ProvisioningError) return err;
  const modeled = (err as { modeledError?: ModeledError } | undefined)?.modeledError;
  if (modeled && (modeled.errorCode || modeled.statusCode)) {
    const detail =
      `${modeled.errorCode ?? 'unknown'} (${modeled.statusCode ?? '?'}): ${modeled.errorMessage ?? ''}`.trim();
    return Object.assign(new ProvisioningError(rejectedCode, { detail, cause: err }), {
      awsErrorCode: modeled.errorCode,
    });
  }
  return new ProvisioningError('CLOUD_TIMEOUT', {
    detail: (err as Error | undefined)?.message ?? 'no answer',
    cause: err,
  });
}

/**
 * The errorCode AWS IoT answers when the pre-provisioning hook refuses (AWS IoT Developer Guide,
 * "Pre-provisioning hooks"). The product's hook (cloud/hook) refuses a serial still registered to an
 * ACTIVE certificate, so the phone is told the fix: decommission the old device.
 */
export const HOOK_REFUSED_ERROR_CODE = 'ACCESS_DENIED';

/**
 * A refused RegisterThing as the phone and `device status` report it. The hook's refusal names the
 * serial it refused: the operator's decommission needs the thing, which a reset device no longer shows.
 */
export function registerErrorToProvisioning(
  err: unknown,
  device: { serialNumber: string; thingName?: string | undefined },
): ProvisioningError {
  const mapped = serviceErrorToProvisioning(err, 'REGISTER_REJECTED');
  if (mapped.code !== 'REGISTER_REJECTED' || awsErrorCodeOf(mapped) !== HOOK_REFUSED_ERROR_CODE) return mapped;
  const which = `serial ${device.serialNumber}${device.thingName ? ` (thing ${device.thingName})` : ''}`;
  return Object.assign(
    new ProvisioningError('DEVICE_ALREADY_REGISTERED', {
      detail: mapped.detail !== undefined ? `${which}; ${mapped.detail}` : which,
      cause: err,
    }),
    { awsErrorCode: HOOK_REFUSED_ERROR_CODE },
  );
}

function awsErrorCodeOf(err: unknown): string | undefined {
  return (err as { awsErrorCode?: string }).awsErrorCode;
}

export async function provisionWithClaim(options: ProvisionWithClaimOptions): Promise<ProvisionResult> {
  const run = startRun(options);
  let startedFrom: ResumePlan['kind'] | undefined;
  for (let pass = 1; ; pass++) {
    try {
      const plan = await planRun(run);
      startedFrom ??= plan.kind;
      return await provisionFrom(run, plan, startedFrom);
    } catch (err) {
      if (!(err instanceof Object) || !requestFailures.has(err) || pass >= REQUEST_PASSES) throw err;
      const { initialDelayMs, maxDelayMs } = options.retry ?? {};
      await sleep(run.timers, backoffDelay(pass, initialDelayMs, maxDelayMs), options.signal);
    }
  }
}

/** Transient failures of a request made on an established claim connection (see {@link REQUEST_PASSES}). */
const requestFailures = new WeakSet<object>();

async function provisionFrom(run: Run, plan: ResumePlan, startedFrom: ResumePlan['kind']): Promise<ProvisionResult> {
  const { timings } = run;
  if (plan.kind === 'already-provisioned') {
    await finishCommit(run.options.store, run.options.journal, plan.committed);
    const { thingName, certificateId } = plan.committed;
    return { thingName, certificateId, deviceConfiguration: {}, startedFrom, timings };
  }
  try {
    const registered = await reachRegistered(run, plan);
    if (plan.kind !== 'commit') await provePermanent(run, registered);
    await commit(run, registered);
    const { thingName, pending, deviceConfiguration } = registered;
    return { thingName, certificateId: pending.certificateId, deviceConfiguration, startedFrom, timings };
  } catch (err) {
    throw await recordFailure(run, err);
  }
}

/** One run of the routine: its options and time, its phase timings, how it journals and reports steps. */
interface Run {
  readonly options: ProvisionWithClaimOptions;
  readonly clock: Clock;
  readonly timers: Timers;
  readonly timings: ProvisionResult['timings'];
  // Function-valued properties, not methods: the phases take them out of the Run to call them.
  readonly step: (s: FleetStep, info?: Record<string, string>) => void;
  readonly record: (entry: JournalEntry) => Promise<void>;
  /** Runs `fn`, adding its duration to the phase's timing. */
  readonly timed: <T>(phase: keyof ProvisionResult['timings'], fn: () => Promise<T>) => Promise<T>;
}

function startRun(options: ProvisionWithClaimOptions): Run {
  const clock = options.clock ?? systemClock;
  const timings: ProvisionResult['timings'] = {};
  return {
    options,
    clock,
    timers: options.timers ?? systemTimers,
    timings,
    step: (s, info = {}) => options.onStep?.(s, info),
    record: async (entry) => {
      await options.journal.append(entry);
    },
    timed: async (phase, fn) => {
      const t0 = clock();
      try {
        return await fn();
      } finally {
        timings[phase] = (timings[phase] ?? 0) + clock() - t0;
      }
    },
  };
}

/** Where this run starts, from the journal and the credential store; reports a resumed run. */
async function planRun(run: Run): Promise<ResumePlan> {
  const { store, journal } = run.options;
  await store.cleanup();
  const { records } = await journal.load();
  const plan = planResume({
    records,
    pending: await store.loadPending(),
    committed: await store.loadCommitted(),
    now: new Date(run.clock()),
  });
  if (plan.kind !== 'already-provisioned' && records.length > 0) {
    // A request with no saved answer: the cloud may hold an unused PENDING_ACTIVATION certificate.
    const info: Record<string, string> = { plan: plan.kind };
    if (plan.kind === 'issue' && plan.orphanedRequest) info.orphanedRequest = 'true';
    run.step('resumed', info);
  }
  return plan;
}

/** A certificate registered to a thing, with the key and token saved beside it. */
interface Registered {
  readonly pending: PendingCredentials;
  readonly thingName: string;
  /** RegisterThing's deviceConfiguration; empty when resumed past RegisterThing. */
  readonly deviceConfiguration: Record<string, string>;
}

/**
 * Up to a registered thing: a certificate that can no longer be registered is abandoned, then the
 * claim issues and registers one; a run resumed past RegisterThing has its thing already.
 */
async function reachRegistered(
  run: Run,
  plan: Exclude<ResumePlan, { kind: 'already-provisioned' }>,
): Promise<Registered> {
  if (plan.kind === 'abandon') {
    await abandonCertificate(run, plan.pending.certificateId, plan.reason);
    return exchangeClaim(run, { kind: 'issue', orphanedRequest: false });
  }
  if (plan.kind === 'issue' || plan.kind === 'register') return exchangeClaim(run, plan);
  return { pending: plan.pending, thingName: plan.thingName, deviceConfiguration: {} };
}

async function abandonCertificate(run: Run, certificateId: string, reason: string): Promise<void> {
  await run.record({ step: 'certificate-abandoned', certificateId, reason });
  await run.options.store.discardPending();
  run.step('certificate-abandoned', { certificateId, reason });
}

/** Everything that needs the claim: connect with it, issue a certificate unless one is pending, register it. */
async function exchangeClaim(
  run: Run,
  plan: Extract<ResumePlan, { kind: 'issue' } | { kind: 'register' }>,
): Promise<Registered> {
  const { options } = run;
  // Everything from here to RegisterThing needs the claim: check it before any traffic.
  const validity = claimValidity(options.claim);
  assertClaimUsable(validity, new Date(run.clock()));
  const claimClient = await run.timed('connect', () => connectWithClaim(run, validity));
  await run.record({ step: 'cloud-connected', certificate: 'claim' });
  run.step('cloud-connected', { certificate: 'claim' });
  const identity = iotidentity.IotIdentityClientv2.newFromMqtt5(claimClient, {
    maxRequestResponseSubscriptions: 4,
    maxStreamingSubscriptions: 1,
    operationTimeoutInSeconds: options.operationTimeoutSeconds ?? OPERATION_TIMEOUT_SECONDS,
  });
  try {
    const pending =
      plan.kind === 'issue' ? await run.timed('certificate', () => issueCertificate(run, identity)) : plan.pending;
    const ambiguous = plan.kind === 'register' && plan.ambiguous;
    const registered = await registerPending(run, identity, pending, ambiguous, validity);
    run.step('thing-registered', { thingName: registered.thingName });
    return registered;
  } catch (err) {
    if (isTransient(err)) requestFailures.add(err as ProvisioningError);
    throw err;
  } finally {
    identity.close();
    await closeClient(claimClient);
  }
}

/** An MQTT connection authenticated by the claim, retried until the claim's deadline. */
function connectWithClaim(run: Run, validity: ClaimValidity): Promise<mqtt5.Mqtt5Client> {
  const { options, clock, timers } = run;
  const retry: RetryOptions = {
    clock,
    timers,
    deadline: validity.deadline,
    ...(options.signal ? { signal: options.signal } : {}),
    ...options.retry,
    deadlineError: (last) =>
      new ProvisioningError('CLAIM_EXPIRED', {
        detail: `the claim expires before the cloud could be reached again (${last.code})`,
        cause: last,
      }),
  };
  return withRetry(
    () =>
      connectMtls({
        endpoint: options.endpoint,
        caPem: options.caPem,
        certificatePem: options.claim.certificatePem,
        privateKeyPem: options.claim.privateKeyPem,
        clientId: options.clientId,
        timers,
        ...(options.connectTimeoutMs !== undefined ? { timeoutMs: options.connectTimeoutMs } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      }),
    retry,
  );
}

/**
 * RegisterThing for the pending certificate. When an interrupted RegisterThing turns out to have
 * succeeded (`ambiguous`, and its token is spent), the certificate is the thing's when the template's
 * thing name is known; otherwise it is abandoned for a new one, and that one registered.
 */
async function registerPending(
  run: Run,
  identity: iotidentity.IotIdentityClientv2,
  first: PendingCredentials,
  ambiguous: boolean,
  validity: ClaimValidity,
): Promise<Registered> {
  const { options } = run;
  let pending = first;
  for (;;) {
    const current: PendingCredentials = pending;
    try {
      const registered = await run.timed('register', () => registerThing(run, identity, current));
      return { pending: current, ...registered };
    } catch (err) {
      // The interrupted RegisterThing succeeded (its token is spent): start over with a new
      // certificate; the same SerialNumber makes RegisterThing land on the same thing.
      if (!ambiguous || awsErrorCodeOf(err) !== 'InvalidCertificateOwnershipToken') throw err;
      ambiguous = false;
      if (options.thingNameFor) {
        // The interrupted RegisterThing succeeded: this certificate is the thing's; verify proves it.
        const thingName = options.thingNameFor(options.serialNumber);
        await run.record({ step: 'thing-registered', certificateId: current.certificateId, thingName });
        return { pending: current, thingName, deviceConfiguration: {} };
      }
      await abandonCertificate(run, current.certificateId, 'ownership token spent by an interrupted RegisterThing');
      assertClaimUsable(validity, new Date(run.clock()));
      pending = await run.timed('certificate', () => issueCertificate(run, identity));
    }
  }
}

/** Proves the permanent certificate with a round trip, and journals that it is proven. */
async function provePermanent(run: Run, { pending, thingName }: Registered): Promise<void> {
  await run.timed('verify', () => verifyPermanent(run.options, pending, thingName, run));
  await run.record({ step: 'verified', certificateId: pending.certificateId, thingName });
  run.step('verified', { thingName });
}

/** Makes the pending credentials the device's own. */
async function commit(run: Run, { pending, thingName }: Registered): Promise<void> {
  const { options, clock } = run;
  await run.timed('commit', () =>
    options.store.commit(
      {
        certificateId: pending.certificateId,
        certificatePem: pending.certificatePem,
        privateKeyPem: pending.privateKeyPem,
        thingName,
        endpoint: options.endpoint,
      },
      new Date(clock()),
    ),
  );
  await run.record({ step: 'committed', certificateId: pending.certificateId, thingName });
  run.step('committed', { thingName, certificateId: pending.certificateId });
}

/** The failure as a ProvisioningError, journaled when the journal still can be written. */
async function recordFailure(run: Run, err: unknown): Promise<ProvisioningError> {
  const failure =
    err instanceof ProvisioningError
      ? err
      : new ProvisioningError('INTERNAL', { detail: 'unexpected failure in fleet provisioning', cause: err });
  // Best effort: a storage failure may be why we are here, and then this append fails too; the
  // caller still gets the failure itself, and the agent logs it.
  await run.options.journal
    .append({ step: 'failed', code: failure.code, ...(failure.detail ? { detail: failure.detail } : {}) })
    .catch(() => undefined);
  return failure;
}

async function issueCertificate(run: Run, identity: iotidentity.IotIdentityClientv2): Promise<PendingCredentials> {
  const { options, clock, record, step } = run;
  const mode = options.mode ?? 'csr';
  let certificatePem: string | undefined;
  let privateKeyPem: string | undefined;
  let certificateId: string | undefined;
  let token: string | undefined;
  if (mode === 'csr') {
    const keyAlgorithm = options.keyAlgorithm ?? 'ec-p256';
    const generated = await generateKeyAndCsr(keyAlgorithm, `CN=${options.serialNumber}`);
    await record({ step: 'key-generated', keyAlgorithm });
    step('key-generated', { keyAlgorithm });
    await record({ step: 'certificate-requested', mode });
    const created = await identity
      .createCertificateFromCsr({ certificateSigningRequest: generated.csrPem })
      .catch((e: unknown) => {
        throw serviceErrorToProvisioning(e, 'CERTIFICATE_REJECTED');
      });
    ({ certificatePem, certificateId } = created);
    token = created.certificateOwnershipToken;
    privateKeyPem = generated.privateKeyPem;
  } else {
    await record({ step: 'certificate-requested', mode });
    const created = await identity.createKeysAndCertificate({}).catch((e: unknown) => {
      throw serviceErrorToProvisioning(e, 'CERTIFICATE_REJECTED');
    });
    ({ certificatePem, certificateId, privateKey: privateKeyPem } = created);
    token = created.certificateOwnershipToken;
  }
  if (!certificatePem || !certificateId || !privateKeyPem || !token) {
    throw new ProvisioningError('CERTIFICATE_REJECTED', {
      detail: 'the accepted answer lacks the certificate, its id, key or ownership token',
    });
  }
  // Saved (with the key and the token) BEFORE RegisterThing: a certificate the cloud issued is never lost.
  const pending: PendingCredentials = {
    certificateId,
    certificatePem,
    privateKeyPem,
    certificateOwnershipToken: token,
    issuedAt: new Date(clock()),
  };
  await options.store.savePending(pending);
  await record({ step: 'certificate-issued', certificateId });
  step('certificate-issued', { certificateId });
  return pending;
}

async function registerThing(
  run: Run,
  identity: iotidentity.IotIdentityClientv2,
  pending: PendingCredentials,
): Promise<{ thingName: string; deviceConfiguration: Record<string, string> }> {
  const { options, record } = run;
  await record({ step: 'register-requested', certificateId: pending.certificateId });
  const parameters = { ...options.parameters, [SERIAL_NUMBER_PARAMETER]: options.serialNumber };
  const answer = await identity
    .registerThing({
      templateName: options.templateName,
      certificateOwnershipToken: pending.certificateOwnershipToken,
      parameters,
    })
    .catch((e: unknown) => {
      const { serialNumber } = options;
      throw registerErrorToProvisioning(e, { serialNumber, thingName: options.thingNameFor?.(serialNumber) });
    });
  if (!answer.thingName)
    throw new ProvisioningError('REGISTER_REJECTED', { detail: 'the accepted answer has no thingName' });
  await record({ step: 'thing-registered', certificateId: pending.certificateId, thingName: answer.thingName });
  return { thingName: answer.thingName, deviceConfiguration: answer.deviceConfiguration ?? {} };
}

async function verifyPermanent(
  options: ProvisionWithClaimOptions,
  creds: PendingCredentials,
  thingName: string,
  { clock, timers }: Pick<Run, 'clock' | 'timers'>,
): Promise<void> {
  const clientId = options.verify.clientId?.(thingName) ?? thingName;
  const retry: RetryOptions = {
    clock,
    timers,
    deadline: new Date(clock() + VERIFY_RETRY_WINDOW_MS),
    ...(options.signal ? { signal: options.signal } : {}),
    ...options.retry,
  };
  await withRetry(async () => {
    let client: mqtt5.Mqtt5Client;
    try {
      client = await connectMtls({
        endpoint: options.endpoint,
        caPem: options.caPem,
        certificatePem: creds.certificatePem,
        privateKeyPem: creds.privateKeyPem,
        clientId,
        timers,
        ...(options.connectTimeoutMs !== undefined ? { timeoutMs: options.connectTimeoutMs } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } catch (err) {
      if (err instanceof ProvisioningError && err.code === 'CLOUD_CONNECT_REFUSED') {
        throw new ProvisioningError('VERIFY_FAILED', {
          detail: `the broker refused the permanent certificate: ${err.detail ?? ''}`,
          cause: err,
        });
      }
      throw err;
    }
    try {
      await verifyRoundTrip(client, options.verify.topic(thingName), timers, options.verify.timeoutMs);
    } finally {
      await closeClient(client);
    }
  }, retry);
}
