/**
 * Issue #14 part 4: password guessing against the emulator's login page. Before: 5 guesses per
 * login interaction and a new interaction reset the count (48 guesses in 0.8 s). Now failures count
 * per username and per client address across interactions, with Keycloak's brute-force defaults on
 * an injected clock. Real HTTP through the real pages (TestBrowser).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as client from 'openid-client';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultConfig, DEFAULT_CLIENT_ID, DEMO_PASSWORD, DEMO_USERNAME } from '../../cloud/emulator/config/schema.js';
import type { AwsCredentialRecord, CredentialStore } from '../../cloud/emulator/contracts/index.js';
import { startIdentity } from '../../cloud/emulator/identity/index.js';
import {
  FailureCounter,
  KEYCLOAK_BRUTE_FORCE_DEFAULTS,
  LoginThrottle,
} from '../../cloud/emulator/identity/login-throttle.js';
import { parseForm, TestBrowser } from '../../demo/browser.js';
import type { ParsedForm } from '../../demo/browser.js';
import { discover, startLoopbackReceiver } from '../cloud-identity/login.js';

class MapStore implements CredentialStore {
  private readonly records = new Map<string, AwsCredentialRecord>();
  put(r: AwsCredentialRecord): void {
    this.records.set(r.accessKeyId, r);
  }
  get(id: string): AwsCredentialRecord | undefined {
    return this.records.get(id);
  }
  delete(id: string): void {
    this.records.delete(id);
  }
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

type Outcome = 'wrong' | 'locked' | 'signed-in';

/** A person (or script) at the login page: guesses, starting a new login interaction whenever one ends. */
class Guesser {
  private form: ParsedForm | undefined;
  lastHtml = '';

  constructor(
    private readonly browser: TestBrowser,
    private readonly authUrl: () => Promise<string>,
    private readonly redirectUri: string,
  ) {}

  async guess(username: string, password: string): Promise<Outcome> {
    if (!this.form) {
      const page = await this.browser.get(await this.authUrl());
      this.form = parseForm(page.html, page.url, '/login');
    }
    const res = await this.browser.post(this.form.action, { ...this.form.fields, username, password });
    this.lastHtml = res.html;
    if (res.url.startsWith(this.redirectUri)) {
      // The interaction ended: signed in (a code) or ended after its per-interaction limit.
      this.form = undefined;
      return new URL(res.url).searchParams.has('code') ? 'signed-in' : 'wrong';
    }
    this.form = parseForm(res.html, res.url, '/login');
    if (res.status === 429) return 'locked';
    expect(res.status).toBe(401);
    expect(res.html).toContain('Invalid username or password.');
    return 'wrong';
  }
}

