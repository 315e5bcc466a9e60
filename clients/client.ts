// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * `Client`: sends requests over pooled connections, one consumer each.
 *
 * @module
 */

import { abortable } from "@std/async/abortable";
import {
  type Deadline,
  deadline,
  isLimited,
  NO_DEADLINE,
} from "../internal/deadline.ts";
import { setTimer } from "../internal/timer.ts";
import {
  checkDuration,
  checkFunction,
  checkInteger,
  checkObject,
  checkString,
  describe,
} from "../internal/validate.ts";
import {
  ConnectionClosedError,
  ConnectionRefusedError,
  type ErrorHandler,
  NetError,
  TimeoutError,
} from "../errors.ts";
import type { Connection } from "../protocols/connection.ts";
import {
  type FinishWatcher,
  kCork,
  kCorked,
  kWatch,
} from "../protocols/_internal.ts";
import type { EventCallback, EventNames } from "../protocols/events.ts";
import type {
  ConsumerFactory,
  ProtocolConsumer,
} from "../protocols/protocol_consumer.ts";
import {
  type ConnectionFactory,
  Producer,
  type ProducerEvents,
} from "../producers/producer.ts";
import { connect } from "../transports/connect.ts";
import {
  checkSocketTransportOptions,
  type SocketTransportOptions,
} from "../transports/socket_transport.ts";
import { ConnectionPool } from "./connection_pool.ts";
import { kAcquireAfterTry } from "./_internal.ts";
import type { Request, RequestAddress, RequestEvents } from "./request.ts";
import { makeTarget, type Target, type TargetAddress } from "./_target.ts";

/**
 * The events of a client: one-time `finish` (data: the client) on close, and
 * the many-times producer hooks, which reach every connection and consumer
 * it creates.
 */
export type ClientEvents = ProducerEvents & {
  finish: [owner: Client, data: Client];
};

/** Options of a `Client`. */
export interface ClientOptions extends SocketTransportOptions {
  /** Builds the consumer for each request. */
  consumerFactory: ConsumerFactory;
  /**
   * The most connections per pool (per address and TLS settings).
   *
   * @default {10}
   */
  poolSize?: number;
  /**
   * The most requests in flight on one connection at once (undici's
   * `pipelining`): an integer of 1 or more. Above 1, a request is written
   * on a connection that still waits for the answers of others, and its
   * consumer reads its answer once theirs are read (the protocol must
   * answer requests in order). The requests sent in one microtask turn
   * (`Promise.all` of many, say) go to a connection in one socket write. Requests are spread over up to `poolSize`
   * connections before they are stacked on one; when every connection has
   * `pipelining` in flight, a request waits, first in first out, bounded
   * by its `timeout` and `signal`. See the `Client` docs for what happens
   * to the others when one fails.
   *
   * @default {1}
   */
  pipelining?: number;
  /**
   * Milliseconds for a whole request (waiting for a connection, connecting
   * and the response) before it fails with `TimeoutError`; 0 or `Infinity`
   * for no limit. A finite time past setTimeout's limit (2^31−1 ms) is
   * waited out in steps. A request's own `timeout` overrides it.
   *
   * @default {0}
   */
  timeout?: number;
  /**
   * How many times a request is retried on a new connection when a pooled
   * connection turns out to have been closed by the server (end of stream
   * before any byte of the response).
   *
   * @default {1}
   */
  maxReconnect?: number;
  /**
   * Idle timeout of pooled connections in milliseconds: a connection with
   * no request in flight for this long is closed. 0 or `Infinity` for none.
   *
   * @default {0}
   */
  idleTimeout?: number;
  /**
   * A name for messages.
   *
   * @default {"client"}
   */
  name?: string;
  /** Builds each connection. */
  connectionFactory?: ConnectionFactory;
  /**
   * How to retry connecting to a server that refuses (while it restarts,
   * say): exponential backoff with jitter, bounded by each request's
   * `timeout` and `signal`, and ended by `close()`; `false` to fail at once.
   * One round of attempts serves the requests waiting for its pool: when it
   * fails, they fail with its error (see the `Client` docs).
   *
   * @default {{ maxAttempts: 4, minTimeout: 25, maxTimeout: 1000, multiplier: 2, jitter: 1 }}
   */
  reconnect?: ReconnectOptions | false;
  /**
   * Receives the errors no request can be rejected with, with their source
   * and the peer's address: a client hook (`preRequest`, `postRequest`, ...)
   * that threw, or a consumer's `connectionLost`. What a request's own
   * consumer throws (its `dataReceived`, say) is not reported here: it
   * costs that connection and the request rejects with it. Without
   * `onError`, each report is printed as one `console.error` line.
   */
  onError?: ErrorHandler;
}

