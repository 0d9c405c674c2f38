/**
 * The provisioning agent against the real cloud emulator (control plane + MQTT broker with mutual
 * TLS) and the real fleet routine, with a simulated Wi-Fi.
 */
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ProvisioningError } from '../../protocol/errors.js';
import type { WifiMessage } from '../../protocol/messages.js';
import { SimulatedWifi } from '../../peripheral/wifi/simulated.js';
import { ManualTimers } from '../support/manual-timers.js';
import { main } from '../../apps/device/cli.js';
import { makeDevice } from './harness.js';
import { SimWifi } from './sim-wifi.js';
import { startTestCloud } from './cloud.js';
import type { TestCloud } from './cloud.js';

const HOME = { ssid: 'home', passphrase: 'correct horse battery' };
const wifiMsg = (ssid: string, passphrase?: string): WifiMessage => ({
  type: 'wifi',
  ssid: new TextEncoder().encode(ssid),
  ...(passphrase ? { passphrase } : {}),
});

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as ProvisioningError).code;
  }
  return undefined;
}

let cloud: TestCloud;
const dirs: string[] = [];

beforeAll(async () => {
  cloud = await startTestCloud();
}, 60_000);
afterAll(async () => {
  await cloud?.close();
});
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

/** What `device status` prints for a device whose state lives in `dir`. */
async function deviceStatus(dir: string): Promise<Record<string, unknown>> {
  const path = join(dir, 'device.json');
  await writeFile(path, JSON.stringify({ stateDir: dir, verifierPath: join(dir, 'verifier.json') }));
  const out: string[] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  try {
    expect(await main(['status', '--config', path])).toBe(0);
  } finally {
    spy.mockRestore();
  }
  return JSON.parse(out.at(-1)!) as Record<string, unknown>;
}

async function stateDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'device-agent-'));
  dirs.push(d);
  return d;
}

