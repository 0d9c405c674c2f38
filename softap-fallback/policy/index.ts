/** When to fall back to the SoftAP, and the job lock both transports share. */
export { FallbackPolicy } from './fallback-policy.js';
export type { ApTrigger, FallbackInitialState, FallbackSnapshot } from './fallback-policy.js';
export { resolveFallbackPolicyConfig } from './config.js';
export type { FallbackPolicyConfig, FallbackPolicyConfigInput, FallbackTriggersInput } from './config.js';
export { FallbackDriver } from './driver.js';
export type { FallbackActions, FallbackDriverOptions } from './driver.js';
export { JobLock } from './job-lock.js';
export type { JobLease, JobLockEvent, JobLockOptions } from './job-lock.js';
export type { Decision, DecisionType, FallbackEvent, FallbackReason, Transport } from './types.js';
export * from './limits.js';
