// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * `ChunkReader`: lines and exact byte counts from a stream of chunks.
 *
 * @module
 */

import { ProtocolError } from "../errors.ts";
import { checkBytes, checkInteger } from "../internal/validate.ts";
import { DelimiterFinder } from "./delimiter_finder.ts";

/** Options of a `ChunkReader`. */
export interface ChunkReaderOptions {
  /**
   * What ends a line.
   *
   * @default {new TextEncoder().encode("\r\n")}
   */
  delimiter?: Uint8Array;
  /**
   * The most bytes a line may have, its delimiter excluded. A peer that sends
   * more without a delimiter breaks the protocol: `readLine()` throws a
   * `ProtocolError` instead of buffering without bound.
   *
   * @default {65536}
   */
  maxLineLength?: number;
}

const CRLF = new Uint8Array([13, 10]);
/** What an empty read returns: shared, since nothing can be written to it. */
const EMPTY = new Uint8Array(0);

/**
 * Buffers the chunks a protocol receives and reads them back as lines or
 * exact byte counts, whatever the chunk boundaries were: the building block
 * of an incremental parser. Each read returns `undefined` while the bytes it
 * needs have not all arrived, and consumes nothing then, so a parser calls it
 * again after the next `push()`.
 *
 * A read that lies within one chunk returns a view of that chunk (no copy);
 * only a read that spans chunks copies. A line search resumes where the last
 * one stopped, so a long line arriving in many chunks is scanned once.
 *
 * @example Parse `$5\r\nhello\r\n` arriving in three chunks
 * ```ts
 * import { ChunkReader } from "@pulsar/net/protocols";
 * import { assertEquals } from "@std/assert";
 *
 * const reader = new ChunkReader();
 * const text = (bytes: Uint8Array | undefined) =>
 *   bytes && new TextDecoder().decode(bytes);
 * reader.push(new TextEncoder().encode("$5\r"));
 * assertEquals(reader.readLine(), undefined); // no whole line yet
 * reader.push(new TextEncoder().encode("\nhel"));
 * assertEquals(text(reader.readLine()), "$5");
 * assertEquals(reader.read(5 + 2), undefined); // 3 of 7 bytes so far
 * assertEquals(reader.peek(), "h".charCodeAt(0));
 * reader.push(new TextEncoder().encode("lo\r\n+OK"));
 * assertEquals(text(reader.read(5 + 2)), "hello\r\n");
 * assertEquals(text(reader.take()), "+OK"); // what is left, for the next one
 * assertEquals(reader.length, 0);
 * ```
 */
export class ChunkReader {
  // Unread chunks are #chunks[#first..]; the first starts at #offset.
  #chunks: Uint8Array[] = [];
  #first = 0;
  #offset = 0;
  #length = 0;
  #finder: DelimiterFinder;
  #maxLineLength: number;
  // How many unread bytes the pending line search has looked at, and the
  // index in #chunks of the first chunk it has not.
  #scanned = 0;
  #scanChunk = 0;

