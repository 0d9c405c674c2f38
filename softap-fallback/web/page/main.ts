/**
 * The SoftAP upload page (issue #9): setup code → Wi-Fi scan → network, password, claim files →
 * progress to "provisioned". All protocol work is the shared code (protocol/, central/engine/), run
 * here in the browser, so the Wi-Fi password and the claim key are sealed before they leave the
 * phone. Served by the device itself under CSP default-src 'self': no inline script, no CDN.
 */
import { isProvisioningError, IN_PROGRESS_STATES } from '../../../protocol/index.js';
import type { ScanNetwork, StatusMessage, ProvisioningState } from '../../../protocol/index.js';
import { formatSetupCode, parseSetupCode } from '../../../protocol/session/index.js';
import { apiPath } from '../../client/index.js';
import type { ClaimDefaults } from '../../client/index.js';
import { buildClaim } from './claim.js';
import type { PemSource } from './claim.js';
import { checkCodeAndScan, provision } from './device.js';
import { checkEndpoint, checkWifi, FieldError, formatParameters } from './form.js';
import { checkCertificatePem, checkFileSize, checkPrivateKeyPem } from './pem.js';
import type { FieldId } from './form.js';
import { errorText, PHASE_TEXT, STATE_TEXT } from './texts.js';

const origin = location.origin;

function el<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`the page lacks #${id}`);
  return found as T;
}
const input = (id: string): HTMLInputElement => el<HTMLInputElement>(id);

const codeForm = el<HTMLFormElement>('code-form');
const setupForm = el<HTMLFormElement>('setup-form');
const connectButton = el<HTMLButtonElement>('connect');
const submitButton = el<HTMLButtonElement>('submit');
const rescanButton = el<HTMLButtonElement>('rescan');
const networksBox = el('networks');
const hiddenRadio = input('network-hidden');
const progressBar = el<HTMLProgressElement>('progress-bar');
const statusLine = el('status');
const steps = el('steps');

interface Connected {
  readonly deviceId: string;
  readonly setupCode: string;
  networks: readonly ScanNetwork[];
}
let connected: Connected | undefined;
let busy = false;

// ---- messages -------------------------------------------------------------------------------

function clearMessages(): void {
  el('error').hidden = true;
  document.querySelectorAll('[aria-invalid=true]').forEach((bad) => bad.removeAttribute('aria-invalid'));
}

function showError(err: unknown): void {
  const code = isProvisioningError(err) ? err.code : 'INTERNAL';
  const text = isProvisioningError(err)
    ? errorText(code, err.detail)
    : errorText('INTERNAL', 'unexpected failure in the page');
  el('error-message').textContent = text.message;
  el('error-code').textContent = text.code;
  el('error-advice').textContent = text.advice;
  el('error').hidden = false;
  el('error').scrollIntoView({ block: 'nearest' });
  statusLine.textContent = '';
  if (err instanceof FieldError) markField(err.field);
}

function markField(field: FieldId): void {
  const target =
    field === 'network' ? (networksBox.querySelector('input') ?? hiddenRadio) : document.getElementById(field);
  if (!target) return;
  target.setAttribute('aria-invalid', 'true');
  target.focus();
}

function setBusy(on: boolean): void {
  busy = on;
  connectButton.disabled = on;
  submitButton.disabled = on;
  rescanButton.disabled = on;
}

// ---- step 1: setup code and scan --------------------------------------------------------------

function signal(rssi: number): string {
  return rssi >= -55 ? 'strong signal' : rssi >= -70 ? 'good signal' : 'weak signal';
}

function ssidText(network: ScanNetwork): string {
  return new TextDecoder().decode(network.ssid);
}