/** How a `Client` retries a refused connection: exponential backoff. */
export interface ReconnectOptions {
  /**
   * Attempts in all, the first included: an integer of 1 or more.
   *
   * @default {4}
   */
  maxAttempts?: number;
  /**
   * Milliseconds before the first retry.
   *
   * @default {25}
   */
  minTimeout?: number;
  /**
   * The longest wait between attempts, in milliseconds; at least
   * `minTimeout`.
   *
   * @default {1000}
   */
  maxTimeout?: number;
  /**
   * By how much each wait grows: 1 or more.
   *
   * @default {2}
   */
  multiplier?: number;
  /**
   * The share of each wait that is random (0 to 1).
   *
   * @default {1}
   */
  jitter?: number;
}

const DISCARD = { discard: true } as const;

const CLIENT_EVENT_NAMES: EventNames<ClientEvents, "finish"> = {
  oneTime: ["finish"],
  manyTimes: [],
};

const DEFAULT_RECONNECT: Required<ReconnectOptions> = {
  maxAttempts: 4,
  minTimeout: 25,
  maxTimeout: 1000,
  multiplier: 2,
  jitter: 1,
};

/**
 * A client: `response(request)` takes a connection from the pool for
 * `request.key`, runs a new consumer on it with the request, and resolves
 * with the consumer's result. Subclasses add a `request(...)` method that
 * builds a `Request` and returns `this.response(request)`.
 *
 * Requests share a pool when they go to the same address with the same TLS
 * settings (`request.key`); each pool opens its connections with its own
 * copy of those settings. A request whose signal is aborted before it is
 * written is never written.
 *
 * A consumer keeps the stream in step: it finishes only once the whole
 * answer has been read (an answer may arrive split over reads, or with the
 * next one behind it in the same read) and returns the bytes after it. One
 * that finished early would leave the rest of its answer to be read as the
 * next request's.
 *
 * A request fails in one of two ways, and its connection follows:
 *
 * - An error reply: the consumer finished with an error
 *   (`finished(undefined, error)`) that is not a `NetError`. The peer
 *   answered and the stream is in step, so the connection goes back to the
 *   pool; the request rejects with that error.
 * - A broken stream: the consumer threw (from `dataReceived`, or while it
 *   started: a `preRequest` hook or `startRequest()`, which may have written
 *   half a request), it finished with a `NetError` (a `ProtocolError` for
 *   bytes that are no reply), the connection closed or was reset, or the
 *   request timed out or was aborted. The connection is closed, never
 *   reused.
 *
 * A connect that fails (after its `reconnect` attempts) fails the request
 * that ran it and, when the pool holds no open connection, every request
 * then waiting for that pool, each rejected with the same error (a
 * `ConnectionRefusedError`, say): requests queued on a server that went
 * away settle after one connect round, not one round each. A request that
 * comes later runs a new round. A connect cut short by its own request's
 * timeout or signal fails only that request.
 *
 * A pooled connection found closed by the server before any byte of the
 * response arrived is retried on a new one, at most `maxReconnect` times. A
 * reset or any other failure mid-request is never retried (the request may
 * have had effects): it fails with `ConnectionClosedError`, cause attached.
 *
 * With `pipelining` above 1, several requests are in flight on one
 * connection, answered in order; when one fails:
 *
 * - a clean end of stream: every request that got no byte of its answer
 *   and was not the first on a new connection is retried on a new one
 *   (within `maxReconnect`, as above); the one partly answered fails with
 *   `ConnectionClosedError`;
 * - a reset or any other loss: none is retried; each fails with
 *   `ConnectionClosedError`, cause attached;
 * - a request that times out or is aborted closes its connection (its
 *   answer may still come, and would be read as the next one's): the
 *   requests in flight with it fail with `ConnectionClosedError` whose
 *   cause is its `TimeoutError` (or abort reason), never retried, and a
 *   late answer is never delivered to another request;
 * - a broken stream (a consumer that threw or finished with a `NetError`,
 *   or failed to start) closes the connection the same way: the others
 *   fail with `ConnectionClosedError`, that error as the cause.
 *
 * An error reply keeps the connection and the others in flight on it.
 *
 * @example A client for a server that answers "ok"
 * ```ts
 * import { Client, Request } from "@pulsar/net/clients";
 * import { ProtocolConsumer } from "@pulsar/net/protocols";
 * import { assertEquals } from "@std/assert";
 *
 * // A reply is a line. It may arrive split over reads, or with the next
 * // reply behind it: finish at its end and return the bytes after it.
 * class Reply extends ProtocolConsumer<Request, string> {
 *   #decoder = new TextDecoder();
 *   #text = "";
 *   override dataReceived(data: Uint8Array): Uint8Array | void {
 *     const end = data.indexOf(10); // "\n"
 *     if (end < 0) {
 *       this.#text += this.#decoder.decode(data, { stream: true });
 *       return;
 *     }
 *     this.#text += this.#decoder.decode(data.subarray(0, end));
 *     this.finished(this.#text);
 *     return data.subarray(end + 1);
 *   }
 * }
 *
 * await using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * (async () => {
 *   using conn = await listener.accept();
 *   await conn.read(new Uint8Array(16));
 *   await conn.write(new TextEncoder().encode("o"));
 *   await conn.write(new TextEncoder().encode("k\n"));
 * })();
 * await using client = new Client({ consumerFactory: () => new Reply() });
 * const request = new Request<string>({ port: listener.addr.port }, {
 *   data: "hi",
 * });
 * const reply: string = await client.response(request);
 * assertEquals(reply, "ok");
 * assertEquals(client.requestsProcessed, 1);
 * ```
 *
 * @example Commands with their own result types, and an error reply
 * ```ts
 * import { Client, Request } from "@pulsar/net/clients";
 * import { ProtocolConsumer } from "@pulsar/net/protocols";
 * import { assertEquals, assertRejects } from "@std/assert";
 *
 * class ServerError extends Error {}
 *
 * // One reply line: "+text", ":integer" or "-error", ending with "\r\n".
 * // It finishes only at the line's end and returns what follows, so the
 * // stream stays in step however the reply is split.
 * class Reply extends ProtocolConsumer<Request, string | number> {
 *   #line = "";
 *   override dataReceived(data: Uint8Array): Uint8Array | void {
 *     const end = data.indexOf(10); // "\n"
 *     const upTo = end < 0 ? data.length : end + 1;
 *     this.#line += new TextDecoder().decode(data.subarray(0, upTo));
 *     if (end < 0) return;
 *     const line = this.#line.trimEnd();
 *     const value = line.slice(1);
 *     if (line[0] === "-") this.finished(undefined, new ServerError(value));
 *     else this.finished(line[0] === ":" ? Number(value) : value);
 *     return data.subarray(end + 1);
 *   }
 * }
 *
 * class KeyValueClient extends Client {
 *   #port: number;
 *   constructor(port: number) {
 *     super({ consumerFactory: () => new Reply(), poolSize: 1 });
 *     this.#port = port;
 *   }
 *   get(key: string): Promise<string> {
 *     return this.response(this.#command<string>(`get ${key}`));
 *   }
 *   incr(key: string): Promise<number> {
 *     return this.response(this.#command<number>(`incr ${key}`));
 *   }
 *   #command<T>(line: string): Request<T> {
 *     return new Request<T>({ port: this.#port }, { data: `${line}\r\n` });
 *   }
 * }
 *
 * // A server that answers "get" with text, "incr" with 1, others with -ERR.
 * await using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const serving = (async () => {
 *   using conn = await listener.accept();
 *   const buffer = new Uint8Array(64);
 *   for (let n; (n = await conn.read(buffer)) !== null;) {
 *     const [command] = new TextDecoder().decode(buffer.subarray(0, n))
 *       .split(" ");
 *     const reply = command === "get"
 *       ? "+hello"
 *       : command === "incr"
 *       ? ":1"
 *       : "-ERR unknown command";
 *     await conn.write(new TextEncoder().encode(`${reply}\r\n`));
 *   }
 * })();
 *
 * const client = new KeyValueClient(listener.addr.port);
 * const text: string = await client.get("greeting");
 * const count: number = await client.incr("visits");
 * assertEquals([text, count], ["hello", 1]);
 * // An error reply: the connection stays in the pool.
 * await assertRejects(
 *   () => client.response(new Request({ port: listener.addr.port }, {
 *     data: "del greeting\r\n",
 *   })),
 *   ServerError,
 *   "ERR unknown command",
 * );
 * assertEquals(client.sessions, 1);
 * await client.close();
 * await serving;
 * ```
 */
