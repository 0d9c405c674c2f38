/** The fleet provisioning MQTT API (CreateCertificateFromCsr, CreateKeysAndCertificate, RegisterThing), its hook and its limits. */
export { encodePayload } from './codec.js';
export { FleetProvisioningService } from './service.js';
export type { FleetReply } from './service.js';
export { FleetThrottle } from './throttle.js';
export type { FleetRequestTopic } from './topics.js';
export type { HookOptions, HookHandler, PreProvisioningHookInput, PreProvisioningHookOutput } from './hook.js';
export { PRE_PROVISIONING_HOOK_TIMEOUT_MS } from './hook.js';
export { FLEET_API_REQUESTS_PER_SECOND } from './limits.js';
export { claimMayPublish, claimMaySubscribe, isFleetTopic, parseFleetRequestTopic } from './topics.js';
