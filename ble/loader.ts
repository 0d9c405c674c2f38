/**
 * Loads bleno (with the ATT fixes applied at install, ble/patches/) and noble onto a chosen HCI
 * transport. Both stacks `require('@abandonware/bluetooth-hci-socket')` and construct it with no
 * arguments; for any transport but hciN that require is answered, only while the stack itself is
 * being required, with an {@link H4HciSocket} bound to the transport. The substitution changes
 * nothing in node_modules and nothing else in the process sees it. hciN loads the stacks as they
 * are, on the native socket.
 *
 * Each stack is a process singleton (require cache): load it once per process with one transport.
 */
import { existsSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type blenoStack from '@abandonware/bleno';
import type * as nobleStack from '@abandonware/noble';
import { ProvisioningError, UsageError } from '../protocol/index.js';
import { Air } from './air/index.js';
import { H4HciSocket, formatTransport, parseTransport, transportFromEnv } from './transport/index.js';
import type { ControllerLink, TransportSpec } from './transport/index.js';

export type Bleno = typeof blenoStack;
export type Noble = typeof nobleStack;

const requireHere = createRequire(import.meta.url);
const HCI_SOCKET_PACKAGE = '@abandonware/bluetooth-hci-socket';
/** The ATT_MTU ceiling (Core spec Vol 3 Part F 3.2.9: attribute values are at most 512 octets). */
export const MAX_ATT_MTU = 517;
/** The ATT_MTU floor for LE. */
export const MIN_ATT_MTU = 23;

let defaultAirInstance: Air | undefined;

/** The in-process air that `virtual` attaches to (created on first use with default options). */
export function defaultAir(): Air {
  defaultAirInstance ??= new Air();
  return defaultAirInstance;
}

/** Makes `air` the one `virtual` attaches to. Call before loading a stack with `virtual`. */
export function setDefaultAir(air: Air): void {
  defaultAirInstance = air;
}

export interface LoadOptions {
  /** For `virtual`: the air to attach to (default: {@link defaultAir}). */
  air?: Air;
}

interface Loaded {
  spec: string;
  sockets: H4HciSocket[];
}
const loaded = new Map<'bleno' | 'noble', Loaded>();

type Load = (request: string, parent: unknown, isMain: boolean) => unknown;

function normalise(spec: string | TransportSpec | undefined): TransportSpec {
  if (spec === undefined) return transportFromEnv();
  return typeof spec === 'string' ? parseTransport(spec) : spec;
}

/**
 * Forgets modules of a stack left in the require cache by an earlier failed load (e.g. its hci.js,
 * still holding the native socket class), so that the next load sees the substitute.
 */
function forgetStaleModules(pkg: string): void {
  const root = dirname(requireHere.resolve(`${pkg}/package.json`));
  for (const key of Object.keys(requireHere.cache)) if (key.startsWith(root)) delete requireHere.cache[key];
}

/** What to do when the kernel's adapter cannot be opened (no Bluetooth in the kernel, no permission). */
const NATIVE_FIX =
  'this machine\'s adapter cannot be opened (needs Bluetooth in the kernel and CAP_NET_RAW); without one, start the virtual air ("npx tp-air") and unset BLE_TRANSPORT';

function requireStack<T>(name: 'bleno' | 'noble', spec: TransportSpec, options: LoadOptions): T {
  const text = formatTransport(spec);
  const pkg = `@abandonware/${name}`;
  const previous = loaded.get(name);
  if (previous) {
    if (previous.spec !== text) {
      throw new UsageError('CONFIG_INVALID', {
        detail: `${name} is already loaded on ${previous.spec}; one transport per process`,
      });
    }
    return requireHere(pkg) as T;
  }
  if (requireHere.cache[requireHere.resolve(pkg)]) {
    throw new UsageError('CONFIG_INVALID', { detail: `${name} was loaded before ble/ could choose its transport` });
  }
  forgetStaleModules(pkg);
  const record: Loaded = { spec: text, sockets: [] };
  if (spec.kind === 'native') {
    // The stacks read their device from the environment; hciN picks it.
    const envName = name === 'bleno' ? 'BLENO_HCI_DEVICE_ID' : 'NOBLE_HCI_DEVICE_ID';
    process.env[envName] ??= String(spec.devId);
    try {
      const stack = requireHere(pkg) as T;
      loaded.set(name, record);
      return stack;
    } catch (err) {
      // Typically EAFNOSUPPORT (no Bluetooth in the kernel) or EPERM, thrown by the native socket.
      const code = (err as { code?: unknown }).code;
      throw new ProvisioningError('BLE_UNAVAILABLE', {
        detail: `${text}${typeof code === 'string' ? ` (${code})` : ''}: ${NATIVE_FIX}`,
        cause: err,
      });
    }
  }
  if (spec.kind === 'unix' && !existsSync(spec.path)) {
    throw new ProvisioningError('BLE_UNAVAILABLE', {
      detail: `${text}: nothing listens at ${spec.path}; ${spec.air ? `start the virtual air there ("npx tp-air")` : 'start the controller there'}, or set BLE_TRANSPORT (hci0 for this machine's adapter)`,
    });
  }
  const airProvider = (): Air => options.air ?? defaultAir();
  const sockets = record.sockets;
  class SubstituteHciSocket extends H4HciSocket {
    constructor() {
      super(spec, airProvider);
      sockets.push(this);
    }
  }
  const mod = Module as unknown as { _load: Load };
  const original = mod._load;
  mod._load = function substitute(this: unknown, request, parent, isMain) {
    if (request === HCI_SOCKET_PACKAGE) return SubstituteHciSocket;
    return original.call(this, request, parent, isMain);
  };
  try {
    const stack = requireHere(pkg) as T;
    loaded.set(name, record);
    return stack;
  } finally {
    mod._load = original;
  }
}

export interface BlenoOptions extends LoadOptions {
  /** Largest ATT_MTU bleno accepts (23–517; default 517). bleno's own default is 256. */
  maxMtu?: number;
}

/** Loads bleno (the peripheral stack) on `spec` (default: $BLE_TRANSPORT, else the default air socket); returns the bleno singleton. */
export function loadBleno(spec?: string | TransportSpec, options: BlenoOptions = {}): Bleno {
  const bleno = requireStack<Bleno>('bleno', normalise(spec), options);
  setBlenoMaxMtu(bleno, options.maxMtu ?? MAX_ATT_MTU);
  return bleno;
}

function checkMtu(mtu: number): void {
  if (!Number.isInteger(mtu) || mtu < MIN_ATT_MTU || mtu > MAX_ATT_MTU) {
    throw new UsageError('CONFIG_INVALID', {
      detail: `ATT MTU must be an integer ${MIN_ATT_MTU}–${MAX_ATT_MTU}, got ${mtu}`,
    });
  }
}

/** Sets the largest MTU bleno grants in an Exchange MTU (applies to the next exchange). */
export function setBlenoMaxMtu(bleno: Bleno, mtu: number): void {
  checkMtu(mtu);
  const internals = bleno as unknown as { _bindings?: { _gatt?: { maxMtu?: number } } };
  const gatt = internals._bindings?._gatt;
  if (gatt) gatt.maxMtu = mtu;
}

export interface NobleOptions extends LoadOptions {
  /** ATT_MTU noble asks for right after connecting (23–517; default 517). noble's own is 256. */
  mtu?: number;
}

let nobleDesiredMtu = MAX_ATT_MTU;
let noblePatched = false;

/** Loads noble (the central stack) on `spec` (default: $BLE_TRANSPORT, else the default air socket); returns the noble singleton. */
export function loadNoble(spec?: string | TransportSpec, options: NobleOptions = {}): Noble {
  const noble = requireStack<Noble>('noble', normalise(spec), options);
  patchNobleMtu();
  setNobleMtu(options.mtu ?? MAX_ATT_MTU);
  return noble;
}

/** Sets the MTU noble requests on its next connections. */
export function setNobleMtu(mtu: number): void {
  checkMtu(mtu);
  nobleDesiredMtu = mtu;
}

/**
 * noble hard-codes the MTU it asks for (256) in its hci-socket Gatt. Its connections' Gatt objects
 * come from that one module, so wrapping exchangeMtu on the prototype (in memory) sets the request.
 */
function patchNobleMtu(): void {
  if (noblePatched) return;
  const root = dirname(requireHere.resolve('@abandonware/noble/package.json'));
  const Gatt = requireHere(join(root, 'lib', 'hci-socket', 'gatt.js')) as {
    prototype: { exchangeMtu: () => void; _desired_mtu: number };
  };
  const original = Gatt.prototype.exchangeMtu;
  Gatt.prototype.exchangeMtu = function exchangeMtu(this: { _desired_mtu: number }) {
    this._desired_mtu = nobleDesiredMtu;
    return original.call(this);
  };
  noblePatched = true;
}

/**
 * Cuts the stack's link to its controller, as if the dongle were unplugged: open connections are
 * reported disconnected and the stack goes poweredOff. For tests of a peer that goes away.
 */
export function closeStackTransport(name: 'bleno' | 'noble'): void {
  for (const s of loaded.get(name)?.sockets ?? []) s.close();
}

/**
 * The loaded stack's link to its controller, for a supervisor (see ControllerLink); undefined for
 * hciN (the kernel owns that link) or a stack not loaded.
 */
export function stackController(name: 'bleno' | 'noble'): ControllerLink | undefined {
  // bleno also holds an inert mgmt socket; the controller's link is the one that was bound.
  return loaded.get(name)?.sockets.find((s) => !s.isControl);
}
