import { describe, expect, it } from 'vitest';
import { foldNodeWarnings, NODE_NOTICE_SHOWN, nodeSupportNotice } from './node-support.js';
import type { NodeSupportHost } from './node-support.js';

const OIDC = 'oidc-provider WARNING: Unsupported runtime. Use Node.js v22.x LTS, or a later LTS release.';

function host(version: string, env: Record<string, string | undefined> = {}) {
  const warned: unknown[][] = [];
  const written: string[] = [];
  const h: NodeSupportHost = { version, env, stderr: { write: (t) => written.push(t) } };
  const console = { warn: (...args: unknown[]) => void warned.push(args) };
  return { h, console, warned, written };
}

describe('node support notice', () => {
  it('says nothing on 22, 24 and later', () => {
    for (const v of ['v22.17.0', 'v24.22.3', 'v26.1.0']) expect(nodeSupportNotice(v)).toBeUndefined();
  });

  it('on 20: one line, end of life with its date, the fix, and what it stands for', () => {
    const line = nodeSupportNotice('v20.20.2')!;
    expect(line).not.toContain('\n');
    expect(line).toContain('Node.js v20.20.2 is past its end of life since 2026-04-30');
    expect(line).toContain('use Node.js 24 LTS');
    expect(line).toContain("oidc-provider's and the AWS SDK's warnings");
  });

  it('on a supported Node changes nothing', () => {
    const { h, console, written } = host('v24.22.3');
    const warn = console.warn;
    expect(foldNodeWarnings(h, console)).toBe(false);
    expect(written).toEqual([]);
    expect(console.warn).toBe(warn);
    expect(h.env).toEqual({});
  });

  it("on 20: prints the notice, turns off the AWS SDK's warning, replaces oidc-provider's line once", () => {
    const { h, console, warned, written } = host('v20.20.2');
    expect(foldNodeWarnings(h, console)).toBe(true);
    expect(written).toEqual([`${nodeSupportNotice('v20.20.2')}\n`]);
    expect(h.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED).toBe('true');
    console.warn('something else', 1);
    // The red variant oidc-provider prints on a terminal.
    console.warn(`\x1b[31;1m${OIDC}\x1b[0m`);
    console.warn(OIDC);
    expect(warned).toEqual([['something else', 1], [OIDC]]);
  });

  it('a child of a program that printed it does not print it again, and still folds', () => {
    const { h, console, warned, written } = host('v20.20.2', { [NODE_NOTICE_SHOWN]: '1' });
    expect(foldNodeWarnings(h, console)).toBe(true);
    expect(written).toEqual([]);
    console.warn(OIDC);
    expect(warned).toEqual([]);
    expect(h.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED).toBe('true');
  });
});
