/**
 * A minimal AWS Lambda API (REST-JSON, signing name `lambda`: CreateFunction, GetFunction,
 * UpdateFunctionCode, AddPermission, GetPolicy) and IAM API (awsQuery, signing name `iam`:
 * CreateRole, GetRole, PutRolePolicy), served on the control plane's port next to AWS IoT (their
 * paths do not overlap), SigV4-verified and IAM-authorized like it, with the services' shapes and
 * error formats, so `npx tp-setup --real --endpoint-url …` deploys the hook here unmodified.
 */
import { randomUUID } from 'node:crypto';
import type { AwsCredentialRecord } from '../contracts/index.js';
import { authorize } from '../control-plane/index.js';
import { AwsServiceError } from '../sigv4/index.js';
import type { FunctionRecord, LambdaStore } from './store.js';

export interface ServiceRequest {
  method: string;
  rawPath: string;
  body: Buffer;
  credential: AwsCredentialRecord;
}

export interface ServiceResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const LAMBDA_PREFIX = '/2015-03-31/functions';
const FUNCTION_NAME = /^[a-zA-Z0-9-_]{1,64}$/;

const json = (status: number, body: unknown): ServiceResponse => ({
  status,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});
const lambdaError = (type: string, status: number, message: string): AwsServiceError =>
  new AwsServiceError(type, status, message);

/** What the API learns from the execution environments: a function's State, and new code to warm. */
export interface FunctionLifecycle {
  stateOf(fn: FunctionRecord): 'Pending' | 'Active' | 'Failed';
  codeChanged(fn: FunctionRecord): void;
}

function configuration(fn: FunctionRecord, state: 'Pending' | 'Active' | 'Failed'): Record<string, unknown> {
  return {
    FunctionName: fn.name,
    FunctionArn: fn.arn,
    Runtime: fn.runtime,
    Role: fn.role,
    Handler: fn.handler,
    CodeSize: fn.codeSize,
    Description: fn.description,
    Timeout: fn.timeoutSeconds,
    MemorySize: fn.memorySize,
    LastModified: fn.lastModified,
    CodeSha256: fn.codeSha256,
    Version: '$LATEST',
    State: state,
    LastUpdateStatus: state === 'Pending' ? 'InProgress' : state === 'Active' ? 'Successful' : 'Failed',
    PackageType: 'Zip',
    Architectures: ['x86_64'],
    RevisionId: fn.revisionId,
  };
}

function nameOf(label: string): string {
  const name = decodeURIComponent(label).replace(/^arn:aws:lambda:[^:]+:\d{12}:function:/, '');
  if (!FUNCTION_NAME.test(name))
    throw lambdaError(
      'InvalidParameterValueException',
      400,
      `1 validation error detected: Value '${name}' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern`,
    );
  return name;
}

function parseBody(body: Buffer): Record<string, unknown> {
  try {
    const v = body.length === 0 ? {} : (JSON.parse(body.toString('utf8')) as unknown);
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // falls through
  }
  throw lambdaError('InvalidRequestContentException', 400, 'Could not parse request body into json');
}

const str = (b: Record<string, unknown>, k: string, required = true): string => {
  const v = b[k];
  if (typeof v === 'string' && v.length > 0) return v;
  if (!required && v === undefined) return '';
  throw lambdaError('InvalidParameterValueException', 400, `${k} is required and must be a string`);
};

/**
 * Lambda: a deployment package uploaded through the API is at most 50 MB zipped ("Lambda quotas");
 * base64 in the JSON body makes that about 67 MB.
 */
export const MAX_LAMBDA_REQUEST_BYTES = 70 * 1024 * 1024;

export class LambdaIamApi {
  readonly maxBodyBytes = MAX_LAMBDA_REQUEST_BYTES;
  constructor(
    private readonly store: LambdaStore,
    private readonly now: () => Date,
    private readonly lifecycle: FunctionLifecycle,
  ) {}

  private config(fn: FunctionRecord): Record<string, unknown> {
    return configuration(fn, this.lifecycle.stateOf(fn));
  }

  private deployed(fn: FunctionRecord): FunctionRecord {
    this.lifecycle.codeChanged(fn);
    return fn;
  }

  /** Which service a request is for, or undefined (AWS IoT's). */
  serviceOf(method: string, rawPath: string): 'lambda' | 'iam' | undefined {
    if (rawPath === LAMBDA_PREFIX || rawPath.startsWith(`${LAMBDA_PREFIX}/`)) return 'lambda';
    if (method === 'POST' && rawPath === '/') return 'iam';
    return undefined;
  }

