import { ProvisioningError } from '../../protocol/index.js';
import {
  DEFAULT_AP_RETRY_SECONDS,
  DEFAULT_BLE_IDLE_MINUTES,
  DEFAULT_WIFI_LOSS_SECONDS,
  MAX_AP_RETRY_SECONDS,
  MAX_BLE_IDLE_MINUTES,
  MAX_WIFI_LOSS_SECONDS,
  MIN_AP_RETRY_SECONDS,
  MIN_WIFI_LOSS_SECONDS,
} from './limits.js';

export interface FallbackTriggersInput {
  /** Start the AP when the BLE controller is absent. Default true. */
  noBleController?: boolean;
  /** Minutes without a BLE phone before the AP starts; `null` disables the trigger. Default 2. 0 = AP beside BLE at once. */
  bleIdleMinutes?: number | null;
  /** Seconds without Wi-Fi, once provisioned, before setup reopens (AP + BLE); `null` disables. Default 300. */
  wifiLossSeconds?: number | null;
}

export interface FallbackPolicyConfigInput {
  triggers?: FallbackTriggersInput;
  apRetrySeconds?: number;
}

/** Resolved, in milliseconds. */
export interface FallbackPolicyConfig {
  readonly noBleController: boolean;
  readonly bleIdleMs: number | null;
  readonly wifiLossMs: number | null;
  readonly apRetryMs: number;
}

function invalid(field: string, why: string): never {
  throw new ProvisioningError('CONFIG_INVALID', { detail: `${field}: ${why}` });
}

function numberIn(value: unknown, field: string, min: number, max: number, unit: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max)
    invalid(field, `must be ${min}..${max} ${unit}`);
  return value;
}

export function resolveFallbackPolicyConfig(input: FallbackPolicyConfigInput = {}): FallbackPolicyConfig {
  const t = input.triggers ?? {};
  const noBleController = t.noBleController ?? true;
  if (typeof noBleController !== 'boolean') invalid('triggers.noBleController', 'must be a boolean');
  const idle = t.bleIdleMinutes === undefined ? DEFAULT_BLE_IDLE_MINUTES : t.bleIdleMinutes;
  const loss = t.wifiLossSeconds === undefined ? DEFAULT_WIFI_LOSS_SECONDS : t.wifiLossSeconds;
  return {
    noBleController,
    bleIdleMs:
      idle === null
        ? null
        : Math.round(numberIn(idle, 'triggers.bleIdleMinutes', 0, MAX_BLE_IDLE_MINUTES, 'minutes') * 60_000),
    wifiLossMs:
      loss === null
        ? null
        : Math.round(
            numberIn(loss, 'triggers.wifiLossSeconds', MIN_WIFI_LOSS_SECONDS, MAX_WIFI_LOSS_SECONDS, 'seconds') * 1000,
          ),
    apRetryMs: Math.round(
      numberIn(
        input.apRetrySeconds ?? DEFAULT_AP_RETRY_SECONDS,
        'apRetrySeconds',
        MIN_AP_RETRY_SECONDS,
        MAX_AP_RETRY_SECONDS,
        'seconds',
      ) * 1000,
    ),
  };
}
