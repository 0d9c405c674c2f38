/** What the demo started, to stop on success, failure and Ctrl-C alike. */

export type Cleanup = () => Promise<void> | void;

/**
 * Stopped in reverse order of starting; anything added after the stop is stopped at once (a step
 * still in flight when the run was interrupted). A part that fails to stop is logged, never
 * swallowed (it may be left running, or its files left behind), and the others are still stopped.
 */
export class Cleanups {
  private readonly list: { what: string; stop: Cleanup }[] = [];
  private stopped = false;

  constructor(private readonly log: (line: string) => void) {}

  /** `what` names the part in the line logged when stopping it fails. */
  add(what: string, stop: Cleanup): void {
    if (this.stopped)
      void Promise.resolve()
        .then(stop)
        .catch((err: unknown) => this.failed(what, err));
    else this.list.push({ what, stop });
  }

  async stopAll(): Promise<void> {
    this.stopped = true;
    for (const { what, stop } of this.list.splice(0).reverse()) {
      try {
        await stop();
      } catch (err) {
        this.failed(what, err);
      }
    }
  }

  private failed(what: string, err: unknown): void {
    this.log(`cleanup of ${what} failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}
