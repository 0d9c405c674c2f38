/**
 * The HCI commands a virtual controller answers (Core spec Vol 4 Part E 7), one handler per opcode.
 * A handler answers with Command Complete or Command Status and asks the air for whatever happens
 * on the medium. Return parameters are always full length, even on error, because neither stack
 * checks the status before parsing (BLE-NOTES.md). An opcode missing from the table is unknown:
 * the controller answers it with Command Status 0x01.
 */
import { addressToString, h4Event } from '../h4/index.js';
import type { VirtualController } from './controller.js';
import { commandComplete, commandStatus } from './events.js';
import { ADV_TYPE, EVT, LE_SUBEVENT, OP, STATUS, leMeta } from './hci.js';
import { MAX_LL_OCTETS } from './link-timing.js';

/** Answers one command from the host; `op` lets one handler serve a pair of opcodes. */
export type CommandHandler = (c: VirtualController, p: Buffer, op: number) => void;

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
/** Time on air of the largest LL payload on 1M, µs, as LE Read Maximum Data Length reports it. */
const MAX_LL_TIME_US = 2120;

const OK = STATUS.SUCCESS;
const BAD = STATUS.INVALID_PARAMETERS;

// ---- answers ----------------------------------------------------------------------------------

/** Command Complete with `returnLength` octets of return parameters, zeros unless it succeeded. */
function complete(
  c: VirtualController,
  op: number,
  status: number,
  returnLength = 0,
  fill?: (r: Buffer) => void,
): void {
  completeWith(c, op, status, Buffer.alloc(returnLength), fill);
}

/** Return parameters that start with the connection handle (kept even when it is unknown). */
function completeWithHandle(
  c: VirtualController,
  op: number,
  status: number,
  handle: number,
  extra = 0,
  fill?: (r: Buffer) => void,
): void {
  const ret = Buffer.alloc(2 + extra);
  ret.writeUInt16LE(handle, 0);
  completeWith(c, op, status, ret, fill);
}

/** Fills the return parameters only on success: after an error they stay zeros. */
function completeWith(c: VirtualController, op: number, code: number, ret: Buffer, fill?: (r: Buffer) => void): void {
  if (code === OK) fill?.(ret);
  c.emit(commandComplete(op, code, ret));
}

/** Command Status: what a command whose outcome comes later (or not at all) is answered with first. */
function answerStatus(c: VirtualController, op: number, code: number): void {
  c.emit(commandStatus(op, code));
}

/** The handle a command names in its first two octets (0 when the parameters are too short). */
function handleOf(p: Buffer): number {
  return p.length >= 2 ? p.readUInt16LE(0) : 0;
}

// ---- controller and baseband, informational ----------------------------------------------------

const reset: CommandHandler = (c, _p, op) => {
  c.air.resetController(c, STATUS.CONNECTION_TIMEOUT);
  c.clearState();
  complete(c, op, OK);
};

/** Settings the virtual controller accepts and has no use for (event masks, names, filters…). */
const acceptSetting: CommandHandler = (c, _p, op) => complete(c, op, OK);

const readLocalName: CommandHandler = (c, _p, op) => complete(c, op, OK, 248);

const readLeHostSupported: CommandHandler = (c, _p, op) => complete(c, op, OK, 2, (r) => (r[0] = 1));

const readLocalVersion: CommandHandler = (c, _p, op) =>
  complete(c, op, OK, 8, (r) => {
    r[0] = HCI_VERSION;
    r.writeUInt16LE(0, 1);
    r[3] = HCI_VERSION;
    r.writeUInt16LE(MANUFACTURER, 4);
    r.writeUInt16LE(0, 6);
  });

const readLocalCommands: CommandHandler = (c, _p, op) => complete(c, op, OK, 64);

const readLocalFeatures: CommandHandler = (c, _p, op) => complete(c, op, OK, 8, (r) => LMP_FEATURES.copy(r));

const readBufferSize: CommandHandler = (c, _p, op) => {
  const { octets, count } = c.air.aclBuffer;
  complete(c, op, OK, 7, (r) => {
    r.writeUInt16LE(octets, 0);
    r.writeUInt16LE(count, 3);
  });
};

const readBdAddr: CommandHandler = (c, _p, op) => complete(c, op, OK, 6, (r) => c.address.copy(r));

