/**
 * The programs' word on the Node.js they run on. Every program's first import is a one-line module
 * of its own folder (apps/device/node-notice.ts, apps/central/, cloud/, ble/air/, demo/) that calls
 * `foldNodeWarnings(process, console)`: first, so before any library loads and runs its import-time
 * checks. Pure text and a host handed in (protocol/ does no I/O), as protocol/cli-usage.ts.
 *
 * Node 24 LTS is the documented runtime and 22 is supported; there this does nothing. On an older
 * Node (20 reached end of life on 2026-04-30) two libraries warn on their own, each in its own words
 * and at its own moment, mid-progress: oidc-provider ("Unsupported runtime", on import) and the AWS
 * SDK (a NodeVersionSupportWarning of nine lines, on the first client). Instead the program prints
 * one line at start-up that says the same thing plainly and names the fix, and those two warnings
 * are folded into it (each replaced, never silently: the line says that it stands for them).
 * Programs this program starts (the demo's devices) get NODE_NOTICE_SHOWN, so that one run prints
 * the line once.
 */

/** The oldest major version that is not past its end of life. */
export const SUPPORTED_MAJOR = 22;
/** Set in the environment of child programs: the parent already printed the notice. */
export const NODE_NOTICE_SHOWN = 'TP_NODE_NOTICE_SHOWN';
/** The AWS SDK's own switch for its NodeVersionSupportWarning. */
const AWS_SDK_SWITCH = 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED';
/** oidc-provider's import-time line (console.warn, red when stderr is a terminal). */
const OIDC_PROVIDER_LINE = 'oidc-provider WARNING: Unsupported runtime.';
/** Known end-of-life dates of the majors the project still installs on. */
const END_OF_LIFE: Readonly<Record<number, string>> = { 20: '2026-04-30' };

/** The one line for `version` (process.version), or undefined on a supported Node. */
export function nodeSupportNotice(version: string): string | undefined {
  const major = Number(/^v?(\d+)\./.exec(version)?.[1]);
  if (!Number.isInteger(major) || major >= SUPPORTED_MAJOR) return undefined;
  const since = END_OF_LIFE[major] ? ` since ${END_OF_LIFE[major]}` : '';
  return (
    `note: Node.js ${version} is past its end of life${since} and not supported; use Node.js 24 LTS ` +
    `(22 also works). This line stands for oidc-provider's and the AWS SDK's warnings about it.`
  );
}

/** What the notice needs of the process (Node's `process` is one). */
export interface NodeSupportHost {
  readonly version: string;
  readonly env: Record<string, string | undefined>;
  readonly stderr: { write(text: string): unknown };
}

/**
 * On an unsupported Node: prints the notice (unless a parent program did), turns off the AWS SDK's
 * warning and replaces oidc-provider's next warning line by nothing. Returns whether it acted.
 */
export function foldNodeWarnings(host: NodeSupportHost, console: Pick<Console, 'warn'>): boolean {
  const notice = nodeSupportNotice(host.version);
  if (notice === undefined) return false;
  if (host.env[NODE_NOTICE_SHOWN] === undefined) host.stderr.write(`${notice}\n`);
  host.env[AWS_SDK_SWITCH] = 'true';
  const warn = console.warn;
  // One line, once: oidc-provider prints it at most once per process; every other warning passes.
  console.warn = (...args: unknown[]): void => {
    if (typeof args[0] === 'string' && args[0].includes(OIDC_PROVIDER_LINE)) {
      console.warn = warn;
      return;
    }
    warn.apply(console, args);
  };
  return true;
}
