/**
 * The device program's commands, `start`, `status` and `reset` (apps/device/cli.ts parses the
 * command line): loaded once the command line is understood, since they bring the whole device
 * (the BLE stack, express, the AWS IoT device SDK), which `--help` and usage errors do without.
 */
import { ProvisioningError } from '../../protocol/index.js';
import { deviceStorage, startDevice, wifiBackend, readDeviceConfig, RuntimeStatusFile } from './config/index.js';
import type { DeviceConfig } from './config/index.js';
import { within } from '../../ble/peripheral/index.js';
import { systemTimers } from '../../peripheral/system/index.js';
import { warmUpSession } from './warm-up.js';

/** Period of the timer that keeps `device start` alive while nothing else runs, ms. */
const KEEP_ALIVE_MS = 60 * 60_000;
/**
 * The last-resort bound of `device stop` (SIGINT/SIGTERM): every part has its own, shorter bound
 * (the GATT server 1 s, the controller probe 2 s); past this the process exits anyway, with 1.
 */
export const DEVICE_STOP_TIMEOUT_MS = 2_500;

function log(line: string): void {
  console.log(`${new Date().toISOString()} ${line}`);
}

async function start(config: DeviceConfig): Promise<number> {
  const device = await startDevice(config, log);
  // Before the device says it is up: its first phone's handshake then costs what later ones do.
  if (!warmUpSession()) log('session warm-up did not complete (the first handshake will be slower)');
  const url = device.softapUrl;
  log(
    `device ${device.deviceId} on ${config.ble.transport}: ${device.agent.state} (softap ${config.softap.mode}${url ? ` at ${url}` : ''})`,
  );
  device.agent.onStatus((s) =>
    log(`status ${s.state}${s.error ? ` ${s.error}` : ''}${s.result ? ` thing=${s.result.thingName}` : ''}`),
  );
  // A provisioned device on-line may run no transport at all (policy mode): the process must stay.
  const keepAlive = setInterval(() => undefined, KEEP_ALIVE_MS);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  clearInterval(keepAlive);
  log('stopping');
  if (!(await within(systemTimers, DEVICE_STOP_TIMEOUT_MS, device.stop()))) {
    log(`stop did not finish within ${DEVICE_STOP_TIMEOUT_MS} ms; exiting anyway`);
    return 1;
  }
  log('stopped');
  return 0;
}

async function status(config: DeviceConfig): Promise<number> {
  const { store, journal, jobFile } = deviceStorage(config);
  const committed = await store.loadCommitted();
  const { records } = await journal.load();
  const last = records.at(-1);
  const pendingJob = (await jobFile.load()) !== undefined;
  const state = committed
    ? 'provisioned'
    : pendingJob
      ? 'resumable'
      : last?.step === 'failed'
        ? 'failed'
        : 'unprovisioned';
  console.log(
    JSON.stringify({
      state,
      ...(committed
        ? {
            thingName: committed.thingName,
            certificateId: committed.certificateId,
            endpoint: committed.endpoint,
            committedAt: committed.committedAt.toISOString(),
          }
        : {}),
      ...(last
        ? {
            lastStep: last.step,
            lastAt: last.at,
            ...(last.step === 'failed' ? { error: last.code, ...(last.detail ? { detail: last.detail } : {}) } : {}),
          }
        : {}),
      journalRecords: records.length,
      // The running device's BLE controller: available, unavailable (lost, re-attaching), unknown or stopped.
      ...(() => {
        const r = RuntimeStatusFile.read(config.stateDir);
        return { ble: r.ble, ...(r.transport ? { bleTransport: r.transport } : {}) };
      })(),
    }),
  );
  return 0;
}

async function reset(config: DeviceConfig): Promise<number> {
  // A running device holds the store and the Wi-Fi: resetting under it would leave it half-provisioned.
  if (RuntimeStatusFile.read(config.stateDir).ble !== 'stopped') {
    throw new ProvisioningError('DEVICE_BUSY', {
      detail: `a device is running on ${config.stateDir}: stop it first (Ctrl-C, or systemctl stop trusted-provisioning-device), then reset`,
    });
  }
  const { store, journal, jobFile } = deviceStorage(config);
  await wifiBackend(config).forget();
  await jobFile.remove();
  await store.reset();
  await journal.clear();
  console.log(JSON.stringify({ reset: true }));
  return 0;
}

/** Runs `start`, `status` or `reset` on the configuration at `configPath` (required when given). */
export async function runDeviceCommand(
  command: 'start' | 'status' | 'reset',
  configPath: string,
  required: boolean,
): Promise<number> {
  const config = readDeviceConfig(configPath, { required });
  switch (command) {
    case 'start':
      return await start(config);
    case 'status':
      return await status(config);
    default:
      return await reset(config);
  }
}