const readRssi: CommandHandler = (c, p, op) => {
  const handle = handleOf(p);
  const link = c.air.linkOf(c, handle);
  completeWithHandle(c, op, link ? OK : STATUS.UNKNOWN_CONNECTION, handle, 1, (r) => {
    if (link) r.writeInt8(c.air.rssi(c, link.peerOf(c)), 2);
  });
};

// ---- LE controller, informational ---------------------------------------------------------------

const leReadBufferSize: CommandHandler = (c, _p, op) => {
  const { octets, count } = c.air.aclBuffer;
  complete(c, op, OK, 3, (r) => {
    r.writeUInt16LE(octets, 0);
    r[2] = count;
  });
};

const leReadLocalFeatures: CommandHandler = (c, _p, op) => complete(c, op, OK, 8, (r) => LE_FEATURES.copy(r));

const leReadSupportedStates: CommandHandler = (c, _p, op) => complete(c, op, OK, 8, (r) => r.fill(0xff, 0, 5));

const leReadAcceptListSize: CommandHandler = (c, _p, op) => complete(c, op, OK, 1, (r) => (r[0] = 8));

// Deterministic "random" number: nothing on the air relies on it being secret.
const leRand: CommandHandler = (c, _p, op) => complete(c, op, OK, 8, (r) => r.writeDoubleLE(c.air.scheduler.now() + 1));

const leReadAdvTxPower: CommandHandler = (c, _p, op) => complete(c, op, OK, 1, (r) => r.writeInt8(ADV_TX_POWER_DBM));

// ---- advertising and scanning --------------------------------------------------------------------

const leSetAdvParams: CommandHandler = (c, p, op) => {
  const type = p[4];
  if (p.length < 15 || type === undefined || type > ADV_TYPE.ADV_DIRECT_IND_LOW) return complete(c, op, BAD);
  c.adv.type = type;
  complete(c, op, OK);
};

/** LE Set Advertising Data and LE Set Scan Response Data: a length octet, then the data. */
function setAdvPayload(c: VirtualController, p: Buffer, op: number, field: 'data' | 'scanResponse'): void {
  const len = p[0] ?? 0xff;
  if (len > MAX_ADV_DATA || p.length < 1 + len) return complete(c, op, BAD);
  c.adv[field] = Buffer.from(p.subarray(1, 1 + len));
  complete(c, op, OK);
  c.air.advertisingChanged(c);
}

const leSetAdvData: CommandHandler = (c, p, op) => setAdvPayload(c, p, op, 'data');

const leSetScanRspData: CommandHandler = (c, p, op) => setAdvPayload(c, p, op, 'scanResponse');

const leSetAdvEnable: CommandHandler = (c, p, op) => {
  c.adv.enabled = p[0] === 1;
  complete(c, op, OK);
  c.air.advertisingChanged(c);
};

const leSetScanParams: CommandHandler = (c, p, op) => {
  c.scan.active = p[0] === 1;
  complete(c, op, OK);
};

const leSetScanEnable: CommandHandler = (c, p, op) => {
  const was = c.scan.enabled;
  c.scan.enabled = p[0] === 1;
  complete(c, op, OK);
  if (c.scan.enabled && !was) c.air.scanningStarted(c);
};

// ---- connections ---------------------------------------------------------------------------------

const leCreateConn: CommandHandler = (c, p, op) => {
  if (p.length < 25) return answerStatus(c, op, BAD);
  if (c.pendingConnect) return answerStatus(c, op, STATUS.COMMAND_DISALLOWED);
  const peerAddress = Buffer.from(p.subarray(6, 12));
  c.pendingConnect = {
    peer: addressToString(peerAddress),
    peerAddress,
    intervalUnits: Math.max(6, p.readUInt16LE(13)),
    timeoutUnits: p.readUInt16LE(19) || 42,
    scheduled: false,
  };
  answerStatus(c, op, OK);
  c.air.tryConnect(c);
};

const leCreateConnCancel: CommandHandler = (c, _p, op) => {
  if (!c.pendingConnect) return complete(c, op, STATUS.COMMAND_DISALLOWED);
  complete(c, op, OK);
  c.air.cancelConnect(c);
};

