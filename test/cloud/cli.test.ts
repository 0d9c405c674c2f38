import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCloudJson } from '../../cloud/emulator/config/cloud-json.js';
import { built } from '../support/built.js';

const ROOT = join(import.meta.dirname, '..', '..');
/** Longest a CLI may take to start or stop before the test fails (ms). */
const CLI_TIMEOUT_MS = 45_000;
/** Per-test limit: a CLI start, a setup run and a stop on a loaded 2-core CI machine (ms). */
const TEST_TIMEOUT_MS = 120_000;

function run(script: string, args: string[]): ChildProcessWithoutNullStreams {
  // The program as built (dist/, what `npx tp-cloud` / `npx tp-setup` run).
  return spawn(process.execPath, [built(script), ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1' },
  });
}

function finished(
  child: ChildProcessWithoutNullStreams,
  timeoutMs = CLI_TIMEOUT_MS,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`timed out; stderr: ${stderr}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function firstLine(child: ChildProcessWithoutNullStreams): Promise<string> {
  let buffered = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no output; stderr: ${stderr}`)), CLI_TIMEOUT_MS);
    child.stdout.on('data', (d: Buffer) => {
      buffered += d.toString();
      const nl = buffered.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(buffered.slice(0, nl));
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited ${code}; stderr: ${stderr}`));
    });
  });
}

describe('npx tp-cloud / npx tp-setup', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cloud-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(
    'refuses a bad configuration file with CONFIG_INVALID naming the field',
    async () => {
      const bad = join(dir, 'bad.json');
      writeFileSync(bad, JSON.stringify({ oidc: { realm: 'no spaces allowed' } }));
      const { code, stderr } = await finished(
        run('cloud/cli.ts', ['--config', bad, '--data-dir', join(dir, 'unused')]),
      );
      expect(code).toBe(1);
      expect(stderr).toContain('error [CONFIG_INVALID]');
      expect(stderr).toContain(`oidc.realm in ${bad}: must match`);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'starts, writes cloud.json (0600), serves setup, and stops cleanly on SIGINT',
    async () => {
      const dataDir = join(dir, 'data');
      // Hold 8883 (unless someone else already does): the CLI must fall back to a free MQTT port and say so.
      const blocker = createServer();
      await new Promise<void>((resolve) => {
        blocker.once('error', () => resolve());
        blocker.listen(8883, '127.0.0.1', () => resolve());
      });
      const cloud = run('cloud/cli.ts', [
        '--data-dir',
        dataDir,
        '--iot-port',
        '0',
        '--oidc-port',
        '0',
        '--cognito-port',
        '0',
        // Not the fixed 4583: other tests may run a cloud at the same time.
        '--web-port',
        '0',
        '--json',
      ]);
      const exit = finished(cloud, TEST_TIMEOUT_MS);
      let cloudJsonPath: string;
      try {
        const printed = JSON.parse(await firstLine(cloud)) as { cloudJsonPath: string; admin: { accessKeyId: string } };
        cloudJsonPath = printed.cloudJsonPath;
        expect(printed.admin.accessKeyId).toMatch(/^AKIA/);
        expect(statSync(printed.cloudJsonPath).mode & 0o777).toBe(0o600);
        const cloudJson = readCloudJson(printed.cloudJsonPath);
        expect(cloudJson.oidc.issuer).toMatch(/\/realms\/fleet$/);
        expect(JSON.stringify(cloudJson)).not.toContain(printed.admin.accessKeyId);
        expect(cloudJson.iot.mqttPort).not.toBe(8883);

        const setup = await finished(run('cloud/setup/cli.ts', ['--cloud-json', printed.cloudJsonPath, '--json']));
        expect(setup.code).toBe(0);
        const report = JSON.parse(setup.stdout) as {
          policy: { action: string };
          template: { action: string };
          identityPoolAuthenticatedRole: { permissionsPolicy: unknown };
        };
        expect(report.policy.action).toBe('created');
        expect(report.template.action).toBe('created');
        expect(JSON.stringify(report.identityPoolAuthenticatedRole.permissionsPolicy)).toContain(
          'iot:CreateProvisioningClaim',
        );
        // For people, against the emulator: what was done, not IAM documents that do not apply there.
        const again = await finished(run('cloud/setup/cli.ts', ['--cloud-json', printed.cloudJsonPath]));
        expect(again.code).toBe(0);
        expect(again.stdout).toContain('device policy');
        expect(again.stdout).not.toContain('trust policy');
        expect(again.stdout.trim().split('\n').length).toBeLessThan(10);
      } finally {
        blocker.close();
        cloud.kill('SIGINT');
      }
      const { code, stdout, stderr } = await exit;
      expect(code).toBe(0);
      expect(stderr).toContain('warning: MQTT port 8883 unavailable (EADDRINUSE): using a free port instead');
      expect(stdout).toContain('SIGINT: stopping the cloud emulator');
      // The cloud is down now: setup says so with a code and the fix, not a bare ECONNREFUSED.
      const down = await finished(run('cloud/setup/cli.ts', ['--cloud-json', cloudJsonPath]));
      expect(down.code).not.toBe(0);
      expect(down.stderr).toContain('[CLOUD_UNREACHABLE]');
      expect(down.stderr).toContain('npx tp-cloud');
    },
    TEST_TIMEOUT_MS,
  );
});
