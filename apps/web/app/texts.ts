/** What the app says: phases and device states as people read them, and for each error what to do (Bluetooth wording). */
import { ERROR_TABLE, isErrorCode } from '../../../protocol/index.js';
import type { ErrorCode, ProvisioningState } from '../../../protocol/index.js';
import type { Phase } from '../../../central/engine/index.js';

export const STATE_TEXT: Record<ProvisioningState, string> = {
  idle: 'ready to be set up',
  sessionEstablished: 'secure session open',
  wifiConnecting: 'joining Wi-Fi…',
  wifiConnected: 'joined Wi-Fi',
  cloudConnecting: 'connecting to AWS IoT with the claim…',
  certificate: 'getting its own certificate…',
  registering: 'registering as a thing…',
  verifying: 'checking its new certificate…',
  provisioned: 'provisioned',
  failed: 'failed',
};

export const PHASE_TEXT: Record<Phase, string> = {
  connect: 'Connecting over Bluetooth…',
  session: 'Opening a secure session with the setup code…',
  scan: 'Asking the device for Wi-Fi networks…',
  transfer: 'Sending the encrypted Wi-Fi settings and claim…',
  provision: 'The device is provisioning itself…',
};

const ADVICE: Partial<Record<ErrorCode, string>> = {
  BLE_UNAVAILABLE: 'Turn Bluetooth on and allow this site to use it, or use the setup Wi-Fi path (SoftAP).',
  DEVICE_NOT_FOUND: 'Make sure the device is powered and near you, then choose it in the list.',
  LINK_LOST: 'The Bluetooth connection dropped. Move closer to the device and try again.',
  VERSION_UNSUPPORTED: 'This device speaks another version of the provisioning protocol. Update the app or the device.',
  WRITE_WINDOW_EXCEEDED:
    'The app wrote to the device faster than it allows. Reload this page to get the current app, then try again.',
  CAMERA_UNAVAILABLE:
    "Allow this site to use the camera in the browser's site settings and scan again, or type the setup code printed under the QR label.",
  SESSION_SETUP_CODE_INVALID: "Check the setup code on the device's label (XXXX-XXXX-XXX) and type it again.",
  SESSION_AUTH_FAILED:
    "The setup code is wrong. Check the code on this device's label; repeated wrong codes lock the device for a while.",
  SESSION_LOCKED_OUT: 'Too many wrong setup codes. Wait a few minutes, then try again with the code on the label.',
  SESSION_TIMEOUT: 'The device stopped answering. Move closer and try again.',
  DEVICE_BUSY: 'Another phone is setting up this device. Wait until it finishes, then try again.',
  DEVICE_ALREADY_PROVISIONED: 'This device is already set up. Reset it first if you want to set it up again.',
  WIFI_NETWORK_NOT_FOUND: 'The device cannot see that network. Check the name or pick another network.',
  WIFI_AUTH_FAILED: 'The Wi-Fi password was rejected. Check it (it is case-sensitive) and try again.',
  WIFI_ASSOCIATION_FAILED: 'The device could not join the network. Move it closer to the router and try again.',
  WIFI_NO_ADDRESS: "The network gave the device no address. Check the router's DHCP, then try again.",
  WIFI_TIMEOUT: 'Joining the network took too long. Move the device closer to the router and try again.',
  WIFI_SCAN_FAILED: 'The device could not scan: choose "Other (hidden) network" and type the name.',
  CLAIM_EXPIRED:
    "The device found the claim expired. Try again: the app fetches a new one. If it happens again, check the device's date and time.",
  CLAIM_DENIED: 'Your account may not create provisioning claims. Ask an administrator.',
  LOGIN_REQUIRED: 'Your login has expired. Log in again.',
  LOGIN_FAILED: 'The login did not complete. Log in again.',
  CLOUD_UNREACHABLE: 'A cloud service could not be reached. Check your connection and try again.',
  CLOUD_CONNECT_REFUSED: 'AWS IoT refused the claim certificate. Try again; if it repeats, check the endpoint.',
  CERTIFICATE_REJECTED: 'AWS IoT refused to issue a certificate. Check the provisioning template, then try again.',
  REGISTER_REJECTED: 'AWS IoT refused to register the device. Check the template name and its parameters.',
  DEVICE_ALREADY_REGISTERED:
    "This device's serial is still registered to an earlier certificate. Ask an operator to decommission it (npx tp-setup decommission), then try again.",
  CONFIG_INVALID: "The app's configuration (config.json) is wrong. Tell whoever hosts this app.",
};

const GENERIC_ADVICE = 'Try again. If it keeps failing, restart the device and reload this page.';

/** The error as the app shows it: stable code, what happened, what to do. */
export function errorText(code: string, detail?: string): { code: string; message: string; advice: string } {
  if (!isErrorCode(code)) return { code, message: detail ?? 'Unexpected error', advice: GENERIC_ADVICE };
  const base = ERROR_TABLE[code].message;
  return { code, message: detail ? `${base}: ${detail}` : base, advice: ADVICE[code] ?? GENERIC_ADVICE };
}
