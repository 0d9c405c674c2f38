import { describe, expect, it } from 'vitest';
import { RealTimeScheduler, VirtualTimeScheduler } from './scheduler.js';
import type { WallClock } from './scheduler.js';

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
  function fakeWall(): WallClock & { advance(ms: number): void } {
    let now = 1000;
    const timers: { at: number; fn: () => void; live: boolean }[] = [];
    return {
      nowMs: () => now,
      setTimer: (ms, fn) => {
        const t = { at: now + ms, fn, live: true };
        timers.push(t);
        return { cancel: () => (t.live = false) };
      },
      advance(ms) {
        now += ms;
        for (const t of timers.filter((x) => x.live && x.at <= now)) {
          t.live = false;
          t.fn();
        }
      },
    };
  }

  it('maps simulated time to wall time through the speed factor', () => {
    const wall = fakeWall();
    const s = new RealTimeScheduler(10, wall);
    const seen: number[] = [];
    s.at(50_000, () => seen.push(s.now())); // 50 ms simulated = 5 ms of wall time at ×10
    wall.advance(4);
    expect(seen).toEqual([]);
    wall.advance(1);
    expect(seen).toEqual([50_000]);
  });

  it('rejects a non-positive speed', () => {
    expect(() => new RealTimeScheduler(0)).toThrow(RangeError);
  });
});
