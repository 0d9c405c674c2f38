/**
 * `npm run bench -- framing`: frames and bytes on air for a realistic provisioning bundle (the
 * sealed `wifi` and `claim` messages with an RSA-2048 claim key and certificate) at ATT payload 20,
 * 182, 244 and 509, against the minimum ceil(bytes / payload). Counts, not seconds.
 */
import { KeyObject, webcrypto } from 'node:crypto';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import type { BenchReport, SummaryRow } from './run.js';
import { encodeMessage } from '../protocol/codec.js';
import { frameCount, fragment } from '../protocol/framing.js';
import type { ClaimMessage, WifiMessage } from '../protocol/messages.js';
import { SEAL_OVERHEAD_BYTES } from '../protocol/session/channel.js';

const PAYLOADS = [20, 182, 244, 509] as const;
const TARGET = { 20: 0.15, 182: 0.05, 244: 0.05, 509: 0.05 } as const;

interface ClaimCredentials {
  certificatePem: string;
  privateKeyPem: string;
  caPem: string;
}

async function claimCredentials(): Promise<ClaimCredentials> {
  x509.cryptoProvider.set(webcrypto as unknown as Crypto);
  const alg = {
    name: 'RSASSA-PKCS1-v1_5',
    hash: 'SHA-256',
    publicExponent: new Uint8Array([1, 0, 1]),
    modulusLength: 2048,
  };
  const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  // AWS IoT claim certificates: issued by the AWS IoT CA to an RSA-2048 key, ~1.2 KB of PEM.
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: '5a3c0e9b7d1f2468ace013579bdf0246813579bd',
    issuer: 'OU=Amazon Web Services O=Amazon.com Inc. L=Seattle ST=Washington C=US',
    subject: 'CN=AWS IoT Certificate',
    notBefore: new Date('2026-01-01T00:00:00Z'),
    notAfter: new Date('2049-12-31T23:59:59Z'),
    signingAlgorithm: alg,
    publicKey: keys.publicKey,
    signingKey: keys.privateKey,
  });
  // The endpoint's CA (like Amazon Root CA 1: RSA-2048, self-signed), sent so the device can verify the broker.
  const caKeys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '066c9fcf99bf8c0a39e2f0788a43e696365bca',
    name: 'CN=Amazon Root CA 1, O=Amazon, C=US',
    notBefore: new Date('2015-05-26T00:00:00Z'),
    notAfter: new Date('2038-01-17T00:00:00Z'),
    signingAlgorithm: alg,
    keys: caKeys,
  });
  const pkcs1 = KeyObject.from(keys.privateKey).export({ type: 'pkcs1', format: 'pem' }) as string;
  return { certificatePem: cert.toString('pem') + '\n', privateKeyPem: pkcs1, caPem: ca.toString('pem') + '\n' };
}

/** The sealed `wifi` and `claim` messages of one provisioning (zeros of their sealed length). */
async function provisioningBundle(): Promise<{ messages: Uint8Array[]; credentials: ClaimCredentials }> {
  const credentials = await claimCredentials();
  const wifi: WifiMessage = {
    type: 'wifi',
    ssid: new TextEncoder().encode('Kitchen-5G'),
    passphrase: 'correct horse battery staple',
  };
  const claim: ClaimMessage = {
    type: 'claim',
    ...credentials,
    host: 'a1b2c3d4e5f6g7-ats.iot.eu-west-1.amazonaws.com',
    port: 8883,
    templateName: 'TrustedUserProvisioningTemplate',
    parameters: {
      SerialNumber: 'RPI4-00000000a1b2c3d4',
      DeviceLocation: 'Kitchen, 2nd floor',
      Model: 'Raspberry Pi 4 Model B',
    },
    expiresAt: 1_795_000_000,
  };
  // Sealed sizes (SESSION.md §7.2): the framing carries CBOR + the session's 24-byte overhead.
  const messages = [encodeMessage(wifi), encodeMessage(claim)].map(
    (m) => new Uint8Array(m.length + SEAL_OVERHEAD_BYTES),
  );
  return { messages, credentials };
}

type PayloadRow = ReturnType<typeof payloadRows>[number];

