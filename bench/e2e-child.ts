/**
 * The measuring child of `npm run bench -- e2e` (bench/e2e.bench.ts runs it in a process of its own:
 * the stacks are process singletons and the run starts processes). The demo's parts, assembled as
 * demo/run.ts does: the cloud emulator (set up), an air server, the product's device process with
 * simulated Wi-Fi, login through the provider's pages and one claim before the clock starts, the
 * central's provisionDevice over the real noble, then the seed's pubsub with the device's permanent
 * certificate. Prints one JSON line: the medians per ATT_MTU (E2eFigures[]).
 */
import { execFile } from 'node:child_process';
import { nodePbkdf2Sha256, nodeRandom } from '../apps/central/cli/node-crypto.js';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { deviceStorage } from '../apps/device/config/device.js';
import { readDeviceConfig } from '../apps/device/config/load.js';
import { findDevice, NobleDeviceLink, poweredOn } from '../ble/central/index.js';
import { loadNoble, setNobleMtu, startAir } from '../ble/index.js';
import type { Air, AirCounters, AirServer, Noble } from '../ble/index.js';
import type { ThroughputCase, ThroughputResult } from '../ble/throughput.js';
import { Auth } from '../central/auth/auth.js';
import { TokenCache } from '../central/auth/token-cache.js';
import { claimMessage } from '../central/cloud/claim-message.js';
import { CloudSession } from '../central/cloud/cloud-session.js';
import { loadCentralConfig } from '../central/config/config.js';
import type { CentralConfig } from '../central/config/config.js';
import { provisionDevice } from '../central/engine/index.js';
import type { DeviceLink, ProvisionResult } from '../central/engine/index.js';
import { startEmulator } from '../cloud/emulator/index.js';
import type { RunningEmulator } from '../cloud/emulator/index.js';
import { setUpCloud } from '../demo/cloud-setup.js';
import { startDeviceProcess } from '../demo/device-process.js';
import type { DeviceProcess } from '../demo/device-process.js';
import { signInThroughPages } from '../demo/login.js';
import { runPubSub } from '../demo/pubsub.js';
import { makeSetupCode } from '../peripheral/setup-code/index.js';
import type { ProvisioningState } from '../protocol/states.js';

/** ATT_MTU values measured (the phone asks for it, the device grants it). */
export const E2E_MTUS = [23, 185, 247] as const;
/** Runs per MTU (median reported); E2E_BENCH_RUNS overrides. */
export const E2E_DEFAULT_RUNS = 3;

const NETWORK = { ssid: 'home', passphrase: 'correct horse battery' };

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
  /**
   * Simulated air time of the BLE phases (the air's clock), ms; radio-on time and LL PDUs of the
   * transfer; the same frames as bare back-to-back Write Commands on the same link (the reference)
   * and the transfer's ratio to it.
   */
  sim: {
    connectSessionMs: number;
    handshakeMs: number;
    transferMs: number;
    transferWriteCommandMs: number;
    transferRatio: number;
    transferRadioOnMs: number;
    transferLlPdus: number;
    transferConnectionEvents: number;
  };
  link: { intervalMs: number; phy: '1M' | '2M'; dataLength: number } | undefined;
  /** Sizes of the frames written in the transfer phase, in order. */
  transferFrames: number[];
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
    // The ratio to two decimals: one decimal cannot tell 1.26 from 1.34.
    sim: {
      ...pick((s) => s.sim),
      transferRatio: Math.round(median(samples.map((s) => s.sim.transferRatio)) * 100) / 100,
    },
    totalAtAirTimeMs: round1(median(samples.map((s) => s.totalAtAirTimeMs))),
  };
}

/** What every run shares: the set-up cloud, the air, the logged-in user and the central's noble. */
interface World {
  readonly dir: string;
  readonly emulator: RunningEmulator;
  readonly airSpec: string;
  readonly air: Air;
  readonly config: CentralConfig;
  readonly cloud: CloudSession;
  readonly noble: Noble;
  /** Every device process started, stopped at the end whatever happened. */
  readonly processes: DeviceProcess[];
}