export class Client extends Producer<ClientEvents, "finish"> {
  #options: ClientOptions;
  #consumerFactory: ConsumerFactory;
  #name: string;
  #poolSize: number;
  #pipelining: number;
  #timeout: number;
  #maxReconnect: number;
  #reconnect: Required<ReconnectOptions> | false;
  #pools = new Map<string, ConnectionPool>();
  /** The pool of the last request without TLS options, and its address. */
  #lastPool:
    | { address: TargetAddress; tls: boolean; pool: ConnectionPool }
    | undefined;
  /** Connects that succeeded. */
  #sessions = 0;
  /** Connections built: the next one's number. */
  #numbered = 0;
  #requestsProcessed = 0;
  /** Requests in `response()`; `close()` waits for them to settle. */
  #active = 0;
  #drained: PromiseWithResolvers<void> | undefined;
  #closing: Promise<void> | undefined;
  /** Made on first use of `closed`. */
  #closed: PromiseWithResolvers<void> | undefined;
  #isClosed = false;

  /**
   * Builds a client; connections open on demand.
   *
   * @param options `consumerFactory`, `poolSize`, `pipelining`, `timeout`,
   * `maxReconnect`,
   * `idleTimeout`, `name`, `connectionFactory`, `reconnect`, `onError` and
   * transport options.
   * @throws {TypeError} If an option has the wrong type (`consumerFactory`
   * is required).
   * @throws {RangeError} If a number is out of range (a transport option
   * such as `readSize` included).
   */
  constructor(options: ClientOptions) {
    const checked = checkClientOptions(options);
    super(
      {
        connectionFactory: checked.connectionFactory,
        idleTimeout: checked.idleTimeout,
        onError: checked.onError,
      },
      CLIENT_EVENT_NAMES,
    );
    // A copy: options changed after construction, unchecked, are not used.
    this.#options = { ...options };
    this.#consumerFactory = checked.consumerFactory;
    this.#name = checked.name;
    this.#poolSize = checked.poolSize;
    this.#pipelining = checked.pipelining;
    this.#timeout = checked.timeout;
    this.#maxReconnect = checked.maxReconnect;
    this.#reconnect = checked.reconnect;
  }

