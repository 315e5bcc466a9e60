// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * One signal for "the caller aborted" and "time is up".
 *
 * @module
 */

import { setTimer, type Timer } from "./timer.ts";

/** A signal for an operation with an optional caller's signal and time limit. */
export interface Deadline {
  /**
   * Aborts with the caller's reason, or with the timeout error; undefined
   * when there is neither a signal nor a time limit.
   */
  readonly signal: AbortSignal | undefined;
  /** Stops the timer and detaches from the caller's signal. */
  clear(): void;
}

const NONE: Deadline = { signal: undefined, clear() {} };

/**
 * One signal for "the caller aborted" and "time is up", so both cancel the
 * operation itself. `timeout` 0 or `Infinity` means no limit; with no signal
 * either, nothing is allocated. Call `clear()` when done, so no timer
 * outlives the operation.
 *
 * @param signal The caller's signal, if any.
 * @param timeout Milliseconds; 0 or `Infinity` for no limit.
 * @param onTimeout Builds the error the signal aborts with when time is up.
 * @returns The combined signal and its `clear()`.
 */
export function deadline(
  signal: AbortSignal | undefined,
  timeout: number,
  onTimeout: () => Error,
): Deadline {
  const limited = timeout > 0 && timeout < Infinity;
  if (signal === undefined && !limited) return NONE;
  const controller = new AbortController();
  const onAbort = () => controller.abort(signal?.reason);
  if (signal?.aborted) onAbort();
  else signal?.addEventListener("abort", onAbort, { once: true });
  const timer: Timer | undefined = limited
    ? setTimer(() => controller.abort(onTimeout()), timeout)
    : undefined;
  return {
    signal: controller.signal,
    clear() {
      timer?.clear();
      signal?.removeEventListener("abort", onAbort);
    },
  };
}
