import { describe, expect, it } from 'vitest';
import { resolveFallbackPolicyConfig } from './config.js';

describe('resolveFallbackPolicyConfig', () => {
  it('defaults to: AP without a controller, after 2 min of BLE idle, after 300 s without Wi-Fi', () => {
    expect(resolveFallbackPolicyConfig()).toEqual({
      noBleController: true,
      bleIdleMs: 120_000,
      wifiLossMs: 300_000,
      apRetryMs: 30_000,
    });
  });

  it('lets each trigger be disabled or tuned', () => {
    expect(
      resolveFallbackPolicyConfig({
        triggers: { noBleController: false, bleIdleMinutes: null, wifiLossSeconds: 45 },
        apRetrySeconds: 5,
      }),
    ).toEqual({ noBleController: false, bleIdleMs: null, wifiLossMs: 45_000, apRetryMs: 5000 });
    expect(resolveFallbackPolicyConfig({ triggers: { bleIdleMinutes: 0, wifiLossSeconds: null } })).toMatchObject({
      bleIdleMs: 0,
      wifiLossMs: null,
    });
  });

  it.each([
    [{ triggers: { bleIdleMinutes: -1 } }, 'triggers.bleIdleMinutes: must be 0..1440 minutes'],
    [{ triggers: { bleIdleMinutes: Number.NaN } }, 'triggers.bleIdleMinutes: must be 0..1440 minutes'],
    [{ triggers: { wifiLossSeconds: 5 } }, 'triggers.wifiLossSeconds: must be 10..86400 seconds'],
    [{ triggers: { noBleController: 'yes' as unknown as boolean } }, 'triggers.noBleController: must be a boolean'],
    [{ apRetrySeconds: 0 }, 'apRetrySeconds: must be 1..3600 seconds'],
  ])('rejects %j with CONFIG_INVALID', (input, detail) => {
    expect(() => resolveFallbackPolicyConfig(input)).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', detail }),
    );
  });
});
