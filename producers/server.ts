// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * `Server`: a TCP, Unix or TLS server running one consumer per request.
 *
 * @module
 */

import { type ErrorHandler, TimeoutError } from "../errors.ts";
import { settlesWithin } from "../internal/timer.ts";
import {
  checkDuration,
  checkFunction,
  checkInteger,
  checkObject,
  checkString,
} from "../internal/validate.ts";
import type { Connection } from "../protocols/connection.ts";
import type { EventNames } from "../protocols/events.ts";
import type { ConsumerFactory } from "../protocols/protocol_consumer.ts";
import {
  listen,
  type SocketListener,
  type TlsServerOptions,
} from "../transports/listen.ts";
import {
  checkSocketTransportOptions,
  type SocketTransportOptions,
} from "../transports/socket_transport.ts";
import { formatAddress } from "../transports/format_address.ts";
import {
  checkListenAddress,
  checkTlsServerOptions,
  refuseTlsOverUnix,
} from "../transports/_options.ts";
import { checkCloseOptions } from "./_close_options.ts";
import { ConnectionProducer } from "./connection_producer.ts";
import type { ConnectionFactory, ProducerEvents } from "./producer.ts";

/**
 * The events of a server: one-time `start` and `stop` (data: the server),
 * and the many-times producer hooks, which reach every connection and
 * consumer it creates.
 */
export type ServerEvents = ProducerEvents & {
  start: [owner: Server, data: Server];
  stop: [owner: Server, data: Server];
};

const SERVER_EVENT_NAMES: EventNames<ServerEvents, "start" | "stop"> = {
  oneTime: ["start", "stop"],
  manyTimes: [],
};

/** Options of a `Server`. */
export interface ServerOptions extends SocketTransportOptions {
  /** Builds the consumer for each request. */
  consumerFactory: ConsumerFactory;
  /**
   * The address to listen on (TCP and TLS).
   *
   * @default {"127.0.0.1"}
   */
  hostname?: string;
  /**
   * The port to listen on; 0 picks a free one (see `localAddr`).
   *
   * @default {0}
   */
  port?: number;
  /** A Unix socket path to listen on, instead of a host and port. */
  path?: string;
  /**
   * Serve TLS with this certificate and key. Not with `path`: Deno's TLS
   * runs over TCP only.
   */
  tls?: TlsServerOptions;
  /**
   * Idle timeout of each connection in milliseconds: a connection that has
   * read nothing, and finished no request, for this long is closed. 0 or
   * `Infinity` for none (no timer is armed).
   *
   * @default {15000}
   */
  idleTimeout?: number;
  /**
   * The most connections open at once, an integer; 0 or `Infinity` for no
   * limit. At the limit the server stops accepting (clients wait in the
   * listen backlog) and resumes when a connection ends.
   *
   * @default {0}
   */
  maxConnections?: number;
  /**
   * The listen backlog, 1 or more.
   *
   * @default {511}
   */
  backlog?: number;
  /**
   * Share the TCP (or TLS) port with other listeners (`SO_REUSEPORT`): on
   * Linux the kernel spreads new connections over them. `serveWorkers()`
   * sets it for its workers. Needs Deno's `--unstable-net`; not with
   * `path`.
   *
   * @default {false}
   */
  reusePort?: boolean;
  /**
   * A name for messages.
   *
   * @default {"server"}
   */
  name?: string;
  /** Builds each connection. */
  connectionFactory?: ConnectionFactory;
  /**
   * Receives the errors of user code that has no caller, with the peer's
   * address: handlers of the server's events and hooks (source
   * `event <name>`), the consumer factory and consumers' `dataReceived` and
   * `connectionLost` (each costs its connection only, never the server);
   * and, through `listen()`, the listener's own. Without it, each is one
   * `console.error` line.
   */
  onError?: ErrorHandler;
}

/** Options of `Server.close()`. */
export interface ServerCloseOptions {
  /**
   * Milliseconds to let in-flight requests finish before their connections
   * are aborted: 0 aborts them at once, `Infinity` waits as long as they
   * take. Delays past 2^31−1 ms are waited out in full (never cut short).
   *
   * @default {10000}
   */
  gracePeriod?: number;
}

