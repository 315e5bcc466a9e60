// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * The one place the module reports an error that has no caller: to the
 * owner's `onError`, or, when none is set, one `console.error` line.
 *
 * @module
 */

import type { ErrorHandler, ErrorReport } from "../errors.ts";
import { formatAddress } from "../transports/format_address.ts";

/**
 * Reports `report` to `handler`, or prints it when there is no handler (or
 * the handler itself threw). Never throws.
 *
 * @param handler The owner's `onError`, if any.
 * @param report What failed, where.
 */
export function reportError(
  handler: ErrorHandler | undefined,
  report: ErrorReport,
): void {
  if (handler !== undefined) {
    try {
      handler(report);
      return;
    } catch (thrown) {
      print({ error: thrown, source: "onError", address: report.address });
    }
  }
  print(report);
}

function print(report: ErrorReport): void {
  const where = report.address === undefined
    ? ""
    : ` (${formatAddress(report.address)})`;
  // The documented default when nobody set onError: the module's only output.
  // deno-lint-ignore no-console
  console.error(`@pulsar/net: ${report.source} failed${where}:`, report.error);
}
