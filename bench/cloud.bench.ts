/**
 * `npm run bench -- cloud`: simulated devices provision concurrently against the emulator's IoT data
 * side (RUNS: how many devices, how many in flight): mTLS connect with a claim,
 * CreateCertificateFromCsr, RegisterThing, reconnect with the new certificate (and stay connected).
 * The emulator (CA, SQLite registry, broker) runs in a child process so its RSS is its own; the
 * devices use a minimal MQTT client (lean-mqtt.ts) so that the emulator, not the load, takes the
 * CPU. Prints registrations per second, p50/p95 latency of a whole device flow, and the emulator's
 * peak RSS per connected device, as a table and one JSON line. In the same run, before and after
 * each fleet, it measures the TLS ceiling (cloud-tls-ceiling.ts): mutual-TLS handshakes per second
 * between the two processes, with P-256 client certificates and with the flow's own pair (the RSA
 * claim's, then a P-256 one); a registration costs two, so it reports registrations/s ÷ (handshakes/s ÷ 2).
 * Knobs: CLOUD_BENCH_RUNS=1000@16,500 (devices@in-flight), CLOUD_BENCH_CHILD_FLAGS="--cpu-prof"
 * (node flags for the emulator child, e.g. to profile it), CLOUD_BENCH_TLS_HANDSHAKES=0 (skip the ceilings).
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createPrivateKey, webcrypto } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
// Types only: the child loads the emulator itself (the load generator never does).
import type { EmulatorCa } from '../cloud/emulator/ca/index.js';
import type { Registry } from '../cloud/emulator/registry/index.js';
import type { TlsCeilingTarget } from './cloud-tls-ceiling.js';
import {
  measureTlsHandshakes,
  startTlsCeilingServer,
  TLS_CEILING_CONCURRENCY,
  TLS_CEILING_HANDSHAKES,
} from './cloud-tls-ceiling.js';
import { LeanMqttClient } from './lean-mqtt.js';
import type { BenchReport } from './run.js';

/** A fleet run: how many devices provision, and how many of them at the same time. */
export interface RunShape {
  devices: number;
  inFlight: number;
}
/** Devices provisioning at the same time in the headline runs (as many as the TLS ceiling's). */
export const CONCURRENCY = 50;
/**
 * The runs measured: 100 and 1,000 devices with CONCURRENCY in flight, then 1,000 with fewer in
 * flight. Registrations are CPU-bound long before 50 are in flight, so the extra flows only queue:
 * by Little's law a flow's mean time is (in flight) ÷ (registrations/s). The last run shows the
 * latency of the same throughput with a shorter queue.
 */
export const RUNS: readonly RunShape[] = [
  { devices: 100, inFlight: CONCURRENCY },
  { devices: 1000, inFlight: CONCURRENCY },
  { devices: 1000, inFlight: 16 },
];
/** Devices provisioned before measuring (JIT, lazy module loading), then disconnected; not counted. */
export const WARMUP_DEVICES = 20;
/** A run that takes longer than this is cut short and reported as such, in milliseconds. */
export const RUN_BUDGET_MS = 240_000;
/** The devices' MQTT keepalive, s: longer than a run (RUN_BUDGET_MS), so they need not ping. */
export const KEEPALIVE_S = 300;
/** One device's request gets this long for a reply, in milliseconds. */
export const REPLY_TIMEOUT_MS = 30_000;

const TEMPLATE = 'BenchTemplate';
const here = fileURLToPath(import.meta.url);

interface ChildReady {
  type: 'ready';
  port: number;
  caPem: string;
  claims: { cert: string; key: string }[];
  rss: number;
  tls: TlsCeilingTarget;
}
interface ChildRss {
  type: 'rss';
  rss: number;
  peakRss: number;
  connected: number;
  /** The emulator's CPU time so far (user + system), in milliseconds. */
  cpuMs: number;
}

// ---------------- the emulator child ----------------