/** Frames and bytes sent at each ATT payload, against the minimum ceil(bytes / payload). */
function payloadRows(messages: Uint8Array[], messageBytes: number) {
  return PAYLOADS.map((payload) => {
    const frames = messages.map((m, i) => fragment(m, payload, i));
    const framesSent = frames.reduce((n, f) => n + f.length, 0);
    const bytesSent = frames.flat().reduce((n, f) => n + f.length, 0);
    const minFrames = Math.ceil(messageBytes / payload);
    const minFramesPerMessage = messages.reduce((n, m) => n + Math.ceil(m.length / payload), 0);
    return {
      payload,
      framesSent,
      minFrames,
      minFramesPerMessage,
      frameOverhead: framesSent / minFramesPerMessage - 1,
      frameOverheadVsOneMessage: framesSent / minFrames - 1,
      bytesSent,
      minBytes: messageBytes,
      byteOverhead: bytesSent / messageBytes - 1,
      target: TARGET[payload],
    };
  });
}

type SweepRow = ReturnType<typeof sweepRows>[number];

/** Quantization: how often framing costs an extra frame, over every bundle size from 3.5 to 4.6 KB. */
function sweepRows() {
  return PAYLOADS.map((payload) => {
    let frames = 0;
    let minimum = 0;
    let worst = 0;
    for (let n = 3500; n <= 4600; n++) {
      const f = frameCount(86, payload) + frameCount(n, payload);
      const m = Math.ceil(86 / payload) + Math.ceil(n / payload);
      frames += f;
      minimum += m;
      worst = Math.max(worst, f / m - 1);
    }
    return { payload, meanFrameOverhead: frames / minimum - 1, worstFrameOverhead: worst };
  });
}

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

function printTables(
  messages: Uint8Array[],
  messageBytes: number,
  c: ClaimCredentials,
  rows: PayloadRow[],
  sweep: SweepRow[],
): void {
  console.log(
    `framing: provisioning bundle = wifi ${messages[0]!.length} B + claim ${messages[1]!.length} B (sealed, RSA-2048 key ${c.privateKeyPem.length} B, certificate ${c.certificatePem.length} B, CA ${c.caPem.length} B) = ${messageBytes} B`,
  );
  console.log(
    'payload | frames | min (per msg) | min (as one) | frame ovh | bytes on air | min bytes | byte ovh | target',
  );
  for (const r of rows) {
    console.log(
      `${String(r.payload).padStart(7)} | ${String(r.framesSent).padStart(6)} | ${String(r.minFramesPerMessage).padStart(13)} | ${String(r.minFrames).padStart(12)} | ${pct(r.frameOverhead).padStart(9)} | ${String(r.bytesSent).padStart(12)} | ${String(r.minBytes).padStart(9)} | ${pct(r.byteOverhead).padStart(8)} | <= ${pct(r.target)}`,
    );
  }
  console.log('sweep over bundle sizes 3586-4686 B: payload | mean frame overhead | worst');
  for (const w of sweep)
    console.log(
      `${String(w.payload).padStart(7)} | ${pct(w.meanFrameOverhead).padStart(19)} | ${pct(w.worstFrameOverhead)}`,
    );
}

/** The headline rows: the bundle, and frames and overhead at ATT payload 20 and 244. */
function summaryRows(messageBytes: number, rows: PayloadRow[]): SummaryRow[] {
  const headline = rows.filter((r) => r.payload === 20 || r.payload === 244);
  return [
    { figure: 'provisioning bundle: sealed wifi + claim (RSA-2048 claim key)', value: `${messageBytes} B` },
    ...headline.flatMap((r) => [
      {
        figure: `frames at ATT payload ${r.payload} (minimum per message)`,
        value: `${r.framesSent} (${r.minFramesPerMessage})`,
      },
      { figure: `bytes-on-air overhead of the framing at ATT payload ${r.payload}`, value: pct(r.byteOverhead) },
    ]),
  ];
}

export async function run(): Promise<BenchReport> {
  const { messages, credentials } = await provisioningBundle();
  const messageBytes = messages.reduce((n, m) => n + m.length, 0);
  const rows = payloadRows(messages, messageBytes);
  const sweep = sweepRows();
  printTables(messages, messageBytes, credentials, rows, sweep);
  const results = {
    sweep,
    messageBytes,
    wifiBytes: messages[0]!.length,
    claimBytes: messages[1]!.length,
    rows,
    bytesWithinTarget: rows.every((r) => r.byteOverhead <= r.target),
    framesWithinTarget: rows.every((r) => r.frameOverhead <= r.target),
  };
  // A frame count can exceed the minimum by one per message when a message's length lands within
  // its header bytes (7 + 1 per continuation frame) of a multiple of the payload: see the sweep.
  console.log(`bytes within target: ${results.bytesWithinTarget}; frames within target: ${results.framesWithinTarget}`);
  console.log(JSON.stringify({ bench: 'framing', ...results }));
  return { name: 'framing', results, summary: summaryRows(messageBytes, rows) };
}
