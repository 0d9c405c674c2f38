/**
 * A real device for the browser tests: agent (real fleet routine, simulated Wi-Fi) and GATT server on
 * bleno, in a process of its own (bleno is a process singleton), attached to the test's air
 * (test/central/fixtures/device-process.ts).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { DeviceSpec } from '../central/fixtures/device-process.js';

const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), '..', 'central', 'fixtures', 'device-process.ts');

export interface DeviceChild {
  readonly process: ChildProcess;
  /** Sets the device's clock `ms` ahead of the real one (0: right again); resolves once the device took it. */
  setClockAhead(ms: number): Promise<void>;
  stop(): Promise<void>;
}

function nextLine(lines: Interface, child: ChildProcess, expected: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onExit = (c: number | null): void => reject(new Error(`the device exited with ${c}`));
    const onLine = (l: string): void => {
      if (l !== expected) return;
      lines.off('line', onLine);
      child.off('exit', onExit);
      resolve();
    };
    lines.on('line', onLine);
    child.once('exit', onExit);
  });
}

/** Starts the device and resolves once it advertises. */
export async function startDeviceChild(spec: DeviceSpec): Promise<DeviceChild> {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, CENTRAL_TEST_DEVICE: JSON.stringify(spec) },
  });
  const lines = createInterface({ input: child.stdout });
  await nextLine(lines, child, 'READY');
  return {
    process: child,
    setClockAhead: async (ms) => {
      const answered = nextLine(lines, child, `CLOCK ${ms}`);
      child.stdin.write(`clock ${ms}\n`);
      await answered;
    },
    stop: async () => {
      child.stdin.end();
      if (child.exitCode === null) await once(child, 'exit');
    },
  };
}
