/** Builds a device agent on a state directory, wired to the real fleet routine and a simulated Wi-Fi. */
import { join } from 'node:path';
import { claimFleetRunner, JobFile, ProvisioningAgent } from '../../peripheral/agent/index.js';
import type { FleetRunner } from '../../peripheral/agent/index.js';
import type { WifiBackend } from '../../peripheral/wifi/index.js';
import { systemClock } from '../../peripheral/system/index.js';
import { CredentialStore } from '../../peripheral/storage/credential-store.js';
import type { FsOps } from '../../peripheral/storage/fs-ops.js';
import { ProvisioningJournal } from '../../peripheral/storage/journal.js';
import type { Clock } from '../../protocol/index.js';
import type { StatusMessage } from '../../protocol/messages.js';

export const SERIAL = 'SN-0042';

export interface DeviceUnderTest {
  agent: ProvisioningAgent;
  statuses: StatusMessage[];
  log: string[];
}

export function makeDevice(options: {
  stateDir: string;
  wifi: WifiBackend;
  caPem: string;
  fs?: FsOps;
  clock?: Clock;
  fleet?: (real: FleetRunner) => FleetRunner;
  serial?: string;
}): DeviceUnderTest {
  const fs = options.fs;
  const store = new CredentialStore({ dir: join(options.stateDir, 'credentials'), ...(fs ? { fs } : {}) });
  const journal = new ProvisioningJournal({ path: join(options.stateDir, 'journal.log'), ...(fs ? { fs } : {}) });
  const clock = options.clock ?? systemClock;
  const real = claimFleetRunner({
    store,
    journal,
    serialNumber: options.serial ?? SERIAL,
    caPem: options.caPem,
    clock,
    retry: { initialDelayMs: 20, maxDelayMs: 100, maxAttempts: 3 },
    connectTimeoutMs: 5_000,
  });
  const log: string[] = [];
  const agent = new ProvisioningAgent({
    store,
    journal,
    jobFile: new JobFile(options.stateDir, fs),
    wifi: options.wifi,
    fleet: options.fleet ? options.fleet(real) : real,
    clock,
    log: (l) => log.push(l),
  });
  const statuses: StatusMessage[] = [];
  agent.onStatus((s) => statuses.push(s));
  return { agent, statuses, log };
}
