/**
 * Writes protocol/session/vectors/handshake.json (SESSION.md §6.3): `npx tsx protocol/session/vectors/generate.ts`.
 * Deterministic; test/session/handshake-vector.test.ts checks the committed file against the code.
 */
/* eslint-disable no-restricted-imports -- a developer tool that writes files, not protocol code */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildHandshakeVector } from './build.js';

const path = join(dirname(fileURLToPath(import.meta.url)), 'handshake.json');
writeFileSync(path, JSON.stringify(buildHandshakeVector(), null, 2) + '\n');
console.log('wrote protocol/session/vectors/handshake.json');
