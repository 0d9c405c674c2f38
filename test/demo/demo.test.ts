/**
 * `npx tp-demo` end to end, as the user runs it (the built program in a child process: noble is a
 * process singleton; its devices are built ones too):
 * one device over BLE, one over the SoftAP (HTTP), then five at once over BLE; each gets its thing,
 * ten messages come back with its permanent certificate, and no device process is left, also
 * after Ctrl-C.
 */
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { NODE_NOTICE_SHOWN, nodeSupportNotice } from '../../protocol/node-support.js';
import { main } from '../../demo/cli.js';
import type { DemoSummary } from '../../demo/run.js';
import { built } from '../support/built.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Device processes started by a demo of this checkout (their config lives in the demo's temp dir;
 * the CLI's absolute path keeps other checkouts' demos running on the same machine out).
 */
function deviceProcesses(): string[] {
  try {
    return execFileSync('pgrep', ['-f', `${built('apps/device/cli.ts')} start --config ${join(tmpdir(), 'demo-')}`], {
      encoding: 'utf8',
    })
      .trim()
      .split('\n')
      .filter(Boolean);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** `npx tp-demo ARGS` as a child process; `interruptOn` sends SIGINT once stderr shows it. */
async function spawnDemo(args: string[], interruptOn?: string): Promise<Run> {
  // As from a shell: without what this worker's own import of demo/cli.ts set (demo/node-notice.ts).
  const env = { ...process.env };
  delete env[NODE_NOTICE_SHOWN];
  delete env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
  const child = spawn(process.execPath, [built('demo/cli.ts'), ...args], {
    cwd: REPO,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (interruptOn && stderr.includes(interruptOn)) {
      interruptOn = undefined;
      child.kill('SIGINT');
    }
  });
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  return { code, signal, stdout, stderr };
}

async function runDemoCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
  });
  return { code, stdout, stderr };
}

function expectMessages(summary: DemoSummary, n: number): void {
  expect(summary.failed).toEqual([]);
  expect(summary.devices.map((d) => d.thingName)).toEqual(
    Array.from({ length: n }, (_, i) => `mything_SN-DEMO-${i + 1}`),
  );
  for (const d of summary.devices) {
    expect(d.messagesReceived).toEqual(Array.from({ length: 10 }, (_, i) => `Hello World! [${i + 1}]`));
    expect(d.topic).toBe(`things/${d.thingName}/test/topic`);
    expect(d.certificateId).toMatch(/^[0-9a-f]{64}$/);
  }
}

describe('npx tp-demo', () => {
  it('provisions one device over BLE and round-trips ten messages with its certificate', async () => {
    const { code, stdout, stderr } = await spawnDemo(['--json']);
    expect(code, stderr).toBe(0);
    const summary = JSON.parse(stdout) as DemoSummary;
    expectMessages(summary, 1);
    expect(summary.bleAirTimeMs).toBeGreaterThan(0);
    expect(stderr).toContain('logging in as the demo user');
    // No runtime warning: none on a supported Node; on one past its end of life only the notice,
    // first, standing for oidc-provider's and the AWS SDK's (protocol/node-support.ts).
    const lines = stderr.split('\n');
    const notice = nodeSupportNotice(process.version);
    if (notice !== undefined) expect(lines.shift()).toBe(notice);
    expect(lines.filter((l) => /warn/i.test(l))).toEqual([]);
    // Progress from the first second: every start-up step says when it begins, then when it ends.
    expect(lines[0]).toBe('loading the cloud emulator, BLE and device code…');
    const at = (prefix: string): number => lines.findIndex((l) => l.startsWith(prefix));
    const order = [
      'loading the cloud emulator, BLE and device code: done',
      'starting the cloud emulator (temp data dir)…',
      'starting the cloud emulator (temp data dir): up',
      'setting up the cloud (device policy + provisioning template)…',
      'setting up the cloud (device policy + provisioning template): done',
      'starting the virtual BLE air…',
      'starting the virtual BLE air: on air:',
      'starting 1 device process(es)…',
      '[pi-kitchen-1] device process started',
      '[pi-kitchen-1] device process ready',
      'logging in as the demo user',
    ];
    expect(
      order.map(at).every((i, k, all) => i >= 0 && (k === 0 || i > all[k - 1]!)),
      stderr,
    ).toBe(true);
    expect(stderr).not.toContain('correct horse battery');
    expect(deviceProcesses()).toEqual([]);
  }, 60_000);

  it('provisions one device over the SoftAP (HTTP, simulated AP) the same way', async () => {
    const { code, stdout, stderr } = await spawnDemo(['--transport', 'softap', '--json']);
    expect(code, stderr).toBe(0);
    const summary = JSON.parse(stdout) as DemoSummary;
    expectMessages(summary, 1);
    expect(summary.transport).toBe('softap');
    expect(summary.devices[0]!.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(summary.httpBytesSent).toBeGreaterThan(0);
    expect(summary.bleAirTimeMs).toBe(0);
    expect(stderr).toContain('provisioning over the SoftAP (HTTP)');
    expect(stderr).not.toContain('correct horse battery');
    expect(deviceProcesses()).toEqual([]);
  }, 60_000);

  it('provisions five devices at once over BLE', async () => {
    const { code, stdout, stderr } = await spawnDemo(['--devices', '5', '--json']);
    expect(code, stderr).toBe(0);
    expectMessages(JSON.parse(stdout) as DemoSummary, 5);
    expect(deviceProcesses()).toEqual([]);
  }, 120_000);

  it('Ctrl-C during the BLE transfer stops everything (exit 130)', async () => {
    const run = await spawnDemo(['--devices', '2'], 'provisioning over BLE');
    expect(run.code, run.stderr).toBe(130);
    expect(run.stderr).toContain('interrupted');
    expect(deviceProcesses()).toEqual([]);
  }, 60_000);

  it('refuses an unknown transport with exit code 2', async () => {
    const { code, stderr } = await runDemoCli(['--transport', 'usb']);
    expect(code).toBe(2);
    expect(stderr).toContain('unknown transport "usb"');
  });

  it('rejects a bad --devices with exit code 2', async () => {
    expect((await runDemoCli(['--devices', '0'])).code).toBe(2);
  });
});
