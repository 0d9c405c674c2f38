/**
 * Runs a deployed function's code as Lambda's Node.js runtime would, enough for the hook: the
 * package's handler file is extracted once per code version and loaded by a child `node` (its
 * execution environment) with Lambda's environment (region, the execution role's temporary
 * credentials, function name) plus `AWS_ENDPOINT_URL` pointing the AWS SDK at this emulator.
 * Events and results travel over the IPC channel (so the function's stdout/stderr are its logs),
 * bounded by the function's timeout and Lambda's 6 MB response limit.
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../config/index.js';
import type { CredentialStore } from '../contracts/index.js';
import { readStoredZip } from '../../deploy/index.js';
import type { FunctionRecord, LambdaStore } from './store.js';

/** Lambda: a synchronous invocation's response is at most 6 MB. */
export const MAX_RESPONSE_BYTES = 6 * 1024 * 1024;
/** Log lines kept per function (tests and `npx tp-cloud` read them). */
export const MAX_LOG_BYTES = 64 * 1024;

/**
 * The worker: loads the handler once (the cold start), says `ready`, then answers invocations
 * `{id, event}` over the IPC channel with `{id, ok}` or `{id, errorType, errorMessage}`.
 */
const RUNNER = `'use strict';
const [, , modulePath, fnName] = process.argv;
let handler;
try {
  handler = require(modulePath)[fnName];
  if (typeof handler !== 'function') throw new Error('Runtime.HandlerNotFound: ' + fnName + ' is not a function');
  process.send({ ready: true });
} catch (e) {
  process.send({ ready: false, errorMessage: String(e && e.message) });
  process.exit(1);
}
process.on('message', async ({ id, event }) => {
  try {
    const out = await handler(event, { functionName: process.env.AWS_LAMBDA_FUNCTION_NAME });
    process.send({ id, ok: out === undefined ? null : out });
  } catch (e) {
    process.send({ id, errorType: (e && e.name) || 'Error', errorMessage: String(e && e.message) });
  }
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

/** Lambda gives a function's initialisation (the cold start) 10 s. */
export const INIT_TIMEOUT_MS = 10_000;

interface Worker {
  codeSha256: string;
  child: ChildProcess;
  accessKeyId: string;
  state: 'Pending' | 'Active' | 'Failed';
  ready: Promise<void>;
  pending: Map<number, { resolve(v: unknown): void; reject(e: Error): void }>;
}

type WorkerMessage = { ready?: boolean; id?: number; ok?: unknown; errorType?: string; errorMessage?: string };

/**
 * One warm worker per function (as a Lambda execution environment): started when the code is
 * deployed (the function is `Pending` until its handler has loaded, then `Active`), reused by every
 * invocation, replaced when the code changes, killed on a timeout.
 */
/** One invocation's answer: its result (at most MAX_RESPONSE_BYTES as JSON) or the handler's error. */
function settle(w: Worker, m: WorkerMessage): void {
  const p = m.id === undefined ? undefined : w.pending.get(m.id);
  if (!p || m.id === undefined) return;
  w.pending.delete(m.id);
  if (!('ok' in m)) p.reject(new FunctionError(`${m.errorType}: ${m.errorMessage}`));
  else if (JSON.stringify(m.ok ?? null).length > MAX_RESPONSE_BYTES)
    p.reject(
      new FunctionError(`Response payload size exceeded maximum allowed payload size (${MAX_RESPONSE_BYTES} bytes).`),
    );
  else p.resolve(m.ok);
}

export class FunctionRunner {
  private readonly logs = new Map<string, string>();
  private readonly workers = new Map<string, Worker>();
  private nextId = 1;

  constructor(private readonly o: RunnerOptions) {
    mkdirSync(join(o.dir, 'run'), { recursive: true, mode: 0o700 });
    writeFileAtomic(join(o.dir, 'run', 'runner.cjs'), RUNNER, 0o600);
  }

  /** What the function wrote to stdout/stderr, the last {@link MAX_LOG_BYTES}. */
  logOf(name: string): string {
    return this.logs.get(name) ?? '';
  }

  /** Lambda's `State` of the function's current code. */
  stateOf(fn: FunctionRecord): 'Pending' | 'Active' | 'Failed' {
    const w = this.workers.get(fn.name);
    return w && w.codeSha256 === fn.codeSha256 ? w.state : 'Pending';
  }

  private extract(fn: FunctionRecord): { modulePath: string; exportName: string } {
    const [file, exportName] = [
      fn.handler.slice(0, fn.handler.lastIndexOf('.')),
      fn.handler.slice(fn.handler.lastIndexOf('.') + 1),
    ];
    const dir = join(this.o.dir, 'run', Buffer.from(fn.codeSha256, 'base64').toString('hex'));
    // .cjs: the bundle is CommonJS whatever package.json is above the data directory.
    const modulePath = join(dir, `${file}.cjs`);
    if (!existsSync(modulePath)) {
      const entry = readStoredZip(this.o.store.readCode(fn)).find(
        (e) => e.name === `${file}.js` || e.name === `${file}.cjs`,
      );
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

  private stop(name: string): void {
    const w = this.workers.get(name);
    if (!w) return;
    this.workers.delete(name);
    w.child.kill('SIGKILL');
    this.o.credentials.delete(w.accessKeyId);
    for (const p of w.pending.values()) p.reject(new FunctionError('the execution environment was stopped'));
  }

  /** Starts (or keeps) the worker for the function's current code. */
  warm(fn: FunctionRecord): Worker {
    const current = this.workers.get(fn.name);
    if (current && current.codeSha256 === fn.codeSha256 && current.state !== 'Failed') return current;
    this.stop(fn.name);
    const { modulePath, exportName } = this.extract(fn);
    const credentials = this.assumeRole(fn);
    const w: Worker = {
      codeSha256: fn.codeSha256,
      child: this.spawn(fn, modulePath, exportName, credentials),
      accessKeyId: credentials.AWS_ACCESS_KEY_ID,
      state: 'Pending',
      ready: Promise.resolve(),
      pending: new Map(),
    };
    w.ready = this.watch(fn, w);
    // Whoever invokes awaits `ready` and gets its failure; this only keeps a failed start that no
    // invocation waits for (or the exit of a worker replaced by new code) from being an unhandled rejection.
    w.ready.catch(() => undefined);
    this.workers.set(fn.name, w);
    return w;
  }

  /** Temporary credentials of the function's execution role (its inline policies), as Lambda's environment carries. */
  private assumeRole(
    fn: FunctionRecord,
  ): Record<'AWS_ACCESS_KEY_ID' | 'AWS_SECRET_ACCESS_KEY' | 'AWS_SESSION_TOKEN', string> {
    const accessKeyId = `ASIA${randomBytes(8).toString('hex').toUpperCase()}`;
    const secretAccessKey = randomBytes(30).toString('base64');
    const sessionToken = randomBytes(48).toString('base64');
    this.o.credentials.put({
      accessKeyId,
      secretAccessKey,
      sessionToken,
      expiration: new Date(this.o.now().getTime() + 12 * 3600_000),
      principalArn: fn.role.replace(
        /^arn:aws:iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/,
        `arn:aws:sts::$1:assumed-role/$2/${fn.name}`,
      ),
      policies: this.o.store.rolePolicies(fn.role),
    });
    return { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey, AWS_SESSION_TOKEN: sessionToken };
  }

  /** The execution environment: a child `node` with Lambda's environment; its stdout/stderr are the function's log. */
  private spawn(
    fn: FunctionRecord,
    modulePath: string,
    exportName: string,
    credentials: ReturnType<FunctionRunner['assumeRole']>,
  ): ChildProcess {
    const env = {
      PATH: process.env.PATH ?? '',
      AWS_REGION: this.o.store.region,
      AWS_DEFAULT_REGION: this.o.store.region,
      ...credentials,
      AWS_ENDPOINT_URL: this.o.endpoint,
      AWS_LAMBDA_FUNCTION_NAME: fn.name,
      AWS_CONFIG_FILE: join(this.o.dir, 'no-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(this.o.dir, 'no-credentials'),
    };
    const child = fork(join(this.o.dir, 'run', 'runner.cjs'), [modulePath, exportName], {
      env,
      execArgv: [],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    child.stdout?.on('data', (d: Buffer) => this.appendLog(fn.name, d.toString('utf8')));
    child.stderr?.on('data', (d: Buffer) => this.appendLog(fn.name, d.toString('utf8')));
    return child;
  }

  /** Resolves when the handler has loaded (INIT_TIMEOUT_MS at most); routes the worker's answers to their invocations. */
  private watch(fn: FunctionRecord, w: Worker): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new FunctionError(`Init timed out after ${INIT_TIMEOUT_MS / 1000} seconds`)),
        INIT_TIMEOUT_MS,
      );
      w.child.on('message', (m: WorkerMessage) => {
        if (m.ready === undefined) {
          settle(w, m);
          return;
        }
        clearTimeout(timer);
        w.state = m.ready ? 'Active' : 'Failed';
        if (m.ready) resolve();
        else reject(new FunctionError(m.errorMessage ?? 'Runtime.ImportModuleError'));
      });
      w.child.once('exit', () => {
        clearTimeout(timer);
        if (w.state === 'Pending') w.state = 'Failed';
        reject(new FunctionError('Runtime exited without providing a reason'));
        if (this.workers.get(fn.name) === w) this.stop(fn.name);
      });
    });
  }

  /** Invokes synchronously; throws FunctionError on a handler error, a timeout or a bad answer. */
  async invoke(fn: FunctionRecord, event: unknown): Promise<unknown> {
    const w = this.warm(fn);
    await w.ready;
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        // Lambda ends the execution environment of a timed-out invocation.
        this.stop(fn.name);
        reject(new FunctionError(`Task timed out after ${fn.timeoutSeconds} seconds`));
      }, fn.timeoutSeconds * 1000);
      w.pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      w.child.send({ id, event });
    });
  }

  close(): void {
    for (const name of [...this.workers.keys()]) this.stop(name);
  }
}
