// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * A Redis list: a double-ended queue of strings (bytes, or text one
 * character per byte).
 *
 * @module
 */

import type { Bytes } from "./bytes.ts";

/**
 * A list value, pushed and popped at both ends in constant time (a ring
 * buffer that doubles when full), read by index.
 *
 * @example
 * ```ts
 * import { ListValue } from "./list_value.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const list = new ListValue();
 * const bytes = (text: string) => new TextEncoder().encode(text);
 * list.pushBack(bytes("b"));
 * list.pushFront(bytes("a"));
 * assertEquals(list.length, 2);
 * assertEquals(list.at(1), bytes("b"));
 * assertEquals(list.popFront(), bytes("a"));
 * ```
 */
export class ListValue {
  #items: (Bytes | undefined)[] = new Array(8);
  #head = 0;
  #length = 0;

  /** The number of elements. */
  get length(): number {
    return this.#length;
  }

  /**
   * Adds an element at the head.
   *
   * @param item The element.
   */
  pushFront(item: Bytes): void {
    if (this.#length === this.#items.length) this.#grow();
    this.#head = (this.#head - 1) & (this.#items.length - 1);
    this.#items[this.#head] = item;
    this.#length++;
  }

  /**
   * Adds an element at the tail.
   *
   * @param item The element.
   */
  pushBack(item: Bytes): void {
    if (this.#length === this.#items.length) this.#grow();
    const mask = this.#items.length - 1;
    this.#items[(this.#head + this.#length) & mask] = item;
    this.#length++;
  }

  /**
   * Removes the element at the head.
   *
   * @returns The element, or `undefined` if the list is empty.
   */
  popFront(): Bytes | undefined {
    if (this.#length === 0) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head] = undefined;
    this.#head = (this.#head + 1) & (this.#items.length - 1);
    this.#length--;
    return item;
  }

  /**
   * The element at `index` from the head.
   *
   * @param index 0 to `length - 1`.
   * @returns The element.
   * @throws {RangeError} If `index` is out of range.
   */
  at(index: number): Bytes {
    if (!(index >= 0 && index < this.#length)) {
      throw new RangeError(`Cannot read index ${index} of ${this.#length}`);
    }
    return this.#items[(this.#head + index) & (this.#items.length - 1)]!;
  }

  #grow(): void {
    const items = this.#items;
    const grown: (Bytes | undefined)[] = new Array(items.length * 2);
    for (let i = 0; i < this.#length; i++) {
      grown[i] = items[(this.#head + i) & (items.length - 1)];
    }
    this.#items = grown;
    this.#head = 0;
  }
}
