// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * RESP2, the Redis serialization protocol: an incremental parser for replies
 * and requests (inline commands included), and the encoders of both sides.
 *
 * @module
 */

import { ChunkReader, ProtocolError } from "@pulsar/net";

/** An error reply (`-ERR ...`): the server's message. */
export class RedisError extends Error {
  /**
   * @param message The server's message, without the leading `-`.
   */
  constructor(message: string) {
    super(message);
    this.name = "RedisError";
  }
}

/**
 * A RESP2 value: simple string → `string`, integer → `number`, bulk string
 * → `Uint8Array` (binary-safe) or `null`, array → array or `null`. An error
 * inside an array is a `RedisError` element.
 */
export type RespValue =
  | string
  | number
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

/** A limit option, checked: an integer of 0 or more, or the default. */
function checkLimit(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number") {
    throw new TypeError(
      `Cannot use ${name} ${describe(value)}: it must be an integer`,
    );
  }
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(
      `Cannot use ${name} ${describe(value)}: it must be an integer of 0 ` +
        "or more",
    );
  }
  return value;
}

/** Quotes a value for a message, as the module's own messages do. */
function describe(value: unknown): string {
  if (typeof value === "string") return `"${value}" (a string)`;
  if (typeof value === "object" && value !== null) {
    return `an object (${value.constructor?.name ?? "no prototype"})`;
  }
  return typeof value === "function" ? "a function" : `"${String(value)}"`;
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
   * @param options The limits, and whether inline commands are accepted.
   * @throws {TypeError} If an option has the wrong type.
   * @throws {RangeError} If a limit is not an integer of 0 or more.
   */
  constructor(options: RespParserOptions = {}) {
    if (typeof options !== "object" || options === null) {
      throw new TypeError(
        `Cannot use options ${describe(options)}: it must be an object`,
      );
    }
    this.#maxBulkLength = checkLimit(
      "maxBulkLength",
      options.maxBulkLength,
      DEFAULT_MAX_BULK_LENGTH,
    );
    this.#maxArrayLength = checkLimit(
      "maxArrayLength",
      options.maxArrayLength,
      DEFAULT_MAX_ARRAY_LENGTH,
    );
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
            value = decoder.decode(line.subarray(1));
            break;
          case 45: // -
            value = new RedisError(decoder.decode(line.subarray(1)));
            break;
          case 58: // :
            value = parseInteger(line);
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

/** The integer after a line's type byte; a `ProtocolError` if it is not one. */
function parseInteger(line: Uint8Array): number {
  let i = 1;
  const negative = line[1] === 45;
  if (negative) i++;
  if (i === line.length || line.length - i > 15) {
    throw new ProtocolError(
      `Invalid RESP: ${JSON.stringify(decoder.decode(line))} has no integer`,
    );
  }
  let n = 0;
  for (; i < line.length; i++) {
    const digit = line[i] - 48;
    if (digit < 0 || digit > 9) {
      throw new ProtocolError(
        `Invalid RESP: ${JSON.stringify(decoder.decode(line))} has no integer`,
      );
    }
    n = n * 10 + digit;
  }
  return negative ? -n : n;
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

/** A command argument: bytes, or text and numbers sent as UTF-8. */
export type RespArgument = string | number | Uint8Array;

/**
 * Encodes a command as RESP2 sends it: an array of bulk strings.
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
 * @returns The bytes to send.
 * @throws {TypeError} If an argument is not a string, number or `Uint8Array`.
 * @throws {RangeError} If a number is not finite (`NaN`, `Infinity`).
 */
export function encodeCommand(args: readonly RespArgument[]): Uint8Array {
  const parts: Uint8Array[] = new Array(args.length);
  let size = headerSize(args.length);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const bytes = arg instanceof Uint8Array
      ? arg
      : typeof arg === "string"
      ? encoder.encode(arg)
      : typeof arg === "number" && Number.isFinite(arg)
      ? encoder.encode(String(arg))
      : badArgument(arg, i);
    parts[i] = bytes;
    size += headerSize(bytes.length) + bytes.length + 2;
  }
  const out = new Uint8Array(size);
  let at = writeHeader(out, 0, 42, args.length);
  for (const bytes of parts) {
    at = writeHeader(out, at, 36, bytes.length);
    out.set(bytes, at);
    at += bytes.length;
    out[at++] = 13;
    out[at++] = 10;
  }
  return out;
}

function badArgument(arg: unknown, index: number): never {
  if (typeof arg === "number") {
    throw new RangeError(
      `Cannot send argument ${index} "${arg}": a number must be finite`,
    );
  }
  throw new TypeError(
    `Cannot send argument ${index} (${typeof arg}): it must be a string, ` +
      "a number or a Uint8Array",
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
    else if (typeof v === "number") add(encoder.encode(`:${v}\r\n`));
    else if (v instanceof RedisError) {
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
