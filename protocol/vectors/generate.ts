/**
 * Writes the test vectors (PROTOCOL.md §8): `npx tsx protocol/vectors/generate.ts`.
 * Deterministic: the same code always writes the same bytes; vectors.test.ts checks that the
 * committed files still match the code in both directions.
 */
/* eslint-disable no-restricted-imports -- a developer tool that writes files, not protocol code */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildVectorFiles } from './build.js';

const here = dirname(fileURLToPath(import.meta.url));
for (const [name, content] of Object.entries(buildVectorFiles())) {
  writeFileSync(join(here, name), JSON.stringify(content, null, 2) + '\n');
  console.log(`wrote protocol/vectors/${name}`);
}
