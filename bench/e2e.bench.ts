/**
 * `npm run bench -- e2e`: the time from "user picks a device" to "first message with the
 * permanent certificate", split per phase, at ATT_MTU 23 and 247 on the virtual air with its
 * default connection interval (the central's Conn_Interval_Min) — the demo's parts, assembled as
 * demo/run.ts does: the cloud emulator (set up), an air server, the product's device process with
 * simulated Wi-Fi (demo/device-process.ts), login through the provider's pages and one claim
 * before the clock starts, the central's provisionDevice over the real noble, then the seed's
 * pubsub with the device's permanent certificate (demo/pubsub.ts).
 *
 * Phases (wall clock, ms; the BLE ones also in simulated air time):
 *   connect+session  scan for the device, connect, MTU exchange, read info, SPAKE2+ handshake
 *   transfer         the sealed wifi and claim messages and the commit, framed at the ATT payload
 *   wifi             commit → the device connects to the cloud (job accepted, Wi-Fi joined)
 *   certificate      MQTT with the claim, CreateCertificateFromCsr (device key, CSR)
 *   registration     RegisterThing
 *   verify           the device reconnects with its certificate and proves it, then commits
 *   first message    the permanent certificate's first pub/sub round trip (connect, subscribe, publish, receive)
 * Median of E2E_BENCH_RUNS runs (default 3), each on a fresh device. The stacks are process
 * singletons and the run starts processes, so it runs in a child process of its own.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { AirCounters } from '../ble/index.js';
import type { DeviceProcess } from '../demo/device-process.js';
import type { ProvisioningState } from '../protocol/states.js';
import type { BenchReport, BenchTable, SummaryRow } from './run.js';

/** ATT_MTU values measured (the phone asks for it, the device grants it). */
export const E2E_MTUS = [23, 247] as const;
/** Runs per MTU (median reported); E2E_BENCH_RUNS overrides. */
export const E2E_DEFAULT_RUNS = 3;

const here = fileURLToPath(import.meta.url);
const root = join(dirname(here), '..');

export interface E2eSample {
  mtu: number;
  attPayload: number;
  bytesSent: number;
  /** Wall clock per phase, ms. */
  wallMs: {
    connectSession: number;
    transfer: number;
    wifi: number;
    certificate: number;
    registration: number;
    verify: number;
    firstMessage: number;
    total: number;
  };
  /**
   * The total with each BLE phase at the longer of its wall and simulated air time: the virtual air
   * runs faster than a radio (its clock jumps), so this estimates the total on a real link.
   */
  totalAtAirTimeMs: number;
  /** Simulated air time of the BLE phases (the air's clock), ms; radio-on time and LL PDUs of the transfer. */
  sim: {
    connectSessionMs: number;
    transferMs: number;
    transferRadioOnMs: number;
    transferLlPdus: number;
    transferConnectionEvents: number;
  };
  link: { intervalMs: number; phy: string; dataLength: number } | undefined;
}

