// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * The server side of RESP2: commands read from a stream of chunks, as Redis
 * reads them (an array of bulk strings, or an inline command), with Redis's
 * own protocol errors.
 *
 * @module
 */

import { ChunkReader, ProtocolError } from "@pulsar/net";
import { DEFAULT_MAX_ARRAY_LENGTH, DEFAULT_MAX_BULK_LENGTH } from "./resp.ts";

/** Limits of a `RequestReader`: what a hostile peer cannot make it allocate. */
export interface RequestReaderOptions {
  /**
   * The longest bulk string accepted, in bytes (Redis's
   * `proto-max-bulk-len`).
   *
   * @default {536870912}
   */
  maxBulkLength?: number;
  /**
   * The most arguments a command may have.
   *
   * @default {1048576}
   */
  maxArguments?: number;
}

/** Redis's `PROTO_INLINE_MAX_SIZE`: the longest inline command or header. */
const INLINE_MAX = 64 * 1024;
const LF = new Uint8Array([10]);
const EMPTY = new Uint8Array(0);

const IDLE = 0;
const INLINE = 1;
const MULTIBULK = 2;

/**
 * Reads commands out of a stream of chunks, wherever the chunks are cut:
 * `push()` the bytes received, then `read()` until it returns `undefined`.
 * A command is its arguments as bytes (views of the chunks pushed, no copy).
 *
 * Like Redis, a request that starts with `*` is an array of bulk strings
 * (`*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\n`), anything else is an inline command
 * (`ECHO hi\r\n`: words separated by blanks, `"..."` and `'...'` quoted as
 * `redis-cli` quotes them). Empty commands (`*0`, `*-1`, a blank line) are
 * skipped. Broken requests throw a `ProtocolError` whose message is Redis's
 * reply to them (`Protocol error: invalid bulk length`, ...): a declared
 * length over its limit is refused before anything is allocated for it.
 *
 * @example
 * ```ts
 * import { RequestReader } from "./request_reader.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const reader = new RequestReader();
 * const text = (args?: Uint8Array[]) =>
 *   args?.map((arg) => new TextDecoder().decode(arg));
 * reader.push(new TextEncoder().encode("*2\r\n$4\r\nECHO\r\n$2\r"));
 * assertEquals(reader.read(), undefined);
 * reader.push(new TextEncoder().encode("\nhi\r\nPING\r\n"));
 * assertEquals(text(reader.read()), ["ECHO", "hi"]);
 * assertEquals(text(reader.read()), ["PING"]);
 * ```
 */
export class RequestReader {
  #reader = new ChunkReader({ delimiter: LF, maxLineLength: INLINE_MAX });
  /**
   * A chunk read in place, from `#at`, while nothing is buffered: whole
   * commands in it are parsed without the line reader.
   */
  #chunk: Uint8Array | undefined;
  #at = 0;
  #mode = IDLE;
  #args: Uint8Array[] = [];
  /** Arguments of the current array still to read. */
  #left = 0;
  /** The length of the bulk string whose bytes are awaited, or -1. */
  #bulk = -1;
  #maxBulkLength: number;
  #maxArguments: number;

  /**
   * @param options The limits.
   */
  constructor(options: RequestReaderOptions = {}) {
    this.#maxBulkLength = options.maxBulkLength ?? DEFAULT_MAX_BULK_LENGTH;
    this.#maxArguments = options.maxArguments ?? DEFAULT_MAX_ARRAY_LENGTH;
  }

  /** Whether part of a command has been read and the rest is awaited. */
  get partial(): boolean {
    return this.#mode !== IDLE;
  }

