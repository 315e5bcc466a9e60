// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * `Client`: sends requests over pooled connections, one consumer each.
 *
 * @module
 */

import { abortable } from "@std/async/abortable";
import { retry, RetryError } from "@std/async/retry";
import { deadline } from "../internal/deadline.ts";
import {
  ConnectionClosedError,
  ConnectionRefusedError,
  TimeoutError,
} from "../errors.ts";
import type { Connection } from "../protocols/connection.ts";
import type { EventCallback } from "../protocols/events.ts";
import type {
  ConsumerFactory,
  ProtocolConsumer,
} from "../protocols/protocol_consumer.ts";
import { ConnectionProducer } from "../producers/connection_producer.ts";
import {
  type ConnectionFactory,
  PRODUCER_HOOKS,
  type ProducerEvents,
} from "../producers/producer.ts";
import { connect } from "../transports/connect.ts";
import type { SocketTransportOptions } from "../transports/socket_transport.ts";
import { ConnectionPool } from "./connection_pool.ts";
import type { Request, RequestEvents } from "./request.ts";

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
   * The most connections per address (per pool).
   *
   * @default {10}
   */
  poolSize?: number;
  /**
   * Milliseconds for a whole request (waiting for a connection, connecting
   * and the response) before it fails with `TimeoutError`; 0 for no limit.
   * A request's own `timeout` overrides it.
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
   * Idle timeout of pooled connections in milliseconds; 0 for none.
   *
   * @default {0}
   */
  keepAlive?: number;
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
   * `timeout` and `signal`; `false` to fail at once.
   *
   * @default {{ maxAttempts: 4, minTimeout: 25, maxTimeout: 1000, multiplier: 2, jitter: 1 }}
   */
  reconnect?: ReconnectOptions | false;
}

