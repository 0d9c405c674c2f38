/**
 * No dead exports (#17): every name a module exports is used somewhere in the repository (programs,
 * tests, build scripts, or the module itself); see dead-exports.ts for how it is read. A dead export
 * is deleted, not kept for later.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { deadExports } from './dead-exports.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('dead exports', () => {
  it('the repository has none', () => {
    expect(deadExports(ROOT)).toEqual([]);
  });

  const planted = mkdtempSync(join(tmpdir(), 'dead-exports-'));
  afterAll(() => rmSync(planted, { recursive: true, force: true }));

  it('finds a planted one: unused, or passed on by an index.ts to nobody; not one used anywhere', () => {
    const write = (path: string, text: string): void => {
      mkdirSync(dirname(join(planted, path)), { recursive: true });
      writeFileSync(join(planted, path), text);
    };
    write(
      'lib/limits.ts',
      [
        'export const USED_ELSEWHERE = 1;',
        'export const USED_HERE = 2;',
        'export const nowhere = USED_HERE;',
        'export function onlyReexported(): void {}',
        'export interface Shape { a: number }',
        'export type Unused = string;',
        'export default 3;',
      ].join('\n'),
    );
    write('lib/index.ts', "export { USED_ELSEWHERE, onlyReexported } from './limits.js';\n");
    write('app/main.ts', "import { USED_ELSEWHERE } from '../lib/index.js';\nconsole.log(USED_ELSEWHERE);\n");
    write('app/main.test.ts', "import type { Shape } from '../lib/limits.js';\nconst s: Shape = { a: 1 };\n");
    write('build.mjs', 'const m = await import("./x.js"); m.nowhereElse;\n');
    expect(deadExports(planted)).toEqual([
      { file: 'lib/limits.ts', name: 'nowhere' },
      { file: 'lib/limits.ts', name: 'onlyReexported' },
      { file: 'lib/limits.ts', name: 'Unused' },
    ]);
  });
});
