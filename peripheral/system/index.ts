/** What the device takes from its operating system: the command runner and the clock. See README.md. */
export { spawnRunner } from './command-runner.js';
export type { CommandOptions, CommandResult, CommandRunner } from './command-runner.js';
export { systemClock, systemTimers } from './timers.js';