describe('provisioning agent', () => {
  it('runs a job from session to provisioned, publishing every state, and boots provisioned afterwards', async () => {
    const dir = await stateDir();
    const wifi = new SimWifi([HOME]);
    const dev = makeDevice({ stateDir: dir, wifi, caPem: cloud.emu.caPem, serial: 'SN-HAPPY' });
    expect(await dev.agent.start()).toBe('idle');
    const session = dev.agent.openSession('test');
    session.submitWifi(wifiMsg(HOME.ssid, HOME.passphrase));
    session.submitClaim(await cloud.claim());
    await session.command('commit');
    await dev.agent.settled();

    expect(dev.statuses.map((s) => s.state)).toEqual([
      'sessionEstablished',
      'wifiConnecting',
      'wifiConnected',
      'cloudConnecting',
      'certificate',
      'registering',
      'verifying',
      'provisioned',
    ]);
    const last = dev.statuses.at(-1)!;
    expect(last).toMatchObject({ state: 'provisioned', progress: 100, result: { thingName: 'mything_SN-HAPPY' } });
    const certificateId = last.result!.certificateId;
    const thing = cloud.emu.registry.things.get('mything_SN-HAPPY');
    expect(thing?.attributes).toMatchObject({ DeviceLocation: 'Kitchen', SerialNumber: 'SN-HAPPY' });
    expect(cloud.emu.registry.things.listPrincipals('mything_SN-HAPPY')).toEqual([
      cloud.emu.registry.arn('cert', certificateId),
    ]);
    expect(cloud.emu.registry.certificates.get(certificateId)?.status).toBe('ACTIVE');
    expect((await stat(join(dir, 'credentials', 'device.key.pem'))).mode & 0o777).toBe(0o600);
    await expect(stat(join(dir, 'job.json'))).rejects.toMatchObject({ code: 'ENOENT' });
    // Secrets never reach the log.
    expect(dev.log.join('\n')).not.toContain(HOME.passphrase);
    expect(dev.log.join('\n')).not.toContain('PRIVATE KEY');
    session.close();
    expect(dev.agent.state).toBe('provisioned');

    const again = makeDevice({ stateDir: dir, wifi, caPem: cloud.emu.caPem, serial: 'SN-HAPPY' });
    expect(await again.agent.start()).toBe('provisioned');
    expect(again.agent.status().result).toEqual(last.result);
  }, 60_000);

  it('reports a wrong password and a missing network, then takes corrected credentials in the same session', async () => {
    const wifi = new SimWifi([HOME]);
    const dir = await stateDir();
    const dev = makeDevice({ stateDir: dir, wifi, caPem: cloud.emu.caPem, serial: 'SN-WIFI' });
    await dev.agent.start();
    const session = dev.agent.openSession('test');
    session.submitClaim(await cloud.claim());

    session.submitWifi(wifiMsg(HOME.ssid, 'wrong password'));
    await session.command('commit');
    await dev.agent.settled();
    expect(dev.agent.status()).toMatchObject({ state: 'failed', error: 'WIFI_AUTH_FAILED' });
    // The failure is in the journal, so `device status` names it (not the last good step, job-accepted).
    expect(await deviceStatus(dir)).toMatchObject({ state: 'failed', lastStep: 'failed', error: 'WIFI_AUTH_FAILED' });

    session.submitWifi(wifiMsg('neighbour', 'whatever123'));
    await session.command('commit');
    await dev.agent.settled();
    expect(dev.agent.status()).toMatchObject({ state: 'failed', error: 'WIFI_NETWORK_NOT_FOUND' });

    session.submitWifi(wifiMsg(HOME.ssid, HOME.passphrase));
    await session.command('commit');
    await dev.agent.settled();
    expect(dev.agent.status()).toMatchObject({ state: 'provisioned', result: { thingName: 'mything_SN-WIFI' } });
    expect(wifi.joins).toEqual(['home', 'neighbour', 'home']);
    expect(dev.statuses.filter((s) => s.state === 'failed').map((s) => s.error)).toEqual([
      'WIFI_AUTH_FAILED',
      'WIFI_NETWORK_NOT_FOUND',
    ]);
    expect(dev.log.join('\n')).not.toContain('wrong password');
  }, 60_000);

  it('answers commit without wifi with UNEXPECTED_MESSAGE naming it; failed goes back to idle when the session ends (PROTOCOL.md §6)', async () => {
    const dev = makeDevice({
      stateDir: await stateDir(),
      wifi: new SimWifi([HOME]),
      caPem: cloud.emu.caPem,
      serial: 'SN-LEAVE',
    });
    await dev.agent.start();
    const session = dev.agent.openSession('test');
    session.submitClaim(await cloud.claim());
    const missing = await session.command('commit').then(
      () => undefined,
      (e: unknown) => e as ProvisioningError,
    );
    expect(missing).toMatchObject({ code: 'UNEXPECTED_MESSAGE' });
    expect(missing?.detail).toContain('wifi');
    session.submitWifi(wifiMsg(HOME.ssid, 'wrong password'));
    await session.command('commit');
    await dev.agent.settled();
    expect(dev.agent.state).toBe('failed');
    session.close();
    expect(dev.agent.state).toBe('idle');
    // The drafts went with the session: the next one starts from nothing.
    const next = dev.agent.openSession('test');
    expect(dev.agent.state).toBe('sessionEstablished');
    await expect(next.command('commit')).rejects.toMatchObject({ code: 'UNEXPECTED_MESSAGE' });
    next.close();
  }, 60_000);

  it('refuses an expired claim with CLAIM_EXPIRED, before and at commit, and goes on with a fresh one', async () => {
    const offset = { ms: 0 };
    const clock = (): number => Date.now() + offset.ms;
    const dev = makeDevice({
      stateDir: await stateDir(),
      wifi: new SimWifi([HOME]),
      caPem: cloud.emu.caPem,
      clock,
      serial: 'SN-EXPIRY',
    });
    await dev.agent.start();
    const session = dev.agent.openSession('test');
    session.submitWifi(wifiMsg(HOME.ssid, HOME.passphrase));
    const stale = { ...(await cloud.claim()), expiresAt: Math.floor(Date.now() / 1000) - 60 };
    expect(codeOf(() => session.submitClaim(stale))).toBe('CLAIM_EXPIRED');
    expect(dev.agent.state).toBe('sessionEstablished');

    // Accepted while valid, expired by the time of commit (the user dawdled).
    session.submitClaim(await cloud.claim());
    offset.ms = 10 * 60_000;
    await expect(session.command('commit')).rejects.toMatchObject({ code: 'CLAIM_EXPIRED' });
    expect(dev.agent.state).toBe('sessionEstablished');

    offset.ms = 0;
    session.submitClaim(await cloud.claim());
    await session.command('commit');
    await dev.agent.settled();
    expect(dev.agent.status()).toMatchObject({ state: 'provisioned', result: { thingName: 'mything_SN-EXPIRY' } });
  }, 60_000);

  it('serves one transport at a time and refuses job changes while a job runs', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const dir = await stateDir();
    const dev = makeDevice({
      stateDir: dir,
      wifi: new SimWifi([HOME]),
      caPem: cloud.emu.caPem,
      serial: 'SN-BUSY',
      fleet: (real) => async (run) => {
        await gate;
        return real(run);
      },
    });
    await dev.agent.start();
    const ble = dev.agent.openSession('ble');
    expect(codeOf(() => dev.agent.openSession('softap'))).toBe('DEVICE_BUSY');
    ble.submitWifi(wifiMsg(HOME.ssid, HOME.passphrase));
    const claim = await cloud.claim();
    ble.submitClaim(claim);
    await ble.command('commit');
    expect(codeOf(() => ble.submitWifi(wifiMsg(HOME.ssid, HOME.passphrase)))).toBe('DEVICE_BUSY');
    // The running job (passphrase, claim key) is on disk for a power cut, owner-only.
    await vi.waitFor(async () => expect((await stat(join(dir, 'job.json'))).mode & 0o777).toBe(0o600));
    await expect(ble.command('commit')).rejects.toMatchObject({ code: 'DEVICE_BUSY' });
    // The phone leaves mid-run: the job goes on; another transport may watch it finish.
    ble.close();
    const softap = dev.agent.openSession('softap');
    release();
    await dev.agent.settled();
    expect(dev.agent.state).toBe('provisioned');
    await expect(softap.command('commit')).rejects.toMatchObject({ code: 'DEVICE_ALREADY_PROVISIONED' });
    softap.close();
  }, 60_000);

  it('factory reset forgets credentials, journal and Wi-Fi, and the device can be provisioned again', async () => {
    const dir = await stateDir();
    const wifi = new SimWifi([HOME]);
    const dev = makeDevice({ stateDir: dir, wifi, caPem: cloud.emu.caPem, serial: 'SN-RESET' });
    await dev.agent.start();
    const s = dev.agent.openSession('test');
    s.submitWifi(wifiMsg(HOME.ssid, HOME.passphrase));
    s.submitClaim(await cloud.claim());
    await s.command('commit');
    await dev.agent.settled();
    expect(dev.agent.state).toBe('provisioned');
    await s.command('factoryReset');
    expect(dev.agent.state).toBe('sessionEstablished');
    expect(wifi.forgotten).toBe(1);
    await expect(stat(join(dir, 'credentials'))).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(stat(join(dir, 'journal.log'))).rejects.toMatchObject({ code: 'ENOENT' });
    s.close();
    expect(dev.agent.state).toBe('idle');
  }, 60_000);
  it('reports an unreachable broker (CLOUD_UNREACHABLE) and goes on when the phone sends a reachable endpoint', async () => {
    const dev = makeDevice({
      stateDir: await stateDir(),
      wifi: new SimWifi([HOME]),
      caPem: cloud.emu.caPem,
      serial: 'SN-UNREACH',
    });
    await dev.agent.start();
    const s = dev.agent.openSession('test');
    s.submitWifi(wifiMsg(HOME.ssid, HOME.passphrase));
    const claim = await cloud.claim();
    // Port 1 on loopback: nothing listens, the connection is refused at once.
    s.submitClaim({ ...claim, port: 1 });
    await s.command('commit');
    await dev.agent.settled();
    expect(dev.agent.status()).toMatchObject({ state: 'failed', error: 'CLOUD_UNREACHABLE' });
    s.submitClaim(claim);
    await s.command('commit');
    await dev.agent.settled();
    expect(dev.agent.status()).toMatchObject({ state: 'provisioned', result: { thingName: 'mything_SN-UNREACH' } });
  }, 60_000);

  it("passes a RegisterThing rejection through (REGISTER_REJECTED with AWS's errorCode) and keeps the issued certificate for the next try", async () => {
    const dev = makeDevice({
      stateDir: await stateDir(),
      wifi: new SimWifi([HOME]),
      caPem: cloud.emu.caPem,
      serial: 'SN-REJECT',
    });
    await dev.agent.start();
    const s = dev.agent.openSession('test');
    s.submitWifi(wifiMsg(HOME.ssid, HOME.passphrase));
    s.submitClaim(await cloud.claim());
    // The fleet operator disables the template after the claim was issued: RegisterThing is refused.
    let disabled = false;
    const offStatus = dev.agent.onStatus((st) => {
      if (st.state === 'registering' && !disabled) {
        disabled = true;
        cloud.emu.registry.templates.update(cloud.emu.provisioningTemplateName, { enabled: false });
      }
    });
    await s.command('commit');
    await dev.agent.settled();
    offStatus();
    cloud.emu.registry.templates.update(cloud.emu.provisioningTemplateName, { enabled: true });
    const failed = dev.agent.status();
    expect(failed).toMatchObject({ state: 'failed' });
    expect(failed.error).toBe('REGISTER_REJECTED');
    expect(failed.detail).toMatch(/^InvalidRequest \(400\): Template .* is disabled/);
    const issued = /certificate-issued certificateId=([0-9a-f]{64})/.exec(dev.log.join('\n'))?.[1];
    expect(issued).toBeDefined();
    s.submitClaim(await cloud.claim());
    await s.command('commit');
    await dev.agent.settled();
    expect(dev.agent.status()).toMatchObject({ state: 'provisioned', result: { thingName: 'mything_SN-REJECT' } });
    // The certificate issued before the rejection was kept (0600, pending) and is the one in use now.
    expect(dev.agent.status().result?.certificateId).toBe(issued);
    expect(dev.log.filter((l) => l.includes('certificate-issued'))).toHaveLength(1);
  }, 60_000);

  it("aborts a running job on the phone's command (ABORTED) and accepts the job again", async () => {
    let calls = 0;
    let reached!: () => void;
    const inCloud = new Promise<void>((r) => (reached = r));
    const dev = makeDevice({
      stateDir: await stateDir(),
      wifi: new SimWifi([HOME]),
      caPem: cloud.emu.caPem,
      serial: 'SN-ABORT',
      fleet: (real) => (run) => {
        if (++calls > 1) return real(run);
        reached();
        return new Promise((_, reject) =>
          run.signal.addEventListener('abort', () => reject(run.signal.reason as Error), { once: true }),
        );
      },
    });
    await dev.agent.start();
    const s = dev.agent.openSession('test');
    s.submitWifi(wifiMsg(HOME.ssid, HOME.passphrase));
    s.submitClaim(await cloud.claim());
    await s.command('commit');
    await inCloud;
    expect(dev.agent.state).toBe('cloudConnecting');
    await s.command('abort');
    expect(dev.agent.status()).toMatchObject({ state: 'failed', error: 'ABORTED' });
    await s.command('commit');
    await dev.agent.settled();
    expect(dev.agent.status()).toMatchObject({ state: 'provisioned', result: { thingName: 'mything_SN-ABORT' } });
  }, 60_000);

  it('reports every Wi-Fi failure mode of the simulated backend with its own code, then succeeds in the same session', async () => {
    const wifi = new SimulatedWifi({
      timers: new ManualTimers({ instant: true }),
      networks: [
        { ssid: 'home', passphrase: HOME.passphrase, rssi: -40 },
        { ssid: 'no-dhcp', passphrase: HOME.passphrase, rssi: -50, failure: 'no-dhcp' },
        { ssid: 'refuses', passphrase: HOME.passphrase, rssi: -60, failure: 'association-fails' },
        { ssid: 'silent', passphrase: HOME.passphrase, rssi: -70, failure: 'timeout' },
      ],
    });
    const dev = makeDevice({
      stateDir: await stateDir(),
      wifi: wifi,
      caPem: cloud.emu.caPem,
      serial: 'SN-MODES',
    });
    await dev.agent.start();
    const s = dev.agent.openSession('test');
    expect((await s.scan()).map((n) => new TextDecoder().decode(n.ssid))).toEqual([
      'home',
      'no-dhcp',
      'refuses',
      'silent',
    ]);
    s.submitClaim(await cloud.claim());
    const attempts: Array<[string, string | undefined, string]> = [
      ['nowhere', HOME.passphrase, 'WIFI_NETWORK_NOT_FOUND'],
      ['home', 'not the password', 'WIFI_AUTH_FAILED'],
      ['no-dhcp', HOME.passphrase, 'WIFI_NO_ADDRESS'],
      ['refuses', HOME.passphrase, 'WIFI_ASSOCIATION_FAILED'],
      ['silent', HOME.passphrase, 'WIFI_TIMEOUT'],
    ];
    for (const [ssid, pass, code] of attempts) {
      s.submitWifi(wifiMsg(ssid, pass));
      await s.command('commit');
      await dev.agent.settled();
      expect(dev.agent.status(), ssid).toMatchObject({ state: 'failed', error: code });
      expect(wifi.saved.size, `${ssid}: nothing stale left configured`).toBe(0);
    }
    s.submitWifi(wifiMsg('home', HOME.passphrase));
    await s.command('commit');
    await dev.agent.settled();
    expect(dev.agent.status()).toMatchObject({ state: 'provisioned', result: { thingName: 'mything_SN-MODES' } });
    expect([...wifi.saved]).toEqual(['home']);
  }, 60_000);
});
