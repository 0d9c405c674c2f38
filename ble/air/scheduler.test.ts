import { describe, expect, it } from 'vitest';
import { RealTimeScheduler, VirtualTimeScheduler } from './scheduler.js';
import { ManualTimers } from '../../test/support/manual-timers.js';

describe('VirtualTimeScheduler', () => {
  it('runs entries in time order, FIFO at the same instant, jumping time forward', () => {
    const deferred: (() => void)[] = [];
    const s = new VirtualTimeScheduler((fn) => deferred.push(fn));
    const seen: [string, number][] = [];
    s.at(500, () => seen.push(['b', s.now()]));
    s.at(100, () => seen.push(['a', s.now()]));
    s.at(500, () => {
      seen.push(['c', s.now()]);
      s.at(0, () => seen.push(['late', s.now()])); // the past means now
    });
    while (deferred.length > 0) deferred.shift()!();
    expect(seen).toEqual([
      ['a', 100],
      ['b', 500],
      ['c', 500],
      ['late', 500],
    ]);
  });

  it('runs nothing after close', () => {
    const deferred: (() => void)[] = [];
    const s = new VirtualTimeScheduler((fn) => deferred.push(fn));
    let ran = false;
    s.at(1, () => (ran = true));
    s.close();
    while (deferred.length > 0) deferred.shift()!();
    expect(ran).toBe(false);
  });
});

describe('RealTimeScheduler', () => {
  it('maps simulated time to wall time through the speed factor', async () => {
    const wall = new ManualTimers({ start: 1000 });
    const s = new RealTimeScheduler(10, wall.clock, wall);
    const seen: number[] = [];
    s.at(50_000, () => seen.push(s.now())); // 50 ms simulated = 5 ms of wall time at ×10
    await wall.advanceTo(1004);
    expect(seen).toEqual([]);
    await wall.advanceTo(1005);
    expect(seen).toEqual([50_000]);
  });

  it('rejects a non-positive speed', () => {
    expect(() => new RealTimeScheduler(0)).toThrow(RangeError);
  });
});
