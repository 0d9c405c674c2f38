// @ts-check
/**
 * The layering of ARCHITECTURE.md as ESLint rules (plugin `layers`):
 *
 * - `layers/allowed-imports`: a source file imports only the folders its layer may use, at any depth
 *   (`../../../cloud/x.js` from `protocol/session/` is caught as surely as `../cloud/x.js`).
 * - `layers/public-surface`: an import that leaves the importer's folder targets that folder's
 *   `index.ts`, unless the target folder encloses the importer (a sub-folder uses its parent's parts).
 *
 * Paths are resolved from the repository root (this file's parent folder). Imports of packages are
 * not ours to judge here; protocol's I/O ban on Node modules is `no-restricted-imports`.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

/**
 * First matching prefix wins (most specific first). `allow`: folders the layer may import (its own
 * included); `deny`: sub-folders of those it still may not.
 * @type {ReadonlyArray<{ from: string; allow: string[]; deny?: string[] }>}
 */
export const LAYERS = [
  { from: 'protocol/', allow: ['protocol/'] },
  { from: 'peripheral/', allow: ['protocol/', 'peripheral/'] },
  { from: 'central/', allow: ['protocol/', 'central/'] },
  { from: 'ble/peripheral/', allow: ['protocol/', 'peripheral/', 'ble/'], deny: ['ble/central/'] },
  { from: 'ble/central/', allow: ['protocol/', 'central/', 'ble/'], deny: ['ble/peripheral/'] },
  // The browser's BLE adapter: bundled into a page, so nothing of ble/'s Node side (stacks, air, HCI).
  { from: 'ble/web/', allow: ['protocol/', 'central/', 'ble/web/'] },
  { from: 'ble/', allow: ['protocol/', 'ble/'], deny: ['ble/peripheral/', 'ble/central/', 'ble/web/'] },
  { from: 'softap-fallback/', allow: ['protocol/', 'peripheral/', 'central/', 'softap-fallback/'] },
  {
    from: 'apps/device/',
    allow: ['protocol/', 'peripheral/', 'ble/', 'softap-fallback/', 'apps/device/'],
    deny: ['ble/central/', 'ble/web/', 'softap-fallback/client/'],
  },
  {
    from: 'apps/central/',
    allow: ['protocol/', 'central/', 'ble/', 'softap-fallback/', 'apps/central/'],
    deny: ['ble/peripheral/', 'softap-fallback/server/', 'softap-fallback/ap/', 'softap-fallback/policy/'],
  },
  // The web app: the phone side in a browser, built with the SoftAP page's esbuild settings.
  { from: 'apps/web/', allow: ['protocol/', 'central/', 'ble/web/', 'softap-fallback/web/', 'apps/web/'] },
  { from: 'cloud/', allow: ['protocol/', 'cloud/'] },
];

/** Files the rules leave alone: tests and the whole-product runners may reach anything. */
const EXEMPT = [/\.test\.ts$/, /^test\//, /^demo\//, /^bench\//];

/** @param {string} filename */
function repoPath(filename) {
  return path.relative(ROOT, filename).split(path.sep).join('/');
}

/**
 * The repository path an import specifier names, `.js` mapped back to the `.ts` source.
 * @param {string} importer repository path of the importing file
 * @param {string} specifier
 */
function resolveTarget(importer, specifier) {
  const joined = path.posix.normalize(path.posix.join(path.posix.dirname(importer), specifier));
  return joined.replace(/\.js$/, '.ts').replace(/\.mjs$/, '.mts');
}

/**
 * Calls `check(node, specifier)` for every import, re-export and dynamic import with a relative literal source.
 * @param {(node: any, specifier: string) => void} check
 */
function onRelativeImports(check) {
  /** @param {any} node */
  const visit = (node) => {
    const source = node.source;
    if (source && source.type === 'Literal' && typeof source.value === 'string' && source.value.startsWith('.'))
      check(node, source.value);
  };
  return {
    ImportDeclaration: visit,
    ExportNamedDeclaration: visit,
    ExportAllDeclaration: visit,
    ImportExpression: visit,
  };
}

/** @param {string} importer */
function layerOf(importer) {
  return LAYERS.find((layer) => importer.startsWith(layer.from));
}

/** @type {import('eslint').Rule.RuleModule} */
const allowedImports = {
  meta: {
    type: 'problem',
    docs: { description: 'A folder imports only the layers ARCHITECTURE.md lets it use.' },
    messages: {
      forbidden: '{{importer}} may not import {{target}}: {{layer}} uses only {{allowed}} (ARCHITECTURE.md).',
      outside: '{{importer}} imports {{target}}, outside the repository.',
    },
    schema: [],
  },
  create(context) {
    const importer = repoPath(context.filename);
    if (EXEMPT.some((re) => re.test(importer))) return {};
    const layer = layerOf(importer);
    if (!layer) return {};
    return onRelativeImports((node, specifier) => {
      const target = resolveTarget(importer, specifier);
      if (target.startsWith('../')) {
        context.report({ node, messageId: 'outside', data: { importer, target } });
        return;
      }
      const allowed =
        layer.allow.some((p) => target.startsWith(p)) && !(layer.deny ?? []).some((p) => target.startsWith(p));
      if (!allowed) {
        const denied = layer.deny?.length ? ` (not ${layer.deny.join(', ')})` : '';
        context.report({
          node,
          messageId: 'forbidden',
          data: { importer, target, layer: layer.from, allowed: layer.allow.join(', ') + denied },
        });
      }
    });
  },
};

/** @type {import('eslint').Rule.RuleModule} */
const publicSurface = {
  meta: {
    type: 'problem',
    docs: { description: "Another folder's modules are reached through its index.ts." },
    messages: {
      internal:
        "{{importer}} reaches behind {{folder}}/index.ts to {{target}}: import it from '{{folder}}/index.js' (export it there).",
    },
    schema: [],
  },
  create(context) {
    const importer = repoPath(context.filename);
    if (EXEMPT.some((re) => re.test(importer)) || !layerOf(importer)) return {};
    const importerDir = path.posix.dirname(importer);
    return onRelativeImports((node, specifier) => {
      const target = resolveTarget(importer, specifier);
      const folder = path.posix.dirname(target);
      const encloses = importerDir === folder || importerDir.startsWith(folder + '/');
      if (encloses || path.posix.basename(target) === 'index.ts' || target.startsWith('../')) return;
      context.report({ node, messageId: 'internal', data: { importer, target, folder } });
    });
  },
};

export default { rules: { 'allowed-imports': allowedImports, 'public-surface': publicSurface } };
