// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * One timer for the whole module: honours any delay, where `setTimeout`
 * clamps delays above 2^31−1 ms to about 1 ms (so a huge timeout would fire
 * at once).
 *
 * @module
 */

/** The longest delay `setTimeout` honours: 2^31−1 ms, about 24.8 days. */
export const MAX_TIMER_DELAY = 2 ** 31 - 1;

/** A running timer. */
export interface Timer {
  /** Stops the timer; the callback will not run. Idempotent. */
  clear(): void;
}

const NEVER: Timer = { clear() {} };

/**
 * Calls `callback` once after `delay` milliseconds. `Infinity` never fires
 * (and holds no timer); a finite delay past `MAX_TIMER_DELAY` is waited out
 * in steps of at most that, so it never fires early.
 *
 * @param callback What to run.
 * @param delay Milliseconds, a non-negative number or `Infinity`.
 * @returns The timer, to `clear()`.
 */
export function setTimer(callback: () => void, delay: number): Timer {
  if (delay === Infinity) return NEVER;
  let id: ReturnType<typeof setTimeout>;
  const arm = (remaining: number): void => {
    id = remaining > MAX_TIMER_DELAY
      ? setTimeout(() => arm(remaining - MAX_TIMER_DELAY), MAX_TIMER_DELAY)
      : setTimeout(callback, remaining);
  };
  arm(delay);
  return { clear: () => clearTimeout(id) };
}