  handle(service: 'lambda' | 'iam', req: ServiceRequest): ServiceResponse {
    if (service === 'iam') return this.iam(req);
    try {
      return this.lambda(req);
    } catch (err) {
      const e =
        err instanceof AwsServiceError ? err : lambdaError('ServiceException', 500, 'An internal error occurred');
      const h = e.toHttp();
      return { status: h.statusCode, headers: h.headers, body: JSON.stringify({ Type: 'User', message: e.message }) };
    }
  }

  private allow(req: ServiceRequest, action: string, resource: string): void {
    authorize(req.credential, [{ action, resource }], this.store.accountId);
  }

  private lambda(req: ServiceRequest): ServiceResponse {
    const parts = req.rawPath
      .slice(LAMBDA_PREFIX.length)
      .split('/')
      .filter((p) => p !== '');
    const m = req.method;
    if (parts.length === 0 && m === 'POST') return this.createFunction(req);
    const name = nameOf(parts[0] ?? '');
    const arn = this.store.functionArn(name);
    const fn = (): FunctionRecord =>
      this.store.getFunction(name) ??
      (() => {
        throw lambdaError('ResourceNotFoundException', 404, `Function not found: ${arn}`);
      })();
    if (parts.length === 1 && m === 'GET') {
      this.allow(req, 'lambda:GetFunction', arn);
      return json(200, {
        Configuration: this.config(fn()),
        Code: { RepositoryType: 'S3', Location: `file://${this.store.codePath(fn())}` },
      });
    }
    if (parts[1] === 'code' && m === 'PUT') {
      this.allow(req, 'lambda:UpdateFunctionCode', arn);
      const current = fn();
      const zip = Buffer.from(str(parseBody(req.body), 'ZipFile'), 'base64');
      return json(200, this.config(this.deployed(this.store.putFunction({ ...current }, zip, this.now()))));
    }
    if (parts[1] === 'policy' && m === 'POST') return this.addPermission(req, fn(), arn);
    if (parts[1] === 'policy' && m === 'GET') {
      this.allow(req, 'lambda:GetPolicy', arn);
      const f = fn();
      if (f.statements.length === 0)
        throw lambdaError('ResourceNotFoundException', 404, 'No policy is associated with the given resource.');
      return json(200, {
        Policy: JSON.stringify({ Version: '2012-10-17', Id: 'default', Statement: f.statements }),
        RevisionId: f.revisionId,
      });
    }
    throw lambdaError('UnknownOperationException', 404, `Unknown operation ${m} ${req.rawPath}`);
  }

  private createFunction(req: ServiceRequest): ServiceResponse {
    const b = parseBody(req.body);
    const name = nameOf(str(b, 'FunctionName'));
    const arn = this.store.functionArn(name);
    this.allow(req, 'lambda:CreateFunction', arn);
    const role = str(b, 'Role');
    this.allow(req, 'iam:PassRole', role);
    if (this.store.getFunction(name))
      throw lambdaError('ResourceConflictException', 409, `Function already exist: ${name}`);
    if (!this.store.roleByArn(role))
      throw lambdaError(
        'InvalidParameterValueException',
        400,
        'The role defined for the function cannot be assumed by Lambda.',
      );
    const code = (b.Code ?? {}) as Record<string, unknown>;
    const zip = Buffer.from(str(code, 'ZipFile'), 'base64');
    const timeout = typeof b.Timeout === 'number' ? b.Timeout : 3;
    if (!Number.isInteger(timeout) || timeout < 1 || timeout > 900)
      throw lambdaError('InvalidParameterValueException', 400, 'Timeout must be 1-900 seconds');
    const fn = this.store.putFunction(
      {
        name,
        arn,
        runtime: str(b, 'Runtime'),
        role,
        handler: str(b, 'Handler'),
        description: str(b, 'Description', false),
        timeoutSeconds: timeout,
        memorySize: typeof b.MemorySize === 'number' ? b.MemorySize : 128,
        statements: [],
      },
      zip,
      this.now(),
    );
    return json(201, this.config(this.deployed(fn)));
  }

