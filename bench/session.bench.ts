/**
 * `npm run bench -- session`: CPU time of one SPAKE2+ session handshake on each side (phone =
 * prover with PBKDF2, device = verifier), the bytes on the wire per handshake, and the cost of
 * sealing/opening one message. CPU time is process.cpuUsage (user + system) summed over many runs.
 */
import type { BenchReport, SummaryRow } from './run.js';
import { nodePbkdf2Sha256, nodeRandom } from '../apps/central/cli/node-crypto.js';
import { AttemptLimiter, MemoryAttemptStore } from '../protocol/session/attempts.js';
import { SEAL_OVERHEAD_BYTES, type SecureChannel } from '../protocol/session/channel.js';
import type { HandshakeResult } from '../protocol/session/handshake.js';
import { SessionInitiator } from '../protocol/session/initiator.js';
import { SessionResponder } from '../protocol/session/responder.js';
import { generateSetupCode } from '../protocol/session/setup-code.js';
import type { SetupCode } from '../protocol/session/setup-code.js';
import { DEFAULT_PBKDF2_ITERATIONS, deriveSecrets, makeVerifier } from '../protocol/session/verifier.js';
import type { SetupVerifier } from '../protocol/session/verifier.js';

const random = nodeRandom;
const RUNS = 30;
const WARMUP = 3;
const SEAL_RUNS = 2000;
const SEAL_BYTES = 1024;

function cpuMs<T>(fn: () => T, acc: { ms: number }): T {
  const start = process.cpuUsage();
  const out = fn();
  const d = process.cpuUsage(start);
  acc.ms += (d.user + d.system) / 1000;
  return out;
}

/** One handshake between a fresh phone and device: its messages and bytes, and both ends' channels. */
function handshake(
  code: SetupCode,
  verifier: SetupVerifier,
  info: Uint8Array,
  p: { ms: number },
  d: { ms: number },
): { messages: number; p2d: number; d2p: number; phoneChannel: SecureChannel; deviceChannel?: SecureChannel } {
  const limiter = new AttemptLimiter(new MemoryAttemptStore(), Date.now);
  const phone = cpuMs(() => new SessionInitiator({ setupCode: code, deviceId: 'bench-device', info, random }), p);
  const device = new SessionResponder({ verifier, info, random, attempts: limiter, clock: Date.now });
  let toDevice: Uint8Array | undefined = cpuMs(() => phone.start(), p);
  let last: HandshakeResult | undefined;
  let deviceChannel: SecureChannel | undefined;
  let messages = 0;
  let p2d = 0;
  let d2p = 0;
  while (toDevice) {
    const msg: Uint8Array = toDevice;
    p2d += msg.length;
    messages++;
    const r = cpuMs(() => device.receive(msg), d);
    if (r.status === 'established') deviceChannel = r.channel;
    if (!r.reply) throw new Error('device ended without a reply');
    const back = r.reply;
    d2p += back.length;
    messages++;
    last = cpuMs(() => phone.receive(back), p);
    if (last.status === 'failed') throw last.error;
    toDevice = last.reply;
  }
  if (last?.status !== 'established') throw new Error('handshake did not complete');
  return { messages, p2d, d2p, phoneChannel: last.channel, ...(deviceChannel ? { deviceChannel } : {}) };
}

/** CPU time of sealing SEAL_RUNS messages of SEAL_BYTES on one end and opening them on the other. */
function sealAndOpen(sender: SecureChannel, receiver: SecureChannel, sealCpu: { ms: number }, openCpu: { ms: number }) {
  const plain = random(SEAL_BYTES);
  const sealed = cpuMs(() => Array.from({ length: SEAL_RUNS }, () => sender.seal(3, plain)), sealCpu);
  cpuMs(() => {
    for (const m of sealed) receiver.open(3, m);
  }, openCpu);
}

/** CPU work only, so it runs to the end at once. */
export function run(): BenchReport {
  const info = new TextEncoder().encode('{"v":1,"name":"bench-device","transports":["ble","softap"]}');
  const code = generateSetupCode(random);
  const verifier = makeVerifier({ deviceId: 'bench-device', code, random, iterations: DEFAULT_PBKDF2_ITERATIONS });
  const phoneCpu = { ms: 0 };
  const deviceCpu = { ms: 0 };
  const pbkdfCpu = { ms: 0 };
  const nativePbkdfCpu = { ms: 0 };
  const wire = { phoneToDevice: 0, deviceToPhone: 0, messages: 0 };
  const sealCpu = { ms: 0 };
  const openCpu = { ms: 0 };

  for (let i = 0; i < WARMUP + RUNS; i++) {
    const measured = i >= WARMUP;
    const h = handshake(code, verifier, info, measured ? phoneCpu : { ms: 0 }, measured ? deviceCpu : { ms: 0 });
    if (measured) {
      wire.phoneToDevice = h.p2d;
      wire.deviceToPhone = h.d2p;
      wire.messages = h.messages;
      cpuMs(() => deriveSecrets(code, verifier), pbkdfCpu);
      cpuMs(() => deriveSecrets(code, verifier, nodePbkdf2Sha256), nativePbkdfCpu);
    }
    if (i === WARMUP + RUNS - 1 && h.deviceChannel) sealAndOpen(h.phoneChannel, h.deviceChannel, sealCpu, openCpu);
  }

  const results = figures(
    phoneCpu.ms,
    deviceCpu.ms,
    { js: pbkdfCpu.ms, native: nativePbkdfCpu.ms },
    wire,
    sealCpu.ms,
    openCpu.ms,
  );
  print(results);
  console.log(JSON.stringify({ name: 'session', results }));
  return { name: 'session', results, summary: summaryRows(results) };
}

