/**
 * Password-guessing defence for the login page, modelled on Keycloak's brute-force detection with
 * temporary lockout ("Brute force attacks", Keycloak Server Administration Guide,
 * https://www.keycloak.org/docs/latest/server_admin/#password-guess-brute-force-attacks, and
 * `DefaultBruteForceProtector`). Failures are counted per username and, separately, per client
 * address, across login interactions (a new interaction does not reset anything), on an injected
 * clock. While a key is locked the password is not checked at all, so the answer says nothing about
 * whether it was right.
 */

/** Keycloak's brute-force settings (its names), in milliseconds. */
export interface BruteForcePolicy {
  /** Every this many failures adds `waitIncrementMs` to the lockout ("Max login failures"). */
  readonly maxLoginFailures: number;
  /** "Wait increment". */
  readonly waitIncrementMs: number;
  /** Two failures closer than this are a script, not a person ("Quick login check milliseconds"). */
  readonly quickLoginCheckMs: number;
  /** Lockout after a quick failure ("Minimum quick login wait"). */
  readonly minimumQuickLoginWaitMs: number;
  /** Longest lockout ("Max wait"). */
  readonly maxWaitMs: number;
  /** Failures older than this (since the last one) are forgotten ("Failure reset time"). */
  readonly failureResetMs: number;
}

/**
 * Keycloak's defaults (its `RealmManager.setupRealmDefaults`, permanent lockout off): 30 failures
 * (failure factor), +1 minute per 30, quick check 1000 ms with a 1-minute wait, at most 15 minutes,
 * failures forgotten 12 hours after the last one.
 */
export const KEYCLOAK_BRUTE_FORCE_DEFAULTS: BruteForcePolicy = {
  maxLoginFailures: 30,
  waitIncrementMs: 60_000,
  quickLoginCheckMs: 1_000,
  minimumQuickLoginWaitMs: 60_000,
  maxWaitMs: 15 * 60_000,
  failureResetMs: 12 * 60 * 60_000,
};

/** Usernames (and, separately, addresses) remembered at once; the least recently failed is forgotten first. */
export const MAX_TRACKED_LOGIN_KEYS = 10_000;

interface FailureRecord {
  failures: number;
  lastFailure: number;
  notBefore: number;
}

/** One key space (usernames or addresses): Keycloak's failure count and lockout per key. */
export class FailureCounter {
  private readonly records = new Map<string, FailureRecord>();

  constructor(
    private readonly policy: BruteForcePolicy,
    private readonly maxKeys: number = MAX_TRACKED_LOGIN_KEYS,
  ) {}

  /** Milliseconds `key` stays locked at `now`; 0 when it may try. */
  lockedFor(key: string, now: number): number {
    const record = this.records.get(key);
    return record ? Math.max(0, record.notBefore - now) : 0;
  }

  /** Records a failure as Keycloak's temporary lockout does and returns the lockout it starts (ms, 0 for none). */
  fail(key: string, now: number): number {
    const p = this.policy;
    const record = this.records.get(key) ?? { failures: 0, lastFailure: 0, notBefore: 0 };
    const delta = record.lastFailure > 0 ? now - record.lastFailure : 0;
    if (delta > p.failureResetMs) record.failures = 0;
    record.failures += 1;
    let wait = p.waitIncrementMs * Math.floor(record.failures / p.maxLoginFailures);
    if (wait === 0 && record.lastFailure > 0 && delta < p.quickLoginCheckMs) wait = p.minimumQuickLoginWaitMs;
    wait = Math.min(p.maxWaitMs, wait);
    record.lastFailure = now;
    if (wait > 0) record.notBefore = now + wait;
    // Re-insert: the map's order is least recently failed first.
    this.records.delete(key);
    this.records.set(key, record);
    for (const oldest of this.records.keys()) {
      if (this.records.size <= this.maxKeys) break;
      this.records.delete(oldest);
    }
    return wait;
  }

  /** A successful login clears the key's failures (Keycloak does so for the user). */
  clear(key: string): void {
    this.records.delete(key);
  }

  get size(): number {
    return this.records.size;
  }
}

export type LoginLock =
  | { readonly locked: false }
  | { readonly locked: true; readonly by: 'account' | 'address'; readonly retryAfterMs: number };

export interface LoginThrottleOptions {
  /** Injected clock, ms since the epoch. */
  readonly now: () => number;
  readonly account?: BruteForcePolicy;
  readonly address?: BruteForcePolicy;
  readonly maxKeys?: number;
}

/** Per-username and per-address failure counting for the login page (and any password check). */
export class LoginThrottle {
  private readonly accounts: FailureCounter;
  private readonly addresses: FailureCounter;

  constructor(private readonly options: LoginThrottleOptions) {
    this.accounts = new FailureCounter(options.account ?? KEYCLOAK_BRUTE_FORCE_DEFAULTS, options.maxKeys);
    this.addresses = new FailureCounter(options.address ?? KEYCLOAK_BRUTE_FORCE_DEFAULTS, options.maxKeys);
  }

  /** Whether a password for `username` from `address` may be checked now. */
  check(username: string, address: string): LoginLock {
    const now = this.options.now();
    const byAccount = this.accounts.lockedFor(username, now);
    if (byAccount > 0) return { locked: true, by: 'account', retryAfterMs: byAccount };
    const byAddress = this.addresses.lockedFor(address, now);
    if (byAddress > 0) return { locked: true, by: 'address', retryAfterMs: byAddress };
    return { locked: false };
  }

  /** A wrong password (or unknown username: counted alike, so locking reveals no account's existence). */
  failed(username: string, address: string): void {
    const now = this.options.now();
    this.accounts.fail(username, now);
    this.addresses.fail(address, now);
  }

  /** A right password: the account's failures are cleared; the address's are not (its other guesses still count). */
  succeeded(username: string): void {
    this.accounts.clear(username);
  }
}

/** The login page's words for a lock: when to try again, nothing about the password. */
export function lockMessage(lock: Extract<LoginLock, { locked: true }>): string {
  const minutes = Math.max(1, Math.ceil(lock.retryAfterMs / 60_000));
  const when = `Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`;
  return lock.by === 'account'
    ? `This account is temporarily locked after too many failed sign-ins. ${when}`
    : `Too many failed sign-ins from this network address. ${when}`;
}
