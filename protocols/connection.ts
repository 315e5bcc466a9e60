// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * `Connection`: the protocol between a transport and its request consumers.
 *
 * @module
 */

import { ProtocolError, TimeoutError } from "../errors.ts";
import { formatAddress } from "../transports/_address.ts";
import type {
  ProtocolInterface,
  SocketTransport,
} from "../transports/socket_transport.ts";
import { kAttach, kFinished } from "./_internal.ts";
import { EventHandler, type EventNames } from "./events.ts";
import type {
  ConsumerConnection,
  ConsumerFactory,
  ProducerInterface,
  ProtocolConsumer,
} from "./protocol_consumer.ts";

/**
 * The events of a connection, both one-time: `connectionMade` (data: the
 * transport) and `connectionLost` (data: the error, if any).
 */
export type ConnectionEvents = {
  connectionMade: [owner: Connection, data: SocketTransport];
  connectionLost: [owner: Connection, data: Error | undefined];
};

/** The one-time events of a connection: all of them. */
export type ConnectionOneTimeEvents = "connectionMade" | "connectionLost";

const CONNECTION_EVENTS: EventNames<
  ConnectionEvents,
  ConnectionOneTimeEvents
> = {
  oneTime: ["connectionMade", "connectionLost"],
  manyTimes: [],
};

/** Options of a `Connection`. */
export interface ConnectionOptions {
  /** Builds the consumer for each request read (server side). */
  consumerFactory?: ConsumerFactory;
  /**
   * The connection's number, given by its producer: its count of
   * connections so far.
   *
   * @default {1}
   */
  session?: number;
  /** The producer that made the connection; it builds the consumers. */
  producer?: ProducerInterface;
  /**
   * Idle timeout in milliseconds: the connection closes when nothing was
   * read, and no consumer finished, for this long (it is aborted with a
   * `TimeoutError` if the peer does not read what it was sent either). 0 for
   * none.
   *
   * @default {0}
   */
  timeout?: number;
}

/**
 * The protocol between a stream transport and the current
 * `ProtocolConsumer`, one consumer per request:
 *
 * - bytes read go to the current consumer, built with the consumer factory
 *   when there is none; the bytes a finished consumer did not use go to the
 *   next one, so pipelined requests are served in order;
 * - an idle timeout closes a silent connection;
 * - while the transport's writing is paused (its buffer above the high
 *   mark), reading is paused too, so a peer that sends without reading
 *   cannot grow memory without bound;
 * - a lost connection reaches the current consumer, which then fails with
 *   `ConnectionClosedError` if it had not finished.
 *
 * @example A server connection per accepted socket
 * ```ts
 * import { connect, listen } from "@pulsar/net/transports";
 * import { Connection, Protocol, ProtocolConsumer } from "@pulsar/net/protocols";
 * import { assertEquals } from "@std/assert";
 *
 * class Upper extends ProtocolConsumer {
 *   override dataReceived(data: Uint8Array): Uint8Array | void {
 *     const text = new TextDecoder().decode(data).toUpperCase();
 *     this.transport!.write(new TextEncoder().encode(text));
 *     this.finished();
 *   }
 * }
 * class Reply extends Protocol {
 *   text = Promise.withResolvers<string>();
 *   override dataReceived(data: Uint8Array): void {
 *     this.text.resolve(new TextDecoder().decode(data));
 *   }
 * }
 *
 * await using listener = listen(
 *   () => new Connection({ consumerFactory: () => new Upper() }),
 *   { port: 0 },
 * );
 * const [transport, reply] = await connect(() => new Reply(), {
 *   port: listener.addr.port,
 * });
 * transport.write(new TextEncoder().encode("hello"));
 * assertEquals(await reply.text.promise, "HELLO");
 * transport.close();
 * await transport.closed;
 * ```
 */
