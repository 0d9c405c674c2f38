/**
 * The layer rule of ARCHITECTURE.md (lint/layers.js) fires on a forbidden import at any depth, passes
 * the allowed ones, and is switched on for the whole tree by eslint.config.js.
 */
import { fileURLToPath } from 'node:url';
import { ESLint, Linter } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';
import layers from '../../lint/layers.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const linter = new Linter({ configType: 'flat' });
const config: Linter.Config[] = [
  {
    files: ['**/*.ts'],
    languageOptions: { parser: tseslint.parser },
    plugins: { layers },
    rules: { 'layers/allowed-imports': 'error', 'layers/public-surface': 'error' },
  },
];

function lint(file: string, code: string): string[] {
  return linter.verify(code, config, { filename: `${ROOT}${file}` }).map((m) => `${m.ruleId}: ${m.message}`);
}

describe('layers/allowed-imports', () => {
  it.each([
    ['protocol/x.ts', "import { a } from '../cloud/index.js';", 'protocol/x.ts may not import cloud/index.ts'],
    ['protocol/session/x.ts', "import { a } from '../../ble/index.js';", 'may not import ble/index.ts'],
    ['protocol/session/deep/x.ts', "export * from '../../../cloud/emulator/index.js';", 'cloud/emulator/index.ts'],
    ['peripheral/agent/x.ts', "import { a } from '../../softap-fallback/policy/index.js';", 'softap-fallback'],
    ['peripheral/engine/x.ts', "const m = await import('../../ble/index.js');", 'may not import ble/index.ts'],
    ['central/engine/x.ts', "import type { A } from '../../peripheral/engine/index.js';", 'peripheral/engine'],
    ['ble/air/x.ts', "import { a } from '../peripheral/index.js';", 'not ble/peripheral/'],
    ['ble/central/x.ts', "import { a } from '../../peripheral/engine/index.js';", 'peripheral/engine'],
    ['softap-fallback/server/x.ts', "import { a } from '../../apps/device/index.js';", 'apps/device'],
    ['apps/device/x.ts', "import { a } from '../../central/engine/index.js';", 'central/engine'],
    ['apps/central/x.ts', "import { a } from '../../ble/peripheral/index.js';", 'ble/peripheral'],
    ['apps/device/config/x.ts', "import { a } from '../../../cloud/emulator/index.js';", 'cloud/emulator'],
    ['cloud/emulator/x.ts', "import { a } from '../../peripheral/fleet/index.js';", 'peripheral/fleet'],
  ])('%s: %s is refused', (file, code, expected) => {
    const messages = lint(file, code);
    expect(messages.filter((m) => m.startsWith('layers/allowed-imports'))).toHaveLength(1);
    expect(messages.join('\n')).toContain(expected);
  });

  it.each([
    ['protocol/session/x.ts', "import { a } from '../errors.js';"],
    ['peripheral/engine/x.ts', "import { a } from '../../protocol/index.js';"],
    ['ble/peripheral/x.ts', "import { a } from '../../peripheral/engine/index.js';"],
    ['ble/central/x.ts', "import { a } from '../index.js';"],
    ['softap-fallback/server/x.ts', "import { a } from '../../peripheral/engine/index.js';"],
    ['apps/device/x.ts', "import { a } from '../../softap-fallback/server/index.js';"],
    ['apps/central/x.ts', "import { a } from '../../ble/central/index.js';"],
    ['test/x.test.ts', "import { a } from '../cloud/emulator/registry/registry.js';"],
    ['peripheral/engine/x.test.ts', "import { a } from '../../test/support/manual-timers.js';"],
  ])('%s: %s is allowed', (file, code) => {
    expect(lint(file, code)).toEqual([]);
  });
});

describe('layers/public-surface', () => {
  it("refuses a file behind another folder's index.ts", () => {
    expect(lint('apps/device/x.ts', "import { a } from '../../peripheral/agent/job.js';").join()).toContain(
      "import it from 'peripheral/agent/index.js'",
    );
  });

  it("lets a folder use its own files and its parents' files", () => {
    expect(lint('peripheral/agent/x.ts', "import { a } from './job.js';")).toEqual([]);
    expect(lint('protocol/session/x.ts', "import { a } from '../errors.js';")).toEqual([]);
  });
});

describe('eslint.config.js', () => {
  it('switches the layer rules on for every source file', async () => {
    const eslint = new ESLint({ cwd: ROOT });
    for (const file of ['protocol/session/index.ts', 'apps/device/cli.ts', 'cloud/emulator/index.ts']) {
      const rules = ((await eslint.calculateConfigForFile(file)) as Linter.Config).rules ?? {};
      expect(rules['layers/allowed-imports'], file).toEqual([2]);
      expect(rules['layers/public-surface'], file).toEqual([2]);
    }
  });
});
