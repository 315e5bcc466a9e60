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

/** The deadline of an operation with neither a signal nor a time limit. */
export const NO_DEADLINE: Deadline = { signal: undefined, clear() {} };

/**
 * Whether `deadline(signal, timeout, …)` would have anything to abort: a
 * signal, or a finite positive time limit. Lets a hot path skip building
 * `onTimeout` when it would not be used.
 *
 * @param signal The caller's signal, if any.
 * @param timeout Milliseconds; 0 or `Infinity` for no limit.
 * @returns True when there is a signal or a time limit.
 */
export function isLimited(
  signal: AbortSignal | undefined,
  timeout: number,
): boolean {
  return signal !== undefined || (timeout > 0 && timeout < Infinity);
}

/**
 * One signal for "the caller aborted" and "time is up", so both cancel the
 * operation itself. `timeout` 0 or `Infinity` means no limit: then the
 * signal is the caller's own (no controller, no listener), and with no
 * signal either nothing is allocated. Call `clear()` when done, so no timer
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
  if (!(timeout > 0 && timeout < Infinity)) {
    return signal === undefined ? NO_DEADLINE : { signal, clear: noop };
  }
  const controller = new AbortController();
  const onAbort = () => controller.abort(signal?.reason);
  if (signal?.aborted) onAbort();
  else signal?.addEventListener("abort", onAbort, ONCE);
  const timer: Timer = setTimer(
    () => controller.abort(onTimeout()),
    timeout,
  );
  return {
    signal: controller.signal,
    clear() {
      timer.clear();
      signal?.removeEventListener("abort", onAbort);
    },
  };
}

function noop(): void {}

const ONCE = { once: true } as const;