export class Connection
  extends EventHandler<ConnectionEvents, ConnectionOneTimeEvents>
  implements ProtocolInterface, ConsumerConnection {
  #session: number;
  #producer: ProducerInterface | undefined;
  #consumerFactory: ConsumerFactory | undefined;
  #timeout: number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #lastActivity = 0;
  #transport: SocketTransport | undefined;
  #current: ProtocolConsumer | undefined;
  #processed = 0;
  #bytesReceived = 0;
  #lost = false;
  #writePaused = false;
  /** Bytes read but held back while writing is paused. */
  #held: Uint8Array | undefined;
  /** Made on first use of `closed`: most connections are never awaited. */
  #closed: PromiseWithResolvers<void> | undefined;

  /**
   * Builds a connection, to be given to a transport.
   *
   * @param options The consumer factory, session, producer and idle timeout.
   * @throws {RangeError} If `timeout` is negative or not a number.
   */
  constructor(options: ConnectionOptions = {}) {
    super(CONNECTION_EVENTS);
    const { session = 1, producer, consumerFactory, timeout = 0 } = options;
    if (!(timeout >= 0)) {
      throw new RangeError(
        `Cannot use timeout "${timeout}": it must be a non-negative number`,
      );
    }
    this.#session = session;
    this.#producer = producer;
    this.#consumerFactory = consumerFactory;
    this.#timeout = timeout;
  }

  /** The connection's number, given by its producer. */
  get session(): number {
    return this.#session;
  }

  /** The producer that made the connection, if any. */
  get producer(): ProducerInterface | undefined {
    return this.#producer;
  }

  /** The transport, once connected. */
  get transport(): SocketTransport | undefined {
    return this.#transport;
  }

  /** The peer's address, once connected. */
  get address(): Deno.Addr | undefined {
    return this.#transport?.remoteAddr;
  }

  /** The number of consumers that have finished on this connection. */
  get processed(): number {
    return this.#processed;
  }

  /** The bytes read on this connection so far. */
  get bytesReceived(): number {
    return this.#bytesReceived;
  }

  /** The consumer handling the current request, if any. */
  get currentConsumer(): ProtocolConsumer | undefined {
    return this.#current;
  }

  /** The factory of the consumers this connection builds. */
  get consumerFactory(): ConsumerFactory | undefined {
    return this.#consumerFactory;
  }

  /** The idle timeout in milliseconds; 0 for none. */
  get timeout(): number {
    return this.#timeout;
  }

  /** Whether the connection has been lost. */
  get isClosed(): boolean {
    return this.#lost;
  }

  /** Settles (never rejects) once the connection has been lost. */
  get closed(): Promise<void> {
    if (this.#closed === undefined) {
      this.#closed = Promise.withResolvers();
      if (this.#lost) this.#closed.resolve();
    }
    return this.#closed.promise;
  }

  /**
   * Called by the transport once connected: keeps it, arms the idle timer
   * and fires `connectionMade`.
   *
   * @param transport The transport.
   */
  connectionMade(transport: SocketTransport): void {
    this.#transport = transport;
    if (this.#timeout > 0) {
      this.#lastActivity = Date.now();
      this.#timer = setTimeout(this.#onIdle, this.#timeout);
    }
    this.fireEvent("connectionMade", transport);
  }

  /**
   * Hands bytes to the current consumer, building one if needed; the bytes a
   * finished consumer returns go to the next one.
   *
   * @param data The bytes read.
   * @throws {ProtocolError} If a consumer returns bytes without having
   * finished (the transport then aborts the connection).
   */
  dataReceived(data: Uint8Array): void {
    if (this.#timeout > 0) this.#lastActivity = Date.now();
    this.#bytesReceived += data.length;
    this.#feed(data);
  }

  #feed(data: Uint8Array): void {
    let chunk: Uint8Array | void = data;
    while (chunk !== undefined && chunk.length > 0) {
      if (this.#writePaused) {
        // The peer is not reading our answers: hold the rest of its
        // requests until it does.
        this.#held = chunk;
        return;
      }
      // Closing (a consumer or a shutdown closed it): serve no more.
      if (this.#transport?.isClosing()) return;
      const consumer = this.#current ?? this.#startConsumer();
      if (consumer === undefined) return;
      consumer.fireEvent("dataReceived", chunk);
      const rest: Uint8Array | void = consumer.dataReceived(chunk);
      consumer.fireEvent("dataProcessed", chunk);
      if (rest !== undefined && rest.length > 0 && !consumer.hasFinished) {
        throw new ProtocolError(
          `Consumer ${consumer.constructor.name} returned ${rest.length} ` +
            "bytes before it finished",
        );
      }
      chunk = rest;
    }
  }

  /**
   * Called by the transport at the peer's end of stream. The connection
   * then closes; the current consumer, if any, gets `connectionLost`.
   *
   * @returns Nothing: the transport closes.
   */
  eofReceived(): boolean | void {}

  /**
   * Called by the transport once closed: stops the idle timer, passes the
   * loss to the current consumer, fires `connectionLost`.
   *
   * @param error `undefined` for a clean close, the cause otherwise.
   */
  connectionLost(error?: Error): void {
    if (this.#lost) return;
    this.#lost = true;
    clearTimeout(this.#timer);
    const consumer = this.#current;
    if (consumer !== undefined) {
      try {
        consumer.connectionLost(error);
      } catch (thrown) {
        // deno-lint-ignore no-console
        console.error("Consumer's connectionLost() failed:", thrown);
      }
    }
    this.#producer?.forgetConnection?.(this);
    this.fireEvent("connectionLost", error);
    this.#closed?.resolve();
  }

  /**
   * Called by the transport when its write buffer is full: stops reading,
   * and holds back requests already read.
   */
  pauseWriting(): void {
    this.#writePaused = true;
    this.#transport?.pauseReading();
  }

  /**
   * Called by the transport when its write buffer drained: serves the
   * requests held back, then reads again.
   */
  resumeWriting(): void {
    this.#writePaused = false;
    const held = this.#held;
    this.#held = undefined;
    if (held !== undefined) {
      try {
        this.#feed(held);
      } catch (error) {
        this.abort(error instanceof Error ? error : new Error(String(error)));
        return;
      }
    }
    if (!this.#writePaused) this.#transport?.resumeReading();
  }

  /**
   * Makes `consumer` the current consumer (or clears it). A consumer set on
   * a connection already lost gets `connectionLost` at once.
   *
   * @param consumer The consumer, or `undefined` to clear.
   */
  setConsumer(consumer: ProtocolConsumer | undefined): void {
    this.#current = consumer;
    if (consumer === undefined) return;
    consumer[kAttach](this);
    if (this.#lost) consumer.connectionLost();
  }

  /**
   * Switches protocol mid-stream (a WebSocket-style upgrade): the consumers
   * built from now on come from `consumerFactory`. The current consumer
   * finishes as usual, and the bytes it returns go to the new kind.
   *
   * @param consumerFactory The factory of the new protocol's consumers.
   */
  upgrade(consumerFactory: ConsumerFactory): void {
    this.#consumerFactory = consumerFactory;
  }

  /** Closes the connection after flushing buffered writes. */
  close(): void {
    this.#transport?.close();
  }

  /**
   * Closes the connection at once, dropping buffered writes.
   *
   * @param error The cause, passed on to the consumer.
   */
  abort(error?: Error): void {
    this.#transport?.abort(error);
  }

  /**
   * Called by a consumer when it has finished: frees the connection for the
   * next one.
   *
   * @param consumer The consumer.
   */
  [kFinished](consumer: ProtocolConsumer): void {
    if (consumer !== this.#current) return;
    this.#current = undefined;
    this.#processed++;
    if (this.#timeout > 0) this.#lastActivity = Date.now();
  }

  #startConsumer(): ProtocolConsumer | undefined {
    const factory = this.#consumerFactory;
    if (factory === undefined) {
      throw new ProtocolError(
        "Cannot handle the bytes read: the connection has no consumer factory",
      );
    }
    const consumer = this.#producer?.buildConsumer(factory) ?? factory();
    this.setConsumer(consumer);
    consumer.start();
    if (!consumer.hasFinished) return consumer;
    // It failed to start (a preRequest hook threw): the bytes read cannot
    // be handled, so the connection ends.
    this.abort(new ProtocolError("The request's consumer failed to start"));
    return undefined;
  }

  #onIdle = (): void => {
    const idle = Date.now() - this.#lastActivity;
    if (idle >= this.#timeout) {
      this.#timer = undefined;
      const unsent = this.#transport?.getWriteBufferSize() ?? 0;
      if (unsent === 0) {
        this.close();
        return;
      }
      // A peer that neither sends nor reads: closing would wait for the
      // buffer to drain forever.
      this.abort(
        new TimeoutError(
          `Connection to ${formatAddress(this.address)} idle for ` +
            `${this.#timeout} ms with ${unsent} bytes it does not read`,
        ),
      );
    } else {
      this.#timer = setTimeout(this.#onIdle, this.#timeout - idle);
    }
  };
}
