/**
 * The top README carries the published benchmark figures (bench/results/latest.md) between two
 * markers that `npm run bench` rewrites; a hand edit of either copy shows up here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const BEGIN = '<!-- bench/results/latest.md: written by npm run bench, do not edit by hand -->\n';
const END = '<!-- end of bench/results/latest.md -->';

describe('README benchmarks', () => {
  it('are bench/results/latest.md word for word', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const from = readme.indexOf(BEGIN);
    const to = readme.indexOf(END);
    expect(from, 'README.md has the start marker').toBeGreaterThanOrEqual(0);
    expect(to, 'README.md has the end marker after it').toBeGreaterThan(from);
    expect(readme.slice(from + BEGIN.length, to)).toBe(readFileSync(join(root, 'bench/results/latest.md'), 'utf8'));
  });
});