function renderNetworks(networks: readonly ScanNetwork[]): void {
  networksBox.replaceChildren();
  networks.forEach((n, i) => {
    const row = document.createElement('div');
    row.className = 'network-row';
    const radio = document.createElement('input');
    radio.type = 'radio';
    radio.name = 'network';
    radio.id = `network-${i}`;
    radio.value = String(i);
    const label = document.createElement('label');
    label.htmlFor = radio.id;
    label.textContent = ssidText(n);
    const meta = document.createElement('span');
    meta.className = 'meta';
    meta.textContent = ` · ${signal(n.rssi)} · ${n.security === 'open' ? 'open' : n.security.toUpperCase()}`;
    label.append(meta);
    row.append(radio, label);
    networksBox.append(row);
  });
  if (networks.length === 0) {
    const none = document.createElement('p');
    none.className = 'hint';
    none.textContent = 'No networks found: choose "Other (hidden) network" and type its name, or scan again.';
    networksBox.append(none);
  }
}

/** Strongest first, one row per network name. */
function distinctNetworks(networks: readonly ScanNetwork[]): ScanNetwork[] {
  const best = new Map<string, ScanNetwork>();
  for (const n of networks) {
    const key = ssidText(n);
    if (key === '') continue;
    const seen = best.get(key);
    if (!seen || seen.rssi < n.rssi) best.set(key, n);
  }
  return [...best.values()].sort((a, b) => b.rssi - a.rssi);
}

async function connect(): Promise<void> {
  clearMessages();
  let setupCode: string;
  try {
    setupCode = formatSetupCode(parseSetupCode(input('setup-code').value));
  } catch (err) {
    throw isProvisioningError(err) ? new FieldError('setup-code', err.code, err.detail ?? err.message) : err;
  }
  statusLine.textContent = 'Checking the setup code and scanning for Wi-Fi networks…';
  const check = await checkCodeAndScan(origin, setupCode);
  input('setup-code').value = setupCode;
  if (check.state === 'provisioned') {
    statusLine.textContent = 'This device is already provisioned. Reset it first to set it up again.';
    return;
  }
  if (IN_PROGRESS_STATES.includes(check.state)) {
    statusLine.textContent = `This device is setting itself up right now (${STATE_TEXT[check.state]}). Wait a minute, then connect again to see the result.`;
    return;
  }
  const networks = distinctNetworks(check.networks);
  connected = { deviceId: check.deviceId, setupCode, networks };
  renderNetworks(networks);
  statusLine.textContent = `Setup code accepted by ${check.deviceId}. Found ${networks.length} Wi-Fi network${networks.length === 1 ? '' : 's'}.`;
  setupForm.hidden = false;
  (networksBox.querySelector('input') ?? hiddenRadio).focus();
}

// ---- step 2: the job ------------------------------------------------------------------------

function pemSource(fileId: string, textId: string): PemSource {
  const file = input(fileId).files?.[0];
  if (file) return { file };
  const text = el<HTMLTextAreaElement>(textId).value;
  return text.trim() === '' ? undefined : { text };
}

function chosenNetwork(): { ssid: string; hidden: boolean; security?: ScanNetwork['security'] } {
  const picked = setupForm.querySelector<HTMLInputElement>('input[name=network]:checked');
  if (!picked) return { ssid: '', hidden: false };
  if (picked === hiddenRadio) return { ssid: input('hidden-ssid').value, hidden: true };
  const n = connected?.networks[Number(picked.value)];
  return n ? { ssid: ssidText(n), hidden: false, security: n.security } : { ssid: '', hidden: false };
}

function showStatus(status: StatusMessage, seen: Set<ProvisioningState>): void {
  if (status.progress !== undefined) progressBar.value = status.progress;
  if (status.error !== undefined) return;
  statusLine.textContent = STATE_TEXT[status.state];
  if (seen.has(status.state)) return;
  seen.add(status.state);
  const li = document.createElement('li');
  li.textContent = STATE_TEXT[status.state];
  steps.append(li);
}

