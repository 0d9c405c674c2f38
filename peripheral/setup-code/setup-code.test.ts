import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AttemptLimiter } from '../../protocol/session/attempts.js';
import { SessionResponder } from '../../protocol/session/responder.js';
import { generateSetupCode } from '../../protocol/session/setup-code.js';
import { parseSetupPayload } from '../../protocol/session/setup-payload.js';
import { FakeClock, INFO, initiator, pump, seededRandom } from '../../test/session/harness.js';
import { FileAttemptStore } from './attempt-store.js';
import { runMakeSetupCodeCli } from './cli.js';
import { makeSetupCode } from './make-setup-code.js';
import { readVerifierFile, verifierToJson } from './verifier-file.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'setup-code-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const mode = (p: string): number => statSync(p).mode & 0o777;

describe('make-setup-code', () => {
  it('writes a 0600 verifier without the code, and QR files; the code then opens a session with the device', async () => {
    const made = await makeSetupCode({
      deviceId: 'pi-kitchen',
      transports: ['ble', 'softap'],
      outDir: join(dir, 'out'),
      png: true,
      svg: true,
      iterations: 1000,
      random: seededRandom('mk'),
    });
    expect(mode(made.verifierPath)).toBe(0o600);
    expect(mode(made.pngPath!)).toBe(0o600);
    expect(mode(made.svgPath!)).toBe(0o600);
    expect([...readFileSync(made.pngPath!).subarray(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
    expect(readFileSync(made.svgPath!, 'utf8')).toContain('<svg');
    const text = readFileSync(made.verifierPath, 'utf8');
    expect(text).not.toContain(made.code);
    expect(JSON.parse(text)).toEqual(verifierToJson(made.verifier));
    expect(parseSetupPayload(made.payload)).toEqual({
      deviceId: 'pi-kitchen',
      setupCode: made.code,
      transports: ['ble', 'softap'],
    });

    const verifier = readVerifierFile(made.verifierPath);
    const store = new FileAttemptStore(join(dir, 'attempts.json'));
    const clock = new FakeClock();
    const device = new SessionResponder({
      verifier,
      info: INFO,
      random: seededRandom('y'),
      attempts: new AttemptLimiter(store, clock.now),
      clock: clock.now,
    });
    const x = pump(initiator({ setupCode: made.formatted, deviceId: 'pi-kitchen' }), device);
    expect(x.phone?.status).toBe('established');
    expect(x.device?.status).toBe('established');
  });

  it('refuses to replace a verifier without --force', async () => {
    const o = { deviceId: 'pi-kitchen', transports: ['ble'] as const, outDir: dir, iterations: 1000 };
    await makeSetupCode(o);
    await expect(makeSetupCode(o)).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    await expect(makeSetupCode({ ...o, force: true })).resolves.toBeDefined();
  });

  it('rejects a tampered or foreign verifier file', async () => {
    const made = await makeSetupCode({ deviceId: 'pi-kitchen', transports: ['ble'], outDir: dir, iterations: 1000 });
    const json = JSON.parse(readFileSync(made.verifierPath, 'utf8')) as Record<string, unknown>;
    for (const patch of [
      { w0: '00'.repeat(32) },
      { L: `04${'11'.repeat(64)}` },
      { iterations: 5 },
      { kdf: 'scrypt' },
      { format: 'x' },
      { salt: '!!' },
    ]) {
      const p = join(dir, 'bad.json');
      writeFileSync(p, JSON.stringify({ ...json, ...patch }));
      expect(() => readVerifierFile(p)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    }
  });

  it('runs as a CLI and exits 2 on bad usage', async () => {
    const out = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const err = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      expect(await runMakeSetupCodeCli(['--name', 'pi-1', '--out', dir, '--iterations', '1000', '--quiet'])).toBe(0);
      const line = JSON.parse(String(out.mock.calls.at(-1)?.[0])) as { payload: string };
      expect(parseSetupPayload(line.payload).deviceId).toBe('pi-1');
      expect(await runMakeSetupCodeCli(['--bogus'])).toBe(2);
      expect(await runMakeSetupCodeCli(['--name', 'bad name!', '--out', join(dir, 'x')])).toBe(1);
      expect(String(err.mock.calls.at(-1)?.[0])).toContain('CONFIG_INVALID');
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
  });
});

describe('file attempt store', () => {
  it('survives a restart: the count and the growing back-off persist', () => {
    const path = join(dir, 'attempts.json');
    const clock = new FakeClock();
    // Each "boot" makes a new store and limiter over the same file.
    const boot = (): AttemptLimiter => new AttemptLimiter(new FileAttemptStore(path), clock.now);
    for (let i = 0; i < 5; i++) boot().recordFailure();
    expect(mode(path)).toBe(0o600);
    expect(boot().check()).toEqual({ locked: true, retryAfterMs: 60_000 });
    clock.advance(60_000);
    expect(boot().check()).toEqual({ locked: false });
    boot().recordFailure();
    expect(boot().check()).toEqual({ locked: true, retryAfterMs: 120_000 });
    clock.advance(120_000);
    boot().recordFailure();
    expect(boot().check()).toEqual({ locked: true, retryAfterMs: 240_000 });
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ failures: 7, lockedUntilMs: clock.nowMs + 240_000 });
    boot().recordSuccess();
    expect(boot().check()).toEqual({ locked: false });
  });

  it('a corrupt file never resets the count', () => {
    const path = join(dir, 'attempts.json');
    writeFileSync(path, '{"failures":');
    expect(new FileAttemptStore(path).load().failures).toBe(5);
  });

  it('counts wrong-code handshakes across device restarts with real responders', async () => {
    const path = join(dir, 'attempts.json');
    const clock = new FakeClock();
    const made = await makeSetupCode({
      deviceId: 'pi-kitchen',
      transports: ['ble'],
      outDir: join(dir, 'v'),
      iterations: 1000,
      random: seededRandom('restart'),
    });
    // Every handshake runs on a freshly booted device: verifier and counter come from disk.
    const boot = (): SessionResponder =>
      new SessionResponder({
        verifier: readVerifierFile(made.verifierPath),
        info: INFO,
        random: seededRandom(`y${clock.nowMs}`),
        attempts: new AttemptLimiter(new FileAttemptStore(path), clock.now),
        clock: clock.now,
      });
    const wrong = generateSetupCode(seededRandom('wrong code'));
    for (let i = 0; i < 5; i++) {
      clock.advance(1);
      const x = pump(initiator({ setupCode: wrong, deviceId: 'pi-kitchen' }), boot());
      expect(x.device?.status === 'failed' && x.device.error.code).toBe('SESSION_AUTH_FAILED');
    }
    const locked = pump(initiator({ setupCode: made.code, deviceId: 'pi-kitchen' }), boot());
    expect(locked.phone?.status === 'failed' && locked.phone.error).toMatchObject({
      code: 'SESSION_LOCKED_OUT',
      retryAfterMs: 60_000,
    });
    clock.advance(60_000);
    expect(pump(initiator({ setupCode: made.code, deviceId: 'pi-kitchen' }), boot()).phone?.status).toBe('established');
    expect(new FileAttemptStore(path).load()).toEqual({ failures: 0, lockedUntilMs: 0 });
  });
});
