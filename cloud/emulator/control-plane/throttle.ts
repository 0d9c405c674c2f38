/**
 * An optional per-access-key token bucket answering ThrottlingException ("Rate exceeded"), off by
 * default so tests and benches are not throttled unless they ask to be.
 */
export interface RateLimit {
  /** Sustained requests per second per access key. */
  requestsPerSecond: number;
  /** Requests allowed in a burst. */
  burst: number;
}

export class Throttle {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly limit: RateLimit,
    private readonly now: () => Date,
  ) {}

  /** Takes one token for `key`; false when the bucket is empty. */
  take(key: string): boolean {
    const t = this.now().getTime();
    const b = this.buckets.get(key) ?? { tokens: this.limit.burst, at: t };
    b.tokens = Math.min(this.limit.burst, b.tokens + ((t - b.at) / 1000) * this.limit.requestsPerSecond);
    b.at = t;
    this.buckets.set(key, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }
}
