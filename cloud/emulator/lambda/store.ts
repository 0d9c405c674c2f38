/**
 * The emulator's minimal Lambda and IAM state: functions (configuration, code, resource policy) and
 * roles (trust policy, inline policies), persisted under `<dataDir>/lambda/` as JSON and zip files
 * written atomically (0600), so a deployed hook survives restarts like everything else.
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../config/index.js';
import type { PolicyDocument } from '../contracts/index.js';

export interface FunctionRecord {
  name: string;
  arn: string;
  runtime: string;
  role: string;
  handler: string;
  description: string;
  timeoutSeconds: number;
  memorySize: number;
  codeSha256: string;
  codeSize: number;
  lastModified: string;
  revisionId: string;
  /** Resource-based policy statements (AddPermission). */
  statements: Array<Record<string, unknown>>;
}

export interface RoleRecord {
  name: string;
  arn: string;
  roleId: string;
  createDate: string;
  assumeRolePolicyDocument: string;
  description?: string;
  inlinePolicies: Record<string, string>;
}

interface State {
  functions: Record<string, FunctionRecord>;
  roles: Record<string, RoleRecord>;
}

/** Lambda's LastModified format: 2024-01-31T12:00:00.000+0000. */
export function lambdaTimestamp(d: Date): string {
  return d.toISOString().replace('Z', '+0000');
}

export class LambdaStore {
  private readonly state: State;
  private readonly statePath: string;

  constructor(
    private readonly dir: string,
    readonly region: string,
    readonly accountId: string,
  ) {
    mkdirSync(join(dir, 'code'), { recursive: true, mode: 0o700 });
    this.statePath = join(dir, 'state.json');
    this.state = existsSync(this.statePath)
      ? (JSON.parse(readFileSync(this.statePath, 'utf8')) as State)
      : { functions: {}, roles: {} };
  }

  private save(): void {
    writeFileAtomic(this.statePath, JSON.stringify(this.state, null, 2));
  }

  functionArn(name: string): string {
    return `arn:aws:lambda:${this.region}:${this.accountId}:function:${name}`;
  }

  getFunction(name: string): FunctionRecord | undefined {
    return this.state.functions[name];
  }

  codePath(fn: FunctionRecord): string {
    return join(this.dir, 'code', `${Buffer.from(fn.codeSha256, 'base64').toString('hex')}.zip`);
  }

  readCode(fn: FunctionRecord): Buffer {
    return readFileSync(this.codePath(fn));
  }

  putFunction(
    fn: Omit<FunctionRecord, 'codeSha256' | 'codeSize' | 'lastModified' | 'revisionId'>,
    zip: Buffer,
    now: Date,
  ): FunctionRecord {
    const record: FunctionRecord = {
      ...fn,
      codeSha256: createHash('sha256').update(zip).digest('base64'),
      codeSize: zip.length,
      lastModified: lambdaTimestamp(now),
      revisionId: randomUUID(),
    };
    writeFileAtomic(this.codePath(record), zip);
    this.state.functions[fn.name] = record;
    this.save();
    return record;
  }

  addStatement(name: string, statement: Record<string, unknown>): FunctionRecord {
    const fn = this.state.functions[name] as FunctionRecord;
    fn.statements.push(statement);
    fn.revisionId = randomUUID();
    this.save();
    return fn;
  }

  getRole(name: string): RoleRecord | undefined {
    return this.state.roles[name];
  }

  roleByArn(arn: string): RoleRecord | undefined {
    return Object.values(this.state.roles).find((r) => r.arn === arn);
  }

  createRole(role: Omit<RoleRecord, 'arn' | 'roleId' | 'createDate' | 'inlinePolicies'>, now: Date): RoleRecord {
    const record: RoleRecord = {
      ...role,
      arn: `arn:aws:iam::${this.accountId}:role/${role.name}`,
      roleId: `AROA${randomUUID().replace(/-/g, '').slice(0, 17).toUpperCase()}`,
      createDate: now.toISOString(),
      inlinePolicies: {},
    };
    this.state.roles[role.name] = record;
    this.save();
    return record;
  }

  putRolePolicy(roleName: string, policyName: string, document: string): void {
    (this.state.roles[roleName] as RoleRecord).inlinePolicies[policyName] = document;
    this.save();
  }

  /** The role's inline policies, parsed (what the function's temporary credentials may do). */
  rolePolicies(roleArn: string): PolicyDocument[] {
    const role = this.roleByArn(roleArn);
    return role ? Object.values(role.inlinePolicies).map((d) => JSON.parse(d) as PolicyDocument) : [];
  }
}
