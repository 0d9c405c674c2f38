import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cycles, folderEdges } from './import-graph.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('the folder import graph (ARCHITECTURE.md)', () => {
  it('finds a cycle when there is one (the checker can fail)', () => {
    expect(cycles(['a -> b', 'b -> c', 'c -> a', 'c -> d'])).toEqual([['a', 'b', 'c']]);
    expect(cycles(['a -> b', 'b -> c'])).toEqual([]);
  });

  for (const depth of [1, 2, 3, 4]) {
    it(`has no cycle between folders ${depth} level(s) deep`, () => {
      const edges = folderEdges(ROOT, depth);
      expect(edges.size).toBeGreaterThan(0);
      expect(cycles(edges.keys())).toEqual([]);
    });
  }

  it('has the arrows of the layer table and none back up', () => {
    const top = [...folderEdges(ROOT, 1).keys()];
    expect(top).toContain('apps -> peripheral');
    expect(top).toContain('ble -> protocol');
    for (const shipped of ['protocol', 'peripheral', 'central', 'ble', 'softap-fallback', 'apps'])
      expect(top).not.toContain(`${shipped} -> cloud`);
    expect(top.filter((edge) => edge.startsWith('protocol ->'))).toEqual([]);
    expect(top.filter((edge) => edge.endsWith('-> apps'))).toEqual([]);
  });
});
