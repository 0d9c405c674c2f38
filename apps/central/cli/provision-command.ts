import type { Noble } from '../../../ble/index.js';
import { ADV_NAME_MAX_CHARS, isProvisioningError } from '../../../protocol/index.js';
import { parseSetupCode, parseSetupPayload } from '../../../protocol/session/index.js';
import { provisionDevice } from '../../../central/engine/index.js';
import { DeviceFinder, NobleDeviceLink, scanDevices } from '../../../ble/central/index.js';
import type { DeviceLink, Phase, ProvisionJob, ProvisionResult, WifiSettings } from '../../../central/engine/index.js';
import { connectHttp } from '../../../softap-fallback/client/index.js';
import { claimMessage, CloudSession } from '../../../central/cloud/index.js';
import { readCodesFile } from './codes-file.js';
import type { DeviceCode } from './codes-file.js';
import type { CommandContext } from './context.js';
import { CliUsageError } from './exit-codes.js';
import type { CliIo, Output } from './io.js';
import { promptSecret, readSecretFile } from './secret-input.js';
import { nodePbkdf2Sha256, nodeRandom } from './node-crypto.js';

/** Environment variables that may hold secrets for `provision` (never echoed). */
export const WIFI_PASSWORD_ENV = 'CENTRAL_WIFI_PASSWORD';
export const SETUP_CODE_ENV = 'CENTRAL_SETUP_CODE';

export interface ProvisionFlags {
  device?: string;
  qr?: string;
  setupCode?: string;
  ssid?: string;
  passwordFile?: string;
  open: boolean;
  scan: boolean;
  params: string[];
  all: boolean;
  codes?: string;
  findTimeoutMs?: number;
  /** Devices provisioned at once in a batch (default {@link BATCH_PARALLEL_LINKS}). */
  parallel?: number;
  /** Provision over the device's SoftAP HTTP API at this URL instead of BLE (`--transport softap --url URL`). */
  softapUrl?: string;
}

/** Links a batch runs at once by default, and at most (one adapter; each link holds a connection). */
export const BATCH_PARALLEL_LINKS = 3;
export const MAX_PARALLEL_LINKS = 8;

export async function devices(noble: Noble, out: Output, durationMs?: number): Promise<void> {
  const found = await scanDevices(noble, durationMs);
  const rows = found.map((d) => ({
    name: d.name,
    // An 8-character name may be the first 8 characters of a longer id (PROTOCOL.md §3).
    nameMayBeShortened: d.name.length >= ADV_NAME_MAX_CHARS,
    idTag: d.idTag ? Buffer.from(d.idTag).toString('hex') : null,
    address: d.address,
    rssi: d.rssi,
    state: d.state ?? 'unknown',
    busy: d.busy,
  }));
  const names = rows.map((r) => `${r.name}${r.nameMayBeShortened ? '…' : ''}`);
  const width = Math.max(10, ...names.map((n) => n.length));
  const human =
    rows.length === 0
      ? 'No provisioning devices in range.'
      : [
          `${'NAME'.padEnd(width)} ${'ID TAG'.padEnd(8)} ${'RSSI'.padStart(5)}  ${'STATE'.padEnd(18)} ADDRESS`,
          ...rows.map(
            (r, i) =>
              `${names[i]!.padEnd(width)} ${(r.idTag ?? '-').padEnd(8)} ${String(r.rssi).padStart(5)}  ${(r.state + (r.busy ? ' (busy)' : '')).padEnd(18)} ${r.address}`,
          ),
          ...(rows.some((r) => r.nameMayBeShortened)
            ? [
                '… the advertisement holds 8 characters of a longer id; the id tag tells ids with the same start apart (provision --device ID checks both)',
              ]
            : []),
        ].join('\n');
  out.result(human, { devices: rows });
}

function parseParams(params: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of params) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new CliUsageError(`--param must be NAME=VALUE, got ${p.slice(0, 32)}`);
    out[p.slice(0, eq)] = p.slice(eq + 1);
  }
  return out;
}

