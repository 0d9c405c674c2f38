/**
 * The pre-provisioning hook. AWS calls a Lambda; the emulator calls what the template's
 * `preProvisioningHook.targetArn` names: an http(s) URL (POST of the JSON input, JSON output) or a
 * local module (a `file:` URL or an absolute path) whose default export (or `handler`) takes the
 * input and returns the output. AWS's input/output shapes; a hook that fails, answers late or says
 * anything but `allowProvisioning: true` refuses the registration.
 */
import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';

/** AWS gives a pre-provisioning hook 5 seconds. */
export const PRE_PROVISIONING_HOOK_TIMEOUT_MS = 5000;

export interface PreProvisioningHookInput {
  claimCertificateId: string;
  certificateId: string;
  certificatePem: string;
  templateArn: string;
  clientId: string;
  parameters: Record<string, string>;
}

export interface PreProvisioningHookOutput {
  allowProvisioning: boolean;
  parameterOverrides?: Record<string, string>;
}

export type HookHandler = (
  input: PreProvisioningHookInput,
) => PreProvisioningHookOutput | Promise<PreProvisioningHookOutput>;

/**
 * How hook targets are resolved. AWS names a Lambda function; the emulator maps such ARNs (or any
 * name) to an http(s) URL, a module path or an in-process handler through `targets`. Module paths
 * written straight into a template are loaded only while `allowModulePaths` is true (the default):
 * whoever may create templates may then make the emulator import a local module, so turn it off
 * when the control plane is reachable by anyone but you.
 */
export interface HookOptions {
  targets?: Record<string, string | HookHandler>;
  allowModulePaths?: boolean;
  timeoutMs?: number;
}

export type HookVerdict =
  { allowed: true; parameterOverrides: Record<string, string> } | { allowed: false; reason: string };

async function callTarget(
  target: string | HookHandler,
  input: PreProvisioningHookInput,
  signal: AbortSignal,
  options: HookOptions,
): Promise<unknown> {
  if (typeof target === 'function') return target(input);
  const mapped = options.targets?.[target];
  if (mapped !== undefined)
    return callTarget(mapped, input, signal, { ...options, targets: {}, allowModulePaths: true });
  if (/^https?:\/\//.test(target)) {
    const res = await fetch(target, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(input),
      signal,
    });
    if (!res.ok) throw new Error(`hook answered HTTP ${res.status}`);
    return res.json();
  }
  if (target.startsWith('file:') || isAbsolute(target)) {
    if (options.allowModulePaths === false) throw new Error('hook module paths are not allowed by this emulator');
    const url = target.startsWith('file:') ? target : pathToFileURL(target).href;
    const mod = (await import(url)) as { default?: unknown; handler?: unknown };
    const fn = (typeof mod.default === 'function' ? mod.default : mod.handler) as HookHandler | undefined;
    if (typeof fn !== 'function') throw new Error('hook module exports no default or handler function');
    return fn(input);
  }
  throw new Error('no local target is configured for this hook (map it in the broker hook targets)');
}

/** Runs the hook within {@link PRE_PROVISIONING_HOOK_TIMEOUT_MS}; never throws. */
export async function runPreProvisioningHook(
  targetArn: string,
  input: PreProvisioningHookInput,
  options: HookOptions = {},
): Promise<HookVerdict> {
  const timeoutMs = options.timeoutMs ?? PRE_PROVISIONING_HOOK_TIMEOUT_MS;
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new Error(`hook did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
  });
  try {
    const out = (await Promise.race([
      callTarget(targetArn, input, controller.signal, options),
      timeout,
    ])) as Partial<PreProvisioningHookOutput> | null;
    if (out === null || typeof out !== 'object' || out.allowProvisioning !== true)
      return { allowed: false, reason: 'the pre-provisioning hook refused the request' };
    const overrides: Record<string, string> = {};
    for (const [k, v] of Object.entries(out.parameterOverrides ?? {})) if (typeof v === 'string') overrides[k] = v;
    return { allowed: true, parameterOverrides: overrides };
  } catch (err) {
    return { allowed: false, reason: `the pre-provisioning hook failed: ${(err as Error).message}` };
  } finally {
    clearTimeout(timer);
  }
}
