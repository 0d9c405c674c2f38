/**
 * A token bucket per client address, on an injected clock: `burst` requests at once, then one per
 * `refillMs`. Bounded memory: at most `maxClients` addresses, the least recently seen forgotten first.
 */
import type { Clock } from '../../protocol/index.js';
export interface RateLimitOptions {
  readonly burst: number;
  readonly refillMs: number;
  readonly maxClients: number;
  readonly now: Clock;
}

interface Bucket {
  tokens: number;
  at: number;
}

export type RateDecision = { readonly ok: true } | { readonly ok: false; readonly retryAfterMs: number };

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly options: RateLimitOptions) {}

  /** Takes one token for `client`, or says how long until one is free. */
  take(client: string): RateDecision {
    const { burst, refillMs, now } = this.options;
    const t = now();
    const previous = this.buckets.get(client);
    const bucket = previous ?? { tokens: burst, at: t };
    const refilled = Math.min(burst, bucket.tokens + Math.max(0, t - bucket.at) / refillMs);
    // Re-insert so the map's order is least recently seen first.
    this.buckets.delete(client);
    if (refilled < 1) {
      this.buckets.set(client, { tokens: refilled, at: t });
      return { ok: false, retryAfterMs: Math.ceil((1 - refilled) * refillMs) };
    }
    this.buckets.set(client, { tokens: refilled - 1, at: t });
    for (const oldest of this.buckets.keys()) {
      if (this.buckets.size <= this.options.maxClients) break;
      this.buckets.delete(oldest);
    }
    return { ok: true };
  }
}
