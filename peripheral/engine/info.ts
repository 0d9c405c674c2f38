/** The `info` document (PROTOCOL.md §5.2) this device serves before any session. */
import {
  MAX_MESSAGE_BYTES,
  MAX_ATT_PAYLOAD,
  MIN_ATT_PAYLOAD,
  SECURITY_SCHEME_SPAKE2P,
  SUPPORTED_SCHEMA_VERSIONS,
  writeWindowFeature,
} from '../../protocol/index.js';
import type { Feature, InfoMessage, ProvisioningState } from '../../protocol/index.js';

export const DEVICE_FEATURES: readonly Feature[] = ['wifiScan', 'claimTransfer', 'csrOnDevice', 'keysOnCloud'];

export interface InfoInput {
  /** The write window this transport enforces (PROTOCOL.md §2.4); absent: none announced. */
  readonly writeWindow?: number;
  readonly deviceId: string;
  readonly state: ProvisioningState;
  readonly model?: string;
  readonly firmware?: string;
}

export function buildInfo(input: InfoInput): InfoMessage {
  return {
    type: 'info',
    versions: [...SUPPORTED_SCHEMA_VERSIONS],
    security: [SECURITY_SCHEME_SPAKE2P],
    maxMessage: MAX_MESSAGE_BYTES,
    attPayload: [MIN_ATT_PAYLOAD, MAX_ATT_PAYLOAD],
    features: [...DEVICE_FEATURES, ...(input.writeWindow !== undefined ? [writeWindowFeature(input.writeWindow)] : [])],
    state: input.state,
    deviceId: input.deviceId,
    ...(input.model !== undefined ? { model: input.model } : {}),
    ...(input.firmware !== undefined ? { firmware: input.firmware } : {}),
  };
}
