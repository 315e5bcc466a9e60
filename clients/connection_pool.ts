// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * `ConnectionPool`: reusable connections to one address.
 *
 * @module
 */

import { deadline, isLimited, NO_DEADLINE } from "../internal/deadline.ts";
import {
  checkBoolean,
  checkDuration,
  checkFunction,
  checkInteger,
  checkObject,
  checkSignal,
  checkString,
} from "../internal/validate.ts";
import { ConnectionClosedError, TimeoutError } from "../errors.ts";
import { reportError } from "../internal/report.ts";
import type { Connection } from "../protocols/connection.ts";
import { type ClosedWatcher, kWatchClosed } from "../protocols/_internal.ts";
import { kAcquireAfterTry } from "./_internal.ts";

/** Options of a `ConnectionPool`. */
export interface ConnectionPoolOptions {
  /** Opens a new connection; honours the signal. */
  connect: (signal?: AbortSignal) => Promise<Connection>;
  /**
   * The most connections open at once.
   *
   * @default {10}
   */
  poolSize?: number;
  /**
   * The most requests in flight on one connection at once (undici's
   * `pipelining`): a connection in use is handed to another caller while it
   * has fewer than this many, once `poolSize` connections exist (requests
   * are spread over connections before they are stacked). 1 (the default)
   * hands a connection to one caller at a time.
   *
   * @default {1}
   */
  pipelining?: number;
  /**
   * Milliseconds `acquire()` waits for a connection when all are in use,
   * before failing with `TimeoutError`; 0 or `Infinity` for no limit. A
   * finite wait longer than setTimeout's limit (2^31−1 ms) is waited out in
   * steps, never cut short.
   *
   * @default {0}
   */
  acquireTimeout?: number;
  /**
   * The pool's name in messages, usually the address.
   *
   * @default {"pool"}
   */
  key?: string;
  /**
   * Called, in a microtask, when the pool becomes empty: no connection
   * idle, in use or being opened, and no caller waiting; once, until it
   * opens a connection again. Its owner may then close and drop it (a
   * `Client` does). A callback that throws is reported with one
   * `console.error` line.
   */
  onEmpty?: (pool: ConnectionPool) => void;
}

/** Options of `ConnectionPool.acquire()`. */
export interface AcquireOptions {
  /** Aborts the wait (and the connect); rejects with the signal's reason. */
  signal?: AbortSignal;
  /**
   * Milliseconds to wait when all connections are in use; overrides the
   * pool's `acquireTimeout`. 0 or `Infinity` for no limit.
   */
  acquireTimeout?: number;
}

/** Options of `ConnectionPool.release()`. */
export interface ReleaseOptions {
  /**
   * Close the connection instead of keeping it for reuse.
   *
   * @default {false}
   */
  discard?: boolean;
}

/**
 * A connection in use: how many callers hold it, and where it stands in the
 * pool's list of slots (scanned without an iterator).
 */
interface Slot {
  readonly connection: Connection;
  /** The callers holding it. */
  load: number;
  /** Its index in `#busy`. */
  index: number;
  /** Found closed: never handed to another caller. */
  dead: boolean;
}

/** A caller waiting for a connection, and the signal of its wait. */
interface Waiter extends PromiseWithResolvers<Connection> {
  signal: AbortSignal | undefined;
  /** Served, or gave up: left in the queue, skipped. */
  gone?: boolean;
}