/**
 * Every usage problem of `provision` flags, found before the config is read, the login checked or a
 * secret prompted for: the user fixes the command line first.
 */
export function checkProvisionFlags(flags: ProvisionFlags): void {
  parseParams(flags.params);
  if (flags.all !== (flags.codes !== undefined)) throw new CliUsageError('--all and --codes FILE go together');
  if (flags.all && (flags.device || flags.qr))
    throw new CliUsageError('--all provisions the devices of --codes, not --device/--qr');
  if (flags.all && flags.softapUrl !== undefined)
    throw new CliUsageError('--all provisions over BLE; a SoftAP --url reaches one device');
  if (!flags.all && flags.qr && flags.device) throw new CliUsageError('choose one of --device and --qr');
  if (!flags.all && !flags.qr && !flags.device) throw new CliUsageError('--device NAME or --qr PAYLOAD is required');
  if (!flags.ssid) throw new CliUsageError('--ssid is required');
  if (flags.open && flags.passwordFile) throw new CliUsageError('choose one of --open and --password-file');
  if (flags.softapUrl !== undefined) softapBaseUrl(flags.softapUrl);
  const parallel = flags.parallel ?? BATCH_PARALLEL_LINKS;
  if (!Number.isInteger(parallel) || parallel < 1 || parallel > MAX_PARALLEL_LINKS)
    throw new CliUsageError(`--parallel must be 1-${MAX_PARALLEL_LINKS}`);
  if (flags.parallel !== undefined && !flags.all) throw new CliUsageError('--parallel works with --all only');
}

/** The Wi-Fi settings, and whether the password was typed at the prompt (then a wrong one is asked for again). */
async function wifiSettings(flags: ProvisionFlags, io: CliIo): Promise<{ wifi: WifiSettings; prompted: boolean }> {
  if (!flags.ssid) throw new CliUsageError('--ssid is required');
  if (flags.open) return { wifi: { ssid: flags.ssid }, prompted: false };
  const given = flags.passwordFile ? readSecretFile(flags.passwordFile, 'Wi-Fi password') : io.env[WIFI_PASSWORD_ENV];
  if (given !== undefined) return { wifi: { ssid: flags.ssid, passphrase: given }, prompted: false };
  return { wifi: { ssid: flags.ssid, passphrase: await promptWifiPassword(flags.ssid, io) }, prompted: true };
}

function promptWifiPassword(ssid: string, io: CliIo, again = ''): Promise<string> {
  return promptSecret(io, `Wi-Fi password for ${ssid}${again}: `, {
    what: 'Wi-Fi password',
    alternatives: `--password-file FILE, $${WIFI_PASSWORD_ENV}, or --open for an open network`,
  });
}

/**
 * The engine's `retryWifi` for a password typed at the prompt: says why the device could not join
 * and asks again on the same session; an empty answer (or no more input) gives up with the error.
 */
function askWifiAgain(ssid: string, io: CliIo, out: Output, tag: string): NonNullable<ProvisionJob['retryWifi']> {
  return async (err) => {
    out.progress(`${tag} ${err.message} [${err.code}]`);
    const passphrase = await promptWifiPassword(ssid, io, ' (again; empty to give up)').catch((failure: unknown) => {
      // Stdin ended (a pipe with one line): no second answer, so the device's error stands.
      if (isProvisioningError(failure) && failure.code === 'CONFIG_INVALID') return '';
      throw failure;
    });
    return passphrase === '' ? undefined : { ssid, passphrase };
  };
}

async function singleTarget(flags: ProvisionFlags, io: CliIo): Promise<DeviceCode> {
  if (flags.qr) {
    if (flags.device) throw new CliUsageError('choose one of --device and --qr');
    const p = parseSetupPayload(flags.qr);
    return { deviceId: p.deviceId, setupCode: p.setupCode };
  }
  if (!flags.device) throw new CliUsageError('--device NAME or --qr PAYLOAD is required');
  const code =
    flags.setupCode ??
    io.env[SETUP_CODE_ENV] ??
    (await promptSecret(io, `Setup code of ${flags.device}: `, {
      what: 'setup code',
      alternatives: `--setup-code CODE, $${SETUP_CODE_ENV}, or --qr PAYLOAD`,
    }));
  return { deviceId: flags.device, setupCode: parseSetupCode(code) };
}