  /**
   * Adds bytes received.
   *
   * @param chunk The bytes; kept, not copied.
   */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    if (
      this.#mode === IDLE && this.#chunk === undefined &&
      this.#reader.length === 0
    ) {
      // Between commands, with nothing buffered: read it in place.
      this.#chunk = chunk;
      this.#at = 0;
      return;
    }
    this.#spill();
    // Between commands, the first byte says what the next one is (with
    // bytes still buffered, read() looks at theirs).
    if (this.#mode === IDLE && this.#reader.length === 0) {
      this.#mode = chunk[0] === 42 ? MULTIBULK : INLINE;
    }
    this.#reader.push(chunk);
  }

  /**
   * Every byte buffered and not read, for the next consumer: call it only
   * between commands (after `read()` returned one).
   *
   * @returns The bytes.
   */
  take(): Uint8Array {
    const chunk = this.#chunk;
    if (chunk !== undefined) {
      this.#chunk = undefined;
      return this.#at === 0 ? chunk : chunk.subarray(this.#at);
    }
    return this.#reader.length === 0 ? EMPTY : this.#reader.take();
  }

  /** Moves what is left of the chunk read in place to the line reader. */
  #spill(): void {
    const chunk = this.#chunk;
    if (chunk === undefined) return;
    this.#chunk = undefined;
    if (this.#at === chunk.length) return;
    // Only between commands, with nothing buffered.
    this.#mode = chunk[this.#at] === 42 ? MULTIBULK : INLINE;
    this.#reader.push(this.#at === 0 ? chunk : chunk.subarray(this.#at));
  }

  /**
   * Reads the next whole command.
   *
   * @returns Its arguments (at least one), or `undefined` until it has all
   * arrived.
   * @throws {ProtocolError} If the bytes are not a command; the message is
   * Redis's error reply, without `ERR `.
   */
  read(): Uint8Array[] | undefined {
    while (true) {
      if (this.#chunk !== undefined) {
        const args = this.#readInPlace();
        if (args !== undefined) return args;
        // Not a whole, well-formed array: the general path reads it (and
        // says what is wrong with it).
        this.#spill();
      }
      if (this.#mode === IDLE) {
        // Bytes after the last command: the next one may be read in place.
        if (this.#reader.length === 0) return undefined;
        this.#chunk = this.#reader.take();
        this.#at = 0;
        continue;
      }
      const args = this.#mode === INLINE
        ? this.#readInline()
        : this.#readMultibulk();
      if (args === undefined) return undefined;
      this.#mode = IDLE;
      // An empty command is skipped, as Redis does.
      if (args.length > 0) return args;
    }
  }

  /**
   * The fast path, for the common case: a whole array of bulk strings, in
   * Redis's canonical form, within the chunk read in place. Only the
   * arguments are views made; `undefined` for anything else.
   */
  #readInPlace(): Uint8Array[] | undefined {
    const chunk = this.#chunk!;
    const end = chunk.length;
    let at = this.#at;
    if (chunk[at] !== 42) return undefined;
    let count = 0;
    let c = chunk[++at];
    if (c < 49 || c > 57) return undefined; // 1 to 9
    do {
      count = count * 10 + c - 48;
      c = chunk[++at];
    } while (c >= 48 && c <= 57 && count < 1e14);
    if (c !== 13 || chunk[at + 1] !== 10 || count > this.#maxArguments) {
      return undefined;
    }
    at += 2;
    const args: Uint8Array[] = [];
    for (let i = 0; i < count; i++) {
      if (chunk[at] !== 36) return undefined;
      c = chunk[++at];
      let length = 0;
      if (c === 48) c = chunk[++at];
      else if (c >= 49 && c <= 57) {
        do {
          length = length * 10 + c - 48;
          c = chunk[++at];
        } while (c >= 48 && c <= 57 && length < 1e14);
      } else return undefined;
      if (c !== 13 || chunk[at + 1] !== 10 || length > this.#maxBulkLength) {
        return undefined;
      }
      at += 2;
      if (at + length + 2 > end) return undefined;
      args.push(chunk.subarray(at, at + length));
      at += length + 2;
    }
    if (at === end) this.#chunk = undefined;
    else this.#at = at;
    return args;
  }

  /**
   * The next line, or `undefined` until it has arrived; a line over the
   * limit is a `ProtocolError` with Redis's `message` for it.
   */
  #readLine(message: string): Uint8Array | undefined {
    try {
      return this.#reader.readLine();
    } catch (error) {
      throw error instanceof ProtocolError ? new ProtocolError(message) : error;
    }
  }

  #readInline(): Uint8Array[] | undefined {
    const line = this.#readLine("Protocol error: too big inline request");
    if (line === undefined) return undefined;
    const end = line.length > 0 && line[line.length - 1] === 13
      ? line.length - 1
      : line.length;
    return splitArgs(line, end);
  }

  #readMultibulk(): Uint8Array[] | undefined {
    const reader = this.#reader;
    if (this.#left === 0) {
      const line = this.#readLine("Protocol error: too big mbulk count string");
      if (line === undefined) return undefined;
      const count = parseLength(line);
      if (count === undefined || count > this.#maxArguments) {
        throw new ProtocolError("Protocol error: invalid multibulk length");
      }
      if (count <= 0) return [];
      this.#left = count;
      this.#args = [];
    }
    const args = this.#args;
    while (this.#left > 0) {
      if (this.#bulk < 0) {
        const line = this.#readLine(
          "Protocol error: too big bulk count string",
        );
        if (line === undefined) return undefined;
        if (line[0] !== 36) {
          throw new ProtocolError(
            `Protocol error: expected '$', got '${
              String.fromCharCode(line[0] ?? 10)
            }'`,
          );
        }
        const length = parseLength(line);
        if (
          length === undefined || length < 0 || length > this.#maxBulkLength
        ) {
          throw new ProtocolError("Protocol error: invalid bulk length");
        }
        this.#bulk = length;
      }
      // Like Redis, the two bytes after the bulk string are skipped unread.
      const body = reader.read(this.#bulk + 2);
      if (body === undefined) return undefined;
      args.push(body.subarray(0, this.#bulk));
      this.#bulk = -1;
      this.#left--;
    }
    this.#args = [];
    return args;
  }
}

