/**
 * The fault suite's shared world, built from the real parts and the existing fixtures (imported,
 * not copied): the cloud emulator set up as `npx tp-setup` does, the demo user logged in through
 * the provider's pages, claims from the real Cognito + CreateProvisioningClaim path; and checks of
 * the two outcomes a fault may end in — provisioned exactly once, or failed with the right code —
 * plus "nothing half-written" on the device's disk.
 */
import { X509Certificate } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { claimMessage } from '../../central/cloud/claim-message.js';
import { CloudSession } from '../../central/cloud/cloud-session.js';
import type { DeviceLink, WritableName } from '../../central/engine/index.js';
import type { RunningEmulator } from '../../cloud/emulator/index.js';
import { CredentialStore } from '../../peripheral/storage/credential-store.js';
import { ProvisioningJournal } from '../../peripheral/storage/journal.js';
import type { ClaimMessage } from '../../protocol/messages.js';
import { signInThroughPages, startCentralFixture } from '../central/fixture.js';
import type { CentralFixture } from '../central/fixture.js';

/** The home network of every device here. */
export const NET = { ssid: 'home', passphrase: 'correct horse battery' };

export interface FaultCloud {
  fx: CentralFixture;
  emu: RunningEmulator;
  /** A fresh claim, as the phone gets it (logged-in user → Cognito → CreateProvisioningClaim). */
  claim(overrides?: Partial<ClaimMessage>): Promise<ClaimMessage>;
  close(): Promise<void>;
}

/** The cloud emulator on loopback, set up, with the demo user logged in. */
export async function startFaultCloud(name: string): Promise<FaultCloud> {
  const fx = await startCentralFixture();
  const auth = fx.auth(name);
  await auth.loginWithBrowser((url) => signInThroughPages(url, fx.username, fx.password));
  const cloud = new CloudSession({ config: fx.config, idToken: () => auth.idToken() });
  return {
    fx,
    emu: fx.emulator,
    // The phone reuses a claim while it has life left (CloudSession), as the demo's fleet does.
    claim: async (overrides = {}) => ({
      ...claimMessage(await cloud.claim(), fx.config, { DeviceLocation: 'Lab' }),
      ...overrides,
    }),
    close: () => fx.close(),
  };
}

/** Certificate ids known to the registry now (to tell the ones a case issued). */
export function certificateIds(emu: RunningEmulator): Set<string> {
  return new Set(emu.registry.certificates.list().map((c) => c.certificateId));
}

/**
 * Provisioned exactly once: one thing for the serial number, the device holds one committed
 * credential set, its certificate is ACTIVE and the only ACTIVE certificate attached to the thing,
 * and the only ACTIVE device certificate this case got issued. `before` (certificates known before
 * the case) tells a sequential case's certificates; without it (cases running side by side) they
 * are told by their CSR subject, CN=<serial>.
 */
export async function expectProvisionedOnce(
  emu: RunningEmulator,
  stateDir: string,
  serial: string,
  before?: Set<string>,
  label = '',
): Promise<string> {
  const thingName = `mything_${serial}`;
  const things = emu.registry.things.list().filter((t) => t.attributes['SerialNumber'] === serial);
  expect(
    things.map((t) => t.thingName),
    `${label} things for ${serial}`,
  ).toEqual([thingName]);
  const committed = await new CredentialStore({ dir: join(stateDir, 'credentials') }).loadCommitted();
  expect(committed, `${label} committed credentials`).toBeDefined();
  expect(committed!.thingName).toBe(thingName);
  const id = committed!.certificateId;
  expect(emu.registry.certificates.get(id)?.status, `${label} committed certificate`).toBe('ACTIVE');
  expect(emu.registry.things.listPrincipals(thingName), label).toContain(emu.registry.arn('cert', id));
  const ours = (c: { certificateId: string; certificatePem: string }): boolean =>
    before ? !before.has(c.certificateId) : new X509Certificate(c.certificatePem).subject === `CN=${serial}`;
  const activeNew = emu.registry.certificates
    .list()
    .filter((c) => !c.isClaim && c.status === 'ACTIVE' && ours(c))
    .map((c) => c.certificateId);
  expect(activeNew, `${label} ACTIVE certificates issued by this case`).toEqual([id]);
  return id;
}

/** Failed without a trace in the cloud: no thing for the serial, no device certificate issued. */
export async function expectNothingProvisioned(
  emu: RunningEmulator,
  stateDir: string,
  serial: string,
  before: Set<string>,
  label = '',
): Promise<void> {
  expect(
    emu.registry.things.list().filter((t) => t.attributes['SerialNumber'] === serial),
    label,
  ).toEqual([]);
  const issued = emu.registry.certificates.list().filter((c) => !before.has(c.certificateId) && !c.isClaim);
  expect(
    issued.map((c) => c.certificateId),
    `${label} device certificates issued`,
  ).toEqual([]);
  expect(await new CredentialStore({ dir: join(stateDir, 'credentials') }).loadCommitted(), label).toBeUndefined();
}

async function walk(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: string[] = [];
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else out.push(p);
  }
  return out;
}

/**
 * Nothing half-written: no temp file of an interrupted atomic write, no pending credential left
 * beside committed ones, every file that can hold a secret (credentials, job, attempts) owner-only,
 * and the journal parses with no torn record.
 */
export async function expectNothingHalfWritten(stateDir: string, label = ''): Promise<void> {
  const files = await walk(stateDir);
  const rel = files.map((f) => f.slice(stateDir.length + 1));
  expect(
    rel.filter((f) => /(^|\/)\.[^/]*\.tmp$/.test(f)),
    `${label} temp files left`,
  ).toEqual([]);
  const committed = rel.includes('credentials/device.json');
  if (committed)
    expect(
      rel.filter((f) => f.startsWith('credentials/pending')),
      `${label} pending beside committed`,
    ).toEqual([]);
  for (const f of files) {
    const r = f.slice(stateDir.length + 1);
    if (r.startsWith('credentials/') || r === 'job.json' || r === 'attempts.json' || r.endsWith('.key.pem')) {
      expect((await stat(f)).mode & 0o777, `${label} mode of ${r}`).toBe(0o600);
    }
  }
  const { tornTail } = await new ProvisioningJournal({ path: join(stateDir, 'journal.log') }).load();
  expect(tornTail, `${label} torn journal record`).toBe(false);
}

/** Frames the phone writes, in order (what an eavesdropper on the air records). */
export interface WrittenFrame {
  name: WritableName;
  frame: Uint8Array;
}

/**
 * Wraps a link: every written frame is passed to `onWrite` after the device acknowledged it (the
 * hook may drop the link there, as the air would between two frames).
 */
export function tappedLink(link: DeviceLink, onWrite: (f: WrittenFrame) => void): DeviceLink {
  return {
    attPayload: link.attPayload,
    readInfo: () => link.readInfo(),
    onFrame: (n, l) => link.onFrame(n, l),
    onDrop: (l) => link.onDrop(l),
    close: () => link.close(),
    ...(link.writeWithoutResponse !== undefined ? { writeWithoutResponse: link.writeWithoutResponse } : {}),
    write: async (name, frame, kind) => {
      await link.write(name, frame, kind);
      onWrite({ name, frame: frame.slice() });
    },
  };
}

/** Polls `check` until it returns a value, every `everyMs`, up to `timeoutMs`. */
export async function waitFor<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs: number,
  what: string,
  everyMs = 50,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
