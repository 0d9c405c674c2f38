/**
 * The provisioning web app (issue #19): log in (OIDC code + PKCE), get a claim (Cognito + AWS IoT
 * with the AWS SDK's browser clients), find a device with Web Bluetooth, check its setup code, pick
 * its Wi-Fi and provision it with the same engine as the CLI. Without Web Bluetooth it explains the
 * SoftAP path and saves a claim's files. Served under a CSP without inline script or CDN.
 */
import { isProvisioningError, ProvisioningError } from '../../../protocol/index.js';
import type { InfoMessage, ProvisioningState, ScanNetwork, StatusMessage } from '../../../protocol/index.js';
import type { WifiSettings } from '../../../central/engine/index.js';
import { formatSetupCode, parseSetupCode } from '../../../protocol/session/index.js';
import { claimMessage, CloudSession } from '../../../central/cloud/index.js';
import { chooseDevice, webBluetooth } from '../../../ble/web/index.js';
import { asCentralConfig, loadWebAppConfig } from './config.js';
import type { WebAppConfig } from './config.js';
import { checkCodeAndScan, provisionOverBluetooth, readDeviceInfo } from './device.js';
import { BrowserLogin } from './login.js';
import { errorText, PHASE_TEXT, STATE_TEXT } from './texts.js';
import { browserScanEnv, canScanLabels, scanLabel } from './qr.js';

function el<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`the page lacks #${id}`);
  return found as T;
}
const input = (id: string): HTMLInputElement => el<HTMLInputElement>(id);
const statusLine = el('status');

interface Chosen {
  readonly device: BluetoothDevice;
  readonly info: InfoMessage;
  setupCode?: string;
  networks: readonly ScanNetwork[];
}
let chosen: Chosen | undefined;
let busy = false;

function showError(err: unknown): void {
  const text = isProvisioningError(err)
    ? errorText(err.code, err.detail)
    : errorText('INTERNAL', 'unexpected failure in the app');
  el('error-message').textContent = text.message;
  el('error-code').textContent = text.code;
  el('error-advice').textContent = text.advice;
  el('error').hidden = false;
  statusLine.textContent = '';
  if (isProvisioningError(err) && err.code === 'LOGIN_REQUIRED') showScreen('login-screen');
}

function run(task: () => Promise<void>): void {
  if (busy) return;
  busy = true;
  el('error').hidden = true;
  document.querySelectorAll<HTMLButtonElement>('button').forEach((b) => (b.disabled = true));
  task()
    .catch(showError)
    .finally(() => {
      busy = false;
      document.querySelectorAll<HTMLButtonElement>('button').forEach((b) => (b.disabled = false));
    });
}

function showScreen(id: 'login-screen' | 'softap-screen' | 'find-screen'): void {
  for (const s of ['login-screen', 'softap-screen', 'find-screen']) el(s).hidden = s !== id;
  el('wifi-form').hidden = true;
}

// ---- find, check, provision ------------------------------------------------------------------

async function find(): Promise<void> {
  const device = await chooseDevice();
  statusLine.textContent = 'Reading the device…';
  const info = await readDeviceInfo(device);
  chosen = { device, info, networks: [] };
  el('device-id').textContent = info.deviceId;
  el('device-state').textContent = STATE_TEXT[info.state];
  el('device').hidden = false;
  el('done').hidden = true;
  el('wifi-form').hidden = true;
  statusLine.textContent = '';
  if (info.state === 'provisioned') throw new ProvisioningError('DEVICE_ALREADY_PROVISIONED');
  el('code-form').hidden = false;
  input('setup-code').focus();
}

function ssidText(n: ScanNetwork): string {
  return new TextDecoder().decode(n.ssid);
}

function renderNetworks(networks: readonly ScanNetwork[]): void {
  const box = el('networks');
  box.replaceChildren();
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
    meta.textContent = ` · ${n.rssi} dBm · ${n.security === 'open' ? 'open' : n.security.toUpperCase()}`;
    label.append(meta);
    row.append(radio, label);
    box.append(row);
  });
}

async function check(): Promise<void> {
  if (!chosen) throw new ProvisioningError('DEVICE_NOT_FOUND', { detail: 'find the device first' });
  let setupCode: string;
  try {
    setupCode = formatSetupCode(parseSetupCode(input('setup-code').value));
  } catch (err) {
    input('setup-code').setAttribute('aria-invalid', 'true');
    throw err;
  }
  input('setup-code').removeAttribute('aria-invalid');
  statusLine.textContent = 'Checking the setup code and asking for Wi-Fi networks…';
  const seen = new Map<string, ScanNetwork>();
  for (const n of await checkCodeAndScan(chosen.device, chosen.info.deviceId, setupCode)) {
    const prev = seen.get(ssidText(n));
    if (ssidText(n) !== '' && (!prev || prev.rssi < n.rssi)) seen.set(ssidText(n), n);
  }
  chosen.setupCode = setupCode;
  chosen.networks = [...seen.values()].sort((a, b) => b.rssi - a.rssi);
  renderNetworks(chosen.networks);
  statusLine.textContent = `Setup code accepted by ${chosen.info.deviceId}.`;
  el('wifi-form').hidden = false;
  (el('networks').querySelector('input') ?? input('network-hidden')).focus();
}

