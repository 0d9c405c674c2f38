/**
 * One virtual LE controller: the HCI command interpreter a host talks to over H4. What happens on
 * the medium (reports, connections, data timing) is the air's job; this class holds the
 * controller's own state and answers commands. Return parameters are always full length, even on
 * error, because neither stack checks the status before parsing (BLE-NOTES.md).
 */
import { H4_ACL, H4_COMMAND, addressToString, h4Event } from '../h4/packets.js';
import type { Air } from './air.js';
import { ADV_TYPE, EVT, LE_SUBEVENT, OP, STATUS, leMeta } from './hci.js';

/** HCI version 5.0 (0x09): bleno needs >= 6 (4.0). */
const HCI_VERSION = 0x09;
/** Manufacturer reported in Read Local Version: 0xFFFF, "for testing" (Assigned Numbers). */
const MANUFACTURER = 0xffff;
/** LE features: Data Packet Length Extension (bit 5) and LE 2M PHY (bit 8). */
const LE_FEATURES = Buffer.from([0x20, 0x01, 0, 0, 0, 0, 0, 0]);
/** LMP features page 0: "LE Supported (Controller)" (byte 4 bit 6) and "BR/EDR Not Supported" (bit 5). */
const LMP_FEATURES = Buffer.from([0, 0, 0, 0, 0x60, 0, 0, 0]);
/** Advertising/scan-response data is at most 31 octets (legacy advertising). */
const MAX_ADV_DATA = 31;
/** Advertising TX power reported, dBm. */
const ADV_TX_POWER_DBM = 0;

export interface PendingConnect {
  peer: string;
  peerAddress: Buffer;
  intervalUnits: number;
  timeoutUnits: number;
  scheduled: boolean;
}

export class VirtualController {
  readonly addressText: string;
  readonly adv = {
    type: ADV_TYPE.ADV_IND as number,
    data: Buffer.alloc(0),
    scanResponse: Buffer.alloc(0),
    enabled: false,
  };
  readonly scan = { enabled: false, active: false };
  pendingConnect: PendingConnect | undefined;
  private attached = true;

  constructor(
    private readonly air: Air,
    /** Little-endian, as HCI carries it. */
    readonly address: Buffer,
    private readonly toHost: (packet: Buffer) => void,
  ) {
    this.addressText = addressToString(address);
  }

  /** Sends to the host at the current simulated instant, after anything already due now. */
  emit(packet: Buffer): void {
    this.air.scheduler.at(this.air.scheduler.now(), () => this.emitNow(packet));
  }

  /** Sends to the host immediately (for code already running at the right simulated instant). */
  emitNow(packet: Buffer): void {
    if (this.attached) this.toHost(packet);
  }

  /** The host is gone: its links drop (the peer sees a supervision timeout) and it stops advertising. */
  detach(): void {
    if (!this.attached) return;
    this.attached = false;
    this.clearState();
    this.air.detached(this);
  }

  /** One complete H4 packet from the host. */
  receive(packet: Buffer): void {
    if (!this.attached || packet.length < 1) return;
    if (packet[0] === H4_COMMAND && packet.length >= 4)
      this.command(packet.readUInt16LE(1), packet.subarray(4, 4 + (packet[3] ?? 0)));
    else if (packet[0] === H4_ACL && packet.length >= 5) {
      const link = this.air.linkOf(this, packet.readUInt16LE(1) & 0x0fff);
      if (link) this.air.sendAcl(this, link, packet);
    }
  }

  private clearState(): void {
    this.adv.enabled = false;
    this.adv.type = ADV_TYPE.ADV_IND;
    this.adv.data = Buffer.alloc(0);
    this.adv.scanResponse = Buffer.alloc(0);
    this.scan.enabled = false;
    this.scan.active = false;
    this.pendingConnect = undefined;
  }

  private complete(op: number, status: number, returnLength = 0, fill?: (r: Buffer) => void): void {
    // Full-length return parameters whatever the status: zeros after an error.
    const ret = Buffer.alloc(returnLength);
    if (status === STATUS.SUCCESS) fill?.(ret);
    const params = Buffer.alloc(4 + returnLength);
    params[0] = 1; // Num_HCI_Command_Packets
    params.writeUInt16LE(op, 1);
    params[3] = status;
    ret.copy(params, 4);
    this.emit(h4Event(EVT.COMMAND_COMPLETE, params));
  }

