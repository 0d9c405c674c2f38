import { describe, expect, it } from 'vitest';
import { type ProtocolError, UsageError } from './errors.js';
import {
  COMMAND_STATES,
  CONTROL_COMMANDS,
  PROVISIONING_STATES,
  PROVISIONING_STATE_NAMES,
  TRANSITIONS,
  assertCommandAllowed,
  canTransition,
  commandAllowed,
  isProvisioningState,
  stateCode,
  stateFromCode,
  transition,
} from './states.js';

describe('provisioning states', () => {
  it('have distinct one-byte codes that map back', () => {
    const codes = PROVISIONING_STATE_NAMES.map(stateCode);
    expect(new Set(codes).size).toBe(codes.length);
    for (const s of PROVISIONING_STATE_NAMES) expect(stateFromCode(PROVISIONING_STATES[s])).toBe(s);
    expect(codes.every((c) => c >= 0 && c <= 255)).toBe(true);
    expect(stateFromCode(200)).toBeUndefined();
    expect(isProvisioningState('idle')).toBe(true);
    expect(isProvisioningState('toString')).toBe(false);
  });

  it('walks the happy path and can fail from every in-progress state', () => {
    const path = [
      'idle',
      'sessionEstablished',
      'wifiConnecting',
      'wifiConnected',
      'cloudConnecting',
      'certificate',
      'registering',
      'verifying',
      'provisioned',
    ] as const;
    for (let i = 1; i < path.length; i++) expect(transition(path[i - 1]!, path[i]!)).toBe(path[i]);
    for (const s of path.slice(2, -1)) expect(canTransition(s, 'failed')).toBe(true);
    expect(canTransition('failed', 'wifiConnecting')).toBe(true);
    expect(canTransition('provisioned', 'idle')).toBe(true);
  });

  it('refuses a transition not in the table', () => {
    expect(canTransition('idle', 'provisioned')).toBe(false);
    expect(() => transition('idle', 'provisioned')).toThrow(UsageError);
    try {
      transition('provisioned', 'wifiConnecting');
    } catch (e) {
      expect((e as UsageError).code).toBe('UNEXPECTED_MESSAGE');
    }
    // every target in the table is a known state, and nothing moves to itself
    for (const [from, tos] of Object.entries(TRANSITIONS))
      for (const to of tos) {
        expect(isProvisioningState(to)).toBe(true);
        expect(to).not.toBe(from);
      }
  });

  it('says which commands each state accepts, with the code to answer otherwise', () => {
    expect(CONTROL_COMMANDS.every((c) => COMMAND_STATES[c].length > 0)).toBe(true);
    expect(commandAllowed('sessionEstablished', 'commit')).toBe(true);
    expect(commandAllowed('wifiConnecting', 'abort')).toBe(true);
    const codeOf = (fn: () => void) => {
      try {
        fn();
        return 'ok';
      } catch (e) {
        return (e as ProtocolError).code;
      }
    };
    expect(codeOf(() => assertCommandAllowed('sessionEstablished', 'commit'))).toBe('ok');
    expect(codeOf(() => assertCommandAllowed('provisioned', 'commit'))).toBe('DEVICE_ALREADY_PROVISIONED');
    expect(codeOf(() => assertCommandAllowed('registering', 'commit'))).toBe('DEVICE_BUSY');
    expect(codeOf(() => assertCommandAllowed('sessionEstablished', 'abort'))).toBe('UNEXPECTED_MESSAGE');
  });
});
