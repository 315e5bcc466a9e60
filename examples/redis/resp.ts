// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * RESP2, the Redis serialization protocol: an incremental parser for replies
 * and requests (inline commands included), and the encoders of both sides.
 *
 * @module
 */

import { ChunkReader, ProtocolError } from "@pulsar/net";
import { checkLimit, checkOptions, describe } from "./options.ts";

/** An error reply (`-ERR ...`): the server's message. */
export class RedisError extends Error {
  /**
   * Builds the error of an error reply.
   *
   * @param message The server's message, without the leading `-`.
   */
  constructor(message: string) {
    super(message);
    this.name = "RedisError";
  }
}

/**
 * A RESP2 value: simple string → `string`, integer → `number` (a `bigint`
 * beyond ±2^53−1, where a number would lose digits: Redis integers are 64
 * bits), bulk string → `Uint8Array` (binary-safe) or `null`, array → array
 * or `null`. An error inside an array is a `RedisError` element.
 */
export type RespValue =
  | string
  | number
  | bigint
  | Uint8Array
  | null
  | RedisError
  | RespValue[];

/** Limits of a `RespParser`: what a hostile peer cannot make it allocate. */
export interface RespParserOptions {
  /**
   * The longest bulk string accepted, in bytes (Redis's own limit).
   *
   * @default {536870912}
   */
  maxBulkLength?: number;
  /**
   * The most elements an array may have (Redis's own limit for requests).
   *
   * @default {1048576}
   */
  maxArrayLength?: number;
  /**
   * Parse inline commands (`PING\r\n`: words separated by spaces), as a
   * server does for `redis-cli` and `redis-benchmark`.
   *
   * @default {false}
   */
  inline?: boolean;
}

/** Redis's own limit on a bulk string: 512 MiB. */
export const DEFAULT_MAX_BULK_LENGTH: number = 512 * 1024 * 1024;
/** Redis's own limit on the elements of a request: 1M. */
export const DEFAULT_MAX_ARRAY_LENGTH: number = 1024 * 1024;

/** The limits of `options`, checked: `[maxBulkLength, maxArrayLength]`. */
function checkLimits(options: RespParserOptions): [number, number] {
  checkOptions(options);
  return [
    checkLimit(
      "maxBulkLength",
      options.maxBulkLength,
      DEFAULT_MAX_BULK_LENGTH,
      0,
    ),
    checkLimit(
      "maxArrayLength",
      options.maxArrayLength,
      DEFAULT_MAX_ARRAY_LENGTH,
      0,
    ),
  ];
}

/** An array being filled, while its elements arrive. */
interface Frame {
  items: RespValue[];
  left: number;
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/**
 * Parses RESP2 values out of a stream of chunks, wherever the chunks are
 * cut: `push()` the bytes received, then call `read()` until it returns
 * `undefined` (no whole value yet). Nested arrays are filled level by level,
 * so a large reply arriving in many chunks is never parsed twice. Bulk
 * strings are views of the chunks pushed (no copy): `slice()` one to keep it
 * apart from them.
 *
 * @example
 * ```ts
 * import { RespParser } from "./resp.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const parser = new RespParser();
 * parser.push(new TextEncoder().encode("*2\r\n$3\r\nfoo\r\n:4"));
 * assertEquals(parser.read(), undefined);
 * parser.push(new TextEncoder().encode("2\r\n+OK\r\n"));
 * assertEquals(parser.read(), [new TextEncoder().encode("foo"), 42]);
 * assertEquals(parser.read(), "OK");
 * ```
 */
export class RespParser {
  #reader = new ChunkReader();
  #stack: Frame[] = [];
  /** The length of the bulk string whose bytes are awaited, or -1. */
  #bulk = -1;
  #maxBulkLength: number;
  #maxArrayLength: number;
  #inline: boolean;

