// Copyright 2026 the pulsar for Deno authors. MIT license.

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
 * operation itself. `timeout` 0 means no limit; with no signal either,
 * nothing is allocated. Call `clear()` when done, so no timer outlives the
 * operation.
 */
export function deadline(
  signal: AbortSignal | undefined,
  timeout: number,
  onTimeout: () => Error,
): Deadline {
  if (signal === undefined && !(timeout > 0)) return NONE;
  const controller = new AbortController();
  const onAbort = () => controller.abort(signal?.reason);
  if (signal?.aborted) onAbort();
  else signal?.addEventListener("abort", onAbort, { once: true });
  const timer = timeout > 0
    ? setTimeout(() => controller.abort(onTimeout()), timeout)
    : undefined;
  return {
    signal: controller.signal,
    clear() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    },
  };
}