const disconnect: CommandHandler = (c, p, op) => {
  const link = p.length >= 3 ? c.air.linkOf(c, p.readUInt16LE(0)) : undefined;
  if (!link || link.closing) return answerStatus(c, op, STATUS.UNKNOWN_CONNECTION);
  answerStatus(c, op, OK);
  c.air.disconnect(c, link, p[2] ?? STATUS.REMOTE_USER_TERMINATED);
};

const leConnUpdate: CommandHandler = (c, p, op) => {
  const link = p.length >= 14 ? c.air.linkOf(c, p.readUInt16LE(0)) : undefined;
  if (!link) return answerStatus(c, op, STATUS.UNKNOWN_CONNECTION);
  const min = p.readUInt16LE(2);
  if (min < 6 || min > 3200) return answerStatus(c, op, BAD);
  answerStatus(c, op, OK);
  c.air.updateConnection(link, min, p.readUInt16LE(6), p.readUInt16LE(8));
};

const leReadRemoteFeatures: CommandHandler = (c, p, op) => {
  const handle = handleOf(p);
  const link = c.air.linkOf(c, handle);
  answerStatus(c, op, link ? OK : STATUS.UNKNOWN_CONNECTION);
  if (!link) return;
  const params = Buffer.alloc(11);
  params.writeUInt16LE(handle, 1);
  LE_FEATURES.copy(params, 3);
  c.emit(leMeta(LE_SUBEVENT.READ_REMOTE_FEATURES_COMPLETE, params));
};

/** Read Remote Version Information: answered with its Complete event (0x0C), as the peer is ours. */
const readRemoteVersion: CommandHandler = (c, p, op) => {
  const handle = handleOf(p);
  const link = c.air.linkOf(c, handle);
  answerStatus(c, op, link ? OK : STATUS.UNKNOWN_CONNECTION);
  if (!link) return;
  const params = [0, handle & 0xff, handle >> 8, HCI_VERSION, MANUFACTURER & 0xff, MANUFACTURER >> 8, 0, 0];
  c.emit(h4Event(EVT.READ_REMOTE_VERSION_COMPLETE, Buffer.from(params)));
};

// ---- encryption, data length, PHY ------------------------------------------------------------------

/** LE Long Term Key Request Reply and Negative Reply: acknowledged, nothing is encrypted. */
const leLtkReply: CommandHandler = (c, p, op) => {
  const handle = handleOf(p);
  completeWithHandle(c, op, c.air.linkOf(c, handle) ? OK : STATUS.UNKNOWN_CONNECTION, handle);
};

// No link-layer encryption on the air (BLE-NOTES.md): the product's own session protects data.
const leStartEncryption: CommandHandler = (c, _p, op) => answerStatus(c, op, STATUS.UNKNOWN_COMMAND);

const leSetDataLength: CommandHandler = (c, p, op) => {
  const handle = handleOf(p);
  const link = p.length >= 6 ? c.air.linkOf(c, handle) : undefined;
  completeWithHandle(c, op, link ? OK : STATUS.UNKNOWN_CONNECTION, handle);
  if (link) c.air.setDataLength(c, link, p.readUInt16LE(2));
};

const leReadDefaultDataLength: CommandHandler = (c, _p, op) => {
  const octets = c.air.options.dataLength ?? MAX_LL_OCTETS;
  complete(c, op, OK, 4, (r) => {
    r.writeUInt16LE(octets, 0);
    r.writeUInt16LE(Math.round((octets + 14) * 8), 2);
  });
};

const leReadMaxDataLength: CommandHandler = (c, _p, op) =>
  complete(c, op, OK, 8, (r) => {
    r.writeUInt16LE(MAX_LL_OCTETS, 0);
    r.writeUInt16LE(MAX_LL_TIME_US, 2);
    r.writeUInt16LE(MAX_LL_OCTETS, 4);
    r.writeUInt16LE(MAX_LL_TIME_US, 6);
  });

const leReadPhy: CommandHandler = (c, p, op) => {
  const handle = handleOf(p);
  const link = c.air.linkOf(c, handle);
  completeWithHandle(c, op, link ? OK : STATUS.UNKNOWN_CONNECTION, handle, 2, (r) => {
    const code = link?.phy === '2M' ? 2 : 1;
    r[2] = code;
    r[3] = code;
  });
};