/** Aborts a running label scan (the person types instead). */
let stopScan: (() => void) | undefined;

/** Reads the setup code from the device's QR label with the camera, then checks it as a typed one. */
async function scanAndCheck(): Promise<void> {
  if (!chosen) throw new ProvisioningError('DEVICE_NOT_FOUND', { detail: 'find the device first' });
  const video = el<HTMLVideoElement>('camera');
  const abort = new AbortController();
  stopScan = () => abort.abort();
  const stop = el<HTMLButtonElement>('stop-scan');
  stop.hidden = false;
  stop.disabled = false;
  statusLine.textContent = "Point the camera at the device's QR label…";
  let code: string | undefined;
  try {
    code = await scanLabel(chosen.info.deviceId, {
      env: browserScanEnv(),
      signal: abort.signal,
      show: async (stream) => {
        video.srcObject = stream;
        video.hidden = false;
        await video.play();
        return video;
      },
    });
  } finally {
    stopScan = undefined;
    video.hidden = true;
    video.srcObject = null;
    stop.hidden = true;
  }
  if (code === undefined) {
    statusLine.textContent = '';
    return input('setup-code').focus();
  }
  input('setup-code').value = code;
  await check();
}

/** The Wi-Fi settings on the form: the network picked (or typed, hidden) and its password (none: an open network). */
function formWifi(): WifiSettings {
  const picked = document.querySelector<HTMLInputElement>('input[name=network]:checked');
  if (!picked) throw new ProvisioningError('MESSAGE_INVALID', { detail: 'choose a network' });
  const scanned = chosen?.networks[Number(picked.value)];
  const network =
    picked.id === 'network-hidden'
      ? { ssid: input('hidden-ssid').value, hidden: true }
      : { ssid: scanned ? ssidText(scanned) : '', hidden: false };
  if (network.ssid === '') throw new ProvisioningError('MESSAGE_INVALID', { detail: 'type the network name' });
  const password = input('password').value;
  return { ...network, ...(password !== '' ? { passphrase: password } : {}) };
}

/** Set while the device waits, in the same session, for Wi-Fi settings that work: the form's next submit answers it. */
let pendingWifi: ((wifi: WifiSettings | undefined) => void) | undefined;

/**
 * The engine's `retryWifi`: the device could not join with what was typed (or refused it). Shows
 * why, opens the Wi-Fi form again on the same session and waits for the person: new settings, or
 * **Give up** (the device's error stands).
 */
function askWifiAgain(err: ProvisioningError): Promise<WifiSettings | undefined> {
  showError(err);
  statusLine.textContent = 'The device is still connected: check the Wi-Fi settings and try again.';
  input('password').value = '';
  el('wifi-form').hidden = false;
  el('give-up').hidden = false;
  for (const id of ['provision', 'give-up']) el<HTMLButtonElement>(id).disabled = false;
  input('password').focus();
  return new Promise((resolve) => {
    pendingWifi = (wifi) => {
      pendingWifi = undefined;
      el('give-up').hidden = true;
      for (const id of ['provision', 'give-up']) el<HTMLButtonElement>(id).disabled = true;
      el('error').hidden = true;
      resolve(wifi);
    };
  });
}

/** A submit of the Wi-Fi form: the answer to a pending retry, or a new provisioning run. */
function submitWifi(cloud: CloudSession, config: WebAppConfig): void {
  if (!pendingWifi) return run(() => provision(cloud, config));
  let wifi: WifiSettings;
  try {
    wifi = formWifi();
  } catch (err) {
    return showError(err);
  }
  statusLine.textContent = 'Trying the new Wi-Fi settings…';
  pendingWifi(wifi);
}

function showStatus(status: StatusMessage, seen: Set<ProvisioningState>): void {
  if (status.progress !== undefined) el<HTMLProgressElement>('progress-bar').value = status.progress;
  if (status.error !== undefined || seen.has(status.state)) return;
  seen.add(status.state);
  const li = document.createElement('li');
  li.textContent = `Device: ${STATE_TEXT[status.state]}`;
  el('steps').append(li);
}