async function setUp(): Promise<{ guesser: Guesser; clock: { ms: number } }> {
  const dir = mkdtempSync(join(tmpdir(), 'oidc-brute-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const clock = { ms: Date.parse('2026-12-01T00:00:00Z') };
  const identity = await startIdentity({
    dataDir: dir,
    config: defaultConfig(),
    credentials: new MapStore(),
    host: '127.0.0.1',
    ports: { oidc: 0, cognito: 0 },
    now: () => new Date(clock.ms),
  });
  cleanups.push(() => identity.close());
  const config = await discover(identity.issuer, DEFAULT_CLIENT_ID);
  const receiver = await startLoopbackReceiver();
  cleanups.push(() => receiver.close());
  const authUrl = async (): Promise<string> =>
    client.buildAuthorizationUrl(config, {
      redirect_uri: receiver.redirectUri,
      scope: 'openid',
      code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    }).href;
  return { guesser: new Guesser(new TestBrowser(), authUrl, receiver.redirectUri), clock };
}

/** Guesses wrong passwords (the clock moving `stepMs` each time) until locked; returns how many were checked. */
async function guessesBeforeLock(
  guesser: Guesser,
  clock: { ms: number },
  stepMs: number,
  usernames: (i: number) => string,
  max: number,
): Promise<number> {
  for (let i = 0; i < max; i++) {
    clock.ms += stepMs;
    if ((await guesser.guess(usernames(i), `guess-${i}`)) === 'locked') return i;
  }
  return max;
}

describe('login brute-force throttling (issue #14)', () => {
  it('locks an account after 30 slow guesses across login interactions, hides the password check, unlocks after the wait', async () => {
    const { guesser, clock } = await setUp();
    // One guess every 2 s (slower than Keycloak's quick-login check), each 5th ending the interaction.
    const accepted = await guessesBeforeLock(guesser, clock, 2_000, () => DEMO_USERNAME, 45);
    expect(accepted).toBe(KEYCLOAK_BRUTE_FORCE_DEFAULTS.maxLoginFailures);
    // Locked: even the right password is not checked, and the page says so without judging it.
    clock.ms += 2_000;
    expect(await guesser.guess(DEMO_USERNAME, DEMO_PASSWORD)).toBe('locked');
    expect(guesser.lastHtml).toContain('This account is temporarily locked');
    expect(guesser.lastHtml).not.toContain('Invalid username or password');
    expect(await guesser.guess(DEMO_USERNAME, 'wrong')).toBe('locked');
    // Keycloak's wait increment: one minute per 30 failures.
    clock.ms += KEYCLOAK_BRUTE_FORCE_DEFAULTS.waitIncrementMs;
    expect(await guesser.guess(DEMO_USERNAME, DEMO_PASSWORD)).toBe('signed-in');
  });

  it('locks a script after its second guess within the quick-login check', async () => {
    const { guesser, clock } = await setUp();
    const accepted = await guessesBeforeLock(guesser, clock, 100, () => DEMO_USERNAME, 20);
    expect(accepted).toBe(2);
    clock.ms += KEYCLOAK_BRUTE_FORCE_DEFAULTS.minimumQuickLoginWaitMs - 1_000;
    expect(await guesser.guess(DEMO_USERNAME, DEMO_PASSWORD)).toBe('locked');
    clock.ms += 1_000;
    expect(await guesser.guess(DEMO_USERNAME, DEMO_PASSWORD)).toBe('signed-in');
  });

  it('locks a client address that sprays many usernames', async () => {
    const { guesser, clock } = await setUp();
    // A new username each time: no account reaches a lock, the address does (quick-login check;
    // 30 slow failures lock it too, see the LoginThrottle tests).
    const accepted = await guessesBeforeLock(guesser, clock, 100, (i) => `user-${i}`, 20);
    expect(accepted).toBe(2);
    expect(await guesser.guess(DEMO_USERNAME, DEMO_PASSWORD)).toBe('locked');
    expect(guesser.lastHtml).toContain('Too many failed sign-ins from this network address');
    clock.ms += KEYCLOAK_BRUTE_FORCE_DEFAULTS.waitIncrementMs;
    expect(await guesser.guess(DEMO_USERNAME, DEMO_PASSWORD)).toBe('signed-in');
  });

  it("keeps the demo user's normal login (one typo, then the right password) working", async () => {
    const { guesser, clock } = await setUp();
    expect(await guesser.guess(DEMO_USERNAME, 'typo')).toBe('wrong');
    clock.ms += 5_000;
    expect(await guesser.guess(DEMO_USERNAME, DEMO_PASSWORD)).toBe('signed-in');
  });
});

describe('LoginThrottle (Keycloak temporary lockout, injected clock)', () => {
  it('counts per username and per address apart; success clears only the account', () => {
    let now = 0;
    const throttle = new LoginThrottle({ now: () => now });
    for (let i = 0; i < 29; i++) {
      now += 2_000;
      throttle.failed('alice', '10.0.0.9');
    }
    expect(throttle.check('alice', '10.0.0.8')).toEqual({ locked: false });
    now += 2_000;
    throttle.failed('alice', '10.0.0.8');
    expect(throttle.check('alice', '10.0.0.8')).toEqual({ locked: true, by: 'account', retryAfterMs: 60_000 });
    expect(throttle.check('bob', '10.0.0.8')).toEqual({ locked: false });
    expect(throttle.check('bob', '10.0.0.9')).toEqual({ locked: false });
    now += 2_000;
    throttle.failed('carol', '10.0.0.9');
    expect(throttle.check('bob', '10.0.0.9')).toEqual({ locked: true, by: 'address', retryAfterMs: 60_000 });
    now += 60_000;
    throttle.succeeded('alice');
    expect(throttle.check('alice', '10.0.0.8')).toEqual({ locked: false });
  });

  it('adds a wait increment per 30 failures up to 15 minutes and forgets failures after 12 hours', () => {
    const counter = new FailureCounter(KEYCLOAK_BRUTE_FORCE_DEFAULTS);
    let now = 0;
    const waits: number[] = [];
    for (let i = 1; i <= 600; i++) {
      now += 2_000;
      waits.push(counter.fail('k', now));
    }
    expect(waits[28]).toBe(0);
    expect(waits[29]).toBe(60_000);
    expect(waits[59]).toBe(120_000);
    expect(Math.max(...waits)).toBe(15 * 60_000);
    now += 12 * 60 * 60_000 + 1;
    expect(counter.fail('k', now)).toBe(0);
  });

  it('remembers a bounded number of keys', () => {
    const counter = new FailureCounter(KEYCLOAK_BRUTE_FORCE_DEFAULTS, 100);
    for (let i = 0; i < 1_000; i++) counter.fail(`user-${i}`, 1_000 + i * 2_000);
    expect(counter.size).toBe(100);
  });
});
