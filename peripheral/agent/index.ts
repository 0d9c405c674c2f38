/** The provisioning agent: one state machine for every transport. See README.md. */
export { ProvisioningAgent } from './agent.js';
export type { AgentOptions, AgentSession, CommandResult, RunMark, StatusListener } from './agent.js';
export { claimFleetRunner, DEFAULT_VERIFY_TOPIC } from './fleet-runner.js';
export type { ClaimFleetRunnerOptions, FleetRun, FleetRunner } from './fleet-runner.js';
export { claimFromMessage, JOB_FILE, JobFile, MAX_JOB_FILE_BYTES, wifiFromMessage } from './job.js';
export type { Job, JobClaim } from './job.js';
export { RUN_ORDER, STATE_PROGRESS, STATE_STEP } from './progress.js';