async function provision(cloud: CloudSession, config: WebAppConfig): Promise<void> {
  if (!chosen?.setupCode) throw new ProvisioningError('SESSION_REQUIRED', { detail: 'check the setup code first' });
  const wifi = formWifi();
  el('steps').replaceChildren();
  el('progress-bar').hidden = false;
  const seen = new Set<ProvisioningState>();
  const started = performance.now();
  const result = await provisionOverBluetooth(
    chosen.device,
    {
      deviceId: chosen.info.deviceId,
      setupCode: chosen.setupCode,
      wifi,
      claim: async () => claimMessage(await cloud.claim(), asCentralConfig(config)),
      retryWifi: askWifiAgain,
    },
    {
      onPhase: (phase) => {
        statusLine.textContent = PHASE_TEXT[phase];
        const li = document.createElement('li');
        li.textContent = PHASE_TEXT[phase];
        el('steps').append(li);
      },
      onStatus: (s) => showStatus(s, seen),
      onRetry: () => (statusLine.textContent = 'The Bluetooth connection dropped; reconnecting…'),
    },
  );
  el<HTMLProgressElement>('progress-bar').value = 100;
  statusLine.textContent = `Provisioned in ${Math.round(performance.now() - started)} ms.`;
  el('thing-name').textContent = result.thingName;
  el('done').hidden = false;
  el('wifi-form').hidden = true;
  el('code-form').hidden = true;
  input('password').value = '';
}

// ---- without Web Bluetooth: the claim's files for the SoftAP page --------------------------------

/**
 * A file name a narrow screen may wrap after a dot (a <wbr> after each): "claim.certificate.pem.crt"
 * goes to "claim.certificate." / "pem.crt", not "claim.certifi" / "cate.pem.crt" (app.css breaks
 * inside a part only when that part alone is wider than the line).
 */
function wrappableName(name: string): Array<string | HTMLElement> {
  // Split without a lookbehind: this screen is for Safari, which has it only since 16.4.
  const parts = name.split('.');
  return parts.flatMap((part, i) => (i === parts.length - 1 ? [part] : [`${part}.`, document.createElement('wbr')]));
}

/** One file to save, on a line of its own (the list item), so that no link starts at the end of a line. */
function offerFile(name: string, text: string): HTMLLIElement {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([text], { type: 'application/x-pem-file' }));
  a.download = name;
  a.append('Save ', ...wrappableName(name));
  const li = document.createElement('li');
  li.append(a);
  return li;
}

async function saveClaim(cloud: CloudSession): Promise<void> {
  const claim = await cloud.claim();
  const list = document.createElement('ul');
  list.className = 'files';
  list.append(
    offerFile('claim.certificate.pem.crt', claim.certificatePem),
    offerFile('claim.private.pem.key', claim.privateKeyPem),
  );
  el('claim-files').replaceChildren(`Claim valid until ${claim.expiresAt.toLocaleTimeString()}:`, list);
}

// ---- start -----------------------------------------------------------------------------------

async function start(): Promise<void> {
  const config = await loadWebAppConfig();
  const login = new BrowserLogin({ ...config.oidc, redirectUri: `${location.origin}/` });
  if (await login.finish(new URLSearchParams(location.search))) history.replaceState(null, '', '/');
  const cloud = new CloudSession({ config: asCentralConfig(config), idToken: () => login.idToken() });
  el('login').addEventListener('click', () => run(() => login.start()));
  el('logout').addEventListener('click', () =>
    run(async () => {
      const warning = await login.logout();
      location.assign(`/${warning ? '?logout-warning=1' : ''}`);
    }),
  );
  el('find').addEventListener('click', () => run(find));
  el('scan-label').addEventListener('click', () => run(scanAndCheck));
  el('stop-scan').addEventListener('click', () => stopScan?.());
  // Typing stays; the camera is offered only where the browser can read a QR code.
  void canScanLabels(browserScanEnv()).then((can) => (el('scan-label').hidden = !can));
  el('code-form').addEventListener('submit', (e) => {
    e.preventDefault();
    run(check);
  });
  el('wifi-form').addEventListener('submit', (e) => {
    e.preventDefault();
    submitWifi(cloud, config);
  });
  el('give-up').addEventListener('click', () => pendingWifi?.(undefined));
  el('wifi-form').addEventListener('change', () => {
    el('hidden-row').hidden = !input('network-hidden').checked;
  });
  el('another').addEventListener('click', () => {
    chosen = undefined;
    for (const id of ['done', 'device', 'code-form']) el(id).hidden = true;
    el('steps').replaceChildren();
    statusLine.textContent = '';
  });
  el('save-claim').addEventListener('click', () => run(() => saveClaim(cloud)));
  if (!login.username) return showScreen('login-screen');
  el('who').textContent = `Logged in as ${login.username}.`;
  el('logout').hidden = false;
  try {
    webBluetooth();
    showScreen('find-screen');
  } catch (err) {
    // The SoftAP path is the way on; the error box says why, with its stable code (BLE_UNAVAILABLE).
    showScreen('softap-screen');
    showError(err);
  }
}

if ('serviceWorker' in navigator) {
  navigator.serviceWorker.register('/sw.js').catch((err: unknown) => {
    // The app works without it (not installable offline); say so in the console, never silently.
    console.warn('service worker not registered:', err);
  });
}
run(start);
