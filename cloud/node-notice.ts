/**
 * The first import of the cloud emulator and its setup (cli.ts, setup/cli.ts): on a Node past its end of life, one line before any library loads and
 * warns on its own (protocol/node-support.ts says why). A side effect on purpose, and all it does.
 */
import { foldNodeWarnings } from '../protocol/index.js';

foldNodeWarnings(process, console);
