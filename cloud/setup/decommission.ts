/**
 * `npx tp-setup decommission`: the operator's explicit, audited step that lets a reset device
 * (or a replacement) register its serial again. The pre-provisioning hook refuses a serial whose
 * thing has an ACTIVE certificate; this deactivates the thing's certificates (UpdateCertificate
 * INACTIVE), detaches them, and records who did it, when and why:
 *   - in an append-only local audit log (JSON lines, 0600): operator, reason, thing, certificates,
 *     target account, time; a `started` line before any change and a `done`/`failed` line after;
 *   - on the thing: `provisionedBy = decommissioned/<epoch s>/<operator>` (AWS allows 3 attributes on
 *     an untyped thing: SerialNumber, DeviceLocation and this one).
 */
import { closeSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  DescribeCertificateCommand,
  DescribeThingCommand,
  DetachThingPrincipalCommand,
  ListThingPrincipalsCommand,
  UpdateCertificateCommand,
  UpdateThingCommand,
} from '@aws-sdk/client-iot';
import type { IoTClient } from '@aws-sdk/client-iot';
import { ProvisioningError } from '../../protocol/index.js';
import { PROVISIONED_BY_ATTRIBUTE } from '../hook/index.js';

const OPERATOR = /^[A-Za-z0-9_.@-]{1,64}$/;
const REASON_MAX = 500;

export interface DecommissionOptions {
  thingName: string;
  /** Who decommissions (an operator's id or e-mail): [A-Za-z0-9_.@-], 1–64. */
  operator: string;
  reason: string;
  auditLogPath: string;
  /** Where it happens (e.g. "AWS account 1111… (eu-west-1)"), for the record. */
  target: string;
  now?: () => Date;
}

export interface DecommissionedCertificate {
  certificateId: string;
  previousStatus: string;
}

export interface DecommissionRecord {
  event: 'decommission';
  phase: 'started' | 'done' | 'failed';
  at: string;
  operator: string;
  reason: string;
  thingName: string;
  target: string;
  certificates?: DecommissionedCertificate[];
  error?: string;
}

function invalid(field: string, problem: string): never {
  throw new ProvisioningError('CONFIG_INVALID', { detail: `${field}: ${problem}` });
}

/** Appends one JSON line and fsyncs: the log is only ever appended to (O_APPEND), never rewritten. */
export function appendAuditRecord(path: string, record: DecommissionRecord): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const fd = openSync(path, 'a', 0o600);
  try {
    writeSync(fd, `${JSON.stringify(record)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

async function certificatesOf(iot: IoTClient, thingName: string): Promise<string[]> {
  const ids: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await iot.send(new ListThingPrincipalsCommand({ thingName, ...(nextToken ? { nextToken } : {}) }));
    for (const arn of page.principals ?? []) if (/:cert\/[a-f0-9]{64}$/.test(arn)) ids.push(arn);
    nextToken = page.nextToken;
  } while (nextToken);
  return ids;
}

export async function decommission(iot: IoTClient, options: DecommissionOptions): Promise<DecommissionRecord> {
  if (!OPERATOR.test(options.operator)) invalid('--operator', 'is required: 1-64 of A-Z a-z 0-9 _ . @ -');
  const reason = options.reason.trim();
  if (reason.length === 0 || reason.length > REASON_MAX)
    invalid('--reason', `is required (1-${REASON_MAX} characters)`);
  const now = options.now ?? (() => new Date());
  const base = {
    event: 'decommission' as const,
    operator: options.operator,
    reason,
    thingName: options.thingName,
    target: options.target,
  };
  try {
    await iot.send(new DescribeThingCommand({ thingName: options.thingName }));
  } catch (err) {
    if ((err as { name?: string }).name === 'ResourceNotFoundException')
      invalid('--thing', `${options.thingName} does not exist`);
    throw err;
  }
  appendAuditRecord(options.auditLogPath, { ...base, phase: 'started', at: now().toISOString() });
  const done: DecommissionedCertificate[] = [];
  try {
    for (const principal of await certificatesOf(iot, options.thingName)) {
      const certificateId = principal.slice(principal.lastIndexOf('/') + 1);
      const status =
        (await iot.send(new DescribeCertificateCommand({ certificateId }))).certificateDescription?.status ?? 'UNKNOWN';
      if (status === 'ACTIVE') await iot.send(new UpdateCertificateCommand({ certificateId, newStatus: 'INACTIVE' }));
      await iot.send(new DetachThingPrincipalCommand({ thingName: options.thingName, principal }));
      done.push({ certificateId, previousStatus: status });
    }
    const mark = `decommissioned/${Math.floor(now().getTime() / 1000)}/${options.operator}`;
    await iot.send(
      new UpdateThingCommand({
        thingName: options.thingName,
        attributePayload: { attributes: { [PROVISIONED_BY_ATTRIBUTE]: mark }, merge: true },
      }),
    );
  } catch (err) {
    const failed: DecommissionRecord = {
      ...base,
      phase: 'failed',
      at: now().toISOString(),
      certificates: done,
      error: `${(err as Error).name}: ${(err as Error).message}`,
    };
    appendAuditRecord(options.auditLogPath, failed);
    throw err;
  }
  const record: DecommissionRecord = { ...base, phase: 'done', at: now().toISOString(), certificates: done };
  appendAuditRecord(options.auditLogPath, record);
  return record;
}
