/**
 * The part of the Web Bluetooth API (https://webbluetoothcg.github.io/web-bluetooth/) the phone's
 * browser link uses. TypeScript's DOM library does not ship these types (the API is not on every
 * engine), so they are declared here with the specification's names; `navigator.bluetooth` is
 * optional because Safari and Firefox have none.
 */

type BluetoothServiceUUID = number | string;
type BluetoothCharacteristicUUID = number | string;

interface BluetoothLEScanFilter {
  readonly services?: BluetoothServiceUUID[];
  readonly name?: string;
  readonly namePrefix?: string;
}

interface RequestDeviceOptions {
  readonly filters?: BluetoothLEScanFilter[];
  readonly optionalServices?: BluetoothServiceUUID[];
  readonly acceptAllDevices?: boolean;
}

interface Bluetooth extends EventTarget {
  /** Missing in some browsers that have requestDevice: the app then cannot tell "no adapter" from "nothing chosen". */
  getAvailability?(): Promise<boolean>;
  requestDevice(options: RequestDeviceOptions): Promise<BluetoothDevice>;
}

interface BluetoothDevice extends EventTarget {
  readonly id: string;
  readonly name?: string;
  readonly gatt?: BluetoothRemoteGATTServer;
  addEventListener(type: 'gattserverdisconnected', listener: (this: this, ev: Event) => unknown): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject | null): void;
  removeEventListener(type: 'gattserverdisconnected', listener: (this: this, ev: Event) => unknown): void;
  removeEventListener(type: string, listener: EventListenerOrEventListenerObject | null): void;
}

interface BluetoothRemoteGATTServer {
  readonly device: BluetoothDevice;
  readonly connected: boolean;
  connect(): Promise<BluetoothRemoteGATTServer>;
  disconnect(): void;
  getPrimaryService(service: BluetoothServiceUUID): Promise<BluetoothRemoteGATTService>;
}

interface BluetoothRemoteGATTService {
  readonly uuid: string;
  getCharacteristics(characteristic?: BluetoothCharacteristicUUID): Promise<BluetoothRemoteGATTCharacteristic[]>;
}

interface BluetoothRemoteGATTCharacteristic extends EventTarget {
  readonly uuid: string;
  readonly value?: DataView;
  readValue(): Promise<DataView>;
  writeValueWithResponse(value: BufferSource): Promise<void>;
  /** Missing in older browsers: the link then writes every frame with response. */
  writeValueWithoutResponse?(value: BufferSource): Promise<void>;
  readonly properties?: { readonly writeWithoutResponse: boolean };
  startNotifications(): Promise<BluetoothRemoteGATTCharacteristic>;
  stopNotifications(): Promise<BluetoothRemoteGATTCharacteristic>;
  addEventListener(type: 'characteristicvaluechanged', listener: (this: this, ev: Event) => unknown): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject | null): void;
  removeEventListener(type: 'characteristicvaluechanged', listener: (this: this, ev: Event) => unknown): void;
  removeEventListener(type: string, listener: EventListenerOrEventListenerObject | null): void;
}

interface Navigator {
  readonly bluetooth?: Bluetooth;
}
