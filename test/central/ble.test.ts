/**
 * The central end to end: login (code flow through the provider's pages) → Cognito → claim, then
 * the central's BLE client on the real noble provisions the device (agent + GATT server on the real
 * bleno) over the virtual air, against the in-process cloud emulator.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { objectContaining } from '../matchers.js';
import { Air, loadBleno, loadNoble, setDefaultAir } from '../../ble/index.js';
import type { Noble } from '../../ble/index.js';
import { ProvisioningGattServer } from '../../ble/peripheral/index.js';
import {
  AttemptLimiter,
  formatSetupCode,
  generateSetupCode,
  makeVerifier,
  MemoryAttemptStore,
  MIN_PBKDF2_ITERATIONS,
} from '../../protocol/session/index.js';
import { provisionDevice } from '../../central/engine/index.js';
import { findDevice, NobleDeviceLink, scanDevices } from '../../ble/central/index.js';
import type { DeviceLink, Phase, ProvisionJob } from '../../central/engine/index.js';
import { deviceIdTag } from '../../protocol/advertisement.js';
import type { ClaimMessage } from '../../protocol/messages.js';
import { CLAIM_MIN_REMAINING_MS, CloudSession } from '../../central/cloud/cloud-session.js';
import { claimMessage } from '../../central/cloud/claim-message.js';
import { writeFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { runCli } from '../../apps/central/cli/run.js';
import { encodeSetupPayload, parseSetupCode } from '../../protocol/session/index.js';
import { makeDevice } from '../device/harness.js';
import type { DeviceUnderTest } from '../device/harness.js';
import { SimWifi } from '../device/sim-wifi.js';
import { signInThroughPages, startCentralFixture } from './fixture.js';
import type { CentralFixture } from './fixture.js';
import { decommissionSerial } from '../device/decommission.js';

const DEVICE_ID = 'pi-cent1';
const SERIAL = 'SN-CENTRAL';
const NET = { ssid: 'home', passphrase: 'correct horse battery' };
const random = (n: number): Uint8Array => new Uint8Array(randomBytes(n));

let fx: CentralFixture;
let air: Air;
let noble: Noble;
let device: DeviceUnderTest;
let server: ProvisioningGattServer;
let setupCode: string;
let clockOffsetMs = 0;
let cloud: CloudSession;

async function poweredOn(stack: {
  state?: string;
  _state?: string;
  once(e: string, l: (s: string) => void): unknown;
}): Promise<void> {
  while (stack.state !== 'poweredOn' && stack._state !== 'poweredOn') {
    await new Promise<void>((resolve) => stack.once('stateChange', () => resolve()));
  }
}

function job(overrides: Partial<ProvisionJob> = {}): ProvisionJob {
  return {
    deviceId: DEVICE_ID,
    setupCode,
    wifi: { ssid: NET.ssid, passphrase: NET.passphrase },
    claim: async () => claimMessage(await cloud.claim(), fx.config, { DeviceLocation: 'Kitchen' }),
    ...overrides,
  };
}

const connect = async (): Promise<NobleDeviceLink> => NobleDeviceLink.connect(await findDevice(noble, DEVICE_ID));

async function resetDevice(): Promise<void> {
  const end = Date.now() + 10_000;
  while (server.current !== undefined && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
  if (device.agent.state !== 'idle') await device.agent.factoryReset();
  // The serial is provisioned again next: an operator decommissions the old registration first.
  await decommissionSerial(fx.emulator, SERIAL);
}

beforeAll(async () => {
  fx = await startCentralFixture();
  const auth = fx.auth('ble');
  await auth.loginWithBrowser((url) => signInThroughPages(url, fx.username, fx.password));
  cloud = new CloudSession({ config: fx.config, idToken: () => auth.idToken(), now: () => Date.now() + clockOffsetMs });

  air = new Air();
  setDefaultAir(air);
  const bleno = loadBleno('virtual');
  noble = loadNoble('virtual');
  await Promise.all([poweredOn(bleno as never), poweredOn(noble as never)]);
  const code = generateSetupCode(random);
  setupCode = formatSetupCode(code);
  const verifier = makeVerifier({ deviceId: DEVICE_ID, code, random, iterations: MIN_PBKDF2_ITERATIONS });
  device = makeDevice({
    stateDir: join(fx.dir, 'device'),
    wifi: new SimWifi([NET, { ssid: 'cafe' }]),
    caPem: fx.emulator.caPem,
    serial: SERIAL,
  });
  await device.agent.start();
  server = new ProvisioningGattServer({
    bleno,
    agent: device.agent,
    verifier,
    attempts: new AttemptLimiter(new MemoryAttemptStore(), Date.now),
    random,
  });
  await server.start();
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await fx?.close();
});

describe('central BLE provisioning over the virtual air', () => {
  it('lists the device with its name, RSSI and provisioning state', async () => {
    const found = await scanDevices(noble, 500);
    const d = found.find((x) => x.name === DEVICE_ID);
    expect(d).toMatchObject({ name: DEVICE_ID, state: 'idle', busy: false });
    expect(d!.rssi).toBeLessThan(0);
  });

  it("provisions the device: session, the device's Wi-Fi scan, Wi-Fi and claim, status to the end", async () => {
    const phases: Phase[] = [];
    const states: string[] = [];
    let networks: string[] = [];
    const result = await provisionDevice(job({ scan: true }), {
      connect,
      random,
      hooks: {
        onPhase: (p) => phases.push(p),
        onStatus: (s) => states.push(s.state),
        onScan: (n) => {
          networks = n.map((x) => new TextDecoder().decode(x.ssid));
        },
      },
    });
    expect(result.thingName).toBe(`mything_${SERIAL}`);
    expect(fx.emulator.registry.certificates.get(result.certificateId)?.status).toBe('ACTIVE');
    expect(result.attempts).toBe(1);
    expect(phases).toEqual(['connect', 'session', 'scan', 'transfer', 'provision']);
    expect(Object.keys(result.phasesMs).sort()).toEqual(['connect', 'provision', 'scan', 'session', 'transfer']);
    expect(networks).toEqual(['home', 'cafe']);
    expect(states.at(-1)).toBe('provisioned');
    expect(states).toContain('registering');
    // The largest MTU was negotiated (bleno grants 517: 514 of payload, framing caps it at 512).
    expect(result.attPayload).toBe(512);
    expect(result.bytesSent).toBeGreaterThan(2_000);
  }, 60_000);

  it('replaces a claim about to expire before sending it', async () => {
    await resetDevice();
    const stale = await cloud.claim();
    clockOffsetMs = stale.expiresAt.getTime() - Date.now() - CLAIM_MIN_REMAINING_MS + 1_000;
    try {
      const issued = cloud.claimsIssued;
      const result = await provisionDevice(job(), { connect, random });
      expect(result.thingName).toBe(`mything_${SERIAL}`);
      expect(cloud.claimsIssued).toBe(issued + 1);
      expect((await cloud.claim()).certificateId).not.toBe(stale.certificateId);
    } finally {
      clockOffsetMs = 0;
    }
  }, 60_000);

  it('reconnects after the link drops mid-transfer and finishes without starting over', async () => {
    await resetDevice();
    let dropped = false;
    let claimFrames = 0;
    const retries: string[] = [];
    // The first link drops on the air after the second frame of the claim: mid-message.
    const dropping = async (): Promise<DeviceLink> => {
      const link = await connect();
      if (dropped) return link;
      return {
        attPayload: link.attPayload,
        readInfo: () => link.readInfo(),
        onFrame: (n, l) => link.onFrame(n, l),
        onDrop: (l) => link.onDrop(l),
        close: () => link.close(),
        write: async (name, frame) => {
          await link.write(name, frame);
          if (name === 'claim' && ++claimFrames === 2) {
            dropped = true;
            air.dropLinks();
          }
        },
      };
    };
    const result = await provisionDevice(job(), {
      connect: dropping,
      random,
      hooks: { onRetry: (_n, err) => retries.push(err.code) },
    });
    expect(dropped).toBe(true);
    expect(claimFrames).toBeGreaterThanOrEqual(2);
    expect(retries).toEqual(['LINK_LOST']);
    expect(result.attempts).toBe(2);
    expect(result.thingName).toBe(`mything_${SERIAL}`);
  }, 60_000);

  it("stops with the device's code: wrong setup code, wrong Wi-Fi password, refused claim", async () => {
    await resetDevice();
    const wrong = formatSetupCode(generateSetupCode(random));
    await expect(provisionDevice(job({ setupCode: wrong }), { connect, random })).rejects.toMatchObject({
      code: 'SESSION_AUTH_FAILED',
    });
    await resetDevice();
    await expect(
      provisionDevice(job({ wifi: { ssid: NET.ssid, passphrase: 'not the password' } }), { connect, random }),
    ).rejects.toMatchObject({ code: 'WIFI_AUTH_FAILED' });
    // A claim the device refuses (expired by its clock) ends the run with the device's code, not a timeout.
    await resetDevice();
    const expired = async (): Promise<ClaimMessage> => ({
      ...claimMessage(await cloud.claim(), fx.config),
      expiresAt: Math.floor(Date.now() / 1000) - 1,
    });
    await expect(provisionDevice(job({ claim: expired }), { connect, random })).rejects.toMatchObject({
      code: 'CLAIM_EXPIRED',
    });
  }, 60_000);
});

describe('central CLI over BLE', () => {
  /** Runs `central` in-process on this process's noble, with the login made in beforeAll. */
  const cli = async (
    args: string[],
    stdin = new PassThrough(),
    onPrompt?: (stderr: string) => void,
  ): Promise<{ code: number; stdout: string; stderr: string; json: Record<string, unknown> }> => {
    let stdout = '';
    let stderr = '';
    const code = await runCli(
      ['--config', fx.emulator.cloudJsonPath, '--token-cache', join(fx.dir, 'tokens', 'ble.json'), ...args],
      {
        stdout: {
          write: (t: string) => {
            stdout += t;
          },
        },
        stderr: {
          write: (t: string) => {
            stderr += t;
            onPrompt?.(t);
          },
        },
        stdin,
        env: {},
        openBrowser: () => false,
        noble: () => noble,
      },
    );
    const last = stdout.trim().split('\n').at(-1) ?? '';
    return { code, stdout, stderr, json: last.startsWith('{') ? (JSON.parse(last) as Record<string, unknown>) : {} };
  };
  const passwordFile = (): string => {
    const path = join(fx.dir, 'wifi-password');
    writeFileSync(path, `${NET.passphrase}\n`, { mode: 0o600 });
    return path;
  };

  it('lists devices and provisions one from its QR payload, printing progress but no secret', async () => {
    await resetDevice();
    const list = await cli(['devices', '--scan-time', '0.5', '--json']);
    expect(list.code).toBe(0);
    expect(list.json.devices).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          name: DEVICE_ID,
          nameMayBeShortened: true,
          idTag: Buffer.from(deviceIdTag(DEVICE_ID)).toString('hex'),
          state: 'idle',
        }),
      ]),
    );

    const qr = encodeSetupPayload({ deviceId: DEVICE_ID, setupCode: parseSetupCode(setupCode), transports: ['ble'] });
    const r = await cli([
      'provision',
      '--qr',
      qr,
      '--ssid',
      NET.ssid,
      '--password-file',
      passwordFile(),
      '--param',
      'DeviceLocation=Hall',
      '--json',
    ]);
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject({ ok: true, deviceId: DEVICE_ID, thingName: `mything_${SERIAL}` });
    expect(r.stderr).toContain('registering');
    expect(fx.emulator.registry.things.get(`mything_${SERIAL}`)?.attributes).toMatchObject({ DeviceLocation: 'Hall' });
    for (const text of [r.stdout + r.stderr, list.stdout + list.stderr]) {
      expect(text).not.toContain(NET.passphrase);
      expect(text).not.toContain(parseSetupCode(setupCode));
      expect(text).not.toContain('PRIVATE KEY');
    }
  }, 60_000);

  it('provisions a batch from a codes file: one failure does not stop the others, the summary says why (exit 10)', async () => {
    await resetDevice();
    const codes = join(fx.dir, 'codes.txt');
    const otherCode = formatSetupCode(generateSetupCode(random));
    writeFileSync(
      codes,
      `# batch\npi-ghost ${otherCode}\n${encodeSetupPayload({ deviceId: DEVICE_ID, setupCode: parseSetupCode(setupCode), transports: ['ble'] })}\n`,
    );
    const r = await cli([
      'provision',
      '--all',
      '--codes',
      codes,
      '--ssid',
      NET.ssid,
      '--password-file',
      passwordFile(),
      '--find-timeout',
      '1',
      '--json',
    ]);
    expect(r.code).toBe(10);
    expect(r.json).toMatchObject({ ok: true, provisioned: 1, failed: 1 });
    expect(r.json.devices).toEqual([
      expect.objectContaining({
        deviceId: 'pi-ghost',
        ok: false,
        error: objectContaining({ code: 'DEVICE_NOT_FOUND' }),
      }),
      expect.objectContaining({ deviceId: DEVICE_ID, ok: true, thingName: `mything_${SERIAL}` }),
    ]);
    expect(r.stdout + r.stderr).not.toContain(parseSetupCode(otherCode));
  }, 60_000);

  it('asks again for a Wi-Fi password typed at the prompt that the device rejected, on the same session', async () => {
    await resetDevice();
    const stdin = new PassThrough();
    stdin.write('not the password\n');
    const prompts: string[] = [];
    const r = await cli(
      ['provision', '--device', DEVICE_ID, '--setup-code', setupCode, '--ssid', NET.ssid, '--json'],
      stdin,
      (t) => {
        if (!t.startsWith('Wi-Fi password')) return;
        prompts.push(t);
        if (t.includes('again')) stdin.write(`${NET.passphrase}\n`);
      },
    );
    expect(r.code).toBe(0);
    expect(prompts).toEqual([
      `Wi-Fi password for ${NET.ssid}: `,
      `Wi-Fi password for ${NET.ssid} (again; empty to give up): `,
    ]);
    expect(r.stderr).toMatch(/The Wi-Fi password was rejected.* \[WIFI_AUTH_FAILED\]\n/);
    // One attempt (no reconnect, no second session), one thing with one certificate.
    expect(r.json).toMatchObject({ ok: true, attempts: 1, thingName: `mything_${SERIAL}` });
    const principals = fx.emulator.registry.things.listPrincipals(`mything_${SERIAL}`);
    expect(principals).toEqual([expect.stringMatching(`cert/${String(r.json.certificateId)}$`)]);
    expect(r.stdout + r.stderr).not.toContain(NET.passphrase);
  }, 60_000);
});
