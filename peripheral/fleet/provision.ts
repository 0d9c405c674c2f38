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
import { ProvisioningError } from '../../protocol/index.js';
import type { ErrorCode } from '../../protocol/index.js';
import type { CredentialStore, PendingCredentials, JournalEntry, ProvisioningJournal } from '../storage/index.js';
import type { Claim } from './claim.js';
import { assertClaimUsable, claimValidity } from './claim.js';
import type { FleetClock } from './clock.js';
import { systemClock } from './clock.js';
import type { KeyAlgorithm } from './csr.js';
import { generateKeyAndCsr } from './csr.js';
import type { MqttEndpoint } from './mqtt-connection.js';
import { closeClient, connectMtls } from './mqtt-connection.js';
import { planResume } from './resume.js';
import type { ResumePlan } from './resume.js';
import type { RetryOptions } from './retry.js';
import { withRetry } from './retry.js';
import { verifyRoundTrip } from './verify.js';

/** How long the SDK waits for an /accepted or /rejected answer (s). */
export const OPERATION_TIMEOUT_SECONDS = 20;
/** Window for retrying the permanent-certificate round trip, which no longer depends on the claim (ms). */
export const VERIFY_RETRY_WINDOW_MS = 60_000;
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
  clock?: FleetClock;
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

export function registerErrorToProvisioning(err: unknown): ProvisioningError {
  const mapped = serviceErrorToProvisioning(err, 'REGISTER_REJECTED');
  if (mapped.code !== 'REGISTER_REJECTED' || awsErrorCodeOf(mapped) !== HOOK_REFUSED_ERROR_CODE) return mapped;
  return Object.assign(
    new ProvisioningError('DEVICE_ALREADY_REGISTERED', {
      ...(mapped.detail !== undefined ? { detail: mapped.detail } : {}),
      cause: err,
    }),
    { awsErrorCode: HOOK_REFUSED_ERROR_CODE },
  );
}

function awsErrorCodeOf(err: unknown): string | undefined {
  return (err as { awsErrorCode?: string }).awsErrorCode;
}