/**
 * A pool of connections to one address. `acquire()` gives an idle
 * connection, or opens a new one while fewer than `poolSize` exist, or else
 * (with `pipelining` above 1) the least busy connection in use that has
 * fewer than `pipelining` callers, or else waits, first in first out, up to
 * `acquireTimeout`. Each `acquire()` is matched by one `release()`: a
 * connection is in use while any of its callers holds it. Connections
 * found dead are dropped, never handed out. A connect that fails (not cut
 * short by its caller's signal) while the pool holds no open connection
 * fails the callers waiting too, each rejected with that same error; a
 * later `acquire()` connects anew. `close()` also cancels the connections
 * being opened: every caller of `acquire()` is settled.
 *
 * The counters: `inUse` (connections held by at least one caller),
 * `inFlight` (callers holding a connection: with `pipelining` 1 it equals
 * `inUse`), `idle`, `available` (connections that can take a caller now:
 * idle, or in use below `pipelining`), `waiting` and `sessions`.
 *
 * @example Reuse one connection for two requests
 * ```ts
 * import { ConnectionPool } from "@pulsar/net/clients";
 * import { Connection } from "@pulsar/net/protocols";
 * import { connect } from "@pulsar/net/transports";
 * import { assertEquals } from "@std/assert";
 *
 * await using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const pool = new ConnectionPool({
 *   poolSize: 2,
 *   connect: async (signal) => {
 *     const [, connection] = await connect(() => new Connection(), {
 *       port: listener.addr.port,
 *       signal,
 *     });
 *     return connection;
 *   },
 * });
 * const first = await pool.acquire();
 * pool.release(first);
 * const second = await pool.acquire();
 * assertEquals(second, first);
 * assertEquals(pool.sessions, 1);
 * pool.release(second);
 * await pool.close();
 * ```
 *
 * @example All connections in use: a caller waits, up to `acquireTimeout`
 * ```ts
 * import { ConnectionPool } from "@pulsar/net/clients";
 * import { TimeoutError } from "@pulsar/net/errors";
 * import { Connection } from "@pulsar/net/protocols";
 * import { connect } from "@pulsar/net/transports";
 * import { assertEquals, assertRejects } from "@std/assert";
 *
 * await using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * await using pool = new ConnectionPool({
 *   poolSize: 1,
 *   acquireTimeout: 20,
 *   key: "tcp://127.0.0.1",
 *   connect: async (signal) => {
 *     const [, connection] = await connect(() => new Connection(), {
 *       port: listener.addr.port,
 *       signal,
 *     });
 *     return connection;
 *   },
 * });
 * const only = await pool.acquire();
 * await assertRejects(
 *   () => pool.acquire(),
 *   TimeoutError,
 *   "Cannot get a connection to tcp://127.0.0.1 within 20 ms",
 * );
 * // A waiter gets the connection released first.
 * const waiting = pool.acquire({ acquireTimeout: 0 });
 * assertEquals(pool.waiting, 1);
 * pool.release(only);
 * assertEquals(await waiting, only);
 * pool.release(only);
 * ```
 *
 * @example Drop a pool once it holds no connection (`onEmpty`)
 * ```ts
 * import { ConnectionPool } from "@pulsar/net/clients";
 * import { Connection } from "@pulsar/net/protocols";
 * import { connect } from "@pulsar/net/transports";
 * import { assertEquals } from "@std/assert";
 *
 * await using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const pools = new Map<string, ConnectionPool>();
 * const emptied = Promise.withResolvers<ConnectionPool>();
 * const pool = new ConnectionPool({
 *   connect: async (signal) => {
 *     const [, connection] = await connect(() => new Connection(), {
 *       port: listener.addr.port,
 *       signal,
 *     });
 *     return connection;
 *   },
 *   onEmpty: (empty) => {
 *     pools.delete("here");
 *     emptied.resolve(empty);
 *     empty.close();
 *   },
 * });
 * pools.set("here", pool);
 * const connection = await pool.acquire();
 * pool.release(connection, { discard: true });
 * assertEquals(await emptied.promise, pool);
 * assertEquals(pools.size, 0);
 * assertEquals(pool.isClosing(), true);
 * await connection.closed;
 * ```
 */
