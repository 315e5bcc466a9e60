// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * The checks of the Redis example's options (parser, client and server),
 * with messages worded as the module's own.
 *
 * @module
 */

/**
 * Quotes a value for a message, as the module's own messages do.
 *
 * @param value Any value.
 * @returns `"5"`, `"no" (a string)`, `an object (Array)`, `a function`...
 */
export function describe(value: unknown): string {
  if (typeof value === "string") return `"${value}" (a string)`;
  if (typeof value === "object" && value !== null) {
    return `an object (${value.constructor?.name ?? "no prototype"})`;
  }
  return typeof value === "function" ? "a function" : `"${String(value)}"`;
}

/**
 * Checks that `options` is an object.
 *
 * @param options What was given as options.
 * @throws {TypeError} If it is not an object.
 */
export function checkOptions(options: unknown): void {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(
      `Cannot use options ${describe(options)}: it must be an object`,
    );
  }
}

/**
 * Checks a limit option: an integer of `min` or more, or `fallback` when
 * not given.
 *
 * @param name The option's name, for messages.
 * @param value What was given.
 * @param fallback The value when none was given.
 * @param min The smallest value accepted.
 * @returns The limit.
 * @throws {TypeError} If it is not a number.
 * @throws {RangeError} If it is not an integer of `min` or more.
 */
export function checkLimit<F extends number | undefined>(
  name: string,
  value: unknown,
  fallback: F,
  min: number,
): number | F {
  if (value === undefined) return fallback;
  if (typeof value !== "number") {
    throw new TypeError(
      `Cannot use ${name} ${describe(value)}: it must be an integer`,
    );
  }
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(
      `Cannot use ${name} ${describe(value)}: it must be an integer of ` +
        `${min} or more`,
    );
  }
  return value;
}
