// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import layers from './lint/layers.js';

export default tseslint.config(
  { ignores: ['node_modules/**', '**/dist/**', 'coverage/**', '**/*.generated.js', '.data/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    // Typed rules read the program tsconfig.json describes (every folder is in it).
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      // Passing on a caught reason (typed `unknown`) as it came is fine; rejecting with a known non-Error is not.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
      'no-console': 'off',
    },
  },
  {
    // The JavaScript files (this config, the lint plugin, build and patch scripts) are outside tsconfig.json.
    files: ['**/*.{js,mjs,cjs}'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // protocol/ is sans I/O: it may not reach for Node's I/O modules (protocol/README.md).
    files: ['protocol/**/*.ts'],
    ignores: ['protocol/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                'node:*',
                'fs',
                'net',
                'dgram',
                'http',
                'https',
                'child_process',
                'timers',
                '@abandonware/*',
                'express',
              ],
              message: 'protocol/ is sans I/O: no Node I/O modules, no BLE stack, no HTTP server (protocol/README.md).',
            },
          ],
        },
      ],
      'no-restricted-globals': ['error', 'setTimeout', 'setInterval', 'process', 'Buffer'],
    },
  },
  {
    // The layers of ARCHITECTURE.md, at any depth, and folders used through their index.ts (lint/layers.js).
    files: ['**/*.ts', '**/*.mts'],
    plugins: { layers },
    rules: { 'layers/allowed-imports': 'error', 'layers/public-surface': 'error' },
  },
  {
    // Functions a reader takes in at once (issue #17): no function of the shipped code, demo or
    // benchmarks is over 80 lines; tests' describe blocks are lists of cases, not functions to read.
    files: ['**/*.ts', '**/*.mts'],
    ignores: ['**/*.test.ts', 'test/**'],
    rules: { 'max-lines-per-function': ['error', { max: 80 }] },
  },
);
