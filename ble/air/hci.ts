/** HCI opcodes, events and status codes the virtual air speaks (Core spec 5.x, Vol 4 Part E). */
import { h4Event, opcode } from '../h4/index.js';

export const OP = {
  DISCONNECT: opcode(0x01, 0x0006),
  READ_REMOTE_VERSION: opcode(0x01, 0x001d),
  SET_EVENT_MASK: opcode(0x03, 0x0001),
  RESET: opcode(0x03, 0x0003),
  SET_EVENT_FILTER: opcode(0x03, 0x0005),
  WRITE_LOCAL_NAME: opcode(0x03, 0x0013),
  READ_LOCAL_NAME: opcode(0x03, 0x0014),
  SET_EVENT_MASK_PAGE_2: opcode(0x03, 0x0063),
  READ_LE_HOST_SUPPORTED: opcode(0x03, 0x006c),
  WRITE_LE_HOST_SUPPORTED: opcode(0x03, 0x006d),
  READ_LOCAL_VERSION: opcode(0x04, 0x0001),
  READ_LOCAL_COMMANDS: opcode(0x04, 0x0002),
  READ_LOCAL_FEATURES: opcode(0x04, 0x0003),
  READ_BUFFER_SIZE: opcode(0x04, 0x0005),
  READ_BD_ADDR: opcode(0x04, 0x0009),
  READ_RSSI: opcode(0x05, 0x0005),
  LE_SET_EVENT_MASK: opcode(0x08, 0x0001),
  LE_READ_BUFFER_SIZE: opcode(0x08, 0x0002),
  LE_READ_LOCAL_FEATURES: opcode(0x08, 0x0003),
  LE_SET_RANDOM_ADDRESS: opcode(0x08, 0x0005),
  LE_SET_ADV_PARAMS: opcode(0x08, 0x0006),
  LE_READ_ADV_TX_POWER: opcode(0x08, 0x0007),
  LE_SET_ADV_DATA: opcode(0x08, 0x0008),
  LE_SET_SCAN_RSP_DATA: opcode(0x08, 0x0009),
  LE_SET_ADV_ENABLE: opcode(0x08, 0x000a),
  LE_SET_SCAN_PARAMS: opcode(0x08, 0x000b),
  LE_SET_SCAN_ENABLE: opcode(0x08, 0x000c),
  LE_CREATE_CONN: opcode(0x08, 0x000d),
  LE_CREATE_CONN_CANCEL: opcode(0x08, 0x000e),
  LE_READ_ACCEPT_LIST_SIZE: opcode(0x08, 0x000f),
  LE_CLEAR_ACCEPT_LIST: opcode(0x08, 0x0010),
  LE_ADD_ACCEPT_LIST: opcode(0x08, 0x0011),
  LE_REMOVE_ACCEPT_LIST: opcode(0x08, 0x0012),
  LE_CONN_UPDATE: opcode(0x08, 0x0013),
  LE_SET_HOST_CHANNEL_CLASS: opcode(0x08, 0x0014),
  LE_READ_REMOTE_FEATURES: opcode(0x08, 0x0016),
  LE_RAND: opcode(0x08, 0x0018),
  LE_START_ENCRYPTION: opcode(0x08, 0x0019),
  LE_LTK_REPLY: opcode(0x08, 0x001a),
  LE_LTK_NEG_REPLY: opcode(0x08, 0x001b),
  LE_READ_SUPPORTED_STATES: opcode(0x08, 0x001c),
  LE_SET_DATA_LENGTH: opcode(0x08, 0x0022),
  LE_READ_DEFAULT_DATA_LENGTH: opcode(0x08, 0x0023),
  LE_WRITE_DEFAULT_DATA_LENGTH: opcode(0x08, 0x0024),
  LE_READ_MAX_DATA_LENGTH: opcode(0x08, 0x002f),
  LE_READ_PHY: opcode(0x08, 0x0030),
  LE_SET_DEFAULT_PHY: opcode(0x08, 0x0031),
  LE_SET_PHY: opcode(0x08, 0x0032),
} as const;

export const EVT = {
  DISCONNECTION_COMPLETE: 0x05,
  READ_REMOTE_VERSION_COMPLETE: 0x0c,
  COMMAND_COMPLETE: 0x0e,
  COMMAND_STATUS: 0x0f,
  NUMBER_OF_COMPLETED_PACKETS: 0x13,
  LE_META: 0x3e,
} as const;

export const LE_SUBEVENT = {
  CONNECTION_COMPLETE: 0x01,
  ADVERTISING_REPORT: 0x02,
  CONNECTION_UPDATE_COMPLETE: 0x03,
  READ_REMOTE_FEATURES_COMPLETE: 0x04,
  DATA_LENGTH_CHANGE: 0x07,
  PHY_UPDATE_COMPLETE: 0x0c,
} as const;

/** Error codes (Vol 1 Part F). */
export const STATUS = {
  SUCCESS: 0x00,
  UNKNOWN_COMMAND: 0x01,
  UNKNOWN_CONNECTION: 0x02,
  CONNECTION_TIMEOUT: 0x08,
  COMMAND_DISALLOWED: 0x0c,
  INVALID_PARAMETERS: 0x12,
  REMOTE_USER_TERMINATED: 0x13,
  LOCAL_HOST_TERMINATED: 0x16,
  CONNECTION_FAILED_TO_ESTABLISH: 0x3e,
} as const;

/** Advertising_Type of LE Set Advertising Parameters → Event_Type of its LE Advertising Report. */
export const ADV_TYPE = {
  ADV_IND: 0x00,
  ADV_DIRECT_IND: 0x01,
  ADV_SCAN_IND: 0x02,
  ADV_NONCONN_IND: 0x03,
  ADV_DIRECT_IND_LOW: 0x04,
} as const;
export const REPORT_TYPE = {
  ADV_IND: 0x00,
  ADV_DIRECT_IND: 0x01,
  ADV_SCAN_IND: 0x02,
  ADV_NONCONN_IND: 0x03,
  SCAN_RSP: 0x04,
} as const;

/** An LE Meta event (0x3E) with its subevent code first. */
export function leMeta(subevent: number, params: Uint8Array): Buffer {
  return h4Event(EVT.LE_META, Buffer.concat([Buffer.from([subevent]), params]));
}
