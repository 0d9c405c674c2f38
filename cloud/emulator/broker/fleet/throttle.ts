/**
 * Rate limit of the fleet-provisioning MQTT API per claim certificate and operation: a token
 * bucket holding one second's worth of requests (AWS IoT Core quotas, "Fleet provisioning": 10
 * transactions per second per operation). A request over the rate is answered on `/rejected` with
 * AWS's throttling error instead of being served.
 */
import { FLEET_API_REQUESTS_PER_SECOND } from './limits.js';
import { FleetError } from './errors.js';
import type { FleetOperation } from './topics.js';

/** Buckets kept at most (a full map is emptied: throttling restarts, memory stays bounded). */
export const FLEET_THROTTLE_MAX_BUCKETS = 10_000;

interface Bucket {
  tokens: number;
  at: number;
}

export class FleetThrottle {
  private readonly buckets = new Map<string, Bucket>();

  /** `clock`: monotonic milliseconds (rates are about real pacing, not the emulator's Date clock). */
  constructor(
    private readonly clock: () => number,
    private readonly perSecond = FLEET_API_REQUESTS_PER_SECOND,
  ) {}

  /** Spends one request of `certificateId` on `operation`; a FleetError (429) when over the rate. */
  take(certificateId: string, operation: FleetOperation): FleetError | undefined {
    const key = `${certificateId}:${operation}`;
    const t = this.clock();
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= FLEET_THROTTLE_MAX_BUCKETS) this.buckets.clear();
      b = { tokens: this.perSecond, at: t };
      this.buckets.set(key, b);
    }
    b.tokens = Math.min(this.perSecond, b.tokens + (Math.max(0, t - b.at) / 1000) * this.perSecond);
    b.at = t;
    if (b.tokens < 1) return new FleetError(429, 'Throttling', 'Rate exceeded.');
    b.tokens -= 1;
    return undefined;
  }
}
