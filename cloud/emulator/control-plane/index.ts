export { startControlPlane, IOT_SIGNING_NAMES, MAX_REQUEST_BODY_BYTES, DEFAULT_DATA_ENDPOINT } from './server.js';
export type { ControlPlane, ControlPlaneOptions } from './server.js';
export type { RateLimit } from './throttle.js';
export { CLAIM_VALIDITY_MS, OPERATIONS } from './operations/index.js';
export { authorize } from './authorize.js';
