/** The `central` program's commands (central/README.md): `runCli` runs one command line. */
export { runCli } from './run.js';