/**
 * A stream server (TCP, Unix or TLS, by options): each connection runs one
 * `ProtocolConsumer` per request, built with `consumerFactory`. Hooks bound
 * on the server reach every connection and consumer it creates, including
 * ones created after binding.
 *
 * @example A server that answers every message with "ok"
 * ```ts
 * import { Server } from "@pulsar/net/producers";
 * import { ProtocolConsumer } from "@pulsar/net/protocols";
 * import { assertEquals } from "@std/assert";
 *
 * class Ok extends ProtocolConsumer {
 *   override dataReceived(): void {
 *     this.transport!.write(new TextEncoder().encode("ok"));
 *     this.finished();
 *   }
 * }
 *
 * await using server = new Server({ consumerFactory: () => new Ok() });
 * await server.start();
 * using conn = await Deno.connect({ port: server.port });
 * await conn.write(new Uint8Array([1]));
 * const buf = new Uint8Array(2);
 * await conn.read(buf);
 * assertEquals(new TextDecoder().decode(buf), "ok");
 * ```
 */
export class Server extends ConnectionProducer<ServerEvents, "start" | "stop"> {
  /** The server's name, for messages. */
  readonly name: string;
  /** The factory of the consumers. */
  readonly consumerFactory: ConsumerFactory;
  /**
   * The most connections open at once; 0 or `Infinity` for no limit. At the
   * limit the server stops accepting until a connection ends.
   */
  readonly maxConnections: number;
  #options: ServerOptions;
  #listener: SocketListener<Connection> | undefined;
  #closing: Promise<void> | undefined;
  #closed = Promise.withResolvers<void>();

  /**
   * Builds a server; `start()` makes it listen.
   *
   * @param options `consumerFactory`, the address, `tls`, `idleTimeout`,
   * `maxConnections`, `backlog`, `name`, `onError` and transport options. Every option
   * is checked here.
   * @throws {TypeError} If `consumerFactory` (or `connectionFactory`, or
   * `onError`) is not a function, another option has the wrong type, or both `path` and `tls`
   * are given (Deno's TLS runs over TCP only), or `path` and `reusePort`.
   * @throws {RangeError} If a number is out of range: `idleTimeout` `NaN` or
   * negative, `maxConnections` not an integer of 0 or more, `port` not from
   * 0 to 65535, `backlog` not 1 or more, `readSize` not from 1 to 16 MiB,
   * `writeBufferLimits` with `low` above `high`.
   */
  constructor(options: ServerOptions) {
    checkServerOptions(options);
    super(
      {
        connectionFactory: options.connectionFactory,
        idleTimeout: options.idleTimeout ?? 15000,
        onError: options.onError,
      },
      SERVER_EVENT_NAMES,
    );
    this.#options = options;
    this.name = options.name ?? "server";
    this.consumerFactory = options.consumerFactory;
    this.maxConnections = options.maxConnections ?? 0;
  }

  /**
   * The bound address, once started.
   *
   * @throws {Error} If the server has not started.
   */
  get localAddr(): Deno.Addr {
    if (this.#listener === undefined) {
      throw new Error(`Cannot get the address of ${this.name}: not started`);
    }
    return this.#listener.localAddr;
  }

  /**
   * The bound port, once started on TCP.
   *
   * @throws {Error} If the server has not started, or listens on a Unix
   * socket.
   */
  get port(): number {
    const address = this.localAddr;
    if (!("port" in address)) {
      throw new Error(
        `Cannot get the port of ${this.name}: it listens on ${
          formatAddress(address)
        }`,
      );
    }
    return address.port;
  }

  /**
   * Whether the server is accepting connections: false before `start()`,
   * at `maxConnections`, and once closing.
   */
  get accepting(): boolean {
    return this.#listener?.isAccepting() ?? false;
  }

  /**
   * Settles (never rejects) once `close()` has finished: every connection
   * closed and `stop` fired. Pending until `close()` is called.
   */
  get closed(): Promise<void> {
    return this.#closed.promise;
  }