  private addPermission(req: ServiceRequest, fn: FunctionRecord, arn: string): ServiceResponse {
    this.allow(req, 'lambda:AddPermission', arn);
    const b = parseBody(req.body);
    const sid = str(b, 'StatementId');
    if (fn.statements.some((s) => s.Sid === sid)) {
      throw lambdaError(
        'ResourceConflictException',
        409,
        `The statement id (${sid}) provided already exists. Please provide a new statement id, or remove the existing statement.`,
      );
    }
    const principal = str(b, 'Principal');
    const condition: Record<string, Record<string, string>> = {};
    if (typeof b.SourceAccount === 'string') condition.StringEquals = { 'AWS:SourceAccount': b.SourceAccount };
    if (typeof b.SourceArn === 'string') condition.ArnLike = { 'AWS:SourceArn': b.SourceArn };
    const statement = {
      Sid: sid,
      Effect: 'Allow',
      Principal: principal.endsWith('.amazonaws.com') ? { Service: principal } : { AWS: principal },
      Action: str(b, 'Action'),
      Resource: arn,
      ...(Object.keys(condition).length > 0 ? { Condition: condition } : {}),
    };
    this.store.addStatement(fn.name, statement);
    return json(201, { Statement: JSON.stringify(statement) });
  }

  // ---- IAM (awsQuery: form-encoded request, XML response) ----

  private iam(req: ServiceRequest): ServiceResponse {
    const p = new URLSearchParams(req.body.toString('utf8'));
    const action = p.get('Action') ?? '';
    try {
      const roleName = p.get('RoleName') ?? '';
      const roleArn = `arn:aws:iam::${this.store.accountId}:role/${roleName}`;
      if (!/^[\w+=,.@-]{1,64}$/.test(roleName))
        throw iamError(
          'ValidationError',
          400,
          `1 validation error detected: Value '${roleName}' at 'roleName' failed to satisfy constraint`,
        );
      if (action === 'GetRole') {
        this.allow(req, 'iam:GetRole', roleArn);
        const role = this.store.getRole(roleName);
        if (!role) throw iamError('NoSuchEntity', 404, `The role with name ${roleName} cannot be found.`);
        return xml(action, roleXml(role));
      }
      if (action === 'CreateRole') {
        this.allow(req, 'iam:CreateRole', roleArn);
        if (this.store.getRole(roleName))
          throw iamError('EntityAlreadyExists', 409, `Role with name ${roleName} already exists.`);
        const trust = p.get('AssumeRolePolicyDocument');
        if (!trust) throw iamError('ValidationError', 400, 'AssumeRolePolicyDocument is required');
        const description = p.get('Description');
        return xml(
          action,
          roleXml(
            this.store.createRole(
              { name: roleName, assumeRolePolicyDocument: trust, ...(description ? { description } : {}) },
              this.now(),
            ),
          ),
        );
      }
      if (action === 'PutRolePolicy') {
        this.allow(req, 'iam:PutRolePolicy', roleArn);
        if (!this.store.getRole(roleName))
          throw iamError('NoSuchEntity', 404, `The role with name ${roleName} cannot be found.`);
        const policyName = p.get('PolicyName') ?? '';
        const doc = p.get('PolicyDocument') ?? '';
        try {
          JSON.parse(doc);
        } catch {
          throw iamError('MalformedPolicyDocument', 400, 'Syntax errors in policy.');
        }
        this.store.putRolePolicy(roleName, policyName, doc);
        return xml(action, '');
      }
      throw iamError('InvalidAction', 400, `Could not find operation ${action} for version 2010-05-08`);
    } catch (err) {
      const e = err instanceof AwsServiceError ? err : iamError('ServiceFailure', 500, 'An internal error occurred');
      const code = e.type.replace(/Exception$/, '');
      const body = `<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>${esc(code === 'AccessDenied' ? 'AccessDenied' : code)}</Code><Message>${esc(e.message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`;
      return { status: e.statusCode, headers: { 'content-type': 'text/xml' }, body };
    }
  }
}

const iamError = (code: string, status: number, message: string): AwsServiceError =>
  new AwsServiceError(code, status, message);

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function roleXml(role: {
  name: string;
  arn: string;
  roleId: string;
  createDate: string;
  assumeRolePolicyDocument: string;
  description?: string;
}): string {
  return (
    `<Role><Path>/</Path><RoleName>${esc(role.name)}</RoleName><RoleId>${role.roleId}</RoleId><Arn>${esc(role.arn)}</Arn><CreateDate>${role.createDate}</CreateDate>` +
    `<AssumeRolePolicyDocument>${esc(encodeURIComponent(role.assumeRolePolicyDocument))}</AssumeRolePolicyDocument>${role.description ? `<Description>${esc(role.description)}</Description>` : ''}</Role>`
  );
}

function xml(action: string, result: string): ServiceResponse {
  const body = `<${action}Response xmlns="https://iam.amazonaws.com/doc/2010-05-08/">${result ? `<${action}Result>${result}</${action}Result>` : ''}<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${action}Response>`;
  return { status: 200, headers: { 'content-type': 'text/xml' }, body };
}
