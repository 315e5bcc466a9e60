// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * The check of `close()`'s options, shared by `Server` and
 * `WorkerSupervisor` (which drains its workers as `Server.close()` does).
 *
 * @module
 */

import { checkDuration, checkObject } from "../internal/validate.ts";

/**
 * Checks the options of `close()`.
 *
 * @param options `{ gracePeriod? }`, as given.
 * @returns The grace period in milliseconds (default 10000).
 * @throws {TypeError} If `options` is not an object or `gracePeriod` not a
 * number.
 * @throws {RangeError} If `gracePeriod` is `NaN` or negative.
 */
export function checkCloseOptions(options: { gracePeriod?: number }): number {
  checkObject("options", options);
  return options.gracePeriod === undefined
    ? 10000
    : checkDuration("gracePeriod", options.gracePeriod);
}
