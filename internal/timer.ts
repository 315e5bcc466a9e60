// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * One timer for the whole module: honours any delay, where `setTimeout`
 * clamps delays above 2^31−1 ms to about 1 ms (so a huge timeout would fire
 * at once).
 *
 * @module
 */

/** The longest delay `setTimeout` honours: 2^31−1 ms, about 24.8 days. */
export const MAX_TIMER_DELAY = 2 ** 31 - 1;

/** A running timer. */
export interface Timer {
  /** Stops the timer; the callback will not run. Idempotent. */
  clear(): void;
}

const NEVER: Timer = { clear() {} };

/**
 * A waiting timer. All of them wait in one binary heap, ordered by when
 * they are due, under a single `setTimeout` for the earliest: a connection's
 * idle timer then costs one small object, not a Deno timer and its closures
 * (about 2 KiB of memory per idle connection).
 */
class HeapTimer implements Timer {
  /** The position in the heap; -1 once fired or cleared. */
  index = -1;
  /** When it is due (`performance.now()` time). */
  readonly at: number;
  /** Breaks ties: timers due at the same time fire in the order set. */
  readonly order: number;
  readonly callback: () => void;

  constructor(at: number, order: number, callback: () => void) {
    this.at = at;
    this.order = order;
    this.callback = callback;
  }

  clear(): void {
    if (this.index >= 0) remove(this);
  }
}

const heap: HeapTimer[] = [];
let nextOrder = 0;
/** The one `setTimeout` pending, while any timer waits. */
let armed: ReturnType<typeof setTimeout> | undefined;
/** When `armed` fires. */
let armedAt = Infinity;

function before(a: HeapTimer, b: HeapTimer): boolean {
  return a.at < b.at || (a.at === b.at && a.order < b.order);
}

function place(timer: HeapTimer, index: number): void {
  heap[index] = timer;
  timer.index = index;
}

function siftUp(timer: HeapTimer): void {
  let index = timer.index;
  while (index > 0) {
    const parent = (index - 1) >> 1;
    if (!before(timer, heap[parent])) break;
    place(heap[parent], index);
    index = parent;
  }
  place(timer, index);
}

function siftDown(timer: HeapTimer): void {
  let index = timer.index;
  const length = heap.length;
  while (true) {
    const left = 2 * index + 1;
    if (left >= length) break;
    const right = left + 1;
    const child = right < length && before(heap[right], heap[left])
      ? right
      : left;
    if (!before(heap[child], timer)) break;
    place(heap[child], index);
    index = child;
  }
  place(timer, index);
}

function remove(timer: HeapTimer): void {
  const index = timer.index;
  timer.index = -1;
  const last = heap.pop()!;
  if (last !== timer) {
    place(last, index);
    siftUp(last);
    siftDown(last);
  }
  if (heap.length === 0 && armed !== undefined) {
    clearTimeout(armed);
    armed = undefined;
    armedAt = Infinity;
  }
}

/** Makes sure the `setTimeout` fires no later than the earliest timer. */
function arm(): void {
  const at = heap[0].at;
  if (armed !== undefined) {
    if (armedAt <= at) return;
    clearTimeout(armed);
  }
  armedAt = at;
  const delay = at - performance.now();
  armed = setTimeout(
    fire,
    delay <= 0 ? 0 : delay > MAX_TIMER_DELAY ? MAX_TIMER_DELAY : delay,
  );
}

/** Runs every timer that is due, then waits for the next one. */
function fire(): void {
  armed = undefined;
  armedAt = Infinity;
  const now = performance.now();
  let failed: { error: unknown } | undefined;
  while (heap.length > 0 && heap[0].at <= now) {
    const timer = heap[0];
    remove(timer);
    try {
      timer.callback();
    } catch (error) {
      // Thrown below, as setTimeout would, once the others have run.
      failed ??= { error };
    }
  }
  if (heap.length > 0) arm();
  if (failed !== undefined) throw failed.error;
}

/**
 * Calls `callback` once after `delay` milliseconds. `Infinity` never fires
 * (and holds no timer); a finite delay past `MAX_TIMER_DELAY` is waited out
 * in steps of at most that, so it never fires early. Timers due at the same
 * time fire in the order they were set.
 *
 * @param callback What to run.
 * @param delay Milliseconds, a non-negative number or `Infinity`.
 * @returns The timer, to `clear()`.
 */
export function setTimer(callback: () => void, delay: number): Timer {
  if (delay === Infinity) return NEVER;
  const timer = new HeapTimer(
    performance.now() + (delay > 0 ? delay : 0),
    nextOrder++,
    callback,
  );
  timer.index = heap.length;
  heap.push(timer);
  siftUp(timer);
  if (timer.index === 0) arm();
  return timer;
}

/**
 * Waits for `promise` (which must not reject) for at most `delay`
 * milliseconds, through `setTimer` (so `Infinity` waits for ever).
 *
 * @param promise What to wait for.
 * @param delay Milliseconds, a non-negative number or `Infinity`.
 * @returns Whether `promise` settled in time.
 */
export async function settlesWithin(
  promise: Promise<unknown>,
  delay: number,
): Promise<boolean> {
  const late = Promise.withResolvers<boolean>();
  const timer = setTimer(() => late.resolve(false), delay);
  const inTime = await Promise.race([promise.then(() => true), late.promise]);
  timer.clear();
  return inTime;
}