export class ConnectionPool {
  #connect: (signal?: AbortSignal) => Promise<Connection>;
  #poolSize: number;
  #pipelining: number;
  #timeout: number;
  #key: string;
  /** The idle connections' slots (load 0), kept for their next use. */
  #idle: Slot[] = [];
  /** The connections in use, and how many callers hold each. */
  #inUse = new Map<Connection, Slot>();
  /** The same slots, in a list: the least busy is found by a plain loop. */
  #busy: Slot[] = [];
  /** The sum of the slots' loads. */
  #inFlight = 0;
  #opening = 0;
  /**
   * The controllers of the connects in progress: `close()` aborts them. A
   * list, not a Map: a pool usually has one connect at a time.
   */
  #controllers: AbortController[] = [];
  /** Told when a connection of this pool has closed: drops it if idle. */
  #closedWatcher: ClosedWatcher | undefined;
  /** Settled once no connect is in progress, after `close()`. */
  #connectsEnded: PromiseWithResolvers<void> | undefined;
  /**
   * The callers waiting, first in first out, from `#waitersHead`; one that
   * gave up is marked gone and skipped (removal in constant time, with no
   * Set iterator per grant).
   */
  #waiters: Waiter[] = [];
  #waitersHead = 0;
  /** The waiters in `#waiters` not gone. */
  #waiting = 0;
  #sessions = 0;
  #closing: Promise<void> | undefined;
  #onEmpty: ((pool: ConnectionPool) => void) | undefined;
  /** Whether a check for emptiness is queued. */
  #emptyCheck = false;
  /** Whether `onEmpty` was called since the pool last held a connection. */
  #saidEmpty = false;

  /**
   * Builds an empty pool.
   *
   * @param options `connect`, `poolSize`, `pipelining`, `acquireTimeout`,
   * `key` and `onEmpty`.
   * @throws {TypeError} If an option has the wrong type (`connect` is
   * required).
   * @throws {RangeError} If `poolSize` or `pipelining` is not an integer of
   * 1 or more, or `acquireTimeout` is negative or `NaN`.
   */
  constructor(options: ConnectionPoolOptions) {
    checkObject("options", options);
    this.#connect = checkFunction("connect", options.connect);
    this.#poolSize = options.poolSize === undefined
      ? 10
      : checkInteger("poolSize", options.poolSize, 1);
    this.#pipelining = options.pipelining === undefined
      ? 1
      : checkInteger("pipelining", options.pipelining, 1);
    this.#timeout = options.acquireTimeout === undefined
      ? 0
      : checkDuration("acquireTimeout", options.acquireTimeout);
    this.#key = options.key === undefined
      ? "pool"
      : checkString("key", options.key);
    this.#onEmpty = options.onEmpty === undefined
      ? undefined
      : checkFunction<(pool: ConnectionPool) => void>(
        "onEmpty",
        options.onEmpty,
      );
  }

  /** The most connections open at once. */
  get poolSize(): number {
    return this.#poolSize;
  }

  /** The most callers holding one connection at once. */
  get pipelining(): number {
    return this.#pipelining;
  }

  /** The pool's name in messages. */
  get key(): string {
    return this.#key;
  }

  /** The connections held by at least one caller (handed out, not released). */
  get inUse(): number {
    return this.#inUse.size;
  }

  /**
   * The callers holding a connection: one per `acquire()` not yet matched
   * by its `release()` (the requests in flight). Equals `inUse` with
   * `pipelining` 1.
   */
  get inFlight(): number {
    return this.#inFlight;
  }

