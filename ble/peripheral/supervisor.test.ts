/** The controller supervisor on a manual clock against a scripted controller link. */
import { describe, expect, it } from 'vitest';
import type { ControllerLink } from '../index.js';
import { flush, ManualTimers } from '../../test/support/manual-timers.js';
import {
  CONTROLLER_PROBE_INTERVAL_MS,
  CONTROLLER_PROBE_TIMEOUT_MS,
  REATTACH_TIMEOUT_MS,
} from '../../peripheral/engine/limits.js';
import { ControllerSupervisor } from './supervisor.js';

/** A link whose controller can be unplugged, plugged back, or made deaf. */
class ScriptedLink implements ControllerLink {
  readonly transport = 'tcp:127.0.0.1:6402';
  attached = true;
  plugged = true;
  deaf = false;
  readonly calls: string[] = [];
  readonly #listeners = new Set<(attached: boolean, error?: Error) => void>();
  #pendingProbe: { reject: (e: Error) => void } | undefined;

  onLinkChange(l: (attached: boolean, error?: Error) => void): () => void {
    this.#listeners.add(l);
    return () => this.#listeners.delete(l);
  }
  reattach(): void {
    this.calls.push('reattach');
    if (this.attached) return;
    if (!this.plugged) queueMicrotask(() => this.#emit(false, new Error('ECONNREFUSED')));
    else if (!this.deaf)
      queueMicrotask(() => {
        this.attached = true;
        this.#emit(true);
      });
  }
  probe(): Promise<void> {
    this.calls.push('probe');
    if (this.deaf)
      return new Promise((_r, reject) => {
        this.#pendingProbe = { reject };
      });
    return Promise.resolve();
  }
  detach(error?: Error): void {
    this.calls.push(`detach: ${error?.message ?? ''}`);
    this.unplug(error);
  }
  unplug(error?: Error): void {
    const was = this.attached;
    this.attached = false;
    this.#pendingProbe?.reject(new Error('gone'));
    this.#pendingProbe = undefined;
    if (was || error) this.#emit(false, error);
  }
  #emit(attached: boolean, error?: Error): void {
    for (const l of this.#listeners) l(attached, error);
  }
}

function setup(link = new ScriptedLink()): {
  link: ScriptedLink;
  timers: ManualTimers;
  log: string[];
  states: string[];
  sup: ControllerSupervisor;
} {
  const timers = new ManualTimers();
  const log: string[] = [];
  const sup = new ControllerSupervisor({ link, timers, log: (l) => log.push(l) });
  const states: string[] = [];
  sup.onChange((s) => states.push(s));
  sup.start();
  return { link, timers, log, states, sup };
}

describe('ControllerSupervisor', () => {
  it('probes a live controller every interval and stays attached', async () => {
    const { link, timers, states } = setup();
    await timers.advanceTo(3 * CONTROLLER_PROBE_INTERVAL_MS);
    expect(link.calls).toEqual(['probe', 'probe', 'probe']);
    expect(states).toEqual([]);
  });

  it('a closed transport: logged with its name, re-attached with back-off 1 s doubling to 30 s, back when the controller answers', async () => {
    const { link, timers, log, states, sup } = setup();
    link.plugged = false;
    link.unplug(new Error('ECONNRESET'));
    expect(sup.state).toBe('lost');
    expect(states).toEqual(['lost']);
    expect(log[0]).toBe('ble: controller lost on tcp:127.0.0.1:6402 (ECONNRESET)');
    // Attempts at 1, 1+2, 1+2+4, … then every 30 s.
    const expected = [1_000, 3_000, 7_000, 15_000, 31_000, 61_000, 91_000, 121_000];
    const at: number[] = [];
    for (const t of expected) {
      await timers.advanceTo(t - 1);
      const before = link.calls.length;
      await timers.advanceTo(t);
      expect(link.calls.length, `an attempt at ${t} ms`).toBe(before + 1);
      at.push(timers.now);
    }
    expect(at).toEqual(expected);
    link.plugged = true;
    await timers.advanceTo(151_000);
    expect(sup.state).toBe('attached');
    expect(states).toEqual(['lost', 'attached']);
    expect(log.at(-1)).toBe('ble: controller on tcp:127.0.0.1:6402 is back (attempt 9)');
    // The back-off starts again from 1 s after the next loss.
    link.unplug();
    await timers.advanceTo(152_000);
    expect(sup.state).toBe('attached');
  });

  it('an unanswered probe (HCI command timeout) cuts the link, then re-attaches', async () => {
    const { link, timers, log, sup } = setup();
    link.deaf = true;
    await timers.advanceTo(CONTROLLER_PROBE_INTERVAL_MS + CONTROLLER_PROBE_TIMEOUT_MS - 1);
    expect(sup.state).toBe('attached');
    await timers.advanceTo(CONTROLLER_PROBE_INTERVAL_MS + CONTROLLER_PROBE_TIMEOUT_MS);
    expect(sup.state).toBe('lost');
    expect(log[0]).toMatch(
      /^ble: controller lost on tcp:127\.0\.0\.1:6402 \(no answer to HCI Read Local Version within 2000 ms\)$/,
    );
    link.deaf = false;
    await timers.advanceTo(timers.now + 1_000);
    await flush();
    expect(sup.state).toBe('attached');
  });

  it('a re-opened link whose controller never answers its Reset is cut and tried again later', async () => {
    const { link, timers, sup } = setup();
    link.unplug();
    link.deaf = true;
    await timers.advanceTo(1_000);
    expect(link.calls).toEqual(['reattach']);
    await timers.advanceTo(1_000 + REATTACH_TIMEOUT_MS);
    expect(link.calls.at(-1)).toMatch(/^detach: no answer to HCI Reset/);
    link.deaf = false;
    await timers.advanceTo(1_000 + REATTACH_TIMEOUT_MS + 2_000);
    expect(sup.state).toBe('attached');
  });

  it('checkNow probes at once; close stops every timer', async () => {
    const { link, timers, sup } = setup();
    sup.checkNow();
    expect(link.calls).toEqual(['probe']);
    sup.close();
    await flush();
    expect(timers.pending.size).toBe(0);
  });
});