  /**
   * Starts listening and fires `start`. Idempotent.
   *
   * @returns A promise settled once listening; it rejects (`start()` never
   * throws).
   * @throws {AddrInUseError} If the address is taken.
   * @throws {ListenError} If it cannot listen for another reason (an address
   * that is not local, a directory or an over-long Unix socket path, a bad
   * certificate or key, `reusePort` without Deno's `--unstable-net`);
   * `cause` is Deno's error.
   * @throws {Error} If the server was closed.
   */
  start(): Promise<void> {
    if (this.#closing !== undefined) {
      return Promise.reject(
        new Error(`Cannot start ${this.name}: it was closed`),
      );
    }
    if (this.#listener === undefined) {
      try {
        this.#listener = listen(() => this.#accept(), this.#options);
      } catch (error) {
        return Promise.reject(error);
      }
      this.fireEvent("start", this);
    }
    return Promise.resolve();
  }

  /**
   * Stops accepting, lets in-flight requests finish for up to `gracePeriod`
   * milliseconds (idle connections close at once, busy ones when their
   * request finishes), then aborts what remains with a `TimeoutError`, and
   * fires `stop`. Idempotent: later calls return the same promise.
   *
   * @param options `gracePeriod`.
   * @returns A promise settled once every connection has closed.
   * @throws {RangeError} If `gracePeriod` is `NaN` or negative (the promise
   * rejects, and the server is not closed).
   * @throws {TypeError} If `gracePeriod` is not a number.
   */
  close(options: ServerCloseOptions = {}): Promise<void> {
    let timeout: number;
    try {
      timeout = checkCloseOptions(options);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#closing ??= this.#close(timeout);
  }

  /**
   * Closes the server, as `close()` does.
   *
   * @returns A promise settled once closed.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /**
   * Stops tracking a lost connection, and accepts again if the server was
   * at `maxConnections`.
   *
   * @param connection The connection lost.
   */
  override forgetConnection(connection: Connection): void {
    super.forgetConnection(connection);
    const max = this.maxConnections;
    if (max > 0 && this.concurrentConnections < max && !this.#closing) {
      this.#listener?.resumeAccepting();
    }
  }

  /** Builds the connection (the protocol) for an accepted socket. */
  #accept(): Connection {
    const connection = this.newConnection(this.consumerFactory);
    const max = this.maxConnections;
    if (max > 0 && this.concurrentConnections >= max) {
      this.#listener?.pauseAccepting();
    }
    // The listener builds the transport right after this returns, in the
    // same turn, and the transport calls connectionMade, which sets
    // `connection.transport`. If building it fails (the socket is then
    // closed) the connection gets neither connectionMade nor connectionLost:
    // forget it, or it would count as open for ever, the server would stop
    // accepting at maxConnections and close() would never settle.
    queueMicrotask(() => {
      if (connection.transport === undefined) {
        this.forgetConnection(connection);
      }
    });
    return connection;
  }

  async #close(timeout: number): Promise<void> {
    await this.#listener?.close();
    for (const connection of this.connections) {
      const consumer = connection.currentConsumer;
      if (consumer === undefined || consumer.hasFinished) connection.close();
      else consumer.bindEvent("postRequest", () => connection.close());
    }
    const closed = Promise.all([...this.connections].map((c) => c.closed));
    // Through setTimer: Infinity waits for ever, no delay is cut short.
    if (!await settlesWithin(closed, timeout)) {
      const error = new TimeoutError(
        `Server ${this.name} closed with requests still in flight after ` +
          `${timeout} ms`,
      );
      for (const connection of this.connections) connection.abort(error);
      await closed;
    }
    this.fireEvent("stop", this);
    this.#closed.resolve();
  }
}

/** Checks every option of a server, so a bad one never reaches `start()`. */
function checkServerOptions(options: ServerOptions): void {
  checkObject("options", options);
  checkFunction("consumerFactory", options.consumerFactory);
  if (options.connectionFactory !== undefined) {
    checkFunction("connectionFactory", options.connectionFactory);
  }
  checkListenAddress(options);
  if (options.tls !== undefined) checkTlsServerOptions(options.tls);
  refuseTlsOverUnix("serve on", options.path, options.tls);
  if (options.idleTimeout !== undefined) {
    checkDuration("idleTimeout", options.idleTimeout);
  }
  if (options.maxConnections !== undefined) {
    checkInteger("maxConnections", options.maxConnections, 0, Infinity);
  }
  if (options.name !== undefined) checkString("name", options.name);
  if (options.onError !== undefined) checkFunction("onError", options.onError);
  checkSocketTransportOptions(options);
}
