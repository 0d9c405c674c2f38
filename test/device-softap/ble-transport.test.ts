/**
 * BleTransport around a stack that behaves as bleno at load: bleno's bindings add a SIGINT handler
 * that exits the process when it is the last one. Loaded after the device's own handler, it must
 * not be last, or Ctrl-C would skip the device's clean stop.
 */
import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import type { Bleno } from '../../ble/index.js';
import { BleTransport } from '../../apps/device/transports/ble-transport.js';
import type { GattServerOptions } from '../../ble/peripheral/server.js';
import { ManualTimers } from '../support/manual-timers.js';

const added: NodeJS.SignalsListener[] = [];
afterEach(() => {
  for (const l of added.splice(0)) process.removeListener('SIGINT', l);
});

describe('BleTransport', () => {
  it("puts the SIGINT handler bleno adds at load before the device's own", async () => {
    const device: NodeJS.SignalsListener = () => undefined;
    const blenoExit: NodeJS.SignalsListener = () => undefined;
    added.push(device, blenoExit);
    process.on('SIGINT', device);
    const fake = Object.assign(new EventEmitter(), { state: 'poweredOff' });
    const ble = new BleTransport({
      transport: 'virtual',
      maxAttMtu: 247,
      timers: new ManualTimers(),
      log: () => undefined,
      server: {} as Omit<GattServerOptions, 'bleno'>,
      controllerLink: () => undefined,
      loadBleno: () => {
        process.on('SIGINT', blenoExit);
        return fake as unknown as Bleno;
      },
    });
    await expect(ble.enable()).rejects.toMatchObject({ code: 'BLE_UNAVAILABLE' });
    const listeners = process.listeners('SIGINT');
    expect(listeners.indexOf(blenoExit)).toBeLessThan(listeners.indexOf(device));
    expect(listeners.at(-1)).not.toBe(blenoExit);
    expect(ble.controller).toBe('absent');
  });
});
