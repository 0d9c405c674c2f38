/** Secrets (setup code, w0/w1, keys, plaintexts) never appear in thrown errors or logs. */
import { inspect } from 'node:util';
import { bytesToHex } from '@noble/hashes/utils.js';
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import { utf8 } from '../../protocol/session/bytes.js';
import { formatSetupCode, generateSetupCode, parseSetupCode } from '../../protocol/session/setup-code.js';
import { parseSetupPayload } from '../../protocol/session/setup-payload.js';
import { deriveSecrets } from '../../protocol/session/verifier.js';
import { initiator, makeDevice, pump, responder, seededRandom } from './harness.js';

const dev = makeDevice('secrets');
const secrets = deriveSecrets(dev.code, dev.verifier)!;
const PSK = 'correct horse battery staple';
const needles = [
  dev.code,
  formatSetupCode(dev.code),
  dev.code.toLowerCase(),
  bytesToHex(secrets.w0),
  bytesToHex(secrets.w1),
  PSK,
];

function render(err: unknown): string {
  const e = err as Error & { cause?: unknown };
  return [
    String(e),
    e.stack ?? '',
    JSON.stringify(e),
    inspect(e, { depth: 5 }),
    e.cause ? inspect(e.cause, { depth: 5 }) : '',
  ].join('\n');
}

function expectClean(errors: unknown[]): void {
  expect(errors.length).toBeGreaterThan(0);
  for (const err of errors) {
    const text = render(err);
    for (const n of needles) expect(text.includes(n), `secret found in: ${String(err)}`).toBe(false);
  }
}

let logs: MockInstance[] = [];
beforeEach(() => {
  logs = (['log', 'info', 'warn', 'error', 'debug'] as const).map((m) => vi.spyOn(console, m));
});
afterEach(() => {
  for (const l of logs) {
    expect(l).not.toHaveBeenCalled();
    l.mockRestore();
  }
});

describe('secrets stay out of errors and logs', () => {
  it('in every handshake failure', () => {
    const errors: unknown[] = [];
    const wrongCode = generateSetupCode(seededRandom('not the code'));
    const attempts = [
      pump(initiator({ setupCode: wrongCode }), responder({ verifier: dev.verifier }).device),
      pump(initiator({ setupCode: dev.code, deviceId: 'other' }), responder({ verifier: dev.verifier }).device),
      pump(initiator({ setupCode: dev.code }), responder({ verifier: dev.verifier }).device, (i, b) =>
        i === 4 ? b.map((x, j) => (j === 5 ? x ^ 1 : x)) : b,
      ),
      pump(initiator({ setupCode: dev.code }), responder({ verifier: dev.verifier }).device, (i, b) =>
        i === 3 ? b.map((x, j) => (j === 10 ? x ^ 1 : x)) : b,
      ),
    ];
    for (const x of attempts) for (const r of [x.phone, x.device]) if (r?.status === 'failed') errors.push(r.error);
    expect(errors.length).toBeGreaterThanOrEqual(6);
    expectClean(errors);
  });

  it('in setup code and payload parsing', () => {
    const errors: unknown[] = [];
    const typo = dev.code.slice(0, 10) + (dev.code[10] === 'A' ? 'B' : 'A');
    needles.push(typo);
    for (const input of [typo, `${dev.code}X`, `tup:1?n=x&c=${typo}&t=ble`, `tup:1?n=x y&c=${dev.code}&t=ble`]) {
      try {
        if (input.startsWith('tup:')) parseSetupPayload(input);
        else parseSetupCode(input);
      } catch (err) {
        errors.push(err);
      }
    }
    expect(errors).toHaveLength(4);
    expectClean(errors);
    needles.pop();
  });

  it('in channel failures', () => {
    const x = pump(initiator({ setupCode: dev.code }), responder({ verifier: dev.verifier }).device);
    const sealed = x.phoneChannel!.seal(3, utf8(`{"psk":"${PSK}"}`));
    const errors: unknown[] = [];
    for (const bad of [sealed.slice(0, 20), sealed.map((b, i) => (i === 12 ? b ^ 1 : b)), sealed]) {
      try {
        x.deviceChannel!.open(3, bad);
      } catch (err) {
        errors.push(err);
      }
    }
    expectClean(errors);
  });
});