function seconds(ms: number | undefined): string {
  return `${((ms ?? 0) / 1000).toFixed(1)} s`;
}

function resultLine(r: ProvisionResult, softap: boolean): string {
  const total = Object.values(r.phasesMs).reduce((a, b) => a + (b ?? 0), 0);
  const phases = (Object.keys(r.phasesMs) as Phase[]).map((p) => `${p} ${seconds(r.phasesMs[p])}`).join(', ');
  const carrier = softap ? `over SoftAP HTTP in ${r.attPayload}-byte frames` : `at ${r.attPayload}-byte ATT payloads`;
  return `Provisioned ${r.deviceId} as ${r.thingName} (certificate ${r.certificateId.slice(0, 12)}…) in ${seconds(total)}: ${phases}; ${r.bytesSent} bytes sent ${carrier}${r.attempts > 1 ? `, ${r.attempts} attempts` : ''}`;
}

function resultData(r: ProvisionResult, softap: boolean): Record<string, unknown> {
  return {
    deviceId: r.deviceId,
    thingName: r.thingName,
    certificateId: r.certificateId,
    phasesMs: r.phasesMs,
    bytesSent: r.bytesSent,
    attempts: r.attempts,
    attPayload: r.attPayload,
    transport: softap ? 'softap' : 'ble',
  };
}

