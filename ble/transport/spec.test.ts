import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../protocol/errors.js';
import { defaultAirSocket } from '../air/socket-path.js';
import { BLE_TRANSPORT_ENV, formatTransport, parseTransport, transportFromEnv } from './spec.js';

describe('parseTransport', () => {
  it.each([
    ['hci0', { kind: 'native', devId: 0 }],
    ['hci3', { kind: 'native', devId: 3 }],
    ['serial:/dev/ttyACM0', { kind: 'serial', path: '/dev/ttyACM0', baud: 1_000_000, flowControl: true }],
    ['serial:/dev/ttyUSB1,115200', { kind: 'serial', path: '/dev/ttyUSB1', baud: 115200, flowControl: true }],
    ['serial:/dev/ttyAMA0,115200,noflow', { kind: 'serial', path: '/dev/ttyAMA0', baud: 115200, flowControl: false }],
    ['tcp:127.0.0.1:6402', { kind: 'tcp', host: '127.0.0.1', port: 6402, air: false }],
    ['tcp:[::1]:6402', { kind: 'tcp', host: '::1', port: 6402, air: false }],
    ['unix:/run/hci.sock', { kind: 'unix', path: '/run/hci.sock', air: false }],
    ['virtual', { kind: 'virtual' }],
    ['air:unix:/tmp/ble-air.sock', { kind: 'unix', path: '/tmp/ble-air.sock', air: true }],
    ['air:tcp:localhost:7000', { kind: 'tcp', host: 'localhost', port: 7000, air: true }],
  ])('parses %s', (text, spec) => {
    expect(parseTransport(text)).toEqual(spec);
    expect(parseTransport(formatTransport(parseTransport(text)))).toEqual(spec);
  });

  it.each([
    '',
    'hci',
    'bluetooth',
    'tcp:host',
    'tcp:host:0',
    'tcp:host:70000',
    'tcp::80',
    'unix:',
    'serial:',
    'serial:/dev/x,fast',
    'serial:/dev/x,9600,rts',
    'serial:/dev/x,9600,noflow,1',
    'air:serial:/dev/x',
    'air:virtual',
  ])('rejects %j with CONFIG_INVALID', (text) => {
    let caught: unknown;
    try {
      parseTransport(text);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(UsageError);
    expect((caught as UsageError).code).toBe('CONFIG_INVALID');
  });

  it('reads BLE_TRANSPORT, falling back to the socket the air listens on by default', () => {
    expect(transportFromEnv({ [BLE_TRANSPORT_ENV]: 'virtual' })).toEqual({ kind: 'virtual' });
    expect(transportFromEnv({})).toEqual({ kind: 'unix', path: join(tmpdir(), 'ble-air.sock'), air: true });
    expect(defaultAirSocket()).toBe(join(tmpdir(), 'ble-air.sock'));
    expect(transportFromEnv({ [BLE_TRANSPORT_ENV]: ' ' }, 'unix:/x')).toEqual({ kind: 'unix', path: '/x', air: false });
  });
});
