/** What the agent tells the phone about each state: a short step label and a percentage (PROTOCOL.md §6). */
import type { ProvisioningState } from '../../protocol/index.js';

/** Order of the states a run walks through; the agent never skips one (it passes through). */
export const RUN_ORDER: readonly ProvisioningState[] = [
  'wifiConnecting',
  'wifiConnected',
  'cloudConnecting',
  'certificate',
  'registering',
  'verifying',
  'provisioned',
];

export const STATE_PROGRESS: Readonly<Record<ProvisioningState, number | undefined>> = {
  idle: 0,
  sessionEstablished: 0,
  wifiConnecting: 10,
  wifiConnected: 25,
  cloudConnecting: 35,
  certificate: 50,
  registering: 70,
  verifying: 85,
  provisioned: 100,
  failed: undefined,
};

export const STATE_STEP: Readonly<Record<ProvisioningState, string>> = {
  idle: 'waiting for a phone',
  sessionEstablished: 'waiting for Wi-Fi and claim',
  wifiConnecting: 'joining Wi-Fi',
  wifiConnected: 'Wi-Fi joined',
  cloudConnecting: 'connecting to AWS IoT with the claim',
  certificate: 'obtaining the device certificate',
  registering: 'registering the thing',
  verifying: 'verifying the device certificate',
  provisioned: 'provisioned',
  failed: 'failed',
};
