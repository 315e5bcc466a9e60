// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * A pause gate: a loop waits at it while it is shut, and goes on once it is
 * opened again (or woken to see that it must stop).
 *
 * @module
 */

/**
 * A gate a loop waits at while paused: `SocketListener`'s accept loop
 * (`pauseAccepting()`). `SocketTransport`'s read loop keeps the same gate
 * in two fields of its own instead, since a `Gate` object per connection
 * costs memory on every idle connection.
 */
export class Gate {
  #open = true;
  #waiting: PromiseWithResolvers<void> | undefined;

  /** Whether the gate is open: the loop may go on. */
  get isOpen(): boolean {
    return this.#open;
  }

  /** Shuts the gate: the loop waits at its next `wait()`. */
  shut(): void {
    this.#open = false;
  }

  /** Opens the gate and lets a waiting loop go on. */
  open(): void {
    this.#open = true;
    this.wake();
  }

  /**
   * Lets a waiting loop go on without opening the gate: for a loop that must
   * see it is to stop (its owner is closing).
   */
  wake(): void {
    this.#waiting?.resolve();
    this.#waiting = undefined;
  }

  /**
   * Waits until `open()` or `wake()`. Check `isOpen` first: waiting at an
   * open gate still waits for one of them.
   *
   * @returns A promise that settles (never rejects) at `open()` or `wake()`.
   */
  wait(): Promise<void> {
    this.#waiting ??= Promise.withResolvers();
    return this.#waiting.promise;
  }
}