/** The device's SoftAP base URL, checked: http(s), no credentials, nothing after the origin but a path. */
export function softapBaseUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new CliUsageError(`--url must be an http:// URL such as http://10.0.0.1, got ${text.slice(0, 64)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new CliUsageError('--url must start with http:// or https://');
  if (url.username || url.password || url.search || url.hash)
    throw new CliUsageError('--url takes no credentials, query or fragment');
  return url.origin;
}

/** Provisions one device, printing live progress on stderr. */
async function provisionOne(
  target: DeviceCode,
  wifi: WifiSettings,
  parameters: Record<string, string>,
  flags: ProvisionFlags,
  ctx: CommandContext,
  cloud: CloudSession,
  connect: (deviceId: string) => Promise<DeviceLink>,
  out: Output,
  retryWifi?: ProvisionJob['retryWifi'],
): Promise<ProvisionResult> {
  const tag = `[${target.deviceId}]`;
  let lastStep = '';
  return provisionDevice(
    {
      deviceId: target.deviceId,
      setupCode: target.setupCode,
      wifi,
      scan: flags.scan,
      claim: async () => claimMessage(await cloud.claim(), ctx.config, parameters),
      ...(retryWifi ? { retryWifi } : {}),
    },
    {
      connect: () => connect(target.deviceId),
      random: nodeRandom,
      pbkdf2: nodePbkdf2Sha256,
      hooks: {
        onPhase: (phase, attempt, bytes) =>
          out.progress(
            `${tag} ${phase}${attempt > 1 ? ` (attempt ${attempt})` : ''}…${bytes > 0 ? ` (${bytes} bytes sent)` : ''}`,
          ),
        onStatus: (s) => {
          const line = `${s.progress !== undefined ? `${String(s.progress).padStart(3)}% ` : ''}${s.state}${s.step ? `: ${s.step}` : ''}${s.error ? ` [${s.error}]` : ''}`;
          if (line !== lastStep) out.progress(`${tag}   ${line}`);
          lastStep = line;
        },
        onScan: (networks) => {
          out.progress(`${tag} networks the device sees:`);
          for (const n of networks)
            out.progress(
              `${tag}   ${new TextDecoder().decode(n.ssid).padEnd(32)} ${String(n.rssi).padStart(4)} dBm  ${n.security}  ch ${n.channel}`,
            );
        },
        onRetry: (attempt, err) =>
          out.progress(`${tag} link problem on attempt ${attempt} (${err.code}); reconnecting`),
      },
    },
  );
}

export interface BatchRow {
  deviceId: string;
  ok: boolean;
  thingName?: string;
  certificateId?: string;
  error?: { code: string; message: string };
  totalMs?: number;
}

/**
 * `provision`: one device (by name or QR payload), or `--all` devices of a codes file, one login
 * and one claim source for all, `parallel` links at once. In a batch a failure on one device does
 * not stop the others.
 * Returns false when some device failed.
 */
export async function provision(
  ctx: CommandContext,
  flags: ProvisionFlags,
  loadNoble: () => Noble,
  out: Output,
  io: CliIo,
): Promise<boolean> {
  checkProvisionFlags(flags);
  const parameters = parseParams(flags.params);
  const softapUrl = flags.softapUrl === undefined ? undefined : softapBaseUrl(flags.softapUrl);
  const targets = flags.all ? readCodesFile(flags.codes!) : [await singleTarget(flags, io)];
  const { wifi, prompted } = await wifiSettings(flags, io);
  // Fail early on the login, before any device is touched.
  await ctx.auth.tokens();
  const cloud = new CloudSession({ config: ctx.config, idToken: () => ctx.auth.idToken() });
  const softap = softapUrl !== undefined;
  let connect: (deviceId: string) => Promise<DeviceLink>;
  if (softapUrl !== undefined) {
    // The device id read from info is still checked against the target (provisionDevice).
    connect = () => connectHttp(softapUrl);
  } else {
    const finder = new DeviceFinder(loadNoble());
    connect = async (deviceId) => NobleDeviceLink.connect(await finder.find(deviceId, flags.findTimeoutMs));
  }
  if (!flags.all) {
    const target = targets[0]!;
    // A batch shares one password over parallel links: a wrong one fails each device instead.
    const retry = prompted ? askWifiAgain(wifi.ssid, io, out, `[${target.deviceId}]`) : undefined;
    const r = await provisionOne(target, wifi, parameters, flags, ctx, cloud, connect, out, retry);
    out.result(resultLine(r, softap), resultData(r, softap));
    return true;
  }
  const parallel = flags.parallel ?? BATCH_PARALLEL_LINKS;
  const rows: BatchRow[] = new Array<BatchRow>(targets.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < targets.length; i = next++) {
      const target = targets[i]!;
      try {
        const r = await provisionOne(target, wifi, parameters, flags, ctx, cloud, connect, out);
        out.progress(resultLine(r, softap));
        rows[i] = {
          deviceId: r.deviceId,
          ok: true,
          thingName: r.thingName,
          certificateId: r.certificateId,
          totalMs: Object.values(r.phasesMs).reduce((a, b) => a + (b ?? 0), 0),
        };
      } catch (err) {
        if (!isProvisioningError(err)) throw err;
        out.progress(`[${target.deviceId}] failed: ${err.message} [${err.code}]`);
        rows[i] = { deviceId: target.deviceId, ok: false, error: { code: err.code, message: err.message } };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, targets.length) }, worker));
  const failed = rows.filter((r) => !r.ok).length;
  const table = [
    `${'DEVICE'.padEnd(12)} ${'RESULT'.padEnd(8)} DETAIL`,
    ...rows.map(
      (r) =>
        `${r.deviceId.padEnd(12)} ${(r.ok ? 'ok' : 'FAILED').padEnd(8)} ${r.ok ? `${r.thingName} in ${seconds(r.totalMs)}` : `${r.error!.code}: ${r.error!.message}`}`,
    ),
    `${rows.length - failed} of ${rows.length} provisioned; ${cloud.claimsIssued} claim(s) used`,
  ].join('\n');
  out.result(table, { devices: rows, provisioned: rows.length - failed, failed, claimsIssued: cloud.claimsIssued });
  return failed === 0;
}