async function childMain(): Promise<void> {
  const { EmulatorCa } = await import('../cloud/emulator/ca/index.js');
  const { Registry } = await import('../cloud/emulator/registry/index.js');
  const { startBroker } = await import('../cloud/emulator/broker/index.js');
  const dir = process.env.CLOUD_BENCH_DIR as string;
  const ca = await EmulatorCa.openOrCreate(join(dir, 'ca'));
  const registry = Registry.open(join(dir, 'registry.sqlite'));
  createPolicyAndTemplate(registry);
  const claims = await createClaims(ca, registry, Number(process.env.CLOUD_BENCH_CLAIMS));
  const broker = await startBroker({ registry, ca, port: 0 });
  const tlsCeiling = await startTlsCeilingServer(ca);
  let peakRss = process.memoryUsage.rss();
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 200);
  process.on('message', (m: { type: string }) => {
    if (m.type === 'rss') {
      const rss = process.memoryUsage.rss();
      peakRss = Math.max(peakRss, rss);
      const cpu = process.cpuUsage();
      process.send?.({
        type: 'rss',
        rss,
        peakRss,
        connected: broker.connectedClients,
        cpuMs: (cpu.user + cpu.system) / 1000,
      } satisfies ChildRss);
    } else if (m.type === 'reset-peak') {
      peakRss = process.memoryUsage.rss();
      process.send?.({ type: 'reset' });
    } else if (m.type === 'stop') {
      clearInterval(sampler);
      void Promise.all([broker.close(), tlsCeiling.close()]).then(() => {
        registry.close();
        process.exit(0);
      });
    }
  });
  global.gc?.();
  process.send?.({
    type: 'ready',
    port: broker.port,
    caPem: ca.caCertPem,
    claims,
    rss: process.memoryUsage.rss(),
    tls: tlsCeiling.target,
  } satisfies ChildReady);
}

/** The devices' policy (connect as their thing, publish/subscribe anywhere) and the bench's template. */
function createPolicyAndTemplate(registry: Registry): void {
  registry.policies.create(
    'bench-device',
    JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: 'iot:Connect',
          Resource: 'arn:aws:iot:us-east-1:123456789012:client/${iot:Connection.Thing.ThingName}',
        },
        { Effect: 'Allow', Action: ['iot:Publish', 'iot:Receive', 'iot:Subscribe'], Resource: '*' },
      ],
    }),
  );
  registry.templates.create({
    templateName: TEMPLATE,
    enabled: true,
    provisioningRoleArn: 'arn:aws:iam::123456789012:role/Bench',
    templateBody: JSON.stringify({
      Parameters: { SerialNumber: { Type: 'String' }, 'AWS::IoT::Certificate::Id': { Type: 'String' } },
      Resources: {
        thing: {
          Type: 'AWS::IoT::Thing',
          Properties: {
            ThingName: { 'Fn::Join': ['', ['bench_', { Ref: 'SerialNumber' }]] },
            AttributePayload: { serial: { Ref: 'SerialNumber' } },
          },
        },
        certificate: {
          Type: 'AWS::IoT::Certificate',
          Properties: { CertificateId: { Ref: 'AWS::IoT::Certificate::Id' }, Status: 'ACTIVE' },
        },
        policy: { Type: 'AWS::IoT::Policy', Properties: { PolicyName: 'bench-device' } },
      },
    }),
  });
}

/**
 * `count` claim certificates for the template, valid for an hour, shared by the simulated devices
 * (making one RSA claim per device would dominate): one per device in flight, as each phone fetches
 * its own. Fewer would let the fleet API's rate limit per claim (10 requests/s per operation,
 * fleet/limits.ts) cap the fleet at 10 × count registrations/s instead of measuring the emulator.
 */