  /** The client's name, for messages. */
  get name(): string {
    return this.#name;
  }

  /**
   * The pools, by request key: one per address and TLS settings. A pool's
   * own `key` is its name in messages (`tls://127.0.0.1:8060`). A pool left
   * empty (no connection idle, in use or being opened, and no request
   * waiting) is closed and dropped from the map, and the next request to
   * its address makes a new one: a client that talks to many addresses
   * keeps pools only for those it holds connections to.
   */
  get connectionPools(): ReadonlyMap<string, ConnectionPool> {
    return this.#pools;
  }

  /** The connections opened so far (connects that succeeded). */
  get sessions(): number {
    return this.#sessions;
  }

  /** The requests answered by the peer, error replies included. */
  get requestsProcessed(): number {
    return this.#requestsProcessed;
  }

  /**
   * The requests not settled yet: waiting for a connection, being written,
   * or waiting for their response.
   */
  get requestsInFlight(): number {
    return this.#active;
  }

  /** The most requests in flight on one connection at once. */
  get pipelining(): number {
    return this.#pipelining;
  }

  /**
   * The connections running at least one request (or kept by one), over
   * all pools; with `pipelining` above 1 each may run several.
   */
  get connectionsInUse(): number {
    let total = 0;
    for (const pool of this.#pools.values()) total += pool.inUse;
    return total;
  }

  /** The idle connections kept for reuse, over all pools. */
  get idleConnections(): number {
    let total = 0;
    for (const pool of this.#pools.values()) total += pool.idle;
    return total;
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
   * Settles (never rejects) once the client is closed: `close()` was
   * called, every request has settled and every connection has closed.
   */
  get closed(): Promise<void> {
    if (this.#closed === undefined) {
      this.#closed = Promise.withResolvers();
      if (this.#isClosed) this.#closed.resolve();
    }
    return this.#closed.promise;
  }

  /**
   * Sends a request: what subclasses implement, building a `Request` and
   * returning `this.response(request)`.
   *
   * @param _args The subclass's arguments.
   * @returns The response.
   * @throws {TypeError} Always, in this base class.
   */
  request(..._args: unknown[]): Promise<unknown> {
    return Promise.reject(
      new TypeError(
        `Cannot send a request with ${this.constructor.name}: ` +
          "a subclass implements request()",
      ),
    );
  }

  /**
   * Runs `request` on a pooled connection with a new consumer and resolves
   * with the consumer's result. The connection comes from the pool of the
   * request's address and TLS settings. A request whose signal is aborted
   * before it is written is not written. After an error reply (the consumer
   * finished with an error that is not a `NetError`) the connection goes
   * back to the pool; after any other failure it is closed. After a
   * success, `canReuseConnection()` decides; one that throws fails the
   * request with its error, and the connection is closed. Never throws:
   * every failure rejects the promise.
   *
   * @typeParam T The result type the request carries.
   * @param request The request.
   * @returns The consumer's result, of the request's result type.
   * @throws {Error} The consumer's error reply.
   * @throws {TimeoutError} If the request's (or the client's) timeout
   * elapses first.
   * @throws {ConnectionRefusedError} If no connection could be opened.
   * @throws {TlsError} If the TLS handshake failed.
   * @throws {ConnectionClosedError} If the connection was lost mid-request,
   * or the client is closed (or closes before the request is answered).
   * @throws {Error} What `canReuseConnection()` threw.
   */
  response<T>(request: Request<T>): Promise<T> {
    let pool: ConnectionPool;
    let connection: Connection | undefined;
    try {
      const timeout = request.timeout || this.#timeout;
      pool = this.#pool(request);
      // A signal or a time limit: the general path, which races them.
      if (isLimited(request.signal, timeout)) {
        this.#active++;
        return this.#respond(request, pool, timeout, 0, undefined);
      }
      connection = pool.tryAcquire();
    } catch (error) {
      return Promise.reject(error);
    }
    // The common case, neither signal nor time limit: no async frames. The
    // request's one promise is settled when its consumer finishes (a failure
    // is handled a microtask later, as the general path would, and may
    // continue there with a retry).
    this.#active++;
    const flight = new Flight(request, pool, this.#landed);
    if (connection !== undefined) this.#fly(flight, connection);
    else {
      pool[kAcquireAfterTry]().then(
        (acquired) => this.#fly(flight, acquired),
        (error) => this.#settle(flight, error),
      );
    }
    return flight.promise as Promise<T>;
  }

  /** Runs `flight`'s request on `connection`, just acquired. */
  #fly(flight: Flight, connection: Connection): void {
    flight.connection = connection;
    flight.reused = isReused(connection);
    let consumer: ProtocolConsumer;
    try {
      consumer = this.#startConsumer(connection, flight.request, flight);
    } catch (error) {
      // The consumer could not be built or set (a throwing factory): the
      // request fails, and costs at most this connection.
      flight.pool.release(connection, DISCARD);
      this.#settle(flight, error);
      return;
    }
    flight.consumer = consumer;
    // Finished already: a preRequest hook or startRequest() failed, or the
    // request needs no answer.
    flight.startFailed = consumer.hasFinished;
    if (flight.done) this.#land(flight);
  }

  /** `flight`'s consumer finished: settles its request. */
  #landed = (flight: Flight): void => this.#land(flight);

  #land(flight: Flight): void {
    if (flight.error !== undefined) {
      // As late as an await of the consumer's promise would see it: the
      // connection has handed its read to every consumer, or told each of
      // its loss.
      queueMicrotask(() => this.#crashed(flight));
      return;
    }
    const { connection, pool, request, result } = flight;
    try {
      this.#releaseAnswered(connection, pool, request, result);
    } catch (error) {
      this.#settle(flight, error);
      return;
    }
    this.#settle(flight, undefined, result);
  }

  /** `flight`'s consumer finished with an error: as in #respond. */
  #crashed(flight: Flight): void {
    const { connection, pool, error, consumer } = flight;
    try {
      if (
        this.#releaseFailed(
          connection,
          pool,
          consumer,
          flight.startFailed,
          error,
        ) && flight.reused && closedUnanswered(consumer, error) &&
        this.#maxReconnect > 0
      ) {
        // Retried on a new connection, as #respond's next attempt.
        flight.resolve(
          this.#respond(
            flight.request,
            pool,
            0,
            1,
            error as ConnectionClosedError,
          ),
        );
        return;
      }
      throw error;
    } catch (thrown) {
      this.#settle(flight, thrown);
    }
  }

  /**
   * An answered request, both paths': counts it and gives its connection
   * back, or closes it when `canReuseConnection()` says so.
   *
   * @throws What `canReuseConnection()` threw: the request fails with it,
   * and the connection is closed.
   */
  #releaseAnswered(
    connection: Connection,
    pool: ConnectionPool,
    request: Request,
    result: unknown,
  ): void {
    this.#requestsProcessed++;
    if (!request.releaseConnection) return;
    let reuse: boolean;
    try {
      reuse = this.canReuseConnection(connection, result);
    } catch (error) {
      pool.release(connection, DISCARD);
      throw error;
    }
    pool.release(connection, reuse ? undefined : DISCARD);
  }

