/** The phone's BLE adapter in a browser: Web Bluetooth gives `central/engine` a DeviceLink. See ble/README.md, "Web Bluetooth". */
export {
  AVAILABILITY_TIMEOUT_MS,
  chooseDevice,
  connectWebBluetooth,
  REQUEST_DEVICE_OPTIONS,
  webBluetooth,
} from './web-bluetooth-link.js';
