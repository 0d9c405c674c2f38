/**
 * The emulator's minimal Lambda (and the IAM roles it runs as): the API on the control plane's port
 * (api.ts), the functions' state (store.ts), and invocation (runner.ts) as AWS IoT invokes a
 * pre-provisioning hook, in a warm execution environment per function: only when the function's resource policy lets `iot.amazonaws.com` invoke
 * it for that template (AddPermission with SourceArn/SourceAccount).
 */
import { join } from 'node:path';
import type { CredentialStore } from '../contracts/index.js';
import { wildcardToRegExp } from '../policy/index.js';
import { LambdaIamApi } from './api.js';
import { FunctionError, FunctionRunner } from './runner.js';
import { LambdaStore } from './store.js';
import type { FunctionRecord } from './store.js';

export { FunctionError } from './runner.js';

export interface ServiceCaller {
  /** e.g. iot.amazonaws.com */
  service: string;
  sourceArn: string;
  sourceAccount: string;
}

function allowsService(fn: FunctionRecord, caller: ServiceCaller): boolean {
  return fn.statements.some((s) => {
    const principal = (s.Principal ?? {}) as { Service?: string };
    const action = s.Action as string | undefined;
    const cond = (s.Condition ?? {}) as { ArnLike?: Record<string, string>; StringEquals?: Record<string, string> };
    const arn = cond.ArnLike?.['AWS:SourceArn'];
    const account = cond.StringEquals?.['AWS:SourceAccount'];
    return (
      s.Effect === 'Allow' &&
      principal.Service === caller.service &&
      (action === 'lambda:InvokeFunction' || action === 'lambda:*') &&
      (arn === undefined || wildcardToRegExp(arn, false).test(caller.sourceArn)) &&
      (account === undefined || account === caller.sourceAccount)
    );
  });
}

export class EmulatedLambda {
  readonly store: LambdaStore;
  readonly api: LambdaIamApi;
  private runner: FunctionRunner | undefined;

  constructor(
    private readonly o: {
      dataDir: string;
      region: string;
      accountId: string;
      credentials: CredentialStore;
      now: () => Date;
    },
  ) {
    this.store = new LambdaStore(join(o.dataDir, 'lambda'), o.region, o.accountId);
    this.api = new LambdaIamApi(this.store, o.now, {
      stateOf: (fn) => {
        if (!this.runner) return 'Pending';
        this.runner.warm(fn); // an environment for code deployed before a restart
        return this.runner.stateOf(fn);
      },
      codeChanged: (fn) => {
        // As Lambda: the new code's environment starts now; the function is Active once loaded.
        this.runner?.warm(fn);
      },
    });
  }

  /** Called once the control plane listens: functions call AWS through it. */
  attach(endpoint: string): void {
    this.runner = new FunctionRunner({
      dir: join(this.o.dataDir, 'lambda'),
      store: this.store,
      credentials: this.o.credentials,
      endpoint,
      now: this.o.now,
    });
  }

  close(): void {
    this.runner?.close();
  }

  functionFor(arn: string): FunctionRecord | undefined {
    const m = /^arn:aws:lambda:([^:]+):(\d{12}):function:([^:]+)$/.exec(arn);
    if (!m || m[1] !== this.store.region || m[2] !== this.store.accountId) return undefined;
    return this.store.getFunction(m[3] as string);
  }

  /** The function's stdout/stderr (its "CloudWatch Logs"), the last 64 KiB. */
  logOf(name: string): string {
    return this.runner?.logOf(name) ?? '';
  }

  async invokeAsService(fn: FunctionRecord, event: unknown, caller: ServiceCaller): Promise<unknown> {
    if (!allowsService(fn, caller))
      throw new FunctionError(
        `${caller.service} is not allowed to invoke ${fn.arn} for ${caller.sourceArn} (no matching lambda:AddPermission)`,
      );
    if (!this.runner) throw new FunctionError('the Lambda runner is not started');
    return this.runner.invoke(fn, event);
  }
}
