// Copyright 2026 the pulsar for Deno authors. MIT license.
// Helpers the bench scripts share: whether a command runs, and how a set
// of measurements is summed up and printed.

/** Whether `cmd` (program and arguments) runs and exits with success. */
export async function succeeds(cmd: string[]): Promise<boolean> {
  try {
    const { success } = await new Deno.Command(cmd[0], {
      args: cmd.slice(1),
      stdout: "null",
      stderr: "null",
    }).output();
    return success;
  } catch {
    return false;
  }
}

/** The median, least and greatest of `values` (not empty). */
export function spread(
  values: number[],
): { median: number; min: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2
    ? sorted[mid]
    : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted.at(-1)! };
}

/** A figure for a table: thousands separated, few decimals. */
export function format(value: number): string {
  if (value >= 1000) return Math.round(value).toLocaleString("en-US");
  if (value >= 10) return value.toFixed(0);
  return value.toFixed(1);
}