  /**
   * The open connections that can take a caller at once: idle ones, and
   * those in use by fewer than `pipelining` callers.
   */
  get available(): number {
    let total = 0;
    for (const slot of this.#idle) if (isAlive(slot.connection)) total++;
    if (this.#pipelining === 1) return total;
    for (const slot of this.#busy) {
      if (slot.load < this.#pipelining && isAlive(slot.connection)) total++;
    }
    return total;
  }

  /** The idle connections ready for reuse. */
  get idle(): number {
    return this.#idle.length;
  }

  /** The callers waiting for a connection. */
  get waiting(): number {
    return this.#waiting;
  }

  /** The connections opened so far. */
  get sessions(): number {
    return this.#sessions;
  }

  /**
   * Whether `close()` was called.
   *
   * @returns True once closing.
   */
  isClosing(): boolean {
    return this.#closing !== undefined;
  }

  /**
   * Gives a connection: an idle one, else a new one while fewer than
   * `poolSize` exist, else the least busy one in use below `pipelining`,
   * else the first one released to the waiters (first in, first out).
   *
   * @param options `signal` and `acquireTimeout` for this call.
   * @returns The connection, now in use: `release()` it when done.
   * @throws {TimeoutError} If none came free within `acquireTimeout`.
   * @throws {ConnectionClosedError} If the pool is closed, or closes while
   * the connection is being opened.
   * @throws {ConnectionRefusedError} If opening a connection failed: this
   * caller's, or, while it waited with no connection open, another's (the
   * same error).
   * @throws {TypeError} If an option has the wrong type.
   * @throws {RangeError} If `acquireTimeout` is negative or `NaN`.
   */
  acquire(options: AcquireOptions = {}): Promise<Connection> {
    // Not async: a caller that waits gets the waiter's own promise, which a
    // release settles directly (one hop, not three).
    try {
      checkAcquireOptions(options);
      this.#checkOpen();
      options.signal?.throwIfAborted();
    } catch (error) {
      return Promise.reject(error);
    }
    const ready = this.#takeNow();
    if (ready !== undefined) return Promise.resolve(ready);
    return this.#openOrWait(options);
  }

  /**
   * `acquire()` right after `tryAcquire()` returned nothing, in the same
   * turn and with no options: the pool has not changed, so nothing is
   * checked or searched again.
   *
   * @returns The connection, now in use.
   */
  [kAcquireAfterTry](): Promise<Connection> {
    return this.#openOrWait(NO_OPTIONS);
  }

  /** Opens a connection while fewer than `poolSize` exist, else waits. */
  #openOrWait(options: AcquireOptions): Promise<Connection> {
    if (this.#size < this.#poolSize) {
      this.#opening++;
      return this.#open(options.signal);
    }
    return this.#wait(options);
  }

  /**
   * Gives a connection at once, if one is ready (idle, or in use below
   * `pipelining` once `poolSize` connections exist): `acquire()`'s fast
   * path, with no promise.
   *
   * @returns The connection, now in use, or `undefined`.
   * @throws {ConnectionClosedError} If the pool is closed.
   */
  tryAcquire(): Connection | undefined {
    this.#checkOpen();
    return this.#takeNow();
  }

  /**
   * Takes back a connection from one `acquire()`: keeps it for reuse (or
   * hands it to the first waiter), or closes it when `discard` is set, when
   * it is closing, or when the pool is closed. A closed connection's slot
   * comes free once every caller holding it has released it.
   *
   * @param connection The connection.
   * @param options `discard`.
   * @throws {TypeError} If `discard` is not a boolean.
   */
  release(connection: Connection, options?: ReleaseOptions): void {
    // No options (the common case): nothing to check, nothing to allocate.
    const discard = options !== undefined && checkReleaseOptions(options);
    const slot = this.#inUse.get(connection);
    if (slot === undefined) return;
    this.#inFlight--;
    if (discard || this.#closing !== undefined || !isAlive(connection)) {
      connection.close();
      slot.dead = true;
      if (--slot.load > 0) return;
      this.#removeSlot(slot);
      this.#freeSlot();
      return;
    }
    const waiter = this.#nextWaiter();
    if (waiter !== undefined) {
      // The waiter takes the released place.
      this.#inFlight++;
      waiter.resolve(connection);
    } else if (--slot.load === 0) {
      this.#removeSlot(slot);
      this.#idle.push(slot);
    }
  }

  /**
   * Closes the pool: waiters fail with `ConnectionClosedError`, connects in
   * progress are aborted (their callers fail with `ConnectionClosedError`),
   * idle connections are closed, and connections in use are aborted, so
   * their requests fail with `ConnectionClosedError` at once. Idempotent.
   *
   * @returns A promise settled once every connect has ended and every
   * connection has closed.
   */
  close(): Promise<void> {
    if (this.#closing === undefined) {
      try {
        this.#closing = this.#close();
      } catch (error) {
        // A connection's close() or abort() threw: the pool is closed all
        // the same, and the promise rejects with it.
        this.#closing = Promise.reject(error);
      }
    }
    return this.#closing;
  }

  /**
   * Closes the pool, as `close()` does.
   *
   * @returns A promise settled once closed.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  get #size(): number {
    return this.#idle.length + this.#inUse.size + this.#opening;
  }

  /** Puts `connection`, just opened, in use by one caller. */
  #addSlot(connection: Connection): void {
    this.#useSlot({ connection, load: 0, index: 0, dead: false });
  }

  /** Puts an idle (or new) slot in use by one caller. */
  #useSlot(slot: Slot): void {
    slot.load = 1;
    slot.index = this.#busy.length;
    this.#busy.push(slot);
    this.#inUse.set(slot.connection, slot);
    this.#inFlight++;
  }