/**
 * The length in a `*N\r` or `$N\r` header line (`\n` already cut), as
 * Redis's `string2ll` reads it: no sign but `-`, no leading zero, and the
 * line must end with `\r`. `undefined` if it is not one.
 */
function parseLength(line: Uint8Array): number | undefined {
  const end = line.length - 1;
  if (end < 2 || line[end] !== 13) return undefined;
  let i = 1;
  const negative = line[1] === 45;
  if (negative) i++;
  if (i === end || end - i > 18) return undefined;
  if (line[i] === 48) {
    return i + 1 === end && !negative ? 0 : undefined;
  }
  let n = 0;
  for (; i < end; i++) {
    const digit = line[i] - 48;
    if (digit < 0 || digit > 9) return undefined;
    n = n * 10 + digit;
  }
  return negative ? -n : n;
}

/** `\n`, `\r`, `\t`, `\b`, `\a` inside double quotes. */
const ESCAPES: Record<number, number> = {
  110: 10,
  114: 13,
  116: 9,
  98: 8,
  97: 7,
};

function isBlank(byte: number): boolean {
  // isspace(): space, \t, \n, \v, \f, \r
  return byte === 32 || (byte >= 9 && byte <= 13);
}

/** What ends an unquoted word: space, `\n`, `\r`, `\t`. */
function isSeparator(byte: number): boolean {
  return byte === 32 || byte === 10 || byte === 13 || byte === 9;
}

function hexValue(byte: number): number {
  if (byte >= 48 && byte <= 57) return byte - 48;
  const lower = byte | 0x20;
  if (lower >= 97 && lower <= 102) return lower - 87;
  return -1;
}

/**
 * Splits an inline command as Redis's `sdssplitargs` does: words separated
 * by blanks; `"..."` with `\xHH` and C escapes, `'...'` with `\'`; a closing
 * quote must be followed by a blank or the end.
 */
function splitArgs(line: Uint8Array, end: number): Uint8Array[] {
  const args: Uint8Array[] = [];
  let i = 0;
  while (true) {
    while (i < end && isBlank(line[i])) i++;
    if (i >= end) return args;
    // Fast path: a word with no quote in it is a view of the line.
    let j = i;
    while (
      j < end && !isSeparator(line[j]) && line[j] !== 34 && line[j] !== 39
    ) j++;
    if (j === end || isSeparator(line[j])) {
      args.push(line.subarray(i, j));
      i = j;
      continue;
    }
    const word: number[] = [];
    for (let k = i; k < j; k++) word.push(line[k]);
    i = j;
    let inDouble = false;
    let inSingle = false;
    let done = false;
    while (!done) {
      if (inDouble) {
        if (i >= end) throw unbalanced();
        const c = line[i];
        if (
          c === 92 && i + 3 < end && line[i + 1] === 120 &&
          hexValue(line[i + 2]) >= 0 && hexValue(line[i + 3]) >= 0
        ) {
          word.push(hexValue(line[i + 2]) * 16 + hexValue(line[i + 3]));
          i += 3;
        } else if (c === 92 && i + 1 < end) {
          i++;
          word.push(ESCAPES[line[i]] ?? line[i]);
        } else if (c === 34) {
          // The closing quote must be followed by a blank.
          if (i + 1 < end && !isBlank(line[i + 1])) throw unbalanced();
          done = true;
        } else word.push(c);
      } else if (inSingle) {
        if (i >= end) throw unbalanced();
        const c = line[i];
        if (c === 92 && i + 1 < end && line[i + 1] === 39) {
          i++;
          word.push(39);
        } else if (c === 39) {
          if (i + 1 < end && !isBlank(line[i + 1])) throw unbalanced();
          done = true;
        } else word.push(c);
      } else {
        if (i >= end) break;
        const c = line[i];
        if (isSeparator(c)) done = true;
        else if (c === 34) inDouble = true;
        else if (c === 39) inSingle = true;
        else word.push(c);
      }
      if (i < end) i++;
    }
    args.push(Uint8Array.from(word));
  }
}

function unbalanced(): ProtocolError {
  return new ProtocolError("Protocol error: unbalanced quotes in request");
}
