/**
 * Runs a deployed function's code as Lambda's Node.js runtime would, enough for the hook: the
 * package's handler file is extracted once per code version, then each invocation is a child
 * `node` process with Lambda's environment (region, the execution role's temporary credentials,
 * function name) plus `AWS_ENDPOINT_URL` pointing the AWS SDK at this emulator. The event goes in on
 * stdin, the result comes back on fd 3 (so the function's own stdout/stderr are its logs), bounded
 * by the function's timeout and Lambda's 6 MB response limit.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../config/atomic-file.js';
import type { CredentialStore } from '../contracts.js';
import { readStoredZip } from '../../setup/zip.js';
import type { FunctionRecord, LambdaStore } from './store.js';

/** Lambda: a synchronous invocation's response is at most 6 MB. */
export const MAX_RESPONSE_BYTES = 6 * 1024 * 1024;
/** Log lines kept per function (tests and `npm run cloud` read them). */
export const MAX_LOG_BYTES = 64 * 1024;

const RUNNER = `'use strict';
const fs = require('node:fs');
const [, , modulePath, fnName] = process.argv;
let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => { input += d; });
process.stdin.on('end', async () => {
  let result;
  try {
    const out = await require(modulePath)[fnName](JSON.parse(input), { functionName: process.env.AWS_LAMBDA_FUNCTION_NAME });
    result = { ok: out === undefined ? null : out };
  } catch (e) {
    result = { errorType: (e && e.name) || 'Error', errorMessage: String(e && e.message) };
  }
  fs.writeSync(3, JSON.stringify(result));
  process.exit(0);
});
`;

export class FunctionError extends Error {}

export interface RunnerOptions {
  dir: string;
  store: LambdaStore;
  credentials: CredentialStore;
  /** The control plane's URL (the SDK's AWS_ENDPOINT_URL inside the function). */
  endpoint: string;
  now: () => Date;
}

export class FunctionRunner {
  private readonly logs = new Map<string, string>();

  constructor(private readonly o: RunnerOptions) {
    mkdirSync(join(o.dir, 'run'), { recursive: true, mode: 0o700 });
    writeFileAtomic(join(o.dir, 'run', 'runner.cjs'), RUNNER, 0o600);
  }

  /** What the function wrote to stdout/stderr, the last {@link MAX_LOG_BYTES}. */
  logOf(name: string): string {
    return this.logs.get(name) ?? '';
  }

  private extract(fn: FunctionRecord): { modulePath: string; exportName: string } {
    const [file, exportName] = [fn.handler.slice(0, fn.handler.lastIndexOf('.')), fn.handler.slice(fn.handler.lastIndexOf('.') + 1)];
    const dir = join(this.o.dir, 'run', Buffer.from(fn.codeSha256, 'base64').toString('hex'));
    // .cjs: the bundle is CommonJS whatever package.json is above the data directory.
    const modulePath = join(dir, `${file}.cjs`);
    if (!existsSync(modulePath)) {
      const entry = readStoredZip(this.o.store.readCode(fn)).find((e) => e.name === `${file}.js` || e.name === `${file}.cjs`);
      if (!entry) throw new FunctionError(`Runtime.ImportModuleError: Cannot find module '${file}'`);
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      writeFileAtomic(modulePath, entry.data, 0o600);
    }
    return { modulePath, exportName };
  }

  private appendLog(name: string, chunk: string): void {
    const next = (this.logs.get(name) ?? '') + chunk;
    this.logs.set(name, next.length > MAX_LOG_BYTES ? next.slice(next.length - MAX_LOG_BYTES) : next);
  }

  /** Invokes synchronously; throws FunctionError on a handler error, a timeout or a bad answer. */
  async invoke(fn: FunctionRecord, event: unknown): Promise<unknown> {
    const { modulePath, exportName } = this.extract(fn);
    const accessKeyId = `ASIA${randomBytes(8).toString('hex').toUpperCase()}`;
    const secretAccessKey = randomBytes(30).toString('base64');
    const sessionToken = randomBytes(48).toString('base64');
    this.o.credentials.put({
      accessKeyId, secretAccessKey, sessionToken, expiration: new Date(this.o.now().getTime() + 15 * 60_000),
      principalArn: fn.role.replace(/^arn:aws:iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/, `arn:aws:sts::$1:assumed-role/$2/${fn.name}`),
      policies: this.o.store.rolePolicies(fn.role),
    });
    try {
      return await this.run(fn, modulePath, exportName, event, { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey, AWS_SESSION_TOKEN: sessionToken });
    } finally {
      this.o.credentials.delete(accessKeyId);
    }
  }

  private run(fn: FunctionRecord, modulePath: string, exportName: string, event: unknown, creds: Record<string, string>): Promise<unknown> {
    const env = {
      PATH: process.env.PATH ?? '', AWS_REGION: this.o.store.region, AWS_DEFAULT_REGION: this.o.store.region, ...creds,
      AWS_ENDPOINT_URL: this.o.endpoint, AWS_LAMBDA_FUNCTION_NAME: fn.name, AWS_CONFIG_FILE: join(this.o.dir, 'no-config'), AWS_SHARED_CREDENTIALS_FILE: join(this.o.dir, 'no-credentials'),
    };
    const child = spawn(process.execPath, [join(this.o.dir, 'run', 'runner.cjs'), modulePath, exportName], { env, stdio: ['pipe', 'pipe', 'pipe', 'pipe'] });
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new FunctionError(`Task timed out after ${fn.timeoutSeconds} seconds`));
      }, fn.timeoutSeconds * 1000);
      child.stdout?.on('data', (d: Buffer) => this.appendLog(fn.name, d.toString('utf8')));
      child.stderr?.on('data', (d: Buffer) => this.appendLog(fn.name, d.toString('utf8')));
      (child.stdio[3] as NodeJS.ReadableStream).on('data', (d: Buffer) => {
        size += d.length;
        if (size > MAX_RESPONSE_BYTES) child.kill('SIGKILL');
        else chunks.push(d);
      });
      child.once('error', (err) => { clearTimeout(timer); reject(new FunctionError(err.message)); });
      child.once('close', () => {
        clearTimeout(timer);
        if (size > MAX_RESPONSE_BYTES) return reject(new FunctionError(`Response payload size exceeded maximum allowed payload size (${MAX_RESPONSE_BYTES} bytes).`));
        try {
          const out = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { ok?: unknown; errorType?: string; errorMessage?: string };
          if ('ok' in out) resolve(out.ok);
          else reject(new FunctionError(`${out.errorType}: ${out.errorMessage}`));
        } catch {
          reject(new FunctionError('Runtime exited without providing a reason'));
        }
      });
      child.stdin?.end(JSON.stringify(event));
    });
  }
}