async function submit(): Promise<void> {
  clearMessages();
  if (!connected) throw new FieldError('setup-code', 'SESSION_REQUIRED', 'enter the setup code and connect first');
  const network = chosenNetwork();
  const wifi = checkWifi({ ...network, password: input('password').value });
  const endpoint = checkEndpoint({
    host: input('host').value,
    port: input('port').value,
    templateName: input('template').value,
    parameters: el<HTMLTextAreaElement>('parameters').value,
  });
  const caFile = input('ca-file').files?.[0];
  const claim = await buildClaim({
    certificate: pemSource('cert-file', 'cert-text'),
    privateKey: pemSource('key-file', 'key-text'),
    ca: caFile ? { file: caFile } : undefined,
    endpoint,
    now: Date.now(),
  });
  el('done').hidden = true;
  steps.replaceChildren();
  progressBar.value = 0;
  progressBar.hidden = false;
  el('progress').scrollIntoView({ block: 'start' });
  const seen = new Set<ProvisioningState>();
  const result = await provision(
    origin,
    { deviceId: connected.deviceId, setupCode: connected.setupCode, wifi, claim },
    {
      onPhase: (phase) => {
        statusLine.textContent = PHASE_TEXT[phase];
      },
      onStatus: (s) => showStatus(s, seen),
      onRetry: () => {
        statusLine.textContent = 'The connection dropped; reconnecting…';
      },
    },
  );
  progressBar.value = 100;
  statusLine.textContent = `${STATE_TEXT.provisioned}: ${result.thingName}`;
  el('thing-name').textContent = result.thingName;
  el('done').hidden = false;
  setupForm.hidden = true;
  codeForm.hidden = true;
}

/** Checks a picked file at once and says so beside it; the error box waits for submit. */
async function describeFile(kind: 'cert' | 'key'): Promise<void> {
  const hint = el(`${kind}-hint`);
  const file = input(`${kind}-file`).files?.[0];
  hint.textContent = '';
  if (!file) return;
  try {
    checkFileSize(kind === 'cert' ? 'certificate' : 'privateKey', file.size);
    const text = await file.text();
    if (kind === 'key') {
      checkPrivateKeyPem(text);
      hint.textContent = 'Private key: looks right.';
      return;
    }
    const { notAfter } = checkCertificatePem(text, Date.now());
    const minutes = Math.max(0, Math.floor((notAfter - Date.now()) / 60_000));
    hint.textContent = `Claim certificate valid until ${new Date(notAfter).toLocaleTimeString()} (${minutes} min left).`;
  } catch (err) {
    hint.textContent = isProvisioningError(err)
      ? `Problem: ${err.detail ?? err.message}`
      : 'Problem: this file cannot be read';
  }
}

// ---- wiring ----------------------------------------------------------------------------------

function run(task: () => Promise<void>): void {
  if (busy) return;
  setBusy(true);
  task()
    .catch(showError)
    .finally(() => setBusy(false));
}

async function prefillEndpoint(): Promise<void> {
  const res = await fetch(apiPath.claimDefaults, { credentials: 'same-origin', cache: 'no-store' });
  if (!res.ok) {
    el<HTMLDetailsElement>('endpoint').open = true;
    return;
  }
  const d = (await res.json()) as Partial<ClaimDefaults>;
  const fill = (id: string, value: unknown): void => {
    if ((typeof value === 'string' || typeof value === 'number') && input(id).value === input(id).defaultValue)
      input(id).value = String(value);
  };
  fill('host', d.host);
  fill('port', d.port);
  fill('template', d.templateName);
  const params = el<HTMLTextAreaElement>('parameters');
  if (params.value === '' && d.parameters && typeof d.parameters === 'object')
    params.value = formatParameters(d.parameters);
  if (!d.host || !d.templateName) el<HTMLDetailsElement>('endpoint').open = true;
}

codeForm.addEventListener('submit', (e) => {
  e.preventDefault();
  run(connect);
});
setupForm.addEventListener('submit', (e) => {
  e.preventDefault();
  run(submit);
});
rescanButton.addEventListener('click', () => run(connect));
input('cert-file').addEventListener('change', () => void describeFile('cert'));
input('key-file').addEventListener('change', () => void describeFile('key'));
setupForm.addEventListener('change', (e) => {
  const target = e.target as HTMLElement;
  if (target instanceof HTMLInputElement && target.name === 'network') {
    el('hidden-row').hidden = target !== hiddenRadio;
    if (target === hiddenRadio) input('hidden-ssid').focus();
  }
});
prefillEndpoint().catch(() => {
  el<HTMLDetailsElement>('endpoint').open = true;
});
