/**
 * The product's pre-provisioning hook (an AWS Lambda handler; the emulator calls the same code).
 * AWS IoT calls it on every RegisterThing of TrustedUserProvisioningTemplate, before it applies the
 * template; provisioning proceeds only on `{ allowProvisioning: true }` (AWS IoT Developer Guide,
 * "Pre-provisioning hooks"). It refuses:
 *   - a SerialNumber outside {@link SERIAL_NUMBER_PATTERN};
 *   - a serial whose thing has an ACTIVE certificate attached: without this, anyone holding a claim
 *     could register their own certificate onto a victim's thing (AWS reuses an existing thing)
 *     and connect as the victim. A reset device is re-provisioned only after an operator
 *     decommissions the old registration (`npx tp-setup decommission`);
 *   - a second registration of the same serial while one is in progress: the hook reserves the
 *     serial with CreateThing (which AWS refuses when the thing exists with other attributes) or
 *     UpdateThing with expectedVersion, writing `provisionedBy = claim/<claimCertificateId>/
 *     <certificateId>/<epoch s>`; a reservation for another certificate younger than
 *     {@link LEASE_SECONDS} refuses.
 * Only the AWS SDK: it is bundled alone into the Lambda (cloud/setup/lambda-deploy.ts).
 */
import {
  CreateThingCommand,
  DescribeCertificateCommand,
  DescribeThingCommand,
  IoTClient,
  ListThingPrincipalsCommand,
  UpdateThingCommand,
} from '@aws-sdk/client-iot';

/** A device serial: letters, digits, `_` and `-`, 1–64 characters, starting with a letter or digit. */
export const SERIAL_NUMBER_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
/** The template names the thing `mything_<SerialNumber>` (cloud/deploy/documents.ts). */
export const THING_NAME_PREFIX = 'mything_';
/** The thing attribute the hook (and the decommission command) write; AWS allows 3 on an untyped thing. */
export const PROVISIONED_BY_ATTRIBUTE = 'provisionedBy';
/** How long a reservation by another claim blocks the serial: AWS gives the hook 5 s, applying takes less. */
export const LEASE_SECONDS = 30;

export interface PreProvisioningEvent {
  claimCertificateId: string;
  certificateId: string;
  certificatePem?: string;
  templateArn: string;
  clientId: string;
  parameters?: Record<string, string>;
}

export interface PreProvisioningResult {
  allowProvisioning: boolean;
  parameterOverrides?: Record<string, string>;
}

export type HookDecision = { allow: true; thingName: string } | { allow: false; reason: string };

export interface HookDeps {
  iot: IoTClient;
  now?: () => Date;
  log?: (line: string) => void;
}

const CERTIFICATE_ID = /^[a-f0-9]{64}$/;

function errorName(err: unknown): string {
  return (err as { name?: string } | undefined)?.name ?? '';
}

/** `claim/<claimCertificateId>/<certificateId>/<epoch seconds>`, parsed. */
export function parseProvisionedBy(
  value: string | undefined,
): { claimCertificateId: string; certificateId: string; at: number } | undefined {
  const m = /^claim\/([a-f0-9]{64})\/([a-f0-9]{64})\/(\d{1,12})$/.exec(value ?? '');
  return m ? { claimCertificateId: m[1] as string, certificateId: m[2] as string, at: Number(m[3]) } : undefined;
}

