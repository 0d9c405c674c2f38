// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', '**/dist/**', 'coverage/**', '**/*.generated.js', '.data/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
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
                '../ble/*',
                '../peripheral/*',
                '../central/*',
                '../cloud/*',
                '../softap-fallback/*',
              ],
              message: 'protocol/ is sans I/O and imports nothing of ours outside protocol/.',
            },
          ],
        },
      ],
      'no-restricted-globals': ['error', 'setTimeout', 'setInterval', 'process', 'Buffer'],
    },
  },
);