const leSetPhy: CommandHandler = (c, p, op) => {
  const link = p.length >= 7 ? c.air.linkOf(c, p.readUInt16LE(0)) : undefined;
  answerStatus(c, op, link ? OK : STATUS.UNKNOWN_CONNECTION);
  if (!link) return;
  // ALL_PHYS bit 0 = no TX preference; otherwise 2M if the host allows it.
  const allPhys = p[2] ?? 0;
  const txPhys = p[3] ?? 0;
  c.air.setPhy(link, (allPhys & 1) === 0 && (txPhys & 0b10) !== 0 ? '2M' : '1M');
};

// ---- the table ------------------------------------------------------------------------------------

/** Opcode → handler; what is not here gets Command Status "Unknown HCI Command". */
export const COMMAND_HANDLERS: ReadonlyMap<number, CommandHandler> = new Map<number, CommandHandler>([
  [OP.RESET, reset],
  [OP.SET_EVENT_MASK, acceptSetting],
  [OP.SET_EVENT_MASK_PAGE_2, acceptSetting],
  [OP.SET_EVENT_FILTER, acceptSetting],
  [OP.WRITE_LOCAL_NAME, acceptSetting],
  [OP.WRITE_LE_HOST_SUPPORTED, acceptSetting],
  [OP.LE_SET_EVENT_MASK, acceptSetting],
  [OP.LE_SET_RANDOM_ADDRESS, acceptSetting],
  [OP.LE_CLEAR_ACCEPT_LIST, acceptSetting],
  [OP.LE_ADD_ACCEPT_LIST, acceptSetting],
  [OP.LE_REMOVE_ACCEPT_LIST, acceptSetting],
  [OP.LE_SET_HOST_CHANNEL_CLASS, acceptSetting],
  [OP.LE_WRITE_DEFAULT_DATA_LENGTH, acceptSetting],
  [OP.LE_SET_DEFAULT_PHY, acceptSetting],
  [OP.READ_LOCAL_NAME, readLocalName],
  [OP.READ_LE_HOST_SUPPORTED, readLeHostSupported],
  [OP.READ_LOCAL_VERSION, readLocalVersion],
  [OP.READ_LOCAL_COMMANDS, readLocalCommands],
  [OP.READ_LOCAL_FEATURES, readLocalFeatures],
  [OP.READ_BUFFER_SIZE, readBufferSize],
  [OP.READ_BD_ADDR, readBdAddr],
  [OP.READ_RSSI, readRssi],
  [OP.LE_READ_BUFFER_SIZE, leReadBufferSize],
  [OP.LE_READ_LOCAL_FEATURES, leReadLocalFeatures],
  [OP.LE_READ_SUPPORTED_STATES, leReadSupportedStates],
  [OP.LE_READ_ACCEPT_LIST_SIZE, leReadAcceptListSize],
  [OP.LE_RAND, leRand],
  [OP.LE_READ_ADV_TX_POWER, leReadAdvTxPower],
  [OP.LE_SET_ADV_PARAMS, leSetAdvParams],
  [OP.LE_SET_ADV_DATA, leSetAdvData],
  [OP.LE_SET_SCAN_RSP_DATA, leSetScanRspData],
  [OP.LE_SET_ADV_ENABLE, leSetAdvEnable],
  [OP.LE_SET_SCAN_PARAMS, leSetScanParams],
  [OP.LE_SET_SCAN_ENABLE, leSetScanEnable],
  [OP.LE_CREATE_CONN, leCreateConn],
  [OP.LE_CREATE_CONN_CANCEL, leCreateConnCancel],
  [OP.DISCONNECT, disconnect],
  [OP.LE_CONN_UPDATE, leConnUpdate],
  [OP.LE_READ_REMOTE_FEATURES, leReadRemoteFeatures],
  [OP.READ_REMOTE_VERSION, readRemoteVersion],
  [OP.LE_LTK_REPLY, leLtkReply],
  [OP.LE_LTK_NEG_REPLY, leLtkReply],
  [OP.LE_START_ENCRYPTION, leStartEncryption],
  [OP.LE_SET_DATA_LENGTH, leSetDataLength],
  [OP.LE_READ_DEFAULT_DATA_LENGTH, leReadDefaultDataLength],
  [OP.LE_READ_MAX_DATA_LENGTH, leReadMaxDataLength],
  [OP.LE_READ_PHY, leReadPhy],
  [OP.LE_SET_PHY, leSetPhy],
]);
