/** What the device takes from its operating system: the command runner. See README.md. */
export { spawnRunner } from './command-runner.js';
export type { CommandOptions, CommandResult, CommandRunner } from './command-runner.js';