async function activeCertificates(iot: IoTClient, thingName: string, except: string): Promise<string[]> {
  const active: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await iot.send(new ListThingPrincipalsCommand({ thingName, ...(nextToken ? { nextToken } : {}) }));
    for (const arn of page.principals ?? []) {
      const id = /:cert\/([a-f0-9]{64})$/.exec(arn)?.[1];
      if (id === undefined || id === except) continue;
      const d = await iot.send(new DescribeCertificateCommand({ certificateId: id }));
      if (d.certificateDescription?.status === 'ACTIVE') active.push(id);
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return active;
}

/** The decision, with its reason (logged; the device only ever sees ACCESS_DENIED). */
export async function decide(event: PreProvisioningEvent, deps: HookDeps): Promise<HookDecision> {
  const serial = event.parameters?.SerialNumber;
  if (typeof serial !== 'string' || !SERIAL_NUMBER_PATTERN.test(serial))
    return { allow: false, reason: 'SerialNumber is missing or not 1-64 of [A-Za-z0-9_-]' };
  if (!CERTIFICATE_ID.test(event.claimCertificateId ?? '') || !CERTIFICATE_ID.test(event.certificateId ?? ''))
    return { allow: false, reason: 'malformed certificate ids' };
  const { iot } = deps;
  const nowS = Math.floor((deps.now?.() ?? new Date()).getTime() / 1000);
  const thingName = `${THING_NAME_PREFIX}${serial}`;
  const mark = `claim/${event.claimCertificateId}/${event.certificateId}/${nowS}`;

  let thing;
  try {
    thing = await iot.send(new DescribeThingCommand({ thingName }));
  } catch (err) {
    if (errorName(err) !== 'ResourceNotFoundException') throw err;
    try {
      // Reserves the serial: a concurrent CreateThing with another mark gets ResourceAlreadyExists.
      await iot.send(
        new CreateThingCommand({
          thingName,
          attributePayload: { attributes: { SerialNumber: serial, [PROVISIONED_BY_ATTRIBUTE]: mark } },
        }),
      );
      return { allow: true, thingName };
    } catch (e) {
      if (errorName(e) === 'ResourceAlreadyExistsException')
        return { allow: false, reason: `${thingName} is being registered by another request` };
      throw e;
    }
  }

  const [activeId] = await activeCertificates(iot, thingName, event.certificateId);
  if (activeId !== undefined)
    return {
      allow: false,
      reason: `${thingName} is registered to an ACTIVE certificate (${activeId.slice(0, 12)}…): decommission it first`,
    };
  const lease = parseProvisionedBy(thing.attributes?.[PROVISIONED_BY_ATTRIBUTE]);
  // Bound to the certificate, not the claim: a device resuming its registration with a fresh claim
  // registers the same certificate; a competing registration brings another one.
  if (lease && lease.certificateId !== event.certificateId && nowS - lease.at < LEASE_SECONDS) {
    return { allow: false, reason: `${thingName} is being registered with another certificate` };
  }
  try {
    await iot.send(
      new UpdateThingCommand({
        thingName,
        ...(thing.version !== undefined ? { expectedVersion: thing.version } : {}),
        attributePayload: { attributes: { [PROVISIONED_BY_ATTRIBUTE]: mark }, merge: true },
      }),
    );
  } catch (err) {
    if (errorName(err) === 'VersionConflictException')
      return { allow: false, reason: `${thingName} changed while being checked` };
    throw err;
  }
  return { allow: true, thingName };
}

/** A handler bound to an IoT client (the emulator passes one pointed at itself). */
export function createPreProvisioningHook(
  deps: HookDeps,
): (event: PreProvisioningEvent) => Promise<PreProvisioningResult> {
  const log = deps.log ?? ((line: string) => console.log(line));
  return async (event) => {
    let decision: HookDecision;
    try {
      decision = await decide(event, deps);
    } catch (err) {
      // Fail closed: AWS answers the device ACCESS_DENIED either way, the log says why.
      decision = { allow: false, reason: `hook error ${errorName(err) || 'Error'}: ${(err as Error).message}` };
    }
    log(
      JSON.stringify({
        hook: 'pre-provisioning',
        claimCertificateId: event.claimCertificateId,
        certificateId: event.certificateId,
        ...decision,
      }),
    );
    return { allowProvisioning: decision.allow };
  };
}

let lambdaHandler: ((event: PreProvisioningEvent) => Promise<PreProvisioningResult>) | undefined;

/** The Lambda entry point: credentials and region from the function's execution role and environment. */
export async function handler(event: PreProvisioningEvent): Promise<PreProvisioningResult> {
  lambdaHandler ??= createPreProvisioningHook({ iot: new IoTClient({}) });
  return lambdaHandler(event);
}
