/**
 * The one setting that says where the HCI controller is. Grammar:
 *
 *   hci0 | hci<N>                  the kernel's adapter (native @abandonware/bluetooth-hci-socket)
 *   serial:/dev/ttyACM0[,baud][,noflow]  H4 over a UART (Zephyr hci_uart, nRF dongles); default baud
 *                                  1000000, RTS/CTS flow control unless `noflow`
 *   tcp:HOST:PORT                  H4 over TCP (Android rootcanal, the air server)
 *   unix:/path                     H4 over a unix socket
 *   virtual                        a controller on this process's in-process virtual air
 *   air:unix:/path | air:tcp:HOST:PORT   a controller on a standalone air server (`npx tp-air`)
 */
import { UsageError } from '../../protocol/index.js';
import { defaultAirSocket } from '../air/index.js';

/** The environment variable read by {@link transportFromEnv}. */
export const BLE_TRANSPORT_ENV = 'BLE_TRANSPORT';
/** UART speed when `serial:` names none: what Zephyr's hci_uart sample and nRF dongles use. */
export const DEFAULT_SERIAL_BAUD = 1_000_000;

export type TransportSpec =
  | { kind: 'native'; devId: number }
  | { kind: 'serial'; path: string; baud: number; flowControl: boolean }
  | { kind: 'tcp'; host: string; port: number; air: boolean }
  | { kind: 'unix'; path: string; air: boolean }
  | { kind: 'virtual' };

function invalid(spec: string, why: string): never {
  throw new UsageError('CONFIG_INVALID', { detail: `BLE transport "${spec}": ${why}` });
}

function parsePort(spec: string, text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port < 1 || port > 65535) invalid(spec, `bad port "${text}"`);
  return port;
}

function parseHostPort(spec: string, rest: string): { host: string; port: number } {
  // The port is after the last colon, so bracketed IPv6 hosts ([::1]:6402) work too.
  const colon = rest.lastIndexOf(':');
  if (colon <= 0) invalid(spec, 'expected HOST:PORT');
  const host = rest.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  return { host, port: parsePort(spec, rest.slice(colon + 1)) };
}

/** Parses a transport setting; throws UsageError CONFIG_INVALID saying what is wrong. */
export function parseTransport(spec: string): TransportSpec {
  const text = spec.trim();
  const hci = /^hci(\d+)$/.exec(text);
  if (hci) return { kind: 'native', devId: Number(hci[1]) };
  if (text === 'virtual') return { kind: 'virtual' };
  const air = text.startsWith('air:');
  const body = air ? text.slice('air:'.length) : text;
  if (body.startsWith('tcp:')) return { kind: 'tcp', ...parseHostPort(spec, body.slice('tcp:'.length)), air };
  if (body.startsWith('unix:')) {
    const path = body.slice('unix:'.length);
    if (path === '') invalid(spec, 'expected unix:/path');
    return { kind: 'unix', path, air };
  }
  if (!air && body.startsWith('serial:')) {
    const [path = '', baudText, flow, ...rest] = body.slice('serial:'.length).split(',');
    if (path === '' || rest.length > 0) invalid(spec, 'expected serial:/dev/ttyX[,baud][,noflow]');
    const baud = baudText === undefined || baudText === '' ? DEFAULT_SERIAL_BAUD : Number(baudText);
    if (!Number.isInteger(baud) || baud <= 0) invalid(spec, `bad baud rate "${baudText}"`);
    if (flow !== undefined && flow !== 'noflow' && flow !== 'flow')
      invalid(spec, `expected "noflow" or "flow", got "${flow}"`);
    return { kind: 'serial', path, baud, flowControl: flow !== 'noflow' };
  }
  return invalid(
    spec,
    'expected hciN, serial:PATH[,BAUD], tcp:HOST:PORT, unix:PATH, virtual, air:unix:PATH or air:tcp:HOST:PORT',
  );
}

/** The canonical text of a spec (parseTransport(formatTransport(s)) deep-equals s). */
export function formatTransport(spec: TransportSpec): string {
  switch (spec.kind) {
    case 'native':
      return `hci${spec.devId}`;
    case 'serial':
      return `serial:${spec.path},${spec.baud}${spec.flowControl ? '' : ',noflow'}`;
    case 'tcp':
      return `${spec.air ? 'air:' : ''}tcp:${spec.host.includes(':') ? `[${spec.host}]` : spec.host}:${spec.port}`;
    case 'unix':
      return `${spec.air ? 'air:' : ''}unix:${spec.path}`;
    case 'virtual':
      return 'virtual';
  }
}

/** The transport when BLE_TRANSPORT is unset: the default air (real hardware sets `hci0`). */
export function defaultTransportText(): string {
  return `air:unix:${defaultAirSocket()}`;
}

/** Reads {@link BLE_TRANSPORT_ENV}; `fallback` (default: the air's socket) when it is unset or empty. */
export function transportFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  fallback = defaultTransportText(),
): TransportSpec {
  const value = env[BLE_TRANSPORT_ENV];
  return parseTransport(value === undefined || value.trim() === '' ? fallback : value);
}