  /**
   * A request whose consumer failed with `error` (not cut short by its own
   * signal), both paths': after an error reply (the peer answered, the
   * stream is intact) it is counted and its connection goes back to the
   * pool; after a broken stream the connection is closed, with the requests
   * pipelined on it.
   *
   * @returns Whether the stream was broken (so the request may be retried).
   */
  #releaseFailed(
    connection: Connection,
    pool: ConnectionPool,
    consumer: ProtocolConsumer,
    startFailed: boolean,
    error: unknown,
  ): boolean {
    if (isErrorReply(consumer, startFailed, error)) {
      this.#requestsProcessed++;
      pool.release(connection);
      return false;
    }
    this.#endPipelined(connection, pool, error);
    pool.release(connection, DISCARD);
    return true;
  }

  /** Settles `flight` with `error`, or else with `result`. */
  #settle(flight: Flight, error: unknown, result?: unknown): void {
    if (--this.#active === 0) this.#drained?.resolve();
    if (error !== undefined) flight.reject(error);
    else flight.resolve(result);
  }

  /**
   * A broken stream under pipelined requests: they fail now, with `error`
   * as the cause, rather than read answers out of step.
   */
  #endPipelined(
    connection: Connection,
    pool: ConnectionPool,
    error: unknown,
  ): void {
    if (connection.consumersInFlight === 0) return;
    connection.abort(
      new ConnectionClosedError(
        `Connection to ${pool.key} closed: a request pipelined ` +
          `with this one failed (${errorMessage(error)})`,
        { cause: error },
      ),
    );
  }

  /**
   * The general path of `response()`, from attempt `first` (1 for a retry
   * after a clean close, `closed`): with a signal or a time limit, or a
   * retry. `#active` counts it already; it ends the count.
   */
  async #respond<T>(
    request: Request<T>,
    pool: ConnectionPool,
    timeout: number,
    first: number,
    closed: ConnectionClosedError | undefined,
  ): Promise<T> {
    // No signal and no time limit: no closure, no controller. A retry's
    // pool has the same key (same address and TLS).
    const limit = isLimited(request.signal, timeout)
      ? requestDeadline(request.signal, timeout, pool.key)
      : NO_DEADLINE;
    try {
      // Cancelled already: nothing is sent, no connection is opened.
      limit.signal?.throwIfAborted();
      for (let attempt = first;; attempt++) {
        // A retry takes the pool again: the last one may have been dropped.
        if (attempt > 0) pool = this.#pool(request);
        let connection: Connection;
        try {
          connection = pool.tryAcquire() ??
            await pool.acquire({ signal: limit.signal });
        } catch (error) {
          // A retry after a clean close found the server gone: the request
          // failed because its connection closed.
          if (!(closed && error instanceof ConnectionRefusedError)) throw error;
          throw new ConnectionClosedError(
            `${closed.message}; reconnecting failed: ${error.message}`,
            { cause: error },
          );
        }
        if (limit.signal?.aborted) {
          // Cancelled while waiting for the connection: it was not used.
          pool.release(connection);
          throw limit.signal.reason;
        }
        const reused = isReused(connection);
        let consumer: ProtocolConsumer;
        try {
          consumer = this.#startConsumer(connection, request);
        } catch (error) {
          // The consumer could not be built or set (a throwing factory): the
          // request fails, and costs at most this connection.
          pool.release(connection, DISCARD);
          throw error;
        }
        if (limit.signal !== undefined && connection[kCorked]) {
          abortWhileCorked(connection, limit.signal);
        }
        // Finished already: a preRequest hook or startRequest() failed, or
        // the request needs no answer.
        const startFailed = consumer.hasFinished;
        // The consumer factory's promise: it reads replies of this type.
        const finished = consumer.onFinished as Promise<T>;
        let result: T;
        try {
          result = await (limit.signal === undefined
            ? finished
            : abortable(finished, limit.signal));
        } catch (error) {
          if (limit.signal?.aborted) {
            // Its answer may still come: the connection can carry no other.
            connection.abort(limit.signal.reason);
            pool.release(connection, DISCARD);
          } else if (
            !this.#releaseFailed(connection, pool, consumer, startFailed, error)
          ) {
            throw error;
          }
          if (
            reused && closedUnanswered(consumer, error) &&
            attempt < this.#maxReconnect
          ) {
            closed = error as ConnectionClosedError;
            continue;
          }
          throw error;
        }
        this.#releaseAnswered(connection, pool, request, result);
        return result;
      }
    } finally {
      limit.clear();
      if (--this.#active === 0) this.#drained?.resolve();
    }
  }

  /**
   * Closes every pool: connects in progress and their backoff waits end,
   * and every request not yet answered fails with `ConnectionClosedError`;
   * then fires `finish`. Idempotent.
   *
   * @returns A promise settled once every request has settled and every
   * connection has closed.
   */
  close(): Promise<void> {
    return this.#closing ??= (async () => {
      // Usually one pool: no Promise.all, no array.
      if (this.#pools.size === 1) {
        for (const pool of this.#pools.values()) await pool.close();
      } else if (this.#pools.size > 1) {
        await Promise.all(
          [...this.#pools.values()].map((pool) => pool.close()),
        );
      }
      if (this.#active > 0) {
        this.#drained = Promise.withResolvers();
        await this.#drained.promise;
      }
      this.#isClosed = true;
      this.#closed?.resolve();
      this.fireEvent("finish", this);
    })();
  }

  /**
   * Closes the client, as `close()` does.
   *
   * @returns A promise settled once closed.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /**
   * Runs a new consumer for `request` on `connection`, both paths'. Watched
   * by `watcher` from before it is set: set on a connection already lost,
   * it finishes at once.
   */
  #startConsumer(
    connection: Connection,
    request: Request,
    watcher?: FinishWatcher,
  ): ProtocolConsumer {
    const consumer = this.buildConsumer(this.#consumerFactory);
    if (request.events !== undefined) {
      bindRequestEvents(consumer, request.events);
    }
    if (watcher !== undefined) consumer[kWatch](watcher);
    // Pipelined: the requests of this turn go out in one write.
    if (this.#pipelining > 1) connection[kCork]();
    connection.setConsumer(consumer);
    consumer.start(request);
    return consumer;
  }

  /**
   * The pool of `request`'s address and TLS settings, made if there is
   * none. A pool left empty (no connection, no waiter) is dropped, so that
   * pools of addresses no longer used do not pile up.
   *
   * @throws {ConnectionClosedError} If the client is closing.
   */
  #pool(request: Request): ConnectionPool {
    if (this.isClosing()) {
      throw new ConnectionClosedError(
        `Cannot send a request to ${
          makeTarget(request.address, request.tls).label
        }: ${this.#name} is closed`,
      );
    }
    // Most clients talk to one server: skip building the key when the
    // request goes where the last one went, without TLS options (an options
    // object may have changed since: it is read again each time).
    const { address, tls } = request;
    const last = this.#lastPool;
    if (
      last !== undefined && typeof tls !== "object" && last.tls === !!tls &&
      sameAddress(last.address, address) && !last.pool.isClosing()
    ) {
      return last.pool;
    }
    const target = makeTarget(address, tls);
    let pool = this.#pools.get(target.key);
    if (pool === undefined) {
      pool = new ConnectionPool({
        key: target.label,
        poolSize: this.#poolSize,
        pipelining: this.#pipelining,
        // The pool's own copy of the settings, never a request (nor its
        // body): each connection is opened with the settings of its pool.
        connect: (signal) => this.#connect(target, signal),
        onEmpty: (empty) => this.#dropPool(target.key, empty),
      });
      this.#pools.set(target.key, pool);
    }
    this.#lastPool = typeof tls === "object"
      ? undefined
      : { address: target.address, tls: !!tls, pool };
    return pool;
  }

  /** Forgets and closes a pool left empty; the next request makes another. */
  #dropPool(key: string, pool: ConnectionPool): void {
    if (this.isClosing() || this.#pools.get(key) !== pool) return;
    this.#pools.delete(key);
    if (this.#lastPool?.pool === pool) this.#lastPool = undefined;
    // Empty, it closes at once; closed, nothing can use it by mistake.
    pool.close();
  }

  /**
   * Opens a connection for a pool. A refused connection (the server
   * restarting, say) is retried with exponential backoff and jitter, until
   * `signal` aborts (the request's timeout or signal, or `close()`).
   */
  async #connect(target: Target, signal?: AbortSignal): Promise<Connection> {
    const reconnect = this.#reconnect;
    for (let retry = 0;; retry++) {
      try {
        // The client's hooks reach its connections (and, through
        // buildConsumer(), their consumers).
        const connection = this.buildConnection(++this.#numbered);
        await connect(() => connection, {
          ...this.#options,
          ...target.address,
          tls: target.tls,
          signal,
          onError: this.onError,
        });
        this.#sessions++;
        return connection;
      } catch (error) {
        const retriable = reconnect !== false &&
          error instanceof ConnectionRefusedError &&
          retry + 1 < reconnect.maxAttempts && !signal?.aborted;
        if (!retriable) throw error;
      }
      await sleep(backoff(reconnect, retry), signal);
    }
  }
}

/** The request's signal and time limit, as one signal. */
function requestDeadline(
  signal: AbortSignal | undefined,
  timeout: number,
  key: string,
): Deadline {
  return deadline(signal, timeout, () =>
    new TimeoutError(
      `Request to ${key} timed out after ${timeout} ms`,
    ));
}

/**
 * Whether `connection` has served or is serving other requests: a clean
 * close before any byte of an answer on it means the server closed a
 * connection it had accepted, not that it refused this request.
 */
function isReused(connection: Connection): boolean {
  return connection.processed > 0 || connection.consumersInFlight > 0;
}

/**
 * Whether `error`, which the request failed with, is an error reply: the
 * consumer finished with it (it was not cut short), after it had started,
 * and it is not one of the module's errors, which all mean a broken stream
 * (a `ProtocolError`, a `ConnectionClosedError`, a `TimeoutError`...).
 */
function isErrorReply(
  consumer: ProtocolConsumer,
  startFailed: boolean,
  error: unknown,
): boolean {
  return consumer.hasFinished && !startFailed && !(error instanceof NetError);
}

/**
 * Whether `error` is a clean close of the connection before any byte of
 * the consumer's answer arrived: the request may be retried.
 */
function closedUnanswered(consumer: ProtocolConsumer, error: unknown): boolean {
  return error instanceof ConnectionClosedError && error.cause === undefined &&
    consumer.bytesReceived === 0;
}

/**
 * A request on `response()`'s common path (no signal, no time limit): its
 * promise, and what settles it once its consumer finishes.
 */
class Flight implements FinishWatcher {
  readonly request: Request;
  readonly pool: ConnectionPool;
  readonly promise: Promise<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
  connection!: Connection;
  /** Set once the consumer's `start()` has returned. */
  consumer!: ProtocolConsumer;
  /** Whether the connection had served or was serving other requests. */
  reused = false;
  /** Whether the consumer finished while it started. */
  startFailed = false;
  /** Whether the consumer has finished, with `result` or `error`. */
  done = false;
  result: unknown;
  error: unknown;
  #landed: (flight: Flight) => void;

  constructor(
    request: Request,
    pool: ConnectionPool,
    landed: (flight: Flight) => void,
  ) {
    this.request = request;
    this.pool = pool;
    const { promise, resolve, reject } = Promise.withResolvers<unknown>();
    this.promise = promise;
    this.resolve = resolve;
    this.reject = reject;
    this.#landed = landed;
  }

  consumerFinished(_consumer: unknown, result: unknown, error: unknown): void {
    this.done = true;
    this.result = result;
    this.error = error;
    // Finished while it started: its client looks once start() returned.
    if (this.consumer !== undefined) this.#landed(this);
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function sameAddress(a: TargetAddress, b: RequestAddress): boolean {
  if ("path" in a) return "path" in b && a.path === b.path;
  return !("path" in b) && a.port === b.port &&
    a.hostname === (b.hostname ?? "127.0.0.1");
}

/** The wait before retry `retry` (0 for the first): std's formula. */
function backoff(options: Required<ReconnectOptions>, retry: number): number {
  const { minTimeout, maxTimeout, multiplier, jitter } = options;
  const wait = Math.min(maxTimeout, minTimeout * multiplier ** retry);
  return (1 - jitter * Math.random()) * wait;
}

/**
 * A request written on a corked connection is still held in it until the
 * end of the turn: if its signal aborts meanwhile, the connection is aborted
 * at once, so its bytes (and the turn's others, which then fail with the
 * connection) are never sent.
 */
function abortWhileCorked(connection: Connection, signal: AbortSignal): void {
  const onAbort = () => {
    if (connection[kCorked]) connection.abort(signal.reason);
  };
  signal.addEventListener("abort", onAbort, { once: true });
  queueMicrotask(() => signal.removeEventListener("abort", onAbort));
}

/** Waits `ms` milliseconds; rejects with the signal's reason if it aborts. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    signal?.throwIfAborted();
    const onAbort = () => {
      timer.clear();
      reject(signal!.reason);
    };
    const timer = setTimer(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** The options of a `Client`, checked, with their defaults. */
interface CheckedClientOptions {
  consumerFactory: ConsumerFactory;
  connectionFactory: ConnectionFactory | undefined;
  poolSize: number;
  pipelining: number;
  timeout: number;
  maxReconnect: number;
  idleTimeout: number;
  name: string;
  reconnect: Required<ReconnectOptions> | false;
  onError: ErrorHandler | undefined;
}

function checkClientOptions(options: unknown): CheckedClientOptions {
  const given = checkObject<ClientOptions>("options", options);
  checkSocketTransportOptions(given);
  return {
    consumerFactory: checkFunction<ConsumerFactory>(
      "consumerFactory",
      given.consumerFactory,
    ),
    connectionFactory: given.connectionFactory === undefined
      ? undefined
      : checkFunction<ConnectionFactory>(
        "connectionFactory",
        given.connectionFactory,
      ),
    poolSize: given.poolSize === undefined
      ? 10
      : checkInteger("poolSize", given.poolSize, 1),
    pipelining: given.pipelining === undefined
      ? 1
      : checkInteger("pipelining", given.pipelining, 1),
    timeout: given.timeout === undefined
      ? 0
      : checkDuration("timeout", given.timeout),
    maxReconnect: given.maxReconnect === undefined
      ? 1
      : checkInteger("maxReconnect", given.maxReconnect, 0),
    idleTimeout: given.idleTimeout === undefined
      ? 0
      : checkDuration("idleTimeout", given.idleTimeout),
    name: given.name === undefined ? "client" : checkString("name", given.name),
    reconnect: checkReconnect(given.reconnect),
    onError: given.onError === undefined
      ? undefined
      : checkFunction<ErrorHandler>("onError", given.onError),
  };
}

function checkReconnect(value: unknown): Required<ReconnectOptions> | false {
  if (value === undefined) return DEFAULT_RECONNECT;
  if (value === false) return false;
  if (typeof value !== "object" || value === null) {
    throw new TypeError(
      `Cannot use reconnect ${describe(value)}: it must be false or an object`,
    );
  }
  const given = value as ReconnectOptions;
  const d = DEFAULT_RECONNECT;
  const minTimeout = given.minTimeout === undefined
    ? d.minTimeout
    : checkDuration("reconnect.minTimeout", given.minTimeout);
  const options: Required<ReconnectOptions> = {
    maxAttempts: given.maxAttempts === undefined
      ? d.maxAttempts
      : checkInteger("reconnect.maxAttempts", given.maxAttempts, 1),
    minTimeout,
    // A longer first wait than the default cap raises the cap with it.
    maxTimeout: given.maxTimeout === undefined
      ? Math.max(d.maxTimeout, minTimeout)
      : checkDuration("reconnect.maxTimeout", given.maxTimeout),
    multiplier: given.multiplier === undefined ? d.multiplier : checkNumber(
      "reconnect.multiplier",
      given.multiplier,
      1,
      Infinity,
      "1 or more",
    ),
    jitter: given.jitter === undefined
      ? d.jitter
      : checkNumber("reconnect.jitter", given.jitter, 0, 1, "from 0 to 1"),
  };
  if (options.maxTimeout < options.minTimeout) {
    throw new RangeError(
      `Cannot use reconnect.maxTimeout ${
        describe(options.maxTimeout)
      }: it must be at least reconnect.minTimeout ${
        describe(options.minTimeout)
      }`,
    );
  }
  return options;
}

/** Checks a finite number within `[min, max]` (`max` may be `Infinity`). */
function checkNumber(
  name: string,
  value: unknown,
  min: number,
  max: number,
  expected: string,
): number {
  if (typeof value !== "number") {
    throw new TypeError(
      `Cannot use ${name} ${describe(value)}: it must be a number`,
    );
  }
  if (!(value >= min && value <= max) || !Number.isFinite(value)) {
    throw new RangeError(
      `Cannot use ${name} ${describe(value)}: it must be a number ${expected}`,
    );
  }
  return value;
}

function bindRequestEvents(
  consumer: ProtocolConsumer,
  events: RequestEvents,
): void {
  for (const [name, handler] of Object.entries(events)) {
    if (handler === undefined) continue;
    // Every request event has a consumer owner; their data types differ.
    consumer.bindEvent(
      name as "preRequest",
      handler as EventCallback<ProtocolConsumer, unknown>,
    );
  }
}
