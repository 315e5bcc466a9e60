// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * The one set of option validators: every class checks its options where
 * they are given, with the same rules and messages. A wrong type is a
 * `TypeError`, a number out of range a `RangeError`; both name the option
 * and quote the value.
 *
 * @module
 */

/** Quotes a value for a message: `"5"`, `"NaN"`, `"abc" (a string)`. */
export function describe(value: unknown): string {
  switch (typeof value) {
    case "number":
    case "bigint":
    case "boolean":
    case "undefined":
      return `"${String(value)}"`;
    case "string":
      return `"${value}" (a string)`;
    case "function":
      return "a function";
    case "symbol":
      return `"${String(value)}" (a symbol)`;
    default:
      if (value === null) return '"null"';
      return `an object (${
        (value as object).constructor?.name ?? "no prototype"
      })`;
  }
}

function fail(
  Type: typeof TypeError | typeof RangeError,
  name: string,
  value: unknown,
  expected: string,
): never {
  throw new Type(`Cannot use ${name} ${describe(value)}: ${expected}`);
}

/**
 * Checks a duration in milliseconds: a number, 0 or more, `Infinity`
 * allowed (what 0 and `Infinity` mean is the caller's to document).
 *
 * @param name The option's name, for the message.
 * @param value The value given.
 * @returns The value.
 * @throws {TypeError} If it is not a number.
 * @throws {RangeError} If it is `NaN` or negative.
 */
export function checkDuration(name: string, value: unknown): number {
  if (typeof value !== "number") {
    fail(TypeError, name, value, "it must be a number of milliseconds");
  }
  if (!(value >= 0)) {
    fail(RangeError, name, value, "it must be 0 or more milliseconds");
  }
  return value;
}

/**
 * Checks an integer count or size within `[min, max]`.
 *
 * @param name The option's name, for the message.
 * @param value The value given.
 * @param min The least value allowed.
 * @param max The greatest value allowed; `Infinity` admits `Infinity`.
 * @returns The value.
 * @throws {TypeError} If it is not a number.
 * @throws {RangeError} If it is not an integer in range.
 */
export function checkInteger(
  name: string,
  value: unknown,
  min: number,
  max: number = Number.MAX_SAFE_INTEGER,
): number {
  if (typeof value !== "number") {
    fail(TypeError, name, value, "it must be an integer");
  }
  const ok = value === Infinity
    ? max === Infinity
    : Number.isSafeInteger(value) && value >= min && value <= max;
  if (!ok) {
    const upper = max === Infinity
      ? " (or Infinity)"
      : max === Number.MAX_SAFE_INTEGER
      ? ""
      : ` to ${max}`;
    const range = upper.startsWith(" to")
      ? `an integer from ${min}${upper}`
      : `an integer of ${min} or more${upper}`;
    fail(RangeError, name, value, `it must be ${range}`);
  }
  return value;
}

/**
 * Checks a boolean.
 *
 * @param name The option's name, for the message.
 * @param value The value given.
 * @returns The value.
 * @throws {TypeError} If it is not a boolean.
 */
export function checkBoolean(name: string, value: unknown): boolean {
  if (typeof value !== "boolean") {
    fail(TypeError, name, value, "it must be true or false");
  }
  return value;
}

/**
 * Checks a function (a factory or a callback).
 *
 * @param name The option's name, for the message.
 * @param value The value given.
 * @returns The value.
 * @throws {TypeError} If it is not a function.
 */
export function checkFunction<F extends (...args: never[]) => unknown>(
  name: string,
  value: unknown,
): F {
  if (typeof value !== "function") {
    fail(TypeError, name, value, "it must be a function");
  }
  return value as F;
}

/**
 * Checks a string.
 *
 * @param name The option's name, for the message.
 * @param value The value given.
 * @returns The value.
 * @throws {TypeError} If it is not a string.
 */
export function checkString(name: string, value: unknown): string {
  if (typeof value !== "string") {
    fail(TypeError, name, value, "it must be a string");
  }
  return value;
}

/**
 * Checks bytes to write.
 *
 * @param name The argument's name, for the message.
 * @param value The value given.
 * @returns The value.
 * @throws {TypeError} If it is not a `Uint8Array`.
 */
export function checkBytes(name: string, value: unknown): Uint8Array {
  if (!(value instanceof Uint8Array)) {
    fail(TypeError, name, value, "it must be a Uint8Array");
  }
  return value;
}

/**
 * Checks an `AbortSignal` (a `signal` option).
 *
 * @param name The argument's name, for the message.
 * @param value The value given.
 * @returns The value.
 * @throws {TypeError} If it is not an `AbortSignal`.
 */
export function checkSignal(name: string, value: unknown): AbortSignal {
  if (!(value instanceof AbortSignal)) {
    fail(TypeError, name, value, "it must be an AbortSignal");
  }
  return value;
}

/**
 * Checks an options object (a plain object, not `null` or a primitive).
 *
 * @param name The argument's name, for the message.
 * @param value The value given.
 * @returns The value.
 * @throws {TypeError} If it is not an object.
 */
export function checkObject<T extends object>(name: string, value: unknown): T {
  if (typeof value !== "object" || value === null) {
    fail(TypeError, name, value, "it must be an object");
  }
  return value as T;
}