  /**
   * Builds a parser with nothing buffered.
   *
   * @param options The limits, and whether inline commands are accepted.
   * @throws {TypeError} If an option has the wrong type.
   * @throws {RangeError} If a limit is not an integer of 0 or more.
   */
  constructor(options: RespParserOptions = {}) {
    [this.#maxBulkLength, this.#maxArrayLength] = checkLimits(options);
    const inline = options.inline ?? false;
    if (typeof inline !== "boolean") {
      throw new TypeError(
        `Cannot use inline ${describe(inline)}: it must be a boolean`,
      );
    }
    this.#inline = inline;
  }

  /** Whether part of a value has been read and the rest is awaited. */
  get partial(): boolean {
    return this.#stack.length > 0 || this.#bulk >= 0 ||
      this.#reader.length > 0;
  }

  /**
   * Adds bytes received.
   *
   * @param chunk The bytes; kept, not copied.
   */
  push(chunk: Uint8Array): void {
    this.#reader.push(chunk);
  }

  /**
   * Every byte buffered and not parsed, for the next consumer.
   *
   * @returns The bytes.
   */
  take(): Uint8Array {
    return this.#reader.take();
  }

  /**
   * Parses the next whole value.
   *
   * @returns The value, or `undefined` until it has all arrived.
   * @throws {ProtocolError} If the bytes are not RESP2, or a length is over
   * its limit.
   */
  read(): RespValue | undefined {
    const reader = this.#reader;
    const stack = this.#stack;
    while (true) {
      let value: RespValue;
      if (this.#bulk >= 0) {
        const body = reader.read(this.#bulk + 2);
        if (body === undefined) return undefined;
        if (body[this.#bulk] !== 13 || body[this.#bulk + 1] !== 10) {
          throw new ProtocolError(
            "Invalid RESP: a bulk string must end with CRLF",
          );
        }
        value = body.subarray(0, this.#bulk);
        this.#bulk = -1;
      } else {
        const line = reader.readLine();
        if (line === undefined) return undefined;
        switch (line[0]) {
          case 43: // +
            value = decodeText(line, 1, line.length);
            break;
          case 45: // -
            value = new RedisError(decodeText(line, 1, line.length));
            break;
          case 58: // :
            value = parseDigits(line, 1, line.length, 19) ?? noInteger(line);
            break;
          case 36: { // $
            const length = parseInteger(line);
            if (length > this.#maxBulkLength || length < -1) {
              throw new ProtocolError(
                `Invalid RESP: bulk length ${length} is over the limit of ` +
                  `${this.#maxBulkLength} bytes`,
              );
            }
            if (length >= 0) {
              this.#bulk = length;
              continue;
            }
            value = null;
            break;
          }
          case 42: { // *
            const length = parseInteger(line);
            if (length > this.#maxArrayLength || length < -1) {
              throw new ProtocolError(
                `Invalid RESP: array length ${length} is over the limit of ` +
                  `${this.#maxArrayLength} elements`,
              );
            }
            if (length > 0) {
              stack.push({ items: [], left: length });
              continue;
            }
            value = length === 0 ? [] : null;
            break;
          }
          default:
            if (this.#inline && stack.length === 0) {
              value = splitInline(line);
              if (value.length === 0) continue; // an empty line is skipped
              break;
            }
            throw new ProtocolError(
              `Invalid RESP: unexpected type byte ${
                JSON.stringify(String.fromCharCode(line[0] ?? 0))
              }`,
            );
        }
      }
      // Place the value in the innermost open array, closing full ones.
      while (true) {
        const frame = stack[stack.length - 1];
        if (frame === undefined) return value;
        frame.items.push(value);
        if (--frame.left > 0) break;
        stack.pop();
        value = frame.items;
      }
    }
  }
}

/**
 * A length after a line's type byte (at most 15 digits: a safe integer); a
 * `ProtocolError` if it is not one.
 */
function parseInteger(line: Uint8Array): number {
  const n = parseDigits(line, 1, line.length, 15);
  return typeof n === "number" ? n : noInteger(line);
}

function noInteger(line: Uint8Array): never {
  throw new ProtocolError(
    `Invalid RESP: ${JSON.stringify(decoder.decode(line))} has no integer`,
  );
}

/**
 * The integer written in `bytes[start..end)`: an optional `-` and 1 to
 * `maxDigits` digits; a `bigint` beyond ±2^53−1; `undefined` if it is not
 * one.
 */
function parseDigits(
  bytes: Uint8Array,
  start: number,
  end: number,
  maxDigits: number,
): number | bigint | undefined {
  let i = start;
  const negative = bytes[i] === 45;
  if (negative) i++;
  const digits = end - i;
  if (digits <= 0 || digits > maxDigits) return undefined;
  let n = 0;
  for (; i < end; i++) {
    const digit = bytes[i] - 48;
    if (digit < 0 || digit > 9) return undefined;
    n = n * 10 + digit;
  }
  if (digits > 15) {
    const big = BigInt(decoder.decode(bytes.subarray(start, end)));
    return big >= MIN_SAFE && big <= MAX_SAFE ? Number(big) : big;
  }
  return negative ? 0 - n : n;
}

const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** Text of `bytes[start..end)`: short ASCII decoded in JS, the rest as UTF-8. */
function decodeText(bytes: Uint8Array, start: number, end: number): string {
  const length = end - start;
  if (length === 2 && bytes[start] === 79 && bytes[start + 1] === 75) {
    return "OK";
  }
  if (length <= 32) {
    let text = "";
    for (let i = start; i < end; i++) {
      const c = bytes[i];
      if (c >= 128) return decoder.decode(bytes.subarray(start, end));
      text += String.fromCharCode(c);
    }
    return text;
  }
  return decoder.decode(bytes.subarray(start, end));
}

/** The longest line `RespScanner` looks through, as `ChunkReader`'s default. */
const MAX_LINE = 65536;
/** The deepest array nesting `RespScanner` follows. */
const MAX_DEPTH = 16;

/**
 * Parses a value that lies whole in one buffer, with no buffering and no
 * state kept between calls: the fast path for a reply (or a request) that
 * arrived in one chunk, with others possibly behind it. It reads only values
 * that are whole and well formed, and returns `undefined` for anything else
 * (a value cut by the buffer's end, bytes that are no RESP, a length over a
 * limit, an inline command, arrays nested deeper than 16): a `RespParser`
 * fed the same bytes then waits for the rest, or says what is wrong.
 *
 * Bulk strings are views of the buffer (no copy).
 *
 * @example Two pipelined replies in one chunk
 * ```ts
 * import { RespScanner } from "./resp.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const chunk = new TextEncoder().encode("+OK\r\n$3\r\nbar\r\n*1\r\n:");
 * const scanner = new RespScanner();
 * assertEquals(scanner.scan(chunk), "OK");
 * assertEquals(scanner.scan(chunk, scanner.end), new TextEncoder().encode("bar"));
 * assertEquals(scanner.scan(chunk, scanner.end), undefined); // cut short
 * ```
 */
export class RespScanner {
  #maxBulkLength: number;
  #maxArrayLength: number;
  #end = 0;

  /**
   * Builds a scanner.
   *
   * @param options The limits (`inline` is ignored: inline commands are
   * left to `RespParser`).
   * @throws {TypeError} If an option has the wrong type.
   * @throws {RangeError} If a limit is not an integer of 0 or more.
   */
  constructor(options: RespParserOptions = {}) {
    [this.#maxBulkLength, this.#maxArrayLength] = checkLimits(options);
  }

  /** Where the value the last successful `scan()` returned ends. */
  get end(): number {
    return this.#end;
  }

  /**
   * Parses the value that starts at `start` of `bytes`.
   *
   * @param bytes The buffer.
   * @param start Where the value starts.
   * @returns The value (and `end` says where it ends), or `undefined` if
   * there is no whole, well-formed value there.
   */
  scan(bytes: Uint8Array, start = 0): RespValue | undefined {
    return this.#value(bytes, start, 0);
  }

  #value(b: Uint8Array, at: number, depth: number): RespValue | undefined {
    const length = b.length;
    if (at >= length) return undefined;
    const type = b[at];
    // The line: up to the CR of its CRLF.
    let cr = at + 1;
    const limit = Math.min(length - 1, at + 1 + MAX_LINE);
    while (cr < limit && (b[cr] !== 13 || b[cr + 1] !== 10)) cr++;
    if (cr >= limit) return undefined;
    const next = cr + 2;
    switch (type) {
      case 43: // +
        this.#end = next;
        return decodeText(b, at + 1, cr);
      case 45: // -
        this.#end = next;
        return new RedisError(decodeText(b, at + 1, cr));
      case 58: { // :
        const n = parseDigits(b, at + 1, cr, 19);
        if (n === undefined) return undefined;
        this.#end = next;
        return n;
      }
      case 36: { // $
        const n = parseDigits(b, at + 1, cr, 15) as number | undefined;
        if (n === undefined || n < -1 || n > this.#maxBulkLength) {
          return undefined;
        }
        if (n === -1) {
          this.#end = next;
          return null;
        }
        const stop = next + n;
        if (stop + 2 > length || b[stop] !== 13 || b[stop + 1] !== 10) {
          return undefined;
        }
        this.#end = stop + 2;
        return b.subarray(next, stop);
      }
      case 42: { // *
        const n = parseDigits(b, at + 1, cr, 15) as number | undefined;
        if (n === undefined || n < -1 || n > this.#maxArrayLength) {
          return undefined;
        }
        if (n === -1) {
          this.#end = next;
          return null;
        }
        if (depth >= MAX_DEPTH) return undefined;
        const items: RespValue[] = [];
        let position = next;
        for (let i = 0; i < n; i++) {
          const item = this.#value(b, position, depth + 1);
          if (item === undefined) return undefined;
          items.push(item);
          position = this.#end;
        }
        this.#end = position;
        return items;
      }
      default:
        return undefined;
    }
  }
}

/** An inline command's words (separated by spaces or tabs). */
function splitInline(line: Uint8Array): Uint8Array[] {
  const words: Uint8Array[] = [];
  let start = -1;
  for (let i = 0; i <= line.length; i++) {
    const blank = i === line.length || line[i] === 32 || line[i] === 9;
    if (blank && start >= 0) {
      words.push(line.subarray(start, i));
      start = -1;
    } else if (!blank && start < 0) start = i;
  }
  return words;
}

/**
 * A command argument: bytes, or text, numbers and bigints sent as UTF-8
 * text. A number goes as its plain decimal text, never in exponent
 * notation (which Redis refuses where it wants an integer): an integer in
 * full, its exact value (`2 ** 64` as `18446744073709551616`, `1e21` as
 * `1000000000000000000000`), a fraction with the fewest digits that read
 * back as the same number (`0.5`; `1.5e-7` as `0.00000015`).
 */
export type RespArgument = string | number | bigint | Uint8Array;

/**
 * Encodes a command as RESP2 sends it: an array of bulk strings. The bytes
 * of a command up to 8 KiB are a view cut from a 64 KiB buffer shared with
 * other commands (allocating a small buffer of its own costs Deno more than
 * encoding the command); no other command is ever written over them, but
 * keeping them keeps that buffer.
 *
 * @example
 * ```ts
 * import { encodeCommand } from "./resp.ts";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(
 *   new TextDecoder().decode(encodeCommand(["SET", "k", 1])),
 *   "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\n1\r\n",
 * );
 * ```
 *
 * @param args The command's name and arguments.
 * @returns The bytes to send (not to be written to).
 * @throws {TypeError} If an argument is not a string, number, bigint or
 * `Uint8Array`.
 * @throws {RangeError} If a number is not finite (`NaN`, `Infinity`).
 */
export function encodeCommand(args: readonly RespArgument[]): Uint8Array {
  // Text is taken for ASCII (one byte per UTF-16 unit), and checked as it is
  // written: at the first other unit, it starts again with exact sizes.
  const count = args.length;
  let size = headerSize(count);
  for (let i = 0; i < count; i++) {
    const arg = args[i];
    let n: number;
    if (typeof arg === "string" || arg instanceof Uint8Array) {
      n = arg.length;
    } else if (typeof arg === "number" && Number.isFinite(arg)) {
      n = numberText(arg).length;
    } else if (typeof arg === "bigint") {
      n = String(arg).length;
    } else {
      badArgument(arg, i);
    }
    size += headerSize(n) + n + 2;
  }
  const out = allocate(size);
  let at = writeHeader(out, 0, 42, count);
  for (let i = 0; i < count; i++) {
    const arg = args[i];
    if (arg instanceof Uint8Array) {
      at = writeHeader(out, at, 36, arg.length);
      out.set(arg, at);
      at += arg.length;
    } else {
      const text = typeof arg === "string"
        ? arg
        : typeof arg === "number"
        ? numberText(arg)
        : String(arg);
      const n = text.length;
      at = writeHeader(out, at, 36, n);
      if (n > LOOP_STRING) {
        // All of it, in n bytes, only if it is ASCII.
        const { read } = encoder.encodeInto(text, out.subarray(at, at + n));
        if (read !== n) return encodeUtf8Command(args);
      } else {
        for (let j = 0; j < n; j++) {
          const c = text.charCodeAt(j);
          if (c >= 0x80) return encodeUtf8Command(args);
          out[at + j] = c;
        }
      }
      at += n;
    }
    out[at++] = 13;
    out[at++] = 10;
  }
  return out;
}

/** `encodeCommand()` for commands with text that is not all ASCII. */
function encodeUtf8Command(args: readonly RespArgument[]): Uint8Array {
  const count = args.length;
  const parts: Uint8Array[] = new Array(count);
  let size = headerSize(count);
  for (let i = 0; i < count; i++) {
    const arg = args[i];
    const part = arg instanceof Uint8Array ? arg : encoder.encode(
      typeof arg === "string"
        ? arg
        : typeof arg === "number"
        ? numberText(arg)
        : String(arg),
    );
    parts[i] = part;
    size += headerSize(part.length) + part.length + 2;
  }
  const out = allocate(size);
  let at = writeHeader(out, 0, 42, count);
  for (const part of parts) {
    at = writeHeader(out, at, 36, part.length);
    out.set(part, at);
    at += part.length;
    out[at++] = 13;
    out[at++] = 10;
  }
  return out;
}

/** The size of the buffers commands are cut from. */
const SLAB_SIZE = 64 * 1024;
let slab = new Uint8Array(SLAB_SIZE);
let slabUsed = 0;

/**
 * `size` bytes for a command: a view cut from a shared 64 KiB buffer, or a
 * buffer of its own above 8 KiB. Allocating a small `Uint8Array` costs
 * Deno about 300–500 ns (its own backing store), far more than encoding a
 * short command; a view costs about 40 ns. A region is never handed out
 * twice: a new buffer is taken when one is used up.
 */
function allocate(size: number): Uint8Array {
  if (size > SLAB_SIZE / 8) return new Uint8Array(size);
  if (slabUsed + size > SLAB_SIZE) {
    slab = new Uint8Array(SLAB_SIZE);
    slabUsed = 0;
  }
  const start = slabUsed;
  slabUsed += size;
  return slab.subarray(start, slabUsed);
}

/**
 * ASCII text up to this long is written by a loop, longer text by
 * `encodeInto()`, whose call costs more than a short loop.
 */
const LOOP_STRING = 24;

/**
 * `n` (finite) as plain decimal text, with no exponent: an integer in full,
 * its exact value (JavaScript rounds the digits of one past 2^53, and
 * writes an exponent from 1e21 up), a fraction as JavaScript writes it
 * (below 1e-6, with an exponent: the same digits, the point moved).
 */
function numberText(n: number): string {
  if (Number.isSafeInteger(n)) return String(n);
  if (Number.isInteger(n)) return BigInt(n).toString();
  const text = String(n);
  const e = text.indexOf("e");
  if (e < 0) return text;
  const sign = text[0] === "-" ? "-" : "";
  const digits = text.slice(sign.length, e).replace(".", "");
  // The first digit's power of ten (negative here).
  const exponent = Number(text.slice(e + 1));
  return `${sign}0.${"0".repeat(-exponent - 1)}${digits}`;
}

function badArgument(arg: unknown, index: number): never {
  if (typeof arg === "number") {
    throw new RangeError(
      `Cannot send argument ${index} "${arg}": a number must be finite`,
    );
  }
  throw new TypeError(
    `Cannot send argument ${index} (${typeof arg}): it must be a string, ` +
      "a number, a bigint or a Uint8Array",
  );
}

/** The size of `<type><n>\r\n`. */
function headerSize(n: number): number {
  return 3 + (n < 10 ? 1 : n < 100 ? 2 : String(n).length);
}

/** Writes `<type><n>\r\n` at `at`; returns where it ends. */
function writeHeader(
  out: Uint8Array,
  at: number,
  type: number,
  n: number,
): number {
  out[at++] = type;
  if (n < 10) out[at++] = 48 + n;
  else {
    const digits = String(n);
    for (let i = 0; i < digits.length; i++) {
      out[at++] = digits.charCodeAt(i);
    }
  }
  out[at++] = 13;
  out[at++] = 10;
  return at;
}

/**
 * Encodes a reply, as a server sends it: a string as a simple string, a
 * number as an integer, bytes as a bulk string, `null` as the nil bulk
 * string, a `RedisError` as an error reply, an array as an array.
 *
 * @example
 * ```ts
 * import { encodeReply, RedisError } from "./resp.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const text = (value: Parameters<typeof encodeReply>[0]) =>
 *   new TextDecoder().decode(encodeReply(value));
 * assertEquals(text("OK"), "+OK\r\n");
 * assertEquals(text([1, null]), "*2\r\n:1\r\n$-1\r\n");
 * assertEquals(text(new RedisError("ERR no")), "-ERR no\r\n");
 * ```
 *
 * @param value The reply.
 * @returns The bytes to send.
 */
export function encodeReply(value: RespValue): Uint8Array {
  const parts: Uint8Array[] = [];
  let size = 0;
  const add = (bytes: Uint8Array) => {
    parts.push(bytes);
    size += bytes.length;
  };
  const walk = (v: RespValue): void => {
    if (v === null) add(NIL);
    else if (typeof v === "string") add(encoder.encode(`+${v}\r\n`));
    else if (typeof v === "number" || typeof v === "bigint") {
      add(encoder.encode(`:${v}\r\n`));
    } else if (v instanceof RedisError) {
      add(encoder.encode(`-${v.message.replace(/[\r\n]/g, " ")}\r\n`));
    } else if (v instanceof Uint8Array) {
      add(encoder.encode(`$${v.length}\r\n`));
      add(v);
      add(CRLF);
    } else {
      add(encoder.encode(`*${v.length}\r\n`));
      for (const item of v) walk(item);
    }
  };
  walk(value);
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

const NIL = encoder.encode("$-1\r\n");
const CRLF = encoder.encode("\r\n");