export async function provisionWithClaim(options: ProvisionWithClaimOptions): Promise<ProvisionResult> {
  const clock = options.clock ?? systemClock;
  const { store, journal } = options;
  const timings: ProvisionResult['timings'] = {};
  const step = (s: FleetStep, info: Record<string, string> = {}): void => options.onStep?.(s, info);
  const record = async (entry: JournalEntry): Promise<void> => {
    await journal.append(entry);
  };
  const timed = async <T>(phase: keyof ProvisionResult['timings'], fn: () => Promise<T>): Promise<T> => {
    const t0 = clock.now().getTime();
    try {
      return await fn();
    } finally {
      timings[phase] = (timings[phase] ?? 0) + clock.now().getTime() - t0;
    }
  };

  await store.cleanup();
  const { records } = await journal.load();
  let plan = planResume({
    records,
    pending: await store.loadPending(),
    committed: await store.loadCommitted(),
    now: clock.now(),
  });
  const startedFrom = plan.kind;
  if (plan.kind === 'already-provisioned') {
    return {
      thingName: plan.committed.thingName,
      certificateId: plan.committed.certificateId,
      deviceConfiguration: {},
      startedFrom,
      timings,
    };
  }
  if (records.length > 0) {
    // A request with no saved answer: the cloud may hold an unused PENDING_ACTIVATION certificate.
    const info: Record<string, string> = { plan: plan.kind };
    if (plan.kind === 'issue' && plan.orphanedRequest) info.orphanedRequest = 'true';
    step('resumed', info);
  }

  let deviceConfiguration: Record<string, string> = {};
  let pending: PendingCredentials | undefined;
  let thingName: string | undefined;

  try {
    if (plan.kind === 'abandon') {
      await record({ step: 'certificate-abandoned', certificateId: plan.pending.certificateId, reason: plan.reason });
      await store.discardPending();
      step('certificate-abandoned', { certificateId: plan.pending.certificateId, reason: plan.reason });
      plan = { kind: 'issue', orphanedRequest: false };
    }

    if (plan.kind === 'issue' || plan.kind === 'register') {
      // Everything from here to RegisterThing needs the claim: check it before any traffic.
      const validity = claimValidity(options.claim);
      assertClaimUsable(validity, clock.now());
      const retry: RetryOptions = {
        clock,
        deadline: validity.deadline,
        ...(options.signal ? { signal: options.signal } : {}),
        ...options.retry,
        deadlineError: (last) =>
          new ProvisioningError('CLAIM_EXPIRED', {
            detail: `the claim expires before the cloud could be reached again (${last.code})`,
            cause: last,
          }),
      };
      const claimClient = await timed('connect', () =>
        withRetry(
          () =>
            connectMtls({
              endpoint: options.endpoint,
              caPem: options.caPem,
              certificatePem: options.claim.certificatePem,
              privateKeyPem: options.claim.privateKeyPem,
              clientId: options.clientId,
              clock,
              ...(options.connectTimeoutMs !== undefined ? { timeoutMs: options.connectTimeoutMs } : {}),
              ...(options.signal ? { signal: options.signal } : {}),
            }),
          retry,
        ),
      );
      await record({ step: 'cloud-connected', certificate: 'claim' });
      step('cloud-connected', { certificate: 'claim' });
      const identity = iotidentity.IotIdentityClientv2.newFromMqtt5(claimClient, {
        maxRequestResponseSubscriptions: 4,
        maxStreamingSubscriptions: 1,
        operationTimeoutInSeconds: options.operationTimeoutSeconds ?? OPERATION_TIMEOUT_SECONDS,
      });
      try {
        if (plan.kind === 'issue')
          pending = await timed('certificate', () => issueCertificate(options, identity, clock, record, step));
        else pending = plan.pending;
        let ambiguous = plan.kind === 'register' && plan.ambiguous;
        for (;;) {
          const current: PendingCredentials = pending;
          try {
            const registered = await timed('register', () => registerThing(options, identity, current, record));
            thingName = registered.thingName;
            deviceConfiguration = registered.deviceConfiguration;
            break;
          } catch (err) {
            // The interrupted RegisterThing succeeded (its token is spent): start over with a new
            // certificate; the same SerialNumber makes RegisterThing land on the same thing.
            if (!ambiguous || awsErrorCodeOf(err) !== 'InvalidCertificateOwnershipToken') throw err;
            ambiguous = false;
            if (options.thingNameFor) {
              // The interrupted RegisterThing succeeded: this certificate is the thing's; verify proves it.
              thingName = options.thingNameFor(options.serialNumber);
              await record({ step: 'thing-registered', certificateId: current.certificateId, thingName });
              break;
            }
            const reason = 'ownership token spent by an interrupted RegisterThing';
            await record({ step: 'certificate-abandoned', certificateId: current.certificateId, reason });
            await store.discardPending();
            step('certificate-abandoned', { certificateId: current.certificateId, reason });
            assertClaimUsable(validity, clock.now());
            pending = await timed('certificate', () => issueCertificate(options, identity, clock, record, step));
          }
        }
        step('thing-registered', { thingName });
      } finally {
        identity.close();
        await closeClient(claimClient);
      }
    } else {
      pending = plan.pending;
      thingName = plan.thingName;
    }

    const creds = pending as PendingCredentials;
    const name = thingName as string;
    if (plan.kind !== 'commit') {
      await timed('verify', () => verifyPermanent(options, creds, name, clock));
      await record({ step: 'verified', certificateId: creds.certificateId, thingName: name });
      step('verified', { thingName: name });
    }
    await timed('commit', () =>
      store.commit(
        {
          certificateId: creds.certificateId,
          certificatePem: creds.certificatePem,
          privateKeyPem: creds.privateKeyPem,
          thingName: name,
          endpoint: options.endpoint,
        },
        clock.now(),
      ),
    );
    await record({ step: 'committed', certificateId: creds.certificateId, thingName: name });
    step('committed', { thingName: name, certificateId: creds.certificateId });
    return { thingName: name, certificateId: creds.certificateId, deviceConfiguration, startedFrom, timings };
  } catch (err) {
    const failure =
      err instanceof ProvisioningError
        ? err
        : new ProvisioningError('INTERNAL', { detail: 'unexpected failure in fleet provisioning', cause: err });
    // Best effort: a storage failure may be why we are here.
    await journal
      .append({ step: 'failed', code: failure.code, ...(failure.detail ? { detail: failure.detail } : {}) })
      .catch(() => undefined);
    throw failure;
  }
}

async function issueCertificate(
  options: ProvisionWithClaimOptions,
  identity: iotidentity.IotIdentityClientv2,
  clock: FleetClock,
  record: (e: JournalEntry) => Promise<void>,
  step: (s: FleetStep, info?: Record<string, string>) => void,
): Promise<PendingCredentials> {
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
    issuedAt: clock.now(),
  };
  await options.store.savePending(pending);
  await record({ step: 'certificate-issued', certificateId });
  step('certificate-issued', { certificateId });
  return pending;
}

async function registerThing(
  options: ProvisionWithClaimOptions,
  identity: iotidentity.IotIdentityClientv2,
  pending: PendingCredentials,
  record: (e: JournalEntry) => Promise<void>,
): Promise<{ thingName: string; deviceConfiguration: Record<string, string> }> {
  await record({ step: 'register-requested', certificateId: pending.certificateId });
  const parameters = { ...options.parameters, [SERIAL_NUMBER_PARAMETER]: options.serialNumber };
  const answer = await identity
    .registerThing({
      templateName: options.templateName,
      certificateOwnershipToken: pending.certificateOwnershipToken,
      parameters,
    })
    .catch((e: unknown) => {
      throw registerErrorToProvisioning(e);
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
  clock: FleetClock,
): Promise<void> {
  const clientId = options.verify.clientId?.(thingName) ?? thingName;
  const retry: RetryOptions = {
    clock,
    deadline: new Date(clock.now().getTime() + VERIFY_RETRY_WINDOW_MS),
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
        clock,
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
      await verifyRoundTrip(client, options.verify.topic(thingName), clock, options.verify.timeoutMs);
    } finally {
      await closeClient(client);
    }
  }, retry);
}