/** How a `Client` retries a refused connection: exponential backoff. */
export interface ReconnectOptions {
  /**
   * Attempts in all, the first included.
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
   * The longest wait between attempts, in milliseconds.
   *
   * @default {1000}
   */
  maxTimeout?: number;
  /**
   * By how much each wait grows.
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
 * A pooled connection found closed by the server before any byte of the
 * response arrived is retried on a new one, at most `maxReconnect` times. A
 * reset or any other failure mid-request is never retried (the request may
 * have had effects): it fails with `ConnectionClosedError`, cause attached.
 *
 * @typeParam Res The result type of the consumers.
 *
 * @example A client for a server that answers "ok"
 * ```ts
 * import { Client, Request } from "@pulsar/net/clients";
 * import { ProtocolConsumer } from "@pulsar/net/protocols";
 * import { assertEquals } from "@std/assert";
 *
 * class Reply extends ProtocolConsumer<Request, string> {
 *   override dataReceived(data: Uint8Array): void {
 *     this.finished(new TextDecoder().decode(data));
 *   }
 * }
 *
 * await using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * (async () => {
 *   using conn = await listener.accept();
 *   await conn.read(new Uint8Array(16));
 *   await conn.write(new TextEncoder().encode("ok"));
 * })();
 * await using client = new Client<string>({ consumerFactory: () => new Reply() });
 * const request = new Request({ port: listener.addr.port }, { data: "hi" });
 * assertEquals(await client.response(request), "ok");
 * assertEquals(client.requestsProcessed, 1);
 * ```
 */
export class Client<Res = unknown>
  extends ConnectionProducer<ClientEvents, "finish"> {
  #options: ClientOptions;
  #name: string;
  #poolSize: number;
  #maxReconnect: number;
  #pools = new Map<string, ConnectionPool>();
  #lastPool:
    | Pick<Request, "address" | "tls" | "timeout"> & { pool: ConnectionPool }
    | undefined;
  #requestsProcessed = 0;
  #closing: Promise<void> | undefined;

  /**
   * Builds a client; connections open on demand.
   *
   * @param options `consumerFactory`, `poolSize`, `timeout`, `maxReconnect`,
   * `keepAlive`, `name` and transport options.
   * @throws {RangeError} If a number is out of range.
   */
  constructor(options: ClientOptions) {
    super(
      {
        connectionFactory: options.connectionFactory,
        timeout: options.keepAlive ?? 0,
      },
      { oneTime: ["finish"], manyTimes: PRODUCER_HOOKS },
    );
    const { poolSize = 10, maxReconnect = 1, timeout = 0 } = options;
    if (!Number.isSafeInteger(maxReconnect) || maxReconnect < 0) {
      throw new RangeError(
        `Cannot use maxReconnect "${maxReconnect}": it must be a ` +
          "non-negative integer",
      );
    }
    if (!(timeout >= 0)) {
      throw new RangeError(
        `Cannot use timeout "${timeout}": it must be a non-negative number`,
      );
    }
    this.#options = options;
    this.#name = options.name ?? "client";
    this.#poolSize = poolSize;
    this.#maxReconnect = maxReconnect;
  }

  /** The client's name, for messages. */
  get name(): string {
    return this.#name;
  }

  /** The pools, by request key. */
  get connectionPools(): ReadonlyMap<string, ConnectionPool> {
    return this.#pools;
  }

  /** The connections opened, summed over the pools. */
  override get sessions(): number {
    let total = 0;
    for (const pool of this.#pools.values()) total += pool.sessions;
    return total;
  }

  /** The requests that got their response. */
  override get requestsProcessed(): number {
    return this.#requestsProcessed;
  }

  /** The connections in use, summed over the pools. */
  override get concurrentConnections(): number {
    let total = 0;
    for (const pool of this.#pools.values()) total += pool.inUse;
    return total;
  }

  /** The idle connections, summed over the pools. */
  get availableConnections(): number {
    let total = 0;
    for (const pool of this.#pools.values()) total += pool.available;
    return total;
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /**
   * Sends a request: what subclasses implement, building a `Request` and
   * returning `this.response(request)`.
   *
   * @param _args The subclass's arguments.
   * @returns The response.
   * @throws {TypeError} Always, in this base class.
   */
  request(..._args: unknown[]): Promise<Res> {
    return Promise.reject(
      new TypeError(
        `Cannot send a request with ${this.constructor.name}: ` +
          "a subclass implements request()",
      ),
    );
  }

  /**
   * Runs `request` on a pooled connection with a new consumer and resolves
   * with the consumer's result.
   *
   * @param request The request.
   * @returns The consumer's result.
   * @throws {TimeoutError} If the request's (or the client's) timeout
   * elapses first.
   * @throws {ConnectionRefusedError} If no connection could be opened.
   * @throws {ConnectionClosedError} If the connection was lost mid-request,
   * or the client is closed.
   */
  async response(request: Request): Promise<Res> {
    if (this.closed) {
      throw new ConnectionClosedError(
        `Cannot send a request to ${request.key}: ${this.#name} is closed`,
      );
    }
    const timeout = request.timeout || this.#options.timeout || 0;
    const limit = deadline(request.signal, timeout, () =>
      new TimeoutError(
        `Request to ${request.key} timed out after ${timeout} ms`,
      ));
    try {
      const pool = this.#pool(request);
      let closed: ConnectionClosedError | undefined;
      for (let attempt = 0;; attempt++) {
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
        const reused = connection.processed > 0;
        const received = connection.bytesReceived;
        let result: Res;
        try {
          result = await this.#start(connection, request, limit.signal);
        } catch (error) {
          if (limit.signal?.aborted) connection.abort(limit.signal.reason);
          pool.release(connection, DISCARD);
          const closedUnanswered = error instanceof ConnectionClosedError &&
            error.cause === undefined &&
            connection.bytesReceived === received;
          if (reused && closedUnanswered && attempt < this.#maxReconnect) {
            closed = error;
            continue;
          }
          throw error;
        }
        this.#requestsProcessed++;
        if (request.releaseConnection) {
          const reuse = this.canReuseConnection(connection, result);
          pool.release(connection, reuse ? undefined : DISCARD);
        }
        return result;
      }
    } finally {
      limit.clear();
    }
  }

  /**
   * Closes every pool (in-flight requests fail with
   * `ConnectionClosedError`), then fires `finish`. Idempotent.
   *
   * @returns A promise settled once every connection has closed.
   */
  close(): Promise<void> {
    return this.#closing ??= (async () => {
      await Promise.all([...this.#pools.values()].map((pool) => pool.close()));
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

  /** Runs a new consumer for `request`; returns the promise of its result. */
  #start(
    connection: Connection,
    request: Request,
    signal: AbortSignal | undefined,
  ): Promise<Res> {
    const consumer = this.buildConsumer(this.#options.consumerFactory);
    if (request.events !== undefined) {
      bindRequestEvents(consumer, request.events);
    }
    connection.setConsumer(consumer);
    consumer.start(request);
    const finished = consumer.onFinished as Promise<Res>;
    // Only a request with a time limit or a signal can be cut short.
    return signal === undefined
      ? finished
      : abortable(finished, signal) as Promise<Res>;
  }

  #pool(request: Request): ConnectionPool {
    // Most clients talk to one server: skip building the key when the
    // request goes where the last one went.
    const last = this.#lastPool;
    if (
      last !== undefined && last.address === request.address &&
      last.tls === request.tls && last.timeout === request.timeout &&
      !last.pool.closed
    ) {
      return last.pool;
    }
    const pool = this.#poolFor(request);
    this.#lastPool = {
      address: request.address,
      tls: request.tls,
      timeout: request.timeout,
      pool,
    };
    return pool;
  }

  #poolFor(request: Request): ConnectionPool {
    const key = request.key;
    let pool = this.#pools.get(key);
    if (pool === undefined) {
      pool = new ConnectionPool({
        key,
        poolSize: this.#poolSize,
        connect: (signal) => this.#connect(request, signal),
      });
      this.#pools.set(key, pool);
    }
    return pool;
  }

  /**
   * Opens a connection for `request`'s pool. A refused connection (the
   * server restarting, say) is retried with exponential backoff and jitter,
   * within the request's timeout and signal.
   */
  async #connect(request: Request, signal?: AbortSignal): Promise<Connection> {
    const attempt = () => {
      signal?.throwIfAborted();
      return this.#connectOnce(request, signal);
    };
    const reconnect = this.#options.reconnect ?? DEFAULT_RECONNECT;
    if (reconnect === false) return await attempt();
    // Not a literal: `signal` (which cuts a backoff wait short) is an option
    // of recent std releases only; older ones ignore it, and the request
    // still ends on time through `abortable`.
    const options = {
      ...DEFAULT_RECONNECT,
      ...reconnect,
      signal,
      isRetriable: (error: unknown) => error instanceof ConnectionRefusedError,
    };
    try {
      const retrying: Promise<Connection> = retry(attempt, options);
      return await (signal ? abortable(retrying, signal) : retrying);
    } catch (error) {
      // Out of attempts: the last refusal says more than "retry failed".
      throw error instanceof RetryError ? (error as Error).cause : error;
    }
  }

  async #connectOnce(
    request: Request,
    signal?: AbortSignal,
  ): Promise<Connection> {
    const connection = this.newConnection();
    try {
      await connect(() => connection, {
        ...this.#options,
        ...request.address,
        tls: request.tls,
        timeout: 0,
        signal,
      });
    } catch (error) {
      this.forgetConnection(connection);
      throw error;
    }
    return connection;
  }
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
