/** `device status | reset | make-setup-code` and configuration errors, through the CLI's main(). */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../apps/device/cli.js';
import { RUNTIME_STATUS_FILE } from '../../apps/device/config/runtime-status.js';
import { CredentialStore } from '../../peripheral/storage/credential-store.js';
import { ProvisioningJournal } from '../../peripheral/storage/journal.js';

let dir: string;
let out: string[];
let err: string[];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'device-cli-'));
  out = [];
  err = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
});
afterEach(async () => {
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

async function config(extra: Record<string, unknown> = {}): Promise<string> {
  const path = join(dir, 'device.json');
  await writeFile(
    path,
    JSON.stringify({ stateDir: join(dir, 'state'), verifierPath: join(dir, 'setup', 'verifier.json'), ...extra }),
  );
  return path;
}

describe('device CLI', () => {
  it('status reports unprovisioned, then provisioned; reset --yes forgets it', async () => {
    const path = await config();
    expect(await main(['status', '--config', path])).toBe(0);
    expect(JSON.parse(out.at(-1)!)).toMatchObject({ state: 'unprovisioned', journalRecords: 0 });

    const store = new CredentialStore({ dir: join(dir, 'state', 'credentials') });
    await store.commit(
      {
        certificateId: 'a'.repeat(64),
        certificatePem: 'CERT',
        privateKeyPem: 'KEY',
        thingName: 'mything_1',
        endpoint: { host: 'h', port: 8883 },
      },
      new Date(),
    );
    await new ProvisioningJournal({ path: join(dir, 'state', 'journal.log') }).append({
      step: 'committed',
      certificateId: 'a'.repeat(64),
      thingName: 'mything_1',
    });
    expect(await main(['status', '--config', path])).toBe(0);
    const status = JSON.parse(out.at(-1)!) as Record<string, unknown>;
    expect(status).toMatchObject({ state: 'provisioned', thingName: 'mything_1', lastStep: 'committed' });
    expect(JSON.stringify(status)).not.toContain('KEY');

    expect(await main(['reset', '--config', path])).toBe(2);
    // While a device runs on this state (its runtime file names a live pid: this process), reset refuses.
    await writeFile(
      join(dir, 'state', RUNTIME_STATUS_FILE),
      JSON.stringify({ pid: process.pid, transport: 'virtual', ble: 'available', since: new Date().toISOString() }),
    );
    expect(await main(['reset', '--yes', '--config', path])).toBe(1);
    expect(err.at(-1)).toMatch(/^error DEVICE_BUSY: .*a device is running .*stop it first/);
    expect(await main(['status', '--config', path])).toBe(0);
    expect(JSON.parse(out.at(-1)!)).toMatchObject({ state: 'provisioned' });
    await rm(join(dir, 'state', RUNTIME_STATUS_FILE));
    expect(await main(['reset', '--yes', '--config', path])).toBe(0);
    expect(await main(['status', '--config', path])).toBe(0);
    expect(JSON.parse(out.at(-1)!)).toMatchObject({ state: 'unprovisioned' });
  });

  it('names the bad field (CONFIG_INVALID, exit 1) and rejects unknown commands (exit 2)', async () => {
    const path = await config({ wifi: { backend: 'carrier-pigeon' } });
    expect(await main(['status', '--config', path])).toBe(1);
    expect(err.at(-1)).toMatch(/^error CONFIG_INVALID: .*wifi\.backend in .*device\.json: must be one of/);
    expect(await main(['status', '--config', join(dir, 'missing.json')])).toBe(1);
    expect(await main(['fly'])).toBe(2);
    expect(await main([])).toBe(2);
  });

  it('start without a verifier says how to make one', async () => {
    const path = await config();
    expect(await main(['start', '--config', path])).toBe(1);
    expect(err.at(-1)).toMatch(/^error CONFIG_INVALID: .*verifier/);
  });

  it('delegates make-setup-code', async () => {
    expect(
      await main([
        'make-setup-code',
        '--name',
        'pi-cli',
        '--out',
        join(dir, 'setup'),
        '--quiet',
        '--iterations',
        '1000',
      ]),
    ).toBe(0);
    expect(JSON.parse(out.at(-1)!)).toMatchObject({ deviceId: 'pi-cli' });
  });
});
