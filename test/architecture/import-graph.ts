/**
 * The folder import graph of the shipped source (tests, demo and bench left out), read from the files:
 * every relative import, re-export and dynamic import, folded to folders `depth` levels deep.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const SKIP = new Set(['node_modules', '.git', 'dist', '.data', 'test', 'demo', 'bench']);
const IMPORT = /(?:from\s+|import\s*\(\s*|import\s+)['"](\.[^'"]+)['"]/g;

export function sourceFiles(root: string): string[] {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (SKIP.has(entry.name)) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/\.m?ts$/.test(entry.name) && !/\.(test|d)\.ts$/.test(entry.name)) files.push(path);
    }
  };
  walk(root);
  return files;
}

function folderOf(root: string, path: string, depth: number): string {
  const parts = relative(root, path).split(sep).slice(0, -1);
  return parts.slice(0, depth).join('/') || '.';
}

/** Edges "from -> to" between distinct folders at `depth`, with how many imports make each. */
export function folderEdges(root: string, depth: number): Map<string, number> {
  const edges = new Map<string, number>();
  for (const file of sourceFiles(root)) {
    for (const match of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const target = resolve(dirname(file), match[1] ?? '');
      const asFolder = existsSync(target) && statSync(target).isDirectory() ? join(target, 'index.ts') : target;
      const from = folderOf(root, file, depth);
      const to = folderOf(root, asFolder, depth);
      if (from !== to) edges.set(`${from} -> ${to}`, (edges.get(`${from} -> ${to}`) ?? 0) + 1);
    }
  }
  return edges;
}

/** Strongly connected components with more than one folder: each is an import cycle. */
export function cycles(edges: Iterable<string>): string[][] {
  const next = new Map<string, string[]>();
  for (const edge of edges) {
    const [from = '', to = ''] = edge.split(' -> ');
    next.set(from, [...(next.get(from) ?? []), to]);
    if (!next.has(to)) next.set(to, []);
  }
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v) ?? 0);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) visit(w);
      if (onStack.has(w)) low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    for (let w = stack.pop(); w !== undefined; w = w === v ? undefined : stack.pop()) {
      onStack.delete(w);
      component.push(w);
    }
    if (component.length > 1) found.push(component.sort());
  };
  for (const v of next.keys()) if (!index.has(v)) visit(v);
  return found;
}
