// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * `DelimiterFinder`: finds a delimiter in a stream of chunks.
 *
 * @module
 */

/**
 * Finds a delimiter in a stream of chunks without buffering them: it
 * remembers how much of the delimiter the previous chunk ended with, so a
 * delimiter split across reads is found in the chunk that completes it. It
 * scans with the native `indexOf` for the delimiter's first byte and a
 * Knuth–Morris–Pratt automaton, so no byte is looked at twice.
 *
 * @example Find "\r\n\r\n" split across two chunks
 * ```ts
 * import { DelimiterFinder } from "@pulsar/net/protocols";
 * import { assertEquals } from "@std/assert";
 *
 * const finder = new DelimiterFinder(new TextEncoder().encode("\r\n\r\n"));
 * assertEquals(finder.find(new TextEncoder().encode("hello\r\n")), -1);
 * assertEquals(finder.find(new TextEncoder().encode("\r\nnext")), 2);
 * ```
 */
export class DelimiterFinder {
  #delimiter: Uint8Array;
  // Computed on the first partial match that fails: most delimiters in
  // most streams never need it.
  #fallback: Uint32Array | undefined;
  #matched = 0;

  /**
   * Builds a finder for `delimiter`.
   *
   * @param delimiter The bytes to find; not empty.
   * @throws {RangeError} If the delimiter is empty.
   */
  constructor(delimiter: Uint8Array) {
    if (delimiter.length === 0) {
      throw new RangeError("Cannot use an empty delimiter");
    }
    this.#delimiter = delimiter;
  }

  /** The delimiter. */
  get delimiter(): Uint8Array {
    return this.#delimiter;
  }

  /** How many bytes of the delimiter the chunks so far ended with. */
  get matched(): number {
    return this.#matched;
  }

  /**
   * Scans the next chunk. Once the delimiter is found the finder starts
   * over, for the next message.
   *
   * @param chunk The next bytes of the stream.
   * @param from Where to start in `chunk`.
   * @returns The offset in `chunk` just past the delimiter, or -1.
   */
  find(chunk: Uint8Array, from = 0): number {
    const delimiter = this.#delimiter;
    const length = delimiter.length;
    const first = delimiter[0];
    let matched = this.#matched;
    let i = from;
    while (i < chunk.length) {
      if (matched === 0) {
        i = chunk.indexOf(first, i);
        if (i < 0) break;
      }
      const byte = chunk[i];
      if (matched > 0 && byte !== delimiter[matched]) {
        const fallback = this.#fallback ??= fallbackTable(delimiter);
        do {
          matched = fallback[matched - 1];
        } while (matched > 0 && byte !== delimiter[matched]);
      }
      if (byte === delimiter[matched]) matched++;
      i++;
      if (matched === length) {
        this.#matched = 0;
        return i;
      }
    }
    this.#matched = matched;
    return -1;
  }

  /** Forgets any partial match. */
  reset(): void {
    this.#matched = 0;
  }
}

/** Tables by delimiter, so finders for a shared delimiter share one. */
const tables = new WeakMap<Uint8Array, Uint32Array>();

/** For each prefix length, the longest proper prefix that is also a suffix. */
function fallbackTable(pattern: Uint8Array): Uint32Array {
  const cached = tables.get(pattern);
  if (cached !== undefined) return cached;
  const table = new Uint32Array(pattern.length);
  let k = 0;
  for (let i = 1; i < pattern.length; i++) {
    while (k > 0 && pattern[i] !== pattern[k]) k = table[k - 1];
    if (pattern[i] === pattern[k]) k++;
    table[i] = k;
  }
  tables.set(pattern, table);
  return table;
}
