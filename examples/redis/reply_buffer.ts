// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * The server's replies, encoded as RESP2 into one growing buffer so that
 * the answers to pipelined commands go out in one write.
 *
 * @module
 */

/** Bulk strings at least this long are passed on as they are, not copied. */
const LARGE = 16 * 1024;
/** The size of the arenas replies are written into. */
const ARENA = 64 * 1024;
const EMPTY = new Uint8Array(0);

/**
 * Collects RESP2 replies: `simple()`, `error()`, `integer()`, `bulk()`,
 * `nil()`, `array()`, then `take()` the bytes to write. Text is written one
 * byte per character (Latin-1), so binary data decoded that way round-trips.
 *
 * @example
 * ```ts
 * import { ReplyBuffer } from "./reply_buffer.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const replies = new ReplyBuffer();
 * replies.simple("OK");
 * replies.array(2);
 * replies.integer(-7);
 * replies.bulk(new TextEncoder().encode("hi"));
 * const text = replies.take().map((b) => new TextDecoder().decode(b)).join("");
 * assertEquals(text, "+OK\r\n*2\r\n:-7\r\n$2\r\nhi\r\n");
 * ```
 */
export class ReplyBuffer {
  /**
   * Where the replies collected and not taken are: `[#start, #length)` of
   * `#buffer`, the shared arena while this buffer owns it.
   */
  #buffer: Uint8Array = EMPTY;
  #start = 0;
  #length = 0;
  /** Bytes already complete: earlier parts, and large bulk strings. */
  #parts: Uint8Array[] = [];
  #partsSize = 0;

  /** The bytes collected and not taken yet. */
  get length(): number {
    return this.#partsSize + this.#length - this.#start;
  }

  /**
   * Adds a simple string reply: `+text\r\n`.
   *
   * @param text The text, without CR or LF.
   */
  simple(text: string): void {
    this.#line(43, text);
  }

  /**
   * Adds an error reply: `-message\r\n` (CR and LF in it become spaces, as
   * Redis does).
   *
   * @param message The message, starting with its code (`ERR`).
   */
  error(message: string): void {
    this.#line(45, message.replace(/[\r\n]/g, " "));
  }

  /**
   * Adds an integer reply: `:n\r\n`.
   *
   * @param n The integer.
   */
  integer(n: number | bigint): void {
    this.#line(58, String(n));
  }

  /**
   * Adds a bulk string reply: `$length\r\nbytes\r\n`. A large one is kept
   * as it is (not copied): do not change it afterwards.
   *
   * @param bytes The bytes, or text written one byte per character (a
   * short one: text is never passed on as it is).
   */
  bulk(bytes: Uint8Array | string): void {
    const length = bytes.length;
    if (typeof bytes !== "string" && length >= LARGE) {
      this.#line(36, String(length));
      this.#cut();
      this.#parts.push(bytes);
      this.#partsSize += length;
      this.#ensure(2);
      this.#buffer[this.#length++] = 13;
      this.#buffer[this.#length++] = 10;
      return;
    }
    this.#ensure(length + 16);
    const buffer = this.#buffer;
    let at = this.#length;
    buffer[at++] = 36;
    at = writeDigits(buffer, at, length);
    buffer[at++] = 13;
    buffer[at++] = 10;
    if (typeof bytes === "string") {
      for (let i = 0; i < length; i++) buffer[at + i] = bytes.charCodeAt(i);
    } else buffer.set(bytes, at);
    at += length;
    buffer[at++] = 13;
    buffer[at++] = 10;
    this.#length = at;
  }

  /** Adds the nil bulk string: `$-1\r\n`. */
  nil(): void {
    this.#line(36, "-1");
  }

  /**
   * Adds an array header: `*count\r\n`, or the nil array `*-1\r\n` for -1.
   * The elements follow.
   *
   * @param count The number of elements, or -1.
   */
  array(count: number): void {
    this.#line(42, String(count));
  }

  /**
   * Takes the bytes collected, in order, leaving the buffer empty.
   *
   * @returns The parts to write (none if nothing was collected).
   */
  take(): Uint8Array[] {
    this.#cut();
    const parts = this.#parts;
    this.#parts = [];
    this.#partsSize = 0;
    return parts;
  }

  /**
   * Writes the bytes collected, in order, leaving the buffer empty.
   *
   * @param sink Where to write them (a transport).
   */
  writeTo(sink: { write(data: Uint8Array): void }): void {
    if (this.#parts.length === 0) {
      if (this.#length === this.#start) return;
      const bytes = this.#buffer.subarray(this.#start, this.#length);
      this.#start = this.#length;
      if (shared.owner === this) shared.used = this.#length;
      sink.write(bytes);
      return;
    }
    for (const part of this.take()) sink.write(part);
  }

  /** Moves the buffered bytes to a part of their own. */
  #cut(): void {
    if (this.#length === this.#start) return;
    this.#parts.push(this.#buffer.subarray(this.#start, this.#length));
    this.#partsSize += this.#length - this.#start;
    this.#start = this.#length;
    if (shared.owner === this) shared.used = this.#length;
  }

  /** `<type>text\r\n`, text one byte per character. */
  #line(type: number, text: string): void {
    const length = text.length;
    this.#ensure(length + 3);
    const buffer = this.#buffer;
    let at = this.#length;
    buffer[at++] = type;
    for (let i = 0; i < length; i++) buffer[at++] = text.charCodeAt(i);
    buffer[at++] = 13;
    buffer[at++] = 10;
    this.#length = at;
  }

  /** Makes room for `size` more bytes after those collected. */
  #ensure(size: number): void {
    if (shared.owner === this && this.#length + size <= this.#buffer.length) {
      return;
    }
    // Another buffer took the arena since (its bytes stay where they are),
    // or it is full: this buffer's bytes so far become a part as they are
    // (never copied), and it goes on in the free space.
    const owner = shared.owner;
    if (owner !== undefined && owner !== this) {
      shared.used = Math.max(shared.used, owner.#length);
    }
    this.#cut();
    if (shared.used + size > shared.buffer.length) {
      shared.buffer = new Uint8Array(Math.max(ARENA, size));
      shared.used = 0;
    }
    this.#buffer = shared.buffer;
    this.#start = this.#length = shared.used;
    shared.owner = this;
  }
}

/**
 * The arena every `ReplyBuffer` writes into, bump-allocated: `[0, used)` is
 * handed out (views of it are being written) or held by buffers that have
 * collected replies not taken yet; the owner writes from `used` on. Bytes
 * handed out are never written again, so no reply is copied to be handed
 * over, and no connection keeps a buffer of its own; a full arena is left to
 * the views still using it, and a new one started.
 */
const shared: {
  buffer: Uint8Array;
  used: number;
  owner: ReplyBuffer | undefined;
} = { buffer: new Uint8Array(ARENA), used: 0, owner: undefined };

/** Writes `n` (0 or more) in decimal at `at`; returns where it ends. */
function writeDigits(buffer: Uint8Array, at: number, n: number): number {
  if (n < 10) {
    buffer[at++] = 48 + n;
    return at;
  }
  const digits = String(n);
  for (let i = 0; i < digits.length; i++) buffer[at++] = digits.charCodeAt(i);
  return at;
}