async function main(): Promise<void> {
  const runs = Number(process.env.E2E_BENCH_RUNS ?? E2E_DEFAULT_RUNS);
  const dir = mkdtempSync(join(tmpdir(), 'e2e-bench-'));
  const processes: DeviceProcess[] = [];
  const emulator = await startEmulator({ dataDir: join(dir, 'cloud') });
  const airServer = await startAir({ tcp: { port: 0 } });
  try {
    const world = await prepare(dir, emulator, airServer, processes);
    const byMtu = new Map<number, E2eSample[]>();
    for (const mtu of E2E_MTUS) {
      const samples: E2eSample[] = [];
      for (let r = 0; r < runs; r++) samples.push(await one(world, mtu, r));
      byMtu.set(mtu, samples);
    }
    await withWriteCommandReference([...byMtu.values()].flat());
    const figures = [...byMtu].map(([mtu, samples]) => medians(mtu, samples));
    process.stdout.write(JSON.stringify(figures) + '\n');
  } finally {
    for (const p of processes)
      await p
        .stop()
        .catch((err: unknown) => console.error(`e2e: could not stop the device process ${p.deviceId}: ${String(err)}`));
    await airServer.close();
    await emulator.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The cloud set up as `npx tp-setup` does, the demo user logged in, noble on the air. */
async function prepare(
  dir: string,
  emulator: RunningEmulator,
  airServer: AirServer,
  processes: DeviceProcess[],
): Promise<World> {
  await setUpCloud(emulator);
  const airSpec = airServer.spec;
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
  return { dir, emulator, airSpec, air: airServer.air, config, cloud, noble, processes };
}

/** One run on a fresh device at `mtu`: from "user picks the device" to the first message back. */
async function one(world: World, mtu: number, run: number): Promise<E2eSample> {
  // Short ids: the advertised name holds 8 characters.
  const deviceId = `b${mtu}r${run}`;
  const ddir = join(world.dir, deviceId);
  mkdirSync(ddir, { recursive: true, mode: 0o700 });
  const made = await makeSetupCode({ deviceId, transports: ['ble'], outDir: join(ddir, 'setup') });
  const proc = await startDeviceProcess(
    {
      deviceId,
      serial: `SN-E2E-${mtu}-${run}`,
      dir: ddir,
      airSpec: world.airSpec,
      cloudJsonPath: world.emulator.cloudJsonPath,
      verifierPath: made.verifierPath,
      network: NETWORK,
      maxAttMtu: mtu,
    },
    (p) => world.processes.push(p),
  );
  // The claim is the user's, fetched after login and before a device is picked (as the demo does).
  const claim = claimMessage(await world.cloud.claim(), world.config);
  setNobleMtu(mtu);
  const timed = await provisionTimed(world, deviceId, made.formatted, claim);
  const tProvisioned = performance.now();
  const { store } = deviceStorage(readDeviceConfig(proc.configPath, { required: true }));
  const creds = await store.loadCommitted();
  if (!creds) throw new Error(`${deviceId} has no committed credentials`);
  const tPubSub = performance.now();
  const pubsub = await runPubSub(creds, world.emulator.caPem, () => performance.now());
  const firstMessageAt = tPubSub + pubsub.firstMessageMs;
  await proc.stop();
  return sample(mtu, timed, tProvisioned, firstMessageAt);
}

/** Provisioning of one device, with the time (and the air's counters) of each phase and device state. */
interface Timed {
  result: ProvisionResult;
  t0: number;
  air0: AirCounters;
  phaseAt: Map<string, { t: number; air: AirCounters }>;
  stateAt: Map<ProvisioningState, number>;
  link: E2eSample['link'];
  transferFrames: number[];
}

/** The link, recording the size of every frame written while `recording()` says so. */
function recorded(link: DeviceLink, recording: () => boolean, sizes: number[]): DeviceLink {
  return {
    attPayload: link.attPayload,
    ...(link.writeWithoutResponse !== undefined ? { writeWithoutResponse: link.writeWithoutResponse } : {}),
    readInfo: () => link.readInfo(),
    ...(link.readStatus ? { readStatus: () => link.readStatus!() } : {}),
    onFrame: (n, l) => link.onFrame(n, l),
    onDrop: (l) => link.onDrop(l),
    close: () => link.close(),
    write: (name, frame, kind) => {
      if (recording()) sizes.push(frame.length);
      return link.write(name, frame, kind);
    },
  };
}

async function provisionTimed(
  world: World,
  deviceId: string,
  setupCode: string,
  claim: ReturnType<typeof claimMessage>,
): Promise<Timed> {
  const { air, noble } = world;
  const phaseAt = new Map<string, { t: number; air: AirCounters }>();
  const stateAt = new Map<ProvisioningState, number>();
  let link: E2eSample['link'];
  let phase = '';
  const transferFrames: number[] = [];
  const t0 = performance.now();
  const air0 = air.counters();
  const result = await provisionDevice(
    { deviceId, setupCode, wifi: NETWORK, claim: () => Promise.resolve(claim) },
    {
      connect: async () =>
        recorded(
          await NobleDeviceLink.connect(await findDevice(noble, deviceId)),
          () => phase === 'transfer',
          transferFrames,
        ),
      random: nodeRandom,
      pbkdf2: nodePbkdf2Sha256,
      hooks: {
        onPhase: (p) => {
          phase = p;
          phaseAt.set(p, { t: performance.now(), air: air.counters() });
          const l = air.linkInfo()[0];
          if (p === 'transfer' && l) link = { intervalMs: l.intervalUs / 1000, phy: l.phy, dataLength: l.dataLength };
        },
        onStatus: (s) => {
          if (!stateAt.has(s.state)) stateAt.set(s.state, performance.now());
        },
      },
    },
  );
  return { result, t0, air0, phaseAt, stateAt, link, transferFrames };
}

/**
 * The reference of each sample: its transfer's frames written as bare back-to-back Write Commands
 * through the real stacks on a link with the same interval, PHY and data length
 * (ble/throughput-cli.ts in a process of its own: the stacks are process singletons).
 */
async function withWriteCommandReference(samples: E2eSample[]): Promise<void> {
  const cases: ThroughputCase[] = samples.map((s) => ({
    mtu: s.mtu,
    withResponse: false,
    phy: s.link?.phy ?? '1M',
    connectionIntervalMs: s.link?.intervalMs ?? 7.5,
    dataLength: s.link?.dataLength ?? 251,
    sizes: s.transferFrames,
  }));
  const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'ble', 'throughput-cli.ts');
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', cli, '--cases', JSON.stringify(cases)],
    { maxBuffer: 16 << 20 },
  );
  const results = JSON.parse(stdout.trim().split('\n').pop() ?? '[]') as ThroughputResult[];
  samples.forEach((s, i) => {
    const reference = (results[i]?.simTimeUs ?? NaN) / 1000;
    s.sim.transferWriteCommandMs = reference;
    s.sim.transferRatio = Math.round((s.sim.transferMs / reference) * 100) / 100;
  });
}

/** The phases of one run, wall clock and (BLE) simulated air time. */
function sample(mtu: number, timed: Timed, tProvisioned: number, firstMessageAt: number): E2eSample {
  const { result, t0, air0, phaseAt, stateAt, link, transferFrames } = timed;
  const transfer = phaseAt.get('transfer')!;
  const session = phaseAt.get('session')!;
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
    transferFrames,
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
      handshakeMs: (transfer.air.simTimeUs - session.air.simTimeUs) / 1000,
      transferMs: sim.transfer,
      // Set once every run is done (withWriteCommandReference).
      transferWriteCommandMs: NaN,
      transferRatio: NaN,
      transferRadioOnMs: (provision.air.airTimeUs - transfer.air.airTimeUs) / 1000,
      transferLlPdus: provision.air.llPdus - transfer.air.llPdus,
      transferConnectionEvents: provision.air.connectionEvents - transfer.air.connectionEvents,
    },
  };
}

// Run as a program only (the report imports this module's types, never its code).
if (process.env.E2E_BENCH_CHILD === '1') {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