async function createClaims(
  ca: EmulatorCa,
  registry: Registry,
  count: number,
): Promise<{ cert: string; key: string }[]> {
  const claims: { cert: string; key: string }[] = [];
  for (let i = 0; i < count; i++) {
    const c = await ca.createKeyPairAndCertificate({ validity: { notAfter: new Date(Date.now() + 3600_000) } });
    registry.certificates.insert({
      certificateId: c.certificateId,
      certificatePem: c.certificatePem,
      status: 'ACTIVE',
      notBefore: c.notBefore,
      notAfter: c.notAfter,
      isClaim: true,
      templateName: TEMPLATE,
      claimExpiresAt: new Date(Date.now() + 3600_000),
    });
    claims.push({ cert: c.certificatePem, key: c.keyPair.PrivateKey });
  }
  return claims;
}

// ---------------- the load generator ----------------

function ask<T>(child: ChildProcess, message: object, type: string): Promise<T> {
  return new Promise((resolve) => {
    const on = (m: { type: string }): void => {
      if (m.type !== type) return;
      child.off('message', on);
      resolve(m as T);
    };
    child.on('message', on);
    child.send(message);
  });
}

async function makeCsr(serial: string): Promise<{ csrPem: string; keyPem: string }> {
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: `CN=${serial}`,
    keys,
    signingAlgorithm: alg,
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { csrPem: csr.toString('pem'), keyPem: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY') };
}

function connect(port: number, ca: string, cert: string, key: string, clientId: string): Promise<LeanMqttClient> {
  return LeanMqttClient.connect({
    host: '127.0.0.1',
    port,
    ca,
    cert,
    key,
    clientId,
    keepalive: KEEPALIVE_S,
    timeoutMs: REPLY_TIMEOUT_MS,
  });
}

const CREATE_FROM_CSR = '$aws/certificates/create-from-csr/json';
const REGISTER_THING = `$aws/provisioning-templates/${TEMPLATE}/provision/json`;
/** The replies of both requests, subscribed in one SUBSCRIBE: one round trip instead of one per request. */
const REPLY_FILTERS = [CREATE_FROM_CSR, REGISTER_THING].flatMap((t) => [`${t}/accepted`, `${t}/rejected`]);

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

interface RunFigures {
  devices: number;
  /** Devices provisioning at the same time. */
  inFlight: number;
  succeeded: number;
  failed: number;
  firstError?: string;
  seconds: number;
  registrationsPerSecond: number;
  p50Ms: number;
  p95Ms: number;
  baselineRssMiB: number;
  peakRssMiB: number;
  connectedAtPeak: number;
  rssPerConnectedDeviceKiB: number;
  cutShort: boolean;
  /** P-256 mutual-TLS handshakes/s between the two processes: the mean of before and after the run. */
  tlsHandshakesPerSecond: number;
  tlsHandshakesPerSecondBefore: number;
  tlsHandshakesPerSecondAfter: number;
  /** CPU ms per handshake of the TLS server (in the emulator child) and of the client. */
  tlsServerCpuMsPerHandshake: number;
  tlsClientCpuMsPerHandshake: number;
  /** registrationsPerSecond / (tlsHandshakesPerSecond / 2): a registration costs two handshakes. */
  ceilingRatio: number;
  /**
   * The same ceiling measured with the flow's own two handshakes: the claim's (RSA-2048, as AWS
   * issues claims) and a P-256 one, alternately. The RSA client signature costs the load generator
   * about 0.7 ms more per claim handshake than a P-256 one, which the P-256 ceiling leaves out.
   */
  flowTlsHandshakesPerSecond: number;
  flowTlsServerCpuMsPerHandshake: number;
  flowTlsClientCpuMsPerHandshake: number;
  /** registrationsPerSecond / (flowTlsHandshakesPerSecond / 2). */
  flowCeilingRatio: number;
  /** CPU time per registration (user + system), less sensitive to other load than the wall rates. */
  emulatorCpuMsPerRegistration: number;
  loadGeneratorCpuMsPerRegistration: number;
}

/** The emulator child, forked on this file; resolves once it is ready (broker listening, claims made). */
async function startChild(dir: string, claims: number): Promise<{ child: ChildProcess; ready: ChildReady }> {
  const child = fork(here, [], {
    env: { ...process.env, CLOUD_BENCH_CHILD: '1', CLOUD_BENCH_DIR: dir, CLOUD_BENCH_CLAIMS: String(claims) },
    execArgv: [
      '--import',
      'tsx',
      '--expose-gc',
      ...(process.env.CLOUD_BENCH_CHILD_FLAGS?.split(' ').filter(Boolean) ?? []),
    ],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await new Promise<ChildReady>((resolve, reject) => {
    child.once('message', (m) => resolve(m as ChildReady));
    child.once('exit', (code) => reject(new Error(`emulator child exited with ${code}`)));
  });
  return { child, ready };
}

/** The simulated devices' side of one run: what they need and what they measured. */
interface Load {
  readonly ready: ChildReady;
  readonly csrs: { csrPem: string; keyPem: string }[];
  /** ms of each provisioned device's whole flow. */
  readonly latencies: number[];
  /** Devices connected with their new certificate (they stay connected). */
  readonly connectedDevices: LeanMqttClient[];
}

/**
 * A claim as the simulated device keeps it: the key re-encoded once as PKCS#8. AWS hands the claim's
 * RSA key out as PKCS#1 (`RSA PRIVATE KEY`), which OpenSSL 3 decodes about 0.45 ms slower than the
 * same key as PKCS#8 each time a TLS context is made, on every claim connection. Only the load
 * generator's own work changes: the emulator sees the same key, certificate and handshake.
 */
function asPkcs8(claim: { cert: string; key: string }): { cert: string; key: string } {
  return { cert: claim.cert, key: createPrivateKey(claim.key).export({ type: 'pkcs8', format: 'pem' }) as string };
}

/** Device i's fleet flow: connect with a claim, CreateCertificateFromCsr, RegisterThing, reconnect. */
async function device(load: Load, i: number): Promise<void> {
  const { ready } = load;
  const t0 = performance.now();
  const claim = ready.claims[i % ready.claims.length] as { cert: string; key: string };
  const { csrPem, keyPem } = load.csrs[i] as { csrPem: string; keyPem: string };
  const c = await connect(ready.port, ready.caPem, claim.cert, claim.key, `claim-${i}`);
  try {
    await c.subscribe(REPLY_FILTERS);
    const created = await c.request(CREATE_FROM_CSR, { certificateSigningRequest: csrPem });
    const registered = await c.request(REGISTER_THING, {
      certificateOwnershipToken: created.certificateOwnershipToken as string,
      parameters: { SerialNumber: `dev${i}` },
    });
    await c.disconnect();
    const d = await connect(
      ready.port,
      ready.caPem,
      created.certificatePem as string,
      keyPem,
      registered.thingName as string,
    );
    load.connectedDevices.push(d);
    load.latencies.push(performance.now() - t0);
  } finally {
    c.destroy();
  }
}

function disconnectAll(clients: LeanMqttClient[]): Promise<void[]> {
  return Promise.all(clients.map((d) => d.disconnect()));
}

/** Devices 0..devices-1, `inFlight` at a time, until done or RUN_BUDGET_MS is up. */
async function provisionAll(
  load: Load,
  devices: number,
  inFlight: number,
): Promise<{ failed: number; firstError?: string; cutShort: boolean; seconds: number }> {
  const out: { failed: number; firstError?: string; cutShort: boolean } = { failed: 0, cutShort: false };
  let next = 0;
  const started = performance.now();
  const deadline = started + RUN_BUDGET_MS;
  async function worker(): Promise<void> {
    while (next < devices) {
      if (performance.now() > deadline) {
        out.cutShort = true;
        return;
      }
      const i = next++;
      try {
        await device(load, i);
      } catch (err) {
        out.failed++;
        out.firstError ??= (err as Error).message;
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(inFlight, devices) }, worker));
  return { ...out, seconds: (performance.now() - started) / 1000 };
}

/** Handshakes per TLS ceiling measurement; CLOUD_BENCH_TLS_HANDSHAKES=0 skips it (e.g. when profiling). */
const tlsHandshakeCount = (): number => Number(process.env.CLOUD_BENCH_TLS_HANDSHAKES ?? TLS_CEILING_HANDSHAKES);
/** Handshakes before each measurement, not counted (JIT, the TLS session machinery). */
const TLS_WARMUP_HANDSHAKES = 100;

interface TlsCeilingFigures {
  handshakesPerSecond: number;
  /** CPU time per handshake (user + system) of the server (emulator child) and of the client. */
  serverCpuMs: number;
  clientCpuMs: number;
}

async function tlsCeiling(
  child: ChildProcess,
  target: TlsCeilingTarget | readonly TlsCeilingTarget[],
): Promise<TlsCeilingFigures> {
  const tlsHandshakes = tlsHandshakeCount();
  if (tlsHandshakes === 0) return { handshakesPerSecond: NaN, serverCpuMs: NaN, clientCpuMs: NaN };
  await measureTlsHandshakes(target, Math.min(TLS_WARMUP_HANDSHAKES, tlsHandshakes));
  const server = await ask<ChildRss>(child, { type: 'rss' }, 'rss');
  const client = process.cpuUsage();
  const handshakesPerSecond = await measureTlsHandshakes(target, tlsHandshakes);
  const clientCpu = process.cpuUsage(client);
  const serverAfter = await ask<ChildRss>(child, { type: 'rss' }, 'rss');
  return {
    handshakesPerSecond,
    serverCpuMs: (serverAfter.cpuMs - server.cpuMs) / tlsHandshakes,
    clientCpuMs: (clientCpu.user + clientCpu.system) / 1000 / tlsHandshakes,
  };
}

async function runOnce({ devices, inFlight }: RunShape): Promise<RunFigures> {
  const dir = await mkdtemp(join(tmpdir(), 'cloud-bench-'));
  const { child, ready: fromChild } = await startChild(dir, inFlight);
  const ready = { ...fromChild, claims: fromChild.claims.map(asPkcs8) };
  // As many at once as the run has in flight: more would share a claim past its rate limit.
  const warmUp = Math.min(WARMUP_DEVICES, inFlight);
  const csrs = await Promise.all(Array.from({ length: devices + warmUp }, (_, i) => makeCsr(`dev${i}`)));
  const load: Load = { ready, csrs, latencies: [], connectedDevices: [] };
  // The flow's own pair: the claim's handshake (AWS issues claims with RSA-2048 keys), then a P-256 one.
  const claim = ready.claims[0] as { cert: string; key: string };
  const flowPair = [{ ...ready.tls, cert: claim.cert, key: claim.key }, ready.tls];
  const tlsBefore = await tlsCeiling(child, ready.tls);
  const flowBefore = await tlsCeiling(child, flowPair);

  // Warm-up: provision a few devices, disconnect them, then take the baseline.
  await Promise.all(Array.from({ length: warmUp }, (_, k) => device(load, devices + k)));
  await disconnectAll(load.connectedDevices.splice(0));
  load.latencies.length = 0;
  const baseline = await ask<ChildRss>(child, { type: 'rss' }, 'rss');
  await ask(child, { type: 'reset-peak' }, 'reset');
  const loadCpuBefore = process.cpuUsage();
  const { failed, firstError, cutShort, seconds } = await provisionAll(load, devices, inFlight);
  const loadCpu = process.cpuUsage(loadCpuBefore);
  // The broker counts a client once aedes has finished its CONNECT work, a moment after CONNACK.
  let atPeak = await ask<ChildRss>(child, { type: 'rss' }, 'rss');
  const emulatorCpuMs = atPeak.cpuMs - baseline.cpuMs;
  for (let i = 0; i < 20 && atPeak.connected < load.connectedDevices.length; i++) {
    await new Promise((r) => setTimeout(r, 100));
    atPeak = await ask<ChildRss>(child, { type: 'rss' }, 'rss');
  }

  await disconnectAll(load.connectedDevices);
  const tlsAfter = await tlsCeiling(child, ready.tls);
  const flowAfter = await tlsCeiling(child, flowPair);
  child.send({ type: 'stop' });
  await new Promise((r) => child.once('exit', r));
  await rm(dir, { recursive: true, force: true });

  const { latencies } = load;
  const sorted = [...latencies].sort((a, b) => a - b);
  const mib = (b: number): number => Math.round((b / 1048576) * 10) / 10;
  const registrationsPerSecond = latencies.length / seconds;
  const tls = (tlsBefore.handshakesPerSecond + tlsAfter.handshakesPerSecond) / 2;
  const flowTls = (flowBefore.handshakesPerSecond + flowAfter.handshakesPerSecond) / 2;
  const round2 = (n: number): number => Math.round(n * 100) / 100;
  return {
    devices,
    inFlight,
    succeeded: latencies.length,
    failed,
    ...(firstError !== undefined ? { firstError } : {}),
    seconds: Math.round(seconds * 100) / 100,
    registrationsPerSecond: Math.round(registrationsPerSecond * 10) / 10,
    p50Ms: Math.round(percentile(sorted, 50)),
    p95Ms: Math.round(percentile(sorted, 95)),
    baselineRssMiB: mib(baseline.rss),
    peakRssMiB: mib(atPeak.peakRss),
    connectedAtPeak: atPeak.connected,
    rssPerConnectedDeviceKiB:
      atPeak.connected > 0 ? Math.round((atPeak.peakRss - baseline.rss) / 1024 / atPeak.connected) : NaN,
    cutShort,
    tlsHandshakesPerSecond: Math.round(tls),
    tlsHandshakesPerSecondBefore: Math.round(tlsBefore.handshakesPerSecond),
    tlsHandshakesPerSecondAfter: Math.round(tlsAfter.handshakesPerSecond),
    tlsServerCpuMsPerHandshake: round2((tlsBefore.serverCpuMs + tlsAfter.serverCpuMs) / 2),
    tlsClientCpuMsPerHandshake: round2((tlsBefore.clientCpuMs + tlsAfter.clientCpuMs) / 2),
    flowTlsHandshakesPerSecond: Math.round(flowTls),
    flowTlsServerCpuMsPerHandshake: round2((flowBefore.serverCpuMs + flowAfter.serverCpuMs) / 2),
    flowTlsClientCpuMsPerHandshake: round2((flowBefore.clientCpuMs + flowAfter.clientCpuMs) / 2),
    flowCeilingRatio: Math.round((registrationsPerSecond / (flowTls / 2)) * 100) / 100,
    ceilingRatio: Math.round((registrationsPerSecond / (tls / 2)) * 100) / 100,
    emulatorCpuMsPerRegistration: round2(emulatorCpuMs / latencies.length),
    loadGeneratorCpuMsPerRegistration: round2((loadCpu.user + loadCpu.system) / 1000 / latencies.length),
  };
}

/**
 * CLOUD_BENCH_RUNS="1000@50,1000@8" (devices@in-flight; "500" alone means CONCURRENCY in flight)
 * replaces RUNS, for quick looks and profiling.
 */
export function runShapes(knob: string | undefined): readonly RunShape[] {
  if (!knob) return RUNS;
  return knob.split(',').map((part) => {
    const [devices, inFlight] = part.split('@').map(Number);
    if (!Number.isInteger(devices) || (devices as number) < 1 || (inFlight !== undefined && !(inFlight >= 1)))
      throw new Error(`CLOUD_BENCH_RUNS: "${part}" is not devices or devices@in-flight (e.g. 1000@16)`);
    return { devices: devices as number, inFlight: inFlight ?? CONCURRENCY };
  });
}

export async function run(): Promise<BenchReport> {
  x509.cryptoProvider.set(webcrypto as unknown as Crypto);
  const results: RunFigures[] = [];
  for (const shape of runShapes(process.env.CLOUD_BENCH_RUNS)) results.push(await runOnce(shape));
  printTable(results);
  // The JSON's headline figures: the largest fleet at CONCURRENCY in flight (else the first largest).
  const size = Math.max(...results.map((r) => r.devices));
  const largest = results.filter((r) => r.devices === size);
  const headline = largest.find((r) => r.inFlight === CONCURRENCY) ?? largest[0];
  if (!headline) throw new Error('cloud bench: no run was measured');
  const report: BenchReport = {
    name: 'cloud',
    results: {
      concurrency: CONCURRENCY,
      tlsHandshakesPerMeasurement: tlsHandshakeCount(),
      devices: headline.devices,
      registrationsPerSecond: headline.registrationsPerSecond,
      tlsHandshakesPerSecond: headline.tlsHandshakesPerSecond,
      ceilingRatio: headline.ceilingRatio,
      flowCeilingRatio: headline.flowCeilingRatio,
      p95Ms: headline.p95Ms,
      rssPerConnectedDeviceKiB: headline.rssPerConnectedDeviceKiB,
      runs: results,
    },
    summary: results.flatMap(summaryRows),
  };
  console.log(JSON.stringify(report));
  return report;
}

function printTable(results: RunFigures[]): void {
  console.log(
    '\ncloud: fleet provisioning through the emulator (one claim per device in flight, emulator in a child process)',
  );
  console.table(
    results.map((r) => ({
      devices: r.devices,
      'in flight': r.inFlight,
      ok: r.succeeded,
      failed: r.failed,
      'wall s': r.seconds,
      'registrations/s': r.registrationsPerSecond,
      'TLS hs/s P-256': r.tlsHandshakesPerSecond,
      'of ceiling': r.ceilingRatio,
      "TLS hs/s flow's": r.flowTlsHandshakesPerSecond,
      "of flow's ceiling": r.flowCeilingRatio,
      'p50 ms': r.p50Ms,
      'p95 ms': r.p95Ms,
      'CPU ms/reg emulator': r.emulatorCpuMsPerRegistration,
      'CPU ms/reg load': r.loadGeneratorCpuMsPerRegistration,
      'KiB/connected device': r.rssPerConnectedDeviceKiB,
    })),
  );
  for (const r of results) if (r.firstError) console.log(`devices=${r.devices}: first error: ${r.firstError}`);
}

function summaryRows(r: RunFigures): { figure: string; value: string }[] {
  const run = `${r.devices} devices, ${r.inFlight} in flight`;
  return [
    {
      figure: `fleet provisioning, ${run}: registrations/s (wall)`,
      value: `${r.registrationsPerSecond}${r.failed ? ` (${r.failed} failed)` : ''}${r.cutShort ? ' (cut short)' : ''}`,
    },
    {
      figure: `${run}: mutual-TLS handshakes/s in the same run, P-256 / the flow's pair (RSA claim, P-256), ${TLS_CEILING_CONCURRENCY} in flight (wall)`,
      value: `${r.tlsHandshakesPerSecond} / ${r.flowTlsHandshakesPerSecond}`,
    },
    {
      figure: `${run}: registrations/s ÷ (handshakes/s ÷ 2), the share of the TLS ceiling: P-256 / the flow's`,
      value: `${r.ceilingRatio} / ${r.flowCeilingRatio}`,
    },
    {
      figure: `${run}: p50 / p95 of one device's flow (wall)`,
      value: `${r.p50Ms} / ${r.p95Ms} ms`,
    },
    {
      figure: `${run}: emulator memory per connected device`,
      value: `${r.rssPerConnectedDeviceKiB} KiB`,
    },
  ];
}

if (process.env.CLOUD_BENCH_CHILD === '1') {
  childMain().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
