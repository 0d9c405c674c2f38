/** Runs async operations one after another, so start/stop/status never interleave their commands. */
export class SerialQueue {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(operation, operation);
    // The caller gets `result`'s failure; the queue only waits for it to settle.
    this.#tail = result.catch(() => undefined);
    return result;
  }
}