export interface E2eFigures {
  mtu: number;
  runs: number;
  attPayload: number;
  bytesSent: number;
  link: E2eSample['link'];
  /** Medians. */
  wallMs: E2eSample['wallMs'];
  sim: E2eSample['sim'];
  totalAtAirTimeMs: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const round1 = (x: number): number => Math.round(x * 10) / 10;

function medians(mtu: number, samples: E2eSample[]): E2eFigures {
  const pick = <K extends string>(get: (s: E2eSample) => Record<K, number>): Record<K, number> => {
    const keys = Object.keys(get(samples[0]!)) as K[];
    return Object.fromEntries(keys.map((k) => [k, round1(median(samples.map((s) => get(s)[k])))])) as Record<K, number>;
  };
  return {
    mtu,
    runs: samples.length,
    attPayload: samples[0]!.attPayload,
    bytesSent: samples[0]!.bytesSent,
    link: samples[0]!.link,
    wallMs: pick((s) => s.wallMs),
    sim: pick((s) => s.sim),
    totalAtAirTimeMs: round1(median(samples.map((s) => s.totalAtAirTimeMs))),
  };
}

// ---------------- the measuring child ----------------

async function childMain(): Promise<void> {
  const { IoTClient } = await import('@aws-sdk/client-iot');
  const { loadNoble, setNobleMtu, startAir } = await import('../ble/index.js');
  const { provisionDevice } = await import('../central/engine/index.js');
  const { findDevice, NobleDeviceLink, poweredOn } = await import('../ble/central/index.js');
  const { Auth } = await import('../central/auth/auth.js');
  const { TokenCache } = await import('../central/auth/token-cache.js');
  const { claimMessage } = await import('../central/cloud/claim-message.js');
  const { CloudSession } = await import('../central/cloud/cloud-session.js');
  const { loadCentralConfig } = await import('../central/config/config.js');
  const { startEmulator } = await import('../cloud/emulator/index.js');
  const { runSetup } = await import('../cloud/setup/setup.js');
  const { DEVICE_POLICY_NAME, PROVISIONING_ROLE_NAME } = await import('../cloud/deploy/documents.js');
  const { startDeviceProcess } = await import('../demo/device-process.js');
  const { signInThroughPages } = await import('../demo/login.js');
  const { runPubSub } = await import('../demo/pubsub.js');
  const { deviceStorage } = await import('../apps/device/config/device.js');
  const { readDeviceConfig } = await import('../apps/device/config/load.js');
  const { makeSetupCode } = await import('../peripheral/setup-code/index.js');

  const runs = Number(process.env.E2E_BENCH_RUNS ?? E2E_DEFAULT_RUNS);
  const dir = mkdtempSync(join(tmpdir(), 'e2e-bench-'));
  const processes: DeviceProcess[] = [];
  const emulator = await startEmulator({ dataDir: join(dir, 'cloud') });
  const airServer = await startAir({ tcp: { port: 0 } });
  try {
    const admin = new IoTClient({
      region: emulator.region,
      endpoint: emulator.endpoints.iotControlPlane,
      credentials: { accessKeyId: emulator.admin.accessKeyId, secretAccessKey: emulator.admin.secretAccessKey },
    });
    await runSetup(admin, {
      region: emulator.region,
      accountId: emulator.accountId,
      policyName: DEVICE_POLICY_NAME,
      templateName: emulator.provisioningTemplateName,
      provisioningRoleArn: `arn:aws:iam::${emulator.accountId}:role/service-role/${PROVISIONING_ROLE_NAME}`,
    });
    admin.destroy();
    const airSpec = airServer.specs[0]!;
    const air = airServer.air;
    const config = loadCentralConfig(emulator.cloudJsonPath);
    const demo = emulator.demoUser!;
    const auth = new Auth({
      issuer: config.oidc.issuer,
      clientId: config.oidc.clientId,
      scope: config.oidc.scope,
      cache: new TokenCache(join(dir, 'tokens.json')),
    });
    await auth.loginWithBrowser((url) => signInThroughPages(url, demo.username, demo.password));
    const cloud = new CloudSession({ config, idToken: () => auth.idToken() });
    const noble = loadNoble(airSpec, { mtu: E2E_MTUS[0] });
    await poweredOn(noble);
    const random = (n: number): Uint8Array => new Uint8Array(randomBytes(n));

    const one = async (mtu: number, run: number): Promise<E2eSample> => {
      // Short ids: the advertised name holds 8 characters.
      const deviceId = `b${mtu}r${run}`;
      const ddir = join(dir, deviceId);
      mkdirSync(ddir, { recursive: true, mode: 0o700 });
      const made = await makeSetupCode({ deviceId, transports: ['ble'], outDir: join(ddir, 'setup') });
      const proc = await startDeviceProcess(
        {
          deviceId,
          serial: `SN-E2E-${mtu}-${run}`,
          dir: ddir,
          airSpec,
          cloudJsonPath: emulator.cloudJsonPath,
          verifierPath: made.verifierPath,
          network: { ssid: 'home', passphrase: 'correct horse battery' },
          maxAttMtu: mtu,
        },
        (p) => processes.push(p),
      );
      // The claim is the user's, fetched after login and before a device is picked (as the demo does).
      const claim = claimMessage(await cloud.claim(), config);
      setNobleMtu(mtu);
      const phaseAt = new Map<string, { t: number; air: AirCounters }>();
      const stateAt = new Map<ProvisioningState, number>();
      let link: E2eSample['link'];
      const t0 = performance.now();
      const air0 = air.counters();
      const result = await provisionDevice(
        {
          deviceId,
          setupCode: made.formatted,
          wifi: { ssid: 'home', passphrase: 'correct horse battery' },
          claim: () => Promise.resolve(claim),
        },
        {
          connect: async () => NobleDeviceLink.connect(await findDevice(noble, deviceId)),
          random,
          hooks: {
            onPhase: (p) => {
              phaseAt.set(p, { t: performance.now(), air: air.counters() });
              const l = air.linkInfo()[0];
              if (p === 'transfer' && l)
                link = { intervalMs: l.intervalUs / 1000, phy: l.phy, dataLength: l.dataLength };
            },
            onStatus: (s) => {
              if (!stateAt.has(s.state)) stateAt.set(s.state, performance.now());
            },
          },
        },
      );
      const tProvisioned = performance.now();
      const { store } = deviceStorage(readDeviceConfig(proc.configPath, { required: true }));
      const creds = await store.loadCommitted();
      if (!creds) throw new Error(`${deviceId} has no committed credentials`);
      const tPubSub = performance.now();
      const pubsub = await runPubSub(creds, emulator.caPem, () => performance.now());
      const firstMessageAt = tPubSub + pubsub.firstMessageMs;
      await proc.stop();
      const transfer = phaseAt.get('transfer')!;
      const provision = phaseAt.get('provision')!;
      const at = (s: ProvisioningState, fallback: number): number => stateAt.get(s) ?? fallback;
      const cloudConnecting = at('cloudConnecting', provision.t);
      const registering = at('registering', cloudConnecting);
      const verifying = at('verifying', registering);
      // First message: from "provisioned" on the phone to the first message back with the permanent certificate.
      const firstMessage = firstMessageAt - tProvisioned;
      const wall = { connectSession: transfer.t - t0, transfer: provision.t - transfer.t };
      const sim = {
        connectSession: (transfer.air.simTimeUs - air0.simTimeUs) / 1000,
        transfer: (provision.air.simTimeUs - transfer.air.simTimeUs) / 1000,
      };
      const total = firstMessageAt - t0;
      return {
        totalAtAirTimeMs:
          total -
          wall.connectSession -
          wall.transfer +
          Math.max(wall.connectSession, sim.connectSession) +
          Math.max(wall.transfer, sim.transfer),
        mtu,
        attPayload: result.attPayload,
        bytesSent: result.bytesSent,
        link,
        wallMs: {
          ...wall,
          wifi: cloudConnecting - provision.t,
          certificate: registering - cloudConnecting,
          registration: verifying - registering,
          verify: tProvisioned - verifying,
          firstMessage,
          total,
        },
        sim: {
          connectSessionMs: sim.connectSession,
          transferMs: sim.transfer,
          transferRadioOnMs: (provision.air.airTimeUs - transfer.air.airTimeUs) / 1000,
          transferLlPdus: provision.air.llPdus - transfer.air.llPdus,
          transferConnectionEvents: provision.air.connectionEvents - transfer.air.connectionEvents,
        },
      };
    };

    const figures: E2eFigures[] = [];
    for (const mtu of E2E_MTUS) {
      const samples: E2eSample[] = [];
      for (let r = 0; r < runs; r++) samples.push(await one(mtu, r));
      figures.push(medians(mtu, samples));
    }
    process.stdout.write(JSON.stringify(figures) + '\n');
  } finally {
    for (const p of processes) await p.stop().catch(() => undefined);
    await airServer.close();
    await emulator.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------- the report ----------------

export async function run(): Promise<BenchReport> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', here], {
    cwd: root,
    env: { ...process.env, E2E_BENCH_CHILD: '1' },
    maxBuffer: 16 << 20,
  });
  const figures = JSON.parse(stdout.trim().split('\n').pop() ?? '[]') as E2eFigures[];
  const phases: [string, (f: E2eFigures) => string][] = [
    ['connect+session (wall ms / sim ms)', (f) => `${f.wallMs.connectSession} / ${f.sim.connectSessionMs}`],
    ['transfer (wall ms / sim ms)', (f) => `${f.wallMs.transfer} / ${f.sim.transferMs}`],
    ['wifi (wall ms)', (f) => String(f.wallMs.wifi)],
    ['certificate (wall ms)', (f) => String(f.wallMs.certificate)],
    ['registration (wall ms)', (f) => String(f.wallMs.registration)],
    ['verify + commit (wall ms)', (f) => String(f.wallMs.verify)],
    ['first message (wall ms)', (f) => String(f.wallMs.firstMessage)],
    ['total: pick → first message (wall ms)', (f) => String(f.wallMs.total)],
    ['total, BLE phases at max(wall, sim) (ms)', (f) => String(f.totalAtAirTimeMs)],
    [
      'transfer: bytes / LL PDUs / connection events',
      (f) => `${f.bytesSent} / ${f.sim.transferLlPdus} / ${f.sim.transferConnectionEvents}`,
    ],
  ];
  const table: BenchTable = {
    title: `End to end per phase, median of ${figures[0]?.runs ?? '?'} runs (virtual air: connection interval ${figures[0]?.link?.intervalMs ?? '?'} ms, LE ${figures[0]?.link?.phy ?? '?'}, data length ${figures[0]?.link?.dataLength ?? '?'})`,
    headers: ['phase', ...figures.map((f) => `ATT_MTU ${f.mtu} (payload ${f.attPayload})`)],
    rows: phases.map(([name, get]) => [name, ...figures.map(get)]),
  };
  console.log(table.title);
  console.table(
    Object.fromEntries(
      table.rows.map((r) => [r[0], Object.fromEntries(table.headers.slice(1).map((h, i) => [h, r[i + 1]]))]),
    ),
  );
  const summary: SummaryRow[] = figures.flatMap((f) => [
    {
      figure: `pick → first message with the permanent certificate, ATT_MTU ${f.mtu} (BLE at air time, rest wall; median)`,
      value: `${f.totalAtAirTimeMs} ms`,
    },
    {
      figure: `BLE transfer of Wi-Fi + claim at ATT_MTU ${f.mtu} (simulated air time)`,
      value: `${f.sim.transferMs} ms`,
    },
  ]);
  const report: BenchReport = { name: 'e2e', results: { mtus: figures }, summary, tables: [table] };
  console.log(JSON.stringify(report));
  return report;
}

if (process.env.E2E_BENCH_CHILD === '1') {
  childMain().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
