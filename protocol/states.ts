/**
 * The device's provisioning state machine as data (PROTOCOL.md §6), plus a pure transition check.
 * The numeric code of a state travels in the advertisement's service data and in `status` and `info`
 * messages; the string name is for people, logs and TypeScript.
 */
import { ProtocolError, UsageError } from './errors.js';

export const PROVISIONING_STATES = {
  /** Not provisioned, no phone in session; advertising. */
  idle: 0,
  /** A phone has an authenticated session; credentials may be written. */
  sessionEstablished: 1,
  /** Applying the Wi-Fi credentials and joining the network. */
  wifiConnecting: 2,
  /** Joined Wi-Fi with an address. */
  wifiConnected: 3,
  /** Connecting to AWS IoT with the claim certificate (MQTT over mutual TLS). */
  cloudConnecting: 4,
  /** Obtaining the permanent certificate (CreateCertificateFromCsr or CreateKeysAndCertificate). */
  certificate: 5,
  /** RegisterThing with the template and its parameters. */
  registering: 6,
  /** Reconnecting with the permanent certificate and proving it with a publish/subscribe round trip. */
  verifying: 7,
  /** Done: the device holds its own certificate and thing. */
  provisioned: 8,
  /** The last attempt failed; the status carries the error code. Retry or reset. */
  failed: 9,
} as const;

export type ProvisioningState = keyof typeof PROVISIONING_STATES;
export type ProvisioningStateCode = (typeof PROVISIONING_STATES)[ProvisioningState];

export const PROVISIONING_STATE_NAMES = Object.keys(PROVISIONING_STATES) as ProvisioningState[];

const BY_CODE: ReadonlyMap<number, ProvisioningState> = new Map(
  PROVISIONING_STATE_NAMES.map((s) => [PROVISIONING_STATES[s], s]),
);

/** The state for a wire code, or undefined for an unknown code (a newer peer). */
export function stateFromCode(code: number): ProvisioningState | undefined {
  return BY_CODE.get(code);
}

export function stateCode(state: ProvisioningState): ProvisioningStateCode {
  return PROVISIONING_STATES[state];
}

export function isProvisioningState(value: unknown): value is ProvisioningState {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(PROVISIONING_STATES, value);
}

/** States in which provisioning work runs (between `commit` and the end). */
export const IN_PROGRESS_STATES: readonly ProvisioningState[] = [
  'wifiConnecting',
  'wifiConnected',
  'cloudConnecting',
  'certificate',
  'registering',
  'verifying',
];

/**
 * Allowed transitions (PROTOCOL.md §6.1). Every in-progress state may fail (an error, an `abort`);
 * `idle` is reached when the session ends before `commit`, and by factory reset. A device boots into
 * `idle` (no permanent credentials) or `provisioned`.
 */
export const TRANSITIONS: Readonly<Record<ProvisioningState, readonly ProvisioningState[]>> = {
  idle: ['sessionEstablished'],
  sessionEstablished: ['idle', 'wifiConnecting'],
  wifiConnecting: ['wifiConnected', 'failed'],
  wifiConnected: ['cloudConnecting', 'failed'],
  cloudConnecting: ['certificate', 'failed'],
  certificate: ['registering', 'failed'],
  registering: ['verifying', 'failed'],
  verifying: ['provisioned', 'failed'],
  provisioned: ['idle'],
  failed: ['idle', 'sessionEstablished', 'wifiConnecting'],
};

export function canTransition(from: ProvisioningState, to: ProvisioningState): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Returns `to` if the move is allowed, else throws UsageError UNEXPECTED_MESSAGE (a local bug). */
export function transition(from: ProvisioningState, to: ProvisioningState): ProvisioningState {
  if (!canTransition(from, to))
    throw new UsageError('UNEXPECTED_MESSAGE', { detail: `state ${from} -> ${to} is not allowed` });
  return to;
}

export type ControlCommand = 'scan' | 'commit' | 'abort' | 'factoryReset';

export const CONTROL_COMMANDS: readonly ControlCommand[] = ['scan', 'commit', 'abort', 'factoryReset'];

/**
 * The states in which the device accepts each control command (PROTOCOL.md §6.2). A command outside
 * them is answered with UNEXPECTED_MESSAGE; `commit` in `provisioned` with DEVICE_ALREADY_PROVISIONED.
 */
export const COMMAND_STATES: Readonly<Record<ControlCommand, readonly ProvisioningState[]>> = {
  scan: ['sessionEstablished', 'failed'],
  commit: ['sessionEstablished', 'failed'],
  abort: IN_PROGRESS_STATES,
  factoryReset: ['sessionEstablished', 'failed', 'provisioned'],
};

export function commandAllowed(state: ProvisioningState, command: ControlCommand): boolean {
  return COMMAND_STATES[command].includes(state);
}

/** Throws the ProtocolError the device reports when a phone's command is not allowed now. */
export function assertCommandAllowed(state: ProvisioningState, command: ControlCommand): void {
  if (commandAllowed(state, command)) return;
  if (command === 'commit' && state === 'provisioned') throw new ProtocolError('DEVICE_ALREADY_PROVISIONED');
  if (command === 'commit' && IN_PROGRESS_STATES.includes(state))
    throw new ProtocolError('DEVICE_BUSY', { detail: `provisioning is in state ${state}` });
  throw new ProtocolError('UNEXPECTED_MESSAGE', { detail: `command ${command} is not allowed in state ${state}` });
}
