/** The phone's HTTP link to a device on its setup network (a DeviceLink), and the API's names both sides use. */
export { connectHttp } from './http-link.js';
export {
  API_PREFIX,
  FRAME_CONTENT_TYPE,
  WRITABLE_CHANNELS,
  NOTIFY_CHANNELS,
  CLIENT_HEADER,
  CLIENT_HEADER_VALUE,
  apiPath,
} from './api.js';
export type { ClaimDefaults, CreatedConnection, NotificationBatch, ErrorBody } from './api.js';
export { toBase64Url } from './base64url.js';
