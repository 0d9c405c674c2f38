/**
 * Imported first by every program (`import '../apps/node-notice.js'` before any other import): on a
 * Node.js past its end of life, one line at start-up in place of the libraries' own warnings
 * (apps/node-support.ts says why). A side effect on purpose, and the only thing this module does.
 */
import process from 'node:process';
import { foldNodeWarnings } from './node-support.js';

foldNodeWarnings({
  version: process.version,
  env: process.env,
  console,
  writeStderr: (text) => process.stderr.write(text),
});