  private commandStatus(op: number, status: number): void {
    const params = Buffer.alloc(4);
    params[0] = status;
    params[1] = 1;
    params.writeUInt16LE(op, 2);
    this.emit(h4Event(EVT.COMMAND_STATUS, params));
  }

  /** Return parameters that start with the connection handle (kept even when it is unknown). */
  private completeWithHandle(op: number, status: number, handle: number, extra = 0, fill?: (r: Buffer) => void): void {
    const ret = Buffer.alloc(2 + extra);
    ret.writeUInt16LE(handle, 0);
    if (status === STATUS.SUCCESS) fill?.(ret);
    const params = Buffer.alloc(4 + ret.length);
    params[0] = 1;
    params.writeUInt16LE(op, 1);
    params[3] = status;
    ret.copy(params, 4);
    this.emit(h4Event(EVT.COMMAND_COMPLETE, params));
  }

  private command(op: number, p: Buffer): void {
    const known = this.dispatch(op, p);
    this.air.countCommand(known);
    // Unknown commands are answered, never dropped: a host would wait for ever (Vol 4 Part E 4.5).
    if (!known) this.commandStatus(op, STATUS.UNKNOWN_COMMAND);
  }

  /** Answers one command; false when the command is not supported. */
  private dispatch(op: number, p: Buffer): boolean {
    const ok = STATUS.SUCCESS;
    const bad = STATUS.INVALID_PARAMETERS;
    switch (op) {
      case OP.RESET:
        this.air.resetController(this, STATUS.CONNECTION_TIMEOUT);
        this.clearState();
        this.complete(op, ok);
        return true;
      case OP.SET_EVENT_MASK:
      case OP.SET_EVENT_MASK_PAGE_2:
      case OP.SET_EVENT_FILTER:
      case OP.WRITE_LOCAL_NAME:
      case OP.WRITE_LE_HOST_SUPPORTED:
      case OP.LE_SET_EVENT_MASK:
      case OP.LE_SET_RANDOM_ADDRESS:
      case OP.LE_CLEAR_ACCEPT_LIST:
      case OP.LE_ADD_ACCEPT_LIST:
      case OP.LE_REMOVE_ACCEPT_LIST:
      case OP.LE_SET_HOST_CHANNEL_CLASS:
      case OP.LE_WRITE_DEFAULT_DATA_LENGTH:
      case OP.LE_SET_DEFAULT_PHY:
        this.complete(op, ok);
        return true;
      case OP.READ_LOCAL_NAME:
        this.complete(op, ok, 248);
        return true;
      case OP.READ_LE_HOST_SUPPORTED:
        this.complete(op, ok, 2, (r) => (r[0] = 1));
        return true;
      case OP.READ_LOCAL_VERSION:
        this.complete(op, ok, 8, (r) => {
          r[0] = HCI_VERSION;
          r.writeUInt16LE(0, 1);
          r[3] = HCI_VERSION;
          r.writeUInt16LE(MANUFACTURER, 4);
          r.writeUInt16LE(0, 6);
        });
        return true;
      case OP.READ_LOCAL_COMMANDS:
        this.complete(op, ok, 64);
        return true;
      case OP.READ_LOCAL_FEATURES:
        this.complete(op, ok, 8, (r) => LMP_FEATURES.copy(r));
        return true;
      case OP.READ_BUFFER_SIZE: {
        const { octets, count } = this.air.aclBuffer;
        this.complete(op, ok, 7, (r) => {
          r.writeUInt16LE(octets, 0);
          r.writeUInt16LE(count, 3);
        });
        return true;
      }
      case OP.READ_BD_ADDR:
        this.complete(op, ok, 6, (r) => this.address.copy(r));
        return true;
      case OP.READ_RSSI: {
        const handle = p.length >= 2 ? p.readUInt16LE(0) : 0;
        const link = this.air.linkOf(this, handle);
        this.completeWithHandle(op, link ? ok : STATUS.UNKNOWN_CONNECTION, handle, 1, (r) => {
          if (link) r.writeInt8(this.air.rssi(this, link.peerOf(this)), 2);
        });
        return true;
      }
      case OP.LE_READ_BUFFER_SIZE: {
        const { octets, count } = this.air.aclBuffer;
        this.complete(op, ok, 3, (r) => {
          r.writeUInt16LE(octets, 0);
          r[2] = count;
        });
        return true;
      }
      case OP.LE_READ_LOCAL_FEATURES:
        this.complete(op, ok, 8, (r) => LE_FEATURES.copy(r));
        return true;
      case OP.LE_READ_SUPPORTED_STATES:
        this.complete(op, ok, 8, (r) => r.fill(0xff, 0, 5));
        return true;
      case OP.LE_READ_ACCEPT_LIST_SIZE:
        this.complete(op, ok, 1, (r) => (r[0] = 8));
        return true;
      case OP.LE_RAND:
        // Deterministic "random" number: nothing on the air relies on it being secret.
        this.complete(op, ok, 8, (r) => r.writeDoubleLE(this.air.scheduler.now() + 1));
        return true;
      case OP.LE_READ_ADV_TX_POWER:
        this.complete(op, ok, 1, (r) => r.writeInt8(ADV_TX_POWER_DBM));
        return true;
      case OP.LE_SET_ADV_PARAMS:
        if (p.length < 15 || p[4]! > ADV_TYPE.ADV_DIRECT_IND_LOW) {
          this.complete(op, bad);
          return true;
        }
        this.adv.type = p[4]!;
        this.complete(op, ok);
        return true;
      case OP.LE_SET_ADV_DATA:
      case OP.LE_SET_SCAN_RSP_DATA: {
        const len = p[0] ?? 0xff;
        if (len > MAX_ADV_DATA || p.length < 1 + len) {
          this.complete(op, bad);
          return true;
        }
        const data = Buffer.from(p.subarray(1, 1 + len));
        if (op === OP.LE_SET_ADV_DATA) this.adv.data = data;
        else this.adv.scanResponse = data;
        this.complete(op, ok);
        this.air.advertisingChanged(this);
        return true;
      }
      case OP.LE_SET_ADV_ENABLE:
        this.adv.enabled = p[0] === 1;
        this.complete(op, ok);
        this.air.advertisingChanged(this);
        return true;
      case OP.LE_SET_SCAN_PARAMS:
        this.scan.active = p[0] === 1;
        this.complete(op, ok);
        return true;
      case OP.LE_SET_SCAN_ENABLE: {
        const was = this.scan.enabled;
        this.scan.enabled = p[0] === 1;
        this.complete(op, ok);
        if (this.scan.enabled && !was) this.air.scanningStarted(this);
        return true;
      }
      case OP.LE_CREATE_CONN: {
        if (p.length < 25) {
          this.commandStatus(op, bad);
          return true;
        }
        if (this.pendingConnect) {
          this.commandStatus(op, STATUS.COMMAND_DISALLOWED);
          return true;
        }
        const peerAddress = Buffer.from(p.subarray(6, 12));
        this.pendingConnect = {
          peer: addressToString(peerAddress),
          peerAddress,
          intervalUnits: Math.max(6, p.readUInt16LE(13)),
          timeoutUnits: p.readUInt16LE(19) || 42,
          scheduled: false,
        };
        this.commandStatus(op, ok);
        this.air.tryConnect(this);
        return true;
      }
      case OP.LE_CREATE_CONN_CANCEL:
        if (!this.pendingConnect) {
          this.complete(op, STATUS.COMMAND_DISALLOWED);
          return true;
        }
        this.complete(op, ok);
        this.air.cancelConnect(this);
        return true;
      case OP.DISCONNECT: {
        const link = p.length >= 3 ? this.air.linkOf(this, p.readUInt16LE(0)) : undefined;
        if (!link || link.closing) {
          this.commandStatus(op, STATUS.UNKNOWN_CONNECTION);
          return true;
        }
        this.commandStatus(op, ok);
        this.air.disconnect(this, link, p[2] ?? STATUS.REMOTE_USER_TERMINATED);
        return true;
      }
      case OP.LE_CONN_UPDATE: {
        const link = p.length >= 14 ? this.air.linkOf(this, p.readUInt16LE(0)) : undefined;
        if (!link) {
          this.commandStatus(op, STATUS.UNKNOWN_CONNECTION);
          return true;
        }
        const min = p.readUInt16LE(2);
        if (min < 6 || min > 3200) {
          this.commandStatus(op, bad);
          return true;
        }
        this.commandStatus(op, ok);
        this.air.updateConnection(link, min, p.readUInt16LE(6), p.readUInt16LE(8));
        return true;
      }
      case OP.LE_READ_REMOTE_FEATURES:
      case OP.READ_REMOTE_VERSION: {
        const handle = p.length >= 2 ? p.readUInt16LE(0) : 0;
        const link = this.air.linkOf(this, handle);
        this.commandStatus(op, link ? ok : STATUS.UNKNOWN_CONNECTION);
        if (link && op === OP.LE_READ_REMOTE_FEATURES) {
          const params = Buffer.alloc(11);
          params.writeUInt16LE(handle, 1);
          LE_FEATURES.copy(params, 3);
          this.emit(leMeta(LE_SUBEVENT.READ_REMOTE_FEATURES_COMPLETE, params));
        } else if (link) {
          this.emit(
            h4Event(
              0x0c,
              Buffer.from([0, handle & 0xff, handle >> 8, HCI_VERSION, MANUFACTURER & 0xff, MANUFACTURER >> 8, 0, 0]),
            ),
          );
        }
        return true;
      }
      case OP.LE_LTK_REPLY:
      case OP.LE_LTK_NEG_REPLY: {
        const handle = p.length >= 2 ? p.readUInt16LE(0) : 0;
        this.completeWithHandle(op, this.air.linkOf(this, handle) ? ok : STATUS.UNKNOWN_CONNECTION, handle);
        return true;
      }
      case OP.LE_START_ENCRYPTION:
        // No link-layer encryption on the air (BLE-NOTES.md): the product's own session protects data.
        this.commandStatus(op, STATUS.UNKNOWN_COMMAND);
        return true;
      case OP.LE_SET_DATA_LENGTH: {
        const handle = p.length >= 2 ? p.readUInt16LE(0) : 0;
        const link = p.length >= 6 ? this.air.linkOf(this, handle) : undefined;
        this.completeWithHandle(op, link ? ok : STATUS.UNKNOWN_CONNECTION, handle);
        if (link) this.air.setDataLength(this, link, p.readUInt16LE(2));
        return true;
      }
      case OP.LE_READ_DEFAULT_DATA_LENGTH: {
        const octets = this.air.options.dataLength ?? 251;
        this.complete(op, ok, 4, (r) => {
          r.writeUInt16LE(octets, 0);
          r.writeUInt16LE(Math.round((octets + 14) * 8), 2);
        });
        return true;
      }
      case OP.LE_READ_MAX_DATA_LENGTH:
        this.complete(op, ok, 8, (r) => {
          r.writeUInt16LE(251, 0);
          r.writeUInt16LE(2120, 2);
          r.writeUInt16LE(251, 4);
          r.writeUInt16LE(2120, 6);
        });
        return true;
      case OP.LE_READ_PHY: {
        const handle = p.length >= 2 ? p.readUInt16LE(0) : 0;
        const link = this.air.linkOf(this, handle);
        this.completeWithHandle(op, link ? ok : STATUS.UNKNOWN_CONNECTION, handle, 2, (r) => {
          const code = link?.phy === '2M' ? 2 : 1;
          r[2] = code;
          r[3] = code;
        });
        return true;
      }
      case OP.LE_SET_PHY: {
        const link = p.length >= 7 ? this.air.linkOf(this, p.readUInt16LE(0)) : undefined;
        this.commandStatus(op, link ? ok : STATUS.UNKNOWN_CONNECTION);
        // ALL_PHYS bit 0 = no TX preference; otherwise 2M if the host allows it.
        if (link) this.air.setPhy(link, (p[2]! & 1) === 0 && (p[3]! & 0b10) !== 0 ? '2M' : '1M');
        return true;
      }
      default:
        return false;
    }
  }
}