  /** Takes `slot` out of use (its last caller released it). */
  #removeSlot(slot: Slot): void {
    this.#inUse.delete(slot.connection);
    const last = this.#busy.pop()!;
    if (last !== slot) {
      this.#busy[slot.index] = last;
      last.index = slot.index;
    }
  }

  #checkOpen(): void {
    if (this.isClosing()) {
      throw new ConnectionClosedError(
        `Cannot get a connection to ${this.#key}: the pool is closed`,
      );
    }
  }

  /**
   * An idle connection, else (with `pipelining` above 1, once `poolSize`
   * connections exist) the least busy one in use below `pipelining`.
   */
  #takeNow(): Connection | undefined {
    while (this.#idle.length > 0) {
      const slot = this.#idle.pop()!;
      if (isAlive(slot.connection)) {
        this.#useSlot(slot);
        return slot.connection;
      }
    }
    if (
      this.#pipelining === 1 || this.#size < this.#poolSize ||
      this.#waiting > 0 // First in, first out: they go first.
    ) {
      return undefined;
    }
    const busy = this.#busy;
    while (true) {
      let best: Slot | undefined;
      let least = this.#pipelining;
      for (let i = 0; i < busy.length; i++) {
        const slot = busy[i];
        if (slot.load < least && !slot.dead) {
          best = slot;
          least = slot.load;
        }
      }
      if (best === undefined) return undefined;
      // Only the one chosen is checked: a closed one is marked, and the
      // search runs again without it.
      if (!isAlive(best.connection)) {
        best.dead = true;
        continue;
      }
      best.load++;
      this.#inFlight++;
      return best.connection;
    }
  }

  /** Hands `connection`, just opened, to waiters while it has room. */
  #stack(connection: Connection): void {
    const slot = this.#inUse.get(connection);
    if (slot === undefined || !isAlive(connection)) return;
    while (slot.load < this.#pipelining && this.#waiting > 0) {
      const waiter = this.#nextWaiter()!;
      slot.load++;
      this.#inFlight++;
      waiter.resolve(connection);
    }
  }

  #open(signal: AbortSignal | undefined): Promise<Connection> {
    this.#saidEmpty = false;
    // Its own controller, so close() can cancel it whatever the caller's
    // signal; it follows the caller's signal too. Each connect has its own:
    // the signal a connect was given never aborts once it has ended.
    const controller = new AbortController();
    // Usually the only one: a list of one, not a grown array.
    if (this.#controllers.length === 0) this.#controllers = [controller];
    else this.#controllers.push(controller);
    let detach: (() => void) | undefined;
    if (signal !== undefined) {
      const onAbort = () => controller.abort(signal.reason);
      if (signal.aborted) onAbort();
      else {
        signal.addEventListener("abort", onAbort, ONCE);
        detach = () => signal.removeEventListener("abort", onAbort);
      }
    }
    const opening = this.#openWith(controller, detach);
    if (this.#pipelining > 1) {
      // Once the caller has it (its await registered first), the waiters
      // behind it share the new connection: their requests are written
      // after the caller's, in the order they came.
      queueMicrotask(() => {
        opening.then((connection) => this.#stack(connection), () => {});
      });
    }
    return opening;
  }

  async #openWith(
    controller: AbortController,
    detach: (() => void) | undefined,
  ): Promise<Connection> {
    const signal = controller.signal;
    try {
      let connection: Connection;
      try {
        this.#checkOpen();
        signal.throwIfAborted();
        connection = await this.#connect(signal);
      } catch (error) {
        this.#opening--;
        if (!signal.aborted && !this.#hasOpen()) {
          // Connecting failed, not cut short by its caller: the callers
          // waiting fail with it now, rather than each opening another
          // connection in turn to a peer that is gone.
          this.#failWaiters(error);
        }
        this.#freeSlot();
        throw error;
      }
      this.#opening--;
      this.#sessions++;
      if (this.isClosing()) {
        // Opened as the pool closed (a connect that ignored the signal).
        connection.close();
        await connection.closed;
        this.#checkOpen();
      }
      this.#addSlot(connection);
      connection[kWatchClosed](
        this.#closedWatcher ??= {
          connectionClosed: (closed) => this.#dropIdle(closed as Connection),
        },
      );
      return connection;
    } finally {
      detach?.();
      const controllers = this.#controllers;
      const at = controllers.indexOf(controller);
      controllers[at] = controllers[controllers.length - 1];
      controllers.pop();
      if (controllers.length === 0) this.#connectsEnded?.resolve();
    }
  }

  /** Whether the pool holds an open connection, idle or in use. */
  #hasOpen(): boolean {
    for (const slot of this.#idle) if (isAlive(slot.connection)) return true;
    for (const slot of this.#busy) {
      if (!slot.dead && isAlive(slot.connection)) return true;
    }
    return false;
  }

  /** Rejects every caller waiting, each with `error`. */
  #failWaiters(error: unknown): void {
    if (this.#waiting === 0) return;
    const waiters = this.#queued();
    this.#waiters = [];
    this.#waitersHead = 0;
    this.#waiting = 0;
    for (const waiter of waiters) {
      waiter.gone = true;
      waiter.reject(error);
    }
  }

  #nextWaiter(): Waiter | undefined {
    if (this.#waiting === 0) return undefined;
    const waiters = this.#waiters;
    let first: Waiter;
    do first = waiters[this.#waitersHead++]; while (first.gone);
    first.gone = true;
    this.#waiting--;
    if (this.#waitersHead === waiters.length) {
      this.#waiters = [];
      this.#waitersHead = 0;
    } else if (
      this.#waitersHead > 64 && this.#waitersHead * 2 > waiters.length
    ) {
      this.#waiters = waiters.slice(this.#waitersHead);
      this.#waitersHead = 0;
    }
    return first;
  }

  /**
   * Drops the waiters that gave up once they outnumber those still waiting
   * (waits that time out while no connection comes free would otherwise
   * pile up).
   */
  #compactWaiters(): void {
    const queued = this.#waiters.length - this.#waitersHead;
    if (queued <= 2 * this.#waiting + 64) return;
    this.#waiters = this.#queued();
    this.#waitersHead = 0;
  }

  /** The waiters still waiting, in order. */
  #queued(): Waiter[] {
    return this.#waiters.slice(this.#waitersHead)
      .filter((waiter) => !waiter.gone);
  }

  /** A slot came free: let the first waiter open a connection in it. */
  #freeSlot(): void {
    const waiter = this.#nextWaiter();
    if (waiter === undefined) {
      this.#checkEmpty();
      return;
    }
    this.#opening++;
    waiter.resolve(this.#open(waiter.signal));
  }

  #dropIdle(connection: Connection): void {
    const index = this.#idle.findIndex((slot) =>
      slot.connection === connection
    );
    if (index >= 0) this.#idle.splice(index, 1);
    this.#checkEmpty();
  }

  /**
   * Calls `onEmpty` in a microtask if the pool is empty then: a caller
   * that releases a connection and acquires another at once (a retry)
   * never sees its pool dropped in between.
   */
  #checkEmpty(): void {
    if (this.#onEmpty === undefined || this.#emptyCheck) return;
    this.#emptyCheck = true;
    queueMicrotask(() => {
      this.#emptyCheck = false;
      if (this.isClosing() || this.#size > 0 || this.#waiting > 0) return;
      if (this.#saidEmpty) return;
      this.#saidEmpty = true;
      try {
        this.#onEmpty!(this);
      } catch (error) {
        reportError(undefined, { error, source: "onEmpty" });
      }
    });
  }

  #wait(options: AcquireOptions): Promise<Connection> {
    const timeout = options.acquireTimeout ?? this.#timeout;
    // Neither signal nor time limit (a client's common case): no closure,
    // no deadline.
    const limit = isLimited(options.signal, timeout)
      ? deadline(options.signal, timeout, () =>
        new TimeoutError(
          `Cannot get a connection to ${this.#key} within ${timeout} ms: ` +
            `all ${this.#poolSize} were in use or connecting`,
        ))
      : NO_DEADLINE;
    const signal = limit.signal;
    // The waiter's signal also bounds the connect opened for it when a slot
    // comes free, so the wait ends on time either way.
    const waiter = Promise.withResolvers<Connection>() as Waiter;
    waiter.signal = signal;
    this.#waiters.push(waiter);
    this.#waiting++;
    if (signal === undefined) return waiter.promise;
    const onAbort = () => {
      if (waiter.gone) return; // Already granted.
      waiter.gone = true;
      this.#waiting--;
      this.#compactWaiters();
      waiter.reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, ONCE);
    return waiter.promise.finally(() => {
      signal.removeEventListener("abort", onAbort);
      limit.clear();
    });
  }

  #close(): Promise<void> {
    // The errors are built only when someone gets them: an Error captures a
    // stack trace, and a client closed with nothing waiting or in flight (a
    // short-lived client's usual end) should not pay for two. Nor for a
    // Promise.all over one connection.
    if (this.#waiting > 0 || this.#controllers.length > 0) {
      const error = new ConnectionClosedError(
        `Cannot get a connection to ${this.#key}: the pool was closed`,
      );
      this.#failWaiters(error);
      // Connects in progress (and their retries) end now, with that error.
      for (const controller of [...this.#controllers]) controller.abort(error);
    }
    const closing: Promise<unknown>[] = [];
    for (const { connection } of this.#idle) {
      connection.close();
      closing.push(connection.closed);
    }
    this.#idle = [];
    if (this.#inUse.size > 0) {
      // Requests in flight fail now, rather than wait on a peer that may
      // never answer (or never read what is still to be sent).
      const aborted = new ConnectionClosedError(
        `Connection to ${this.#key} closed: the pool was closed`,
      );
      for (const connection of [...this.#inUse.keys()]) {
        connection.abort(aborted);
        closing.push(connection.closed);
      }
    }
    if (this.#controllers.length > 0) {
      this.#connectsEnded = Promise.withResolvers();
      closing.push(this.#connectsEnded.promise);
    }
    return closing.length === 1
      ? closing[0].then(noop)
      : Promise.all(closing).then(noop);
  }
}

function noop(): void {}

const ONCE = { once: true } as const;

const NO_OPTIONS: AcquireOptions = {};

/** Checks `release()`'s options; returns whether to discard. */
function checkReleaseOptions(options: ReleaseOptions): boolean {
  checkObject("options", options);
  if (options.discard === undefined) return false;
  return checkBoolean("discard", options.discard);
}

function checkAcquireOptions(options: AcquireOptions): void {
  checkObject("options", options);
  const { acquireTimeout } = options;
  if (acquireTimeout !== undefined) {
    checkDuration("acquireTimeout", acquireTimeout);
  }
  if (options.signal !== undefined) checkSignal("signal", options.signal);
}

function isAlive(connection: Connection): boolean {
  return !connection.isClosed && !(connection.transport?.isClosing() ?? true);
}