  /**
   * Builds an empty reader.
   *
   * @param options The line delimiter and the longest line accepted.
   * @throws {TypeError} If `delimiter` is not a `Uint8Array`, or
   * `maxLineLength` not a number.
   * @throws {RangeError} If `delimiter` is empty, or `maxLineLength` is not
   * an integer of 0 or more.
   */
  constructor(options: ChunkReaderOptions = {}) {
    this.#finder = new DelimiterFinder(
      options.delimiter === undefined
        ? CRLF
        : checkBytes("delimiter", options.delimiter),
    );
    this.#maxLineLength = options.maxLineLength === undefined
      ? 65536
      : checkInteger("maxLineLength", options.maxLineLength, 0, Infinity);
  }

  /** The number of bytes buffered and not yet read. */
  get length(): number {
    return this.#length;
  }

  /**
   * Adds the next chunk of the stream. The reader keeps the chunk itself,
   * not a copy, so the caller must not change it afterwards (chunks handed
   * to `dataReceived()` are never overwritten by later reads).
   *
   * @param chunk The bytes received.
   * @throws {TypeError} If `chunk` is not a `Uint8Array`.
   */
  push(chunk: Uint8Array): void {
    if (!(chunk instanceof Uint8Array)) checkBytes("chunk", chunk);
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#length += chunk.length;
  }

  /**
   * The next unread byte, without reading it: for a protocol whose first
   * byte says how to parse the rest.
   *
   * @returns The byte, or -1 if nothing is buffered.
   */
  peek(): number {
    const head = this.#chunks[this.#first];
    return head === undefined ? -1 : head[this.#offset];
  }

  /**
   * Reads one line, its delimiter consumed but not returned.
   *
   * @returns The line, or `undefined` if no whole line has arrived yet.
   * @throws {ProtocolError} If the line is longer than `maxLineLength`, or
   * more than that arrived without a delimiter.
   */
  readLine(): Uint8Array | undefined {
    const finder = this.#finder;
    const chunks = this.#chunks;
    // Resume where the last search stopped, or start at the first unread
    // byte.
    let scanned = this.#scanned;
    let i = scanned === 0 ? this.#first : this.#scanChunk;
    let from = scanned === 0 ? this.#offset : 0;
    for (; i < chunks.length; i++, from = 0) {
      const chunk = chunks[i];
      const end = finder.find(chunk, from);
      if (end >= 0) {
        const length = scanned + end - from - finder.delimiter.length;
        this.#scanned = 0;
        if (length > this.#maxLineLength) this.#tooLong();
        const line = this.#consume(length);
        this.#skip(finder.delimiter.length);
        return line;
      }
      scanned += chunk.length - from;
    }
    this.#scanned = scanned;
    this.#scanChunk = chunks.length;
    if (scanned - finder.matched > this.#maxLineLength) this.#tooLong();
    return undefined;
  }

  #tooLong(): never {
    throw new ProtocolError(
      `Cannot read a line: it is longer than the limit of ` +
        `${this.#maxLineLength} bytes`,
    );
  }

  /**
   * Reads exactly `size` bytes.
   *
   * @param size How many bytes to read.
   * @returns The bytes, or `undefined` if fewer than `size` are buffered.
   * @throws {RangeError} If `size` is not an integer of 0 or more.
   */
  read(size: number): Uint8Array | undefined {
    checkInteger("size", size, 0);
    if (size > this.#length) return undefined;
    this.#restartLineSearch();
    return this.#consume(size);
  }

  /**
   * Reads every buffered byte: for example the bytes of the next request,
   * which a consumer returns from `dataReceived()` once it has finished.
   *
   * @returns The bytes (empty if none).
   */
  take(): Uint8Array {
    this.#restartLineSearch();
    return this.#consume(this.#length);
  }

  #restartLineSearch(): void {
    if (this.#scanned === 0) return;
    this.#scanned = 0;
    this.#finder.reset();
  }

  /** Removes `size` bytes (at most `#length`) from the front. */
  #consume(size: number): Uint8Array {
    const chunks = this.#chunks;
    this.#length -= size;
    const head = chunks[this.#first];
    if (head === undefined) return EMPTY;
    const start = this.#offset;
    if (start + size < head.length) {
      this.#offset += size;
      return head.subarray(start, start + size);
    }
    if (start + size === head.length) {
      this.#drop(1);
      return start === 0 ? head : head.subarray(start);
    }
    const out = new Uint8Array(size);
    let filled = 0;
    let dropped = 0;
    let offset = start;
    let rest = 0; // where the next read starts in the last chunk touched
    for (let i = this.#first; filled < size; i++, offset = 0) {
      const chunk = chunks[i];
      const part = Math.min(chunk.length - offset, size - filled);
      out.set(chunk.subarray(offset, offset + part), filled);
      filled += part;
      if (offset + part === chunk.length) dropped++;
      else rest = offset + part;
    }
    this.#drop(dropped);
    this.#offset = rest;
    return out;
  }

  /** Removes `size` bytes (at most `#length`) from the front, unread. */
  #skip(size: number): void {
    const chunks = this.#chunks;
    this.#length -= size;
    let offset = this.#offset + size;
    let dropped = 0;
    for (
      let i = this.#first;
      i < chunks.length && offset >= chunks[i].length;
      i++
    ) {
      offset -= chunks[i].length;
      dropped++;
    }
    this.#drop(dropped);
    this.#offset = offset;
  }

  /** Forgets the first `count` chunks, entirely read. */
  #drop(count: number): void {
    this.#first += count;
    this.#offset = 0;
    if (this.#first === this.#chunks.length) {
      this.#chunks = [];
      this.#first = 0;
    } else if (this.#first > 64 && this.#first * 2 > this.#chunks.length) {
      this.#chunks = this.#chunks.slice(this.#first);
      this.#first = 0;
    }
  }
}
