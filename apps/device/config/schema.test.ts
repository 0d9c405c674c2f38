import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readDeviceConfig, readTrustPem } from './load.js';
import { DEFAULT_SIMULATED_NETWORKS, parseDeviceConfig } from './schema.js';

function detailOf(fn: () => unknown): { code?: string; detail?: string } {
  try {
    fn();
  } catch (err) {
    return err as { code?: string; detail?: string };
  }
  return {};
}

describe('device configuration', () => {
  it('defaults to the development setup: air server or BLE_TRANSPORT, emulator cloud.json, simulated Wi-Fi', () => {
    const c = parseDeviceConfig({}, undefined, {});
    expect(c.ble.transport).toMatch(/^air:unix:.*ble-air\.sock$/);
    expect(c.trust.cloudJson).toBe('.data/cloud/cloud.json');
    expect(c.wifi).toMatchObject({ backend: 'simulated', networks: DEFAULT_SIMULATED_NETWORKS });
    expect(c.keyAlgorithm).toBe('ec-p256');
    expect(parseDeviceConfig({}, undefined, { BLE_TRANSPORT: 'tcp:127.0.0.1:6402' }).ble.transport).toBe(
      'tcp:127.0.0.1:6402',
    );
  });

  it.each([
    [{ wifi: { backend: 'wifi6' } }, 'wifi.backend'],
    [{ wifi: { networks: [{ ssid: 'a' }, { ssid: 'b', rssi: 5 }] } }, 'wifi.networks[1].rssi'],
    [{ ble: { idleTimeoutMs: 10 } }, 'ble.idleTimeoutMs'],
    [{ ble: { trasport: 'hci0' } }, 'ble.trasport'],
    [{ serialNumber: 'has space' }, 'serialNumber'],
    [{ keyAlgorithm: 'ed25519' }, 'keyAlgorithm'],
    [{ stateDir: '' }, 'stateDir'],
    [{ ble: { maxAttMtu: 22 } }, 'ble.maxAttMtu'],
    [{ softap: { mode: 'sometimes' } }, 'softap.mode'],
    [{ softap: { triggers: { bleIdleMinutes: -1 } } }, 'softap.triggers.bleIdleMinutes'],
    [{ softap: { triggers: { wifiLossSeconds: 5 } } }, 'softap.triggers.wifiLossSeconds'],
    [{ softap: { triggers: { noBleController: 'yes' } } }, 'softap.triggers.noBleController'],
    [{ softap: { triggers: { bleIdle: 2 } } }, 'softap.triggers.bleIdle'],
    [{ softap: { apRetrySeconds: 0 } }, 'softap.apRetrySeconds'],
    [{ softap: { listen: { port: 70000 } } }, 'softap.listen.port'],
    [{ softap: { listen: { host: 'example.com' } } }, 'softap.listen.host'],
    [{ softap: { accessPoint: { backend: 'hostapd' } } }, 'softap.accessPoint.backend'],
    [{ softap: { accessPoint: { interface: '-f' } } }, 'softap.accessPoint.interface'],
    [{ softap: { accessPoint: { countryCode: 'de' } } }, 'softap.accessPoint.countryCode'],
    [{ softap: { accessPoint: { ssidPrefix: 'a\nwpa=0' } } }, 'softap.accessPoint.ssidPrefix'],
    [{ softap: { accessPoint: { security: 'wep' } } }, 'softap.accessPoint.security'],
    [{ wifi: { backend: 'nmcli' } }, 'softap.accessPoint.countryCode'],
    [
      { softap: { claimDefaults: { host: 'iot.example.com', templateName: 'has space' } } },
      'softap.claimDefaults.templateName',
    ],
    [{ softap: { claimDefaults: { templateName: 'T' } } }, 'softap.claimDefaults.host'],
    [[], '(root)'],
  ])('names the field of %j', (raw, field) => {
    const err = detailOf(() => parseDeviceConfig(raw, 'device.json', {}));
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.detail).toMatch(new RegExp(`^${field.replace(/[[\]().]/g, '\\$&')} in device\\.json: `));
  });

  it('softap defaults: policy mode; simulated AP on loopback in development, linux on 10.0.0.1:80 on a real device', () => {
    const dev = parseDeviceConfig({}, undefined, {});
    expect(dev.ble.maxAttMtu).toBe(517);
    expect(dev.softap).toEqual({
      mode: 'policy',
      policy: { triggers: {} },
      listen: { host: '127.0.0.1', port: 0 },
      accessPoint: {
        backend: 'simulated',
        interface: 'wlan0',
        ssidPrefix: 'Setup',
        security: 'wpa2',
        secretPath: '.data/device/softap-secret.bin',
      },
    });
    const pi = parseDeviceConfig(
      { stateDir: '/var/lib/tp', wifi: { backend: 'nmcli' }, softap: { accessPoint: { countryCode: 'DE' } } },
      undefined,
      {},
    );
    expect(pi.softap).toMatchObject({
      mode: 'policy',
      listen: { host: '10.0.0.1', port: 80 },
      accessPoint: { backend: 'linux', countryCode: 'DE', secretPath: '/var/lib/tp/softap-secret.bin' },
    });
    expect(
      parseDeviceConfig({ wifi: { backend: 'nmcli' }, softap: { mode: 'never' } }, undefined, {}).softap.mode,
    ).toBe('never');
    const custom = parseDeviceConfig(
      {
        softap: {
          mode: 'always',
          triggers: { bleIdleMinutes: null, wifiLossSeconds: 60 },
          apRetrySeconds: 5,
          listen: { host: '127.0.0.1', port: 8080 },
          claimDefaults: { host: 'abc-ats.iot.eu-west-1.amazonaws.com', templateName: 'mytemplate' },
        },
      },
      undefined,
      {},
    );
    expect(custom.softap).toMatchObject({
      mode: 'always',
      policy: { triggers: { bleIdleMinutes: null, wifiLossSeconds: 60 }, apRetrySeconds: 5 },
      listen: { port: 8080 },
      claimDefaults: { host: 'abc-ats.iot.eu-west-1.amazonaws.com', port: 8883, templateName: 'mytemplate' },
    });
  });

  it('reads files: absent default = defaults, absent explicit = error, bad JSON = error; trust from cloud.json', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'device-config-'));
    try {
      expect(readDeviceConfig(join(dir, 'none.json'), { env: {} }).wifi.backend).toBe('simulated');
      expect(detailOf(() => readDeviceConfig(join(dir, 'none.json'), { required: true })).code).toBe('CONFIG_INVALID');
      await writeFile(join(dir, 'bad.json'), '{ nope');
      expect(detailOf(() => readDeviceConfig(join(dir, 'bad.json'))).detail).toMatch(
        /^\(root\) in .*bad\.json: not valid JSON/,
      );
      const cloudJson = join(dir, 'cloud.json');
      const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
      await writeFile(cloudJson, JSON.stringify({ iot: { caPem: pem } }));
      expect(readTrustPem(parseDeviceConfig({ trust: { cloudJson } }, undefined, {}))).toBe(pem);
      expect(
        detailOf(() => readTrustPem(parseDeviceConfig({ trust: { cloudJson: join(dir, 'x.json') } }, undefined, {})))
          .detail,
      ).toMatch(/^trust\.cloudJson: .*npx tp-cloud/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('accepts the shipped production example (apps/device/systemd/device.json)', async () => {
    const raw: unknown = JSON.parse(await readFile(new URL('../systemd/device.json', import.meta.url), 'utf8'));
    const c = parseDeviceConfig(raw, 'device.json', {});
    expect(c).toMatchObject({
      ble: { transport: 'hci0' },
      wifi: { backend: 'nmcli', interface: 'wlan0' },
      stateDir: '/var/lib/trusted-provisioning',
    });
    expect(c.softap).toMatchObject({
      mode: 'policy',
      listen: { host: '10.0.0.1', port: 80 },
      accessPoint: { backend: 'linux', interface: 'wlan0', countryCode: 'DE' },
    });
  });
});
