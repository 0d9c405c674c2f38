/**
 * The provisioning agent behind the JobLock: every transport session takes the one lock first, so
 * BLE and SoftAP never run two jobs at once and the fallback policy hears `jobStarted`/`jobEnded`.
 * The lease outlives a session whose job still runs (the phone dropped mid-job): a phone coming
 * back over the SAME transport takes the lease over and follows its job; the other transport gets
 * DEVICE_BUSY until the job ends.
 */
import { ProvisioningError } from '../../../protocol/index.js';
import { ProvisioningAgent } from '../../../peripheral/agent/index.js';
import type { AgentOptions, AgentSession } from '../../../peripheral/agent/index.js';
import type { JobLease, JobLock, Transport } from '../../../softap-fallback/policy/index.js';

function toTransport(name: string): Transport {
  if (name === 'ble' || name === 'softap') return name;
  throw new ProvisioningError('CONFIG_INVALID', {
    detail: `transport: unknown transport ${JSON.stringify(name)} (expected ble or softap)`,
  });
}

export class JobLockedAgent extends ProvisioningAgent {
  readonly #lock: JobLock;
  /** Held by the open session, or by a running job whose phone has gone. */
  #lease: JobLease | undefined;
  #sessionOpen = false;

  constructor(options: AgentOptions, lock: JobLock) {
    super(options);
    this.#lock = lock;
  }

  /** The transport holding the lock, if any. */
  get jobTransport(): Transport | undefined {
    return this.#lock.holder;
  }

  override openSession(transport: string): AgentSession {
    const t = toTransport(transport);
    const held = this.#lease;
    const takeOver = held !== undefined && !this.#sessionOpen && held.transport === t;
    // DEVICE_BUSY when the other transport holds it (its session, or its running job).
    const lease = takeOver ? held : this.#lock.acquire(t);
    let inner: AgentSession;
    try {
      inner = super.openSession(transport);
    } catch (err) {
      if (!takeOver) lease.release();
      throw err;
    }
    this.#lease = lease;
    this.#sessionOpen = true;
    const closeSession = (): void => {
      if (inner.closed) return;
      inner.close();
      this.#sessionOpen = false;
      // Released once no job runs, unless a phone of the same transport took it over meanwhile.
      void this.settled().then(() => {
        if (!this.#sessionOpen && this.#lease === lease) {
          this.#lease = undefined;
          lease.release();
        }
      });
    };
    return {
      transport: inner.transport,
      get closed() {
        return inner.closed;
      },
      submitWifi: (m) => inner.submitWifi(m),
      submitClaim: (m) => inner.submitClaim(m),
      command: (c) => inner.command(c),
      scan: () => inner.scan(),
      close: closeSession,
    };
  }
}