/** The JSON figures from the CPU totals (ms over RUNS handshakes, or over SEAL_RUNS seals/opens). */
function figures(
  phoneTotalMs: number,
  deviceTotalMs: number,
  pbkdfTotalMs: { js: number; native: number },
  wire: { phoneToDevice: number; deviceToPhone: number; messages: number },
  sealTotalMs: number,
  openTotalMs: number,
) {
  const phoneMs = phoneTotalMs / RUNS;
  const deviceMs = deviceTotalMs / RUNS;
  return {
    runs: RUNS,
    pbkdf2Iterations: DEFAULT_PBKDF2_ITERATIONS,
    phoneCpuMsPerHandshake: round(phoneMs),
    phonePbkdf2CpuMs: round(pbkdfTotalMs.js / RUNS),
    /** The Node phone (apps/central/cli/node-crypto.ts) derives with OpenSSL's PBKDF2 instead. */
    phonePbkdf2NativeCpuMs: round(pbkdfTotalMs.native / RUNS),
    phoneCpuMsPerHandshakeNative: round(phoneMs - (pbkdfTotalMs.js - pbkdfTotalMs.native) / RUNS),
    deviceCpuMsPerHandshake: round(deviceMs),
    phoneToDeviceRatio: round(phoneMs / deviceMs),
    handshakeMessages: wire.messages,
    roundTrips: wire.messages / 2,
    wireBytesPhoneToDevice: wire.phoneToDevice,
    wireBytesDeviceToPhone: wire.deviceToPhone,
    wireBytesPerHandshake: wire.phoneToDevice + wire.deviceToPhone,
    sealOverheadBytes: SEAL_OVERHEAD_BYTES,
    sealCpuUsPer1KiB: round((sealTotalMs * 1000) / SEAL_RUNS),
    openCpuUsPer1KiB: round((openTotalMs * 1000) / SEAL_RUNS),
  };
}

type SessionFigures = ReturnType<typeof figures>;

function print(results: SessionFigures): void {
  console.log('session handshake (SPAKE2+ P-256, PBKDF2 %d iterations, %d runs)', DEFAULT_PBKDF2_ITERATIONS, RUNS);
  console.table({
    phone: {
      'CPU ms / handshake': results.phoneCpuMsPerHandshake,
      'of which PBKDF2 ms': results.phonePbkdf2CpuMs,
      'bytes sent': results.wireBytesPhoneToDevice,
    },
    'phone, native PBKDF2 (Node)': {
      'CPU ms / handshake': results.phoneCpuMsPerHandshakeNative,
      'of which PBKDF2 ms': results.phonePbkdf2NativeCpuMs,
      'bytes sent': results.wireBytesPhoneToDevice,
    },
    device: {
      'CPU ms / handshake': results.deviceCpuMsPerHandshake,
      'of which PBKDF2 ms': 0,
      'bytes sent': results.wireBytesDeviceToPhone,
    },
  });
  console.log(
    `phone/device CPU ratio ${results.phoneToDeviceRatio}; ${results.handshakeMessages} messages (${results.roundTrips} round trips), ${results.wireBytesPerHandshake} bytes per handshake; ` +
      `seal overhead ${SEAL_OVERHEAD_BYTES} bytes; seal ${results.sealCpuUsPer1KiB} us / open ${results.openCpuUsPer1KiB} us per 1 KiB message`,
  );
}

function summaryRows(results: SessionFigures): SummaryRow[] {
  return [
    {
      figure: `SPAKE2+ handshake, phone CPU (PBKDF2 ${DEFAULT_PBKDF2_ITERATIONS} iterations)`,
      value: `${results.phoneCpuMsPerHandshake.toFixed(1)} ms CPU`,
    },
    {
      figure: 'SPAKE2+ handshake, phone CPU with native PBKDF2 (the Node phone: apps/central/cli/node-crypto.ts)',
      value: `${results.phoneCpuMsPerHandshakeNative.toFixed(1)} ms CPU`,
    },
    { figure: 'SPAKE2+ handshake, device CPU', value: `${results.deviceCpuMsPerHandshake.toFixed(1)} ms CPU` },
    { figure: 'handshake on the wire', value: `${results.roundTrips} round trips, ${results.wireBytesPerHandshake} B` },
    {
      figure: 'seal / open one 1 KiB message',
      value: `${results.sealCpuUsPer1KiB.toFixed(0)} / ${results.openCpuUsPer1KiB.toFixed(0)} µs CPU (+${SEAL_OVERHEAD_BYTES} B)`,
    },
  ];
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
