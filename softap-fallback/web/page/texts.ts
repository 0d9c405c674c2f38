/** What the page says: device states and phases as people read them, and for each error what to do. */
import { ERROR_TABLE, isErrorCode } from '../../../protocol/index.js';
import type { ErrorCode, ProvisioningState } from '../../../protocol/index.js';
import type { Phase } from '../../../central/engine/index.js';

export const STATE_TEXT: Record<ProvisioningState, string> = {
  idle: 'Waiting for the phone',
  sessionEstablished: 'Secure session open',
  wifiConnecting: 'Joining your Wi-Fi network…',
  wifiConnected: 'Joined Wi-Fi',
  cloudConnecting: 'Connecting to AWS IoT with the claim certificate…',
  certificate: "Getting the device's own certificate…",
  registering: 'Registering the device as a thing…',
  verifying: 'Checking the new certificate…',
  provisioned: 'Provisioned',
  failed: 'Failed',
};

export const PHASE_TEXT: Record<Phase, string> = {
  connect: 'Connecting to the device…',
  session: 'Opening a secure session with the setup code…',
  scan: 'Scanning for Wi-Fi networks…',
  transfer: 'Sending the encrypted Wi-Fi settings and claim…',
  provision: 'The device is provisioning itself…',
};

/** What the person can do about each error (codes not listed get the generic advice). */
const ADVICE: Partial<Record<ErrorCode, string>> = {
  SESSION_SETUP_CODE_INVALID: "Check the setup code on the device's label (XXXX-XXXX-XXX) and type it again.",
  SESSION_AUTH_FAILED:
    "The setup code is wrong. Check the code on this device's label and type it again; repeated wrong codes lock the device for a while.",
  SESSION_LOCKED_OUT: 'Too many wrong setup codes. Wait a few minutes, then try again with the code on the label.',
  SESSION_TIMEOUT: "The device stopped answering. Stay on the device's setup Wi-Fi and try again.",
  LINK_LOST:
    "The connection to the device was lost. Make sure the phone is still on the device's setup Wi-Fi, then try again.",
  DEVICE_BUSY: 'Another phone or Bluetooth is setting up this device. Wait until it finishes, then try again.',
  DEVICE_ALREADY_PROVISIONED: 'This device is already set up. Reset it first if you want to set it up again.',
  RATE_LIMITED: 'Too many attempts from this phone. Wait a minute and try again.',
  ORIGIN_REJECTED: "Open the setup page from the device's own address (http://10.0.0.1) and try again.",
  WIFI_NETWORK_NOT_FOUND:
    'The device cannot see that network. Check the name, move the device closer, or pick another network.',
  WIFI_AUTH_FAILED: 'The Wi-Fi password was rejected. Check it (it is case-sensitive) and try again.',
  WIFI_ASSOCIATION_FAILED: 'The device could not join the network. Move it closer to the router and try again.',
  WIFI_NO_ADDRESS: "The network gave the device no address. Check the router's DHCP, then try again.",
  WIFI_TIMEOUT: 'Joining the network took too long. Move the device closer to the router and try again.',
  WIFI_SCAN_FAILED: 'The device could not scan. Type the network name under "Other network" or try again.',
  CLAIM_EXPIRED: 'Claim certificates live 5 minutes. Fetch a new claim certificate and key, and choose them again.',
  CLAIM_INVALID:
    'Choose the claim certificate (…certificate.pem.crt) and its private key (…private.pem.key) as downloaded, without changes.',
  MESSAGE_TOO_LARGE: 'That is not a claim file: choose the claim certificate and key, a few kilobytes each.',
  MESSAGE_INVALID: 'Correct the highlighted field and submit again.',
  CLOUD_UNREACHABLE:
    'The device could not reach AWS IoT. Check the endpoint host and port, and that your Wi-Fi reaches the internet.',
  CLOUD_CONNECT_REFUSED: 'AWS IoT refused the claim certificate. Fetch a new claim and check the endpoint.',
  CLOUD_TIMEOUT: 'AWS IoT did not answer in time. Try again.',
  CERTIFICATE_REJECTED:
    'AWS IoT refused to issue a certificate. Check the provisioning template and your account, then try again.',
  REGISTER_REJECTED: 'AWS IoT refused to register the device. Check the template name and its parameters.',
  DEVICE_ALREADY_REGISTERED:
    "This device's serial is still registered to an earlier certificate. Ask an operator to decommission the old device (npx tp-setup decommission), then try again.",
  VERIFY_FAILED: 'The new certificate did not work. Try again; if it repeats, check the device policy.',
  STORAGE_FAILED: 'The device could not save its credentials. Check its storage, then try again.',
};

const GENERIC_ADVICE = 'Try again. If it keeps failing, restart the device and reload this page.';

export interface ErrorText {
  readonly code: string;
  /** The table's message plus the non-secret detail. */
  readonly message: string;
  readonly advice: string;
}

/** The error as the page shows it: stable code, what happened, what to do. */
export function errorText(code: string, detail?: string): ErrorText {
  if (!isErrorCode(code)) return { code, message: detail ?? 'Unexpected error', advice: GENERIC_ADVICE };
  const base = ERROR_TABLE[code].message;
  return { code, message: detail ? `${base}: ${detail}` : base, advice: ADVICE[code] ?? GENERIC_ADVICE };
}
