// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * Redis strings in JavaScript: bytes, or text one character per byte
 * (Latin-1), which round-trips any bytes and costs no typed array.
 *
 * @module
 */

/**
 * A Redis string: short ones as text, one character per byte (no typed
 * array to allocate per SET), longer ones as bytes.
 */
export type Bytes = string | Uint8Array;

/** Values up to this many bytes are kept as text. */
const SHORT = 64;

/** The largest signed 64-bit integer. */
export const INT64_MAX: bigint = 2n ** 63n - 1n;
/** The smallest signed 64-bit integer. */
export const INT64_MIN: bigint = -(2n ** 63n);
const EMPTY = new Uint8Array(0);

/**
 * ASCII letters lowered, other bytes as they are, one character per byte.
 *
 * @param bytes The bytes.
 * @returns The text.
 */
export function lowerAscii(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i];
    text += String.fromCharCode(c >= 65 && c <= 90 ? c | 0x20 : c);
  }
  return text;
}

/**
 * Bytes as text for a message, one character per byte, as C's `%.*s` prints
 * them: up to a NUL byte, and at most `max` bytes.
 *
 * @param bytes The bytes.
 * @param max The most bytes to take.
 * @returns The text.
 */
export function latin1(bytes: Uint8Array, max = Infinity): string {
  let text = "";
  const end = Math.min(bytes.length, max);
  for (let i = 0; i < end && bytes[i] !== 0; i++) {
    text += String.fromCharCode(bytes[i]);
  }
  return text;
}

/**
 * Bytes as text, one character per byte (Latin-1): a map key for any bytes,
 * and the form in which replies write text back.
 *
 * @param bytes The bytes.
 * @returns The text.
 */
export function keyOf(bytes: Uint8Array): string {
  if (bytes.length <= 32) {
    let text = "";
    for (let i = 0; i < bytes.length; i++) {
      text += String.fromCharCode(bytes[i]);
    }
    return text;
  }
  let text = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    text += String.fromCharCode.apply(
      null,
      bytes.subarray(i, i + 8192) as unknown as number[],
    );
  }
  return text;
}

/**
 * Text of one byte per character back to bytes.
 *
 * @param text The text.
 * @returns The bytes.
 */
export function asciiBytes(text: string): Uint8Array {
  if (text.length === 0) return EMPTY;
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/**
 * A value to store, from a request's bytes (which belong to the read):
 * short ones as text, longer ones as a copy.
 *
 * @param bytes The bytes.
 * @returns The value.
 */
export function keep(bytes: Uint8Array): Bytes {
  return bytes.length <= SHORT ? keyOf(bytes) : bytes.slice();
}

/**
 * A signed 64-bit integer as Redis's `string2ll` reads it (no `+`, no
 * leading zero or blank, at most 20 characters): a number when it is exact
 * as one, else a bigint; `undefined` if it is not one.
 *
 * @param value The bytes, or text one character per byte.
 * @returns The integer, or `undefined`.
 */
export function parseInt64(value: Bytes): number | bigint | undefined {
  const length = value.length;
  if (length === 0 || length > 20) return undefined;
  if (length === 1 && codeAt(value, 0) === 48) return 0;
  let i = 0;
  const negative = codeAt(value, 0) === 45;
  if (negative) i++;
  if (i === length || codeAt(value, i) < 49 || codeAt(value, i) > 57) {
    return undefined;
  }
  if (length - i <= 15) {
    let n = 0;
    for (; i < length; i++) {
      const digit = codeAt(value, i) - 48;
      if (digit < 0 || digit > 9) return undefined;
      n = n * 10 + digit;
    }
    return negative ? -n : n;
  }
  let n = 0n;
  for (; i < length; i++) {
    const digit = codeAt(value, i) - 48;
    if (digit < 0 || digit > 9) return undefined;
    n = n * 10n + BigInt(digit);
  }
  if (negative) n = -n;
  if (n > INT64_MAX || n < INT64_MIN) return undefined;
  return n;
}

function codeAt(value: Bytes, i: number): number {
  return typeof value === "string" ? value.charCodeAt(i) : value[i];
}
