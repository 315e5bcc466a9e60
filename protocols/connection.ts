// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * `Connection`: the protocol between a transport and its request consumers.
 *
 * @module
 */

import {
  ConnectionClosedError,
  type ErrorReport,
  NetError,
  ProtocolError,
  TimeoutError,
} from "../errors.ts";
import { CONNECTION_EVENTS } from "../internal/event_names.ts";
import { reportError as reportTo } from "../internal/report.ts";
import { setTimer, type Timer } from "../internal/timer.ts";
import {
  checkDuration,
  checkFunction,
  checkInteger,
  checkObject,
} from "../internal/validate.ts";
import { formatAddress } from "../transports/format_address.ts";
import type { ProtocolInterface } from "../transports/protocol_interface.ts";
import type { SocketTransport } from "../transports/socket_transport.ts";
import {
  type ClosedWatcher,
  kAttach,
  kCork,
  kCorked,
  kFinished,
  kReceived,
  kReport,
  kWatchClosed,
} from "./_internal.ts";
import { EventHandler } from "./events.ts";
import type { ProducerInterface } from "./producer_interface.ts";
import type {
  ConsumerConnection,
  ConsumerFactory,
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
   * Idle timeout in milliseconds: the connection closes when no request was
   * in flight, nothing was read, the peer took none of what is still to be
   * sent, and no consumer finished for this long (it is aborted with a
   * `TimeoutError` if the peer does not read what it was sent either: an
   * answer still draining to a reading peer is never cut). A request is in flight while there is a current consumer,
   * unless the consumer reports `waitingForRequest` (part of a request read,
   * the rest awaited: then the peer's silence counts). So it never closes a
   * connection under a request: it counts again from the end of the
   * request. 0 or `Infinity` for none; a finite delay past setTimeout's
   * limit (2^31−1 ms) is waited out in steps.
   *
   * @default {0}
   */
  idleTimeout?: number;
}

/**
 * The protocol between a stream transport and the current
 * `ProtocolConsumer`, one consumer per request:
 *
 * - bytes read go to the current consumer, built with the consumer factory
 *   when there is none; the bytes a finished consumer did not use go to the
 *   next one, so pipelined requests are served in order;
 * - on the client side, a consumer set while another is in flight queues
 *   behind it (pipelining): bytes read go to the oldest, and what it
 *   returns after `finished()` goes to the next;
 * - an idle timeout closes a silent connection with no request in flight
 *   (a current consumer, unless its `waitingForRequest` says it awaits the
 *   rest of its request from a silent peer);
 * - on a connection that builds its consumers from what it reads (one with
 *   a consumer factory: the server side), reading is paused while the
 *   transport's writing is paused (its buffer above the high mark), so a
 *   peer that sends without reading cannot grow memory without bound. A
 *   connection whose consumers are set by a client (no consumer factory)
 *   keeps reading while its request is written: the peer may answer as it
 *   reads, and stop reading if its answer is not read;
 * - a lost connection reaches the current consumer, then every consumer
 *   queued behind it, oldest first; each fails with `ConnectionClosedError`
 *   (the loss's cause attached) if it had not finished;
 * - what user code throws with no caller to catch it (the consumer factory,
 *   the `dataReceived` of a consumer it built, a consumer's
 *   `connectionLost`, an event handler) is reported to the producer's
 *   `onError` with the peer's address, and costs this connection at most (a
 *   throwing event handler costs nothing).
 *
 * `await using` closes the connection at the end of the block.
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
 *   port: listener.port,
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
  /** The connection's number, given by its producer. */
  readonly session: number;
  /** The producer that made the connection, if any. */
  readonly producer: ProducerInterface | undefined;
  /** The idle timeout in milliseconds; 0 or `Infinity` for none. */
  readonly idleTimeout: number;
  #consumerFactory: ConsumerFactory | undefined;
  /** The idle timer, while armed (never with no idle timeout). */
  #timer: Timer | undefined;
  /** What the idle timer calls, bound at the first idle wait. */
  #onIdle: (() => void) | undefined;
  #lastActivity = 0;
  /** The write buffer's size at the last idle check. */
  #unsentSeen = 0;
  #transport: SocketTransport | undefined;
  #current: ProtocolConsumer | undefined;
  /**
   * Consumers set while another was current (client pipelining), oldest
   * first: each becomes current when the one before it finishes.
   */
  #queue: ProtocolConsumer[] = [];
  /** The first queued consumer's index in `#queue` (a cheap shift). */
  #queueHead = 0;
  /** Whether this connection built `#current` (from its consumer factory). */
  #builtCurrent = false;
  #processed = 0;
  #bytesReceived = 0;
  #lost = false;
  #writePaused = false;
  /** Whether the transport is corked until the end of this turn. */
  #corked = false;
  /** Ends the cork of `setConsumer()`'s turn; made on first use. */
  #uncork: (() => void) | undefined;
  /** Bytes read but held back while writing is paused. */
  #held: Uint8Array | undefined;
  /** Made on first use of `closed`: most connections are never awaited. */
  #closed: PromiseWithResolvers<void> | undefined;
  #closedWatcher: ClosedWatcher | undefined;

  /**
   * Builds a connection, to be given to a transport.
   *
   * @param options The consumer factory, session, producer and idle timeout.
   * @throws {TypeError} If an option has the wrong type.
   * @throws {RangeError} If `idleTimeout` is negative or `NaN`, or `session`
   * is not an integer of 1 or more.
   */
  constructor(options: ConnectionOptions = {}) {
    super(CONNECTION_EVENTS);
    checkObject("options", options);
    this.session = options.session === undefined
      ? 1
      : checkInteger("session", options.session, 1);
    this.producer = options.producer === undefined
      ? undefined
      : checkProducer(options.producer);
    this.#consumerFactory = options.consumerFactory === undefined
      ? undefined
      : checkFunction<ConsumerFactory>(
        "consumerFactory",
        options.consumerFactory,
      );
    this.idleTimeout = options.idleTimeout === undefined
      ? 0
      : checkDuration("idleTimeout", options.idleTimeout);
  }

  /** The transport, once connected. */
  get transport(): SocketTransport | undefined {
    return this.#transport;
  }

  /** The peer's address, once connected. */
  get remoteAddr(): Deno.Addr | undefined {
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

  /**
   * The consumers in flight: the current one and those queued behind it
   * (client pipelining), not finished yet.
   */
  get consumersInFlight(): number {
    const current = this.#current === undefined ? 0 : 1;
    return current + this.#queue.length - this.#queueHead;
  }

  /** The factory of the consumers this connection builds. */
  get consumerFactory(): ConsumerFactory | undefined {
    return this.#consumerFactory;
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
    this.#armIdle();
    this.fireEvent("connectionMade", transport);
  }

  /**
   * Hands bytes to the current consumer, building one if needed; the bytes a
   * finished consumer returns go to the next one. What the consumer factory
   * or a consumer's `dataReceived` throws (a consumer that returns bytes
   * before it finished throws a `ProtocolError`) aborts this connection
   * only, with that error. It is reported to the producer's `onError`
   * (source `consumerFactory` or `dataReceived`, with the peer's address)
   * when this connection built the consumer (server side); a consumer set
   * by a client fails its request with it instead.
   *
   * @param data The bytes read.
   */
  dataReceived(data: Uint8Array): void {
    if (this.#timer !== undefined) this.#lastActivity = Date.now();
    this.#bytesReceived += data.length;
    this.#serve(data);
  }

  /**
   * Feeds `data` to consumers; what one throws costs this connection. It is
   * reported unless it came from a consumer set by a client: that one
   * finishes with it (its request rejects with what it threw, which is
   * report enough), and those queued behind it fail with the connection.
   */
  #serve(data: Uint8Array): void {
    try {
      this.#feed(data);
    } catch (error) {
      const current = this.#current;
      const clients = current !== undefined && !this.#builtCurrent;
      if (clients && !current.hasFinished) {
        // Aborted first, so the connection is not handed on meanwhile.
        this.#fail(undefined, error);
        // `undefined` would mean success.
        current.finished(
          undefined,
          error ??
            new Error(`${current.constructor.name} threw undefined`),
        );
        return;
      }
      this.#fail(clients ? undefined : "dataReceived", error);
    }
  }

  /**
   * Reports what user code threw (if `source` is given), and aborts the
   * connection with it.
   */
  #fail(source: string | undefined, error: unknown): void {
    if (source !== undefined) this.reportError({ error, source });
    this.abort(error instanceof Error ? error : new Error(String(error)));
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
      consumer[kReceived](chunk.length);
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
   * loss to the current consumer, then to every consumer queued behind it,
   * oldest first (what a `connectionLost` throws is reported to the
   * producer's `onError`), fires `connectionLost`.
   *
   * @param error `undefined` for a clean close, the cause otherwise.
   */
  connectionLost(error?: Error): void {
    if (this.#lost) return;
    this.#lost = true;
    this.#timer?.clear();
    this.#timer = undefined;
    for (let consumer = this.#current; consumer !== undefined;) {
      try {
        consumer.connectionLost(error);
      } catch (thrown) {
        this.reportError({ error: thrown, source: "connectionLost" });
      }
      // One that did not finish stays current; the others still learn of
      // the loss.
      if (this.#current === consumer) {
        const next = this.#dequeue();
        if (next === undefined) break;
        this.#current = next;
      }
      consumer = this.#current;
    }
    this.producer?.forgetConnection?.(this);
    this.fireEvent("connectionLost", error);
    // Its pool learns first: once `closed` settles, the pool holds it no
    // more.
    const watcher = this.#closedWatcher;
    this.#closedWatcher = undefined;
    watcher?.connectionClosed(this);
    this.#closed?.resolve();
  }

  /**
   * Sets the one watcher told once this connection has closed, before
   * `closed` settles: its pool. Told at once if it has closed already.
   *
   * @param watcher The watcher.
   */
  [kWatchClosed](
    watcher: { connectionClosed(connection: unknown): void },
  ): void {
    if (this.#lost) watcher.connectionClosed(this);
    else this.#closedWatcher = watcher;
  }

  /**
   * Called by the transport when its write buffer is full. A connection
   * that builds its consumers from what it reads (server side) stops
   * reading, and holds back requests already read. One without a consumer
   * factory (client side) keeps reading: its peer may be answering as it
   * reads, and would stop reading if its answer were not read (a deadlock on
   * a large request).
   */
  pauseWriting(): void {
    if (this.#consumerFactory === undefined) return;
    this.#writePaused = true;
    this.#transport?.pauseReading();
  }

  /**
   * Called by the transport when its write buffer drained: serves the
   * requests held back, then reads again.
   */
  resumeWriting(): void {
    if (!this.#writePaused) return;
    this.#writePaused = false;
    const held = this.#held;
    this.#held = undefined;
    if (held !== undefined) this.#serve(held);
    if (this.#writePaused || this.#transport?.isClosing()) return;
    this.#transport?.resumeReading();
  }

  /**
   * Makes `consumer` the current consumer, or, while another consumer is
   * in flight (client pipelining), queues it behind the others: it becomes
   * current, and gets the bytes read, once those before it have finished.
   * `undefined` clears the current consumer (and those queued). A consumer
   * set on a connection already lost gets `connectionLost` at once.
   *
   * @param consumer The consumer, or `undefined` to clear.
   */
  setConsumer(consumer: ProtocolConsumer | undefined): void {
    if (consumer === undefined) {
      this.#current = undefined;
      this.#builtCurrent = false;
      this.#queue = [];
      this.#queueHead = 0;
      this.#armIdle();
      return;
    }
    consumer[kAttach](this);
    if (this.#current === undefined || this.#lost) {
      this.#current = consumer;
      this.#builtCurrent = false;
    } else {
      this.#queue.push(consumer);
    }
    if (this.#lost) consumer.connectionLost();
  }

  /**
   * Holds what is written on this connection until the end of the current
   * microtask turn (the transport is corked for the turn, once), so that the
   * requests a client pipelines in one turn go to the socket in one write,
   * not one each. Called by a client before it sets the consumers.
   */
  [kCork](): void {
    if (this.#corked) return;
    const transport = this.#transport;
    if (transport === undefined || this.#lost) return;
    this.#corked = true;
    transport.cork();
    queueMicrotask(
      this.#uncork ??= () => {
        this.#corked = false;
        this.#transport?.uncork();
      },
    );
  }

  /** Whether writes are held until the end of this turn (`kCork`). */
  get [kCorked](): boolean {
    return this.#corked;
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
   * Closes the connection (flushing buffered writes) and waits until it is
   * closed: `await using connection = ...` closes it at the end of the
   * block. A connection never given to a transport has nothing to close.
   *
   * @returns A promise settled once closed.
   */
  [Symbol.asyncDispose](): Promise<void> {
    if (this.#transport === undefined) return Promise.resolve();
    this.close();
    return this.closed;
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
   * Reports an error that has no caller, with the peer's address, to the
   * producer's `onError` (one `console.error` line without one).
   *
   * @param report What failed, and where.
   */
  protected override reportError(report: ErrorReport): void {
    const address = report.address ?? this.remoteAddr;
    const full = address === undefined ? report : { ...report, address };
    reportTo(this.producer?.onError, full);
  }

  /**
   * Called by a consumer to report an error that has no caller.
   *
   * @param report What failed, and where.
   */
  [kReport](report: ErrorReport): void {
    this.reportError(report);
  }

  /**
   * Called by a consumer when it has finished: frees the connection for the
   * next one. A client's consumer that finished with a `NetError` (the
   * stream is broken) while others are queued behind it ends the
   * connection: they fail with `ConnectionClosedError`, that error as the
   * cause, rather than read bytes out of step.
   *
   * @param consumer The consumer.
   * @param error The error it finished with, if any.
   */
  [kFinished](consumer: ProtocolConsumer, error?: unknown): void {
    if (consumer !== this.#current) {
      // A queued consumer that finished before its turn (it failed to
      // start, say): it leaves the queue.
      const index = this.#queue.indexOf(consumer, this.#queueHead);
      if (index >= 0) this.#queue.splice(index, 1);
      return;
    }
    this.#processed++;
    const built = this.#builtCurrent;
    this.#builtCurrent = false;
    this.#current = this.#dequeue();
    if (this.#current !== undefined) {
      if (!built && error instanceof NetError) {
        this.abort(
          new ConnectionClosedError(
            `Connection to ${formatAddress(this.remoteAddr)} closed: a ` +
              `request pipelined with this one failed (${error.message})`,
            { cause: error },
          ),
        );
      }
      return;
    }
    // Idle from now on: the timer counts again from the end of the request.
    this.#armIdle();
  }

  /** Takes the oldest queued consumer, if any. */
  #dequeue(): ProtocolConsumer | undefined {
    if (this.#queueHead >= this.#queue.length) return undefined;
    const next = this.#queue[this.#queueHead++];
    if (this.#queueHead === this.#queue.length) {
      this.#queue = [];
      this.#queueHead = 0;
    } else if (
      this.#queueHead > 64 && this.#queueHead * 2 > this.#queue.length
    ) {
      this.#queue = this.#queue.slice(this.#queueHead);
      this.#queueHead = 0;
    }
    return next;
  }

  #startConsumer(): ProtocolConsumer | undefined {
    const factory = this.#consumerFactory;
    if (factory === undefined) {
      // A client's connection: the peer sent what nobody asked for.
      throw new ProtocolError(
        `Unexpected bytes from ${formatAddress(this.remoteAddr)}: no ` +
          "request is waiting for an answer",
      );
    }
    let consumer: ProtocolConsumer;
    try {
      consumer = this.producer?.buildConsumer(factory) ?? factory();
    } catch (error) {
      this.#fail("consumerFactory", error);
      return undefined;
    }
    this.setConsumer(consumer);
    this.#builtCurrent = true;
    consumer.start();
    if (!consumer.hasFinished) return consumer;
    // It failed to start (a preRequest hook threw): the bytes read cannot
    // be handled, so the connection ends.
    this.abort(new ProtocolError("The request's consumer failed to start"));
    return undefined;
  }

  /**
   * Whether a request is in flight: a current consumer, unless it says it
   * waits for the rest of its request (then the peer's silence is idleness).
   */
  #inFlight(): boolean {
    const consumer = this.#current;
    if (consumer === undefined) return false;
    return !consumer.waitingForRequest;
  }

  /**
   * Starts counting idle time from now, if there is an idle timeout, the
   * connection is open and no timer runs yet.
   */
  #armIdle(): void {
    const timeout = this.idleTimeout;
    if (timeout === 0 || timeout === Infinity || this.#lost) return;
    this.#lastActivity = Date.now();
    // A connection with no idle timeout (the default) carries no closure.
    this.#onIdle ??= () => this.#idleCheck();
    this.#timer ??= setTimer(this.#onIdle, timeout);
  }

  /** The idle timer fired: closes the connection if it has been idle long enough. */
  #idleCheck(): void {
    this.#timer = undefined;
    if (this.#lost) return;
    let inFlight: boolean;
    try {
      inFlight = this.#inFlight();
    } catch (error) {
      // A consumer's getter threw: it costs its connection, nothing more.
      this.#fail("waitingForRequest", error);
      return;
    }
    if (inFlight) {
      // Not idle: look again later. Finishing the request counts idle time
      // from its end.
      this.#timer = setTimer(this.#onIdle!, this.idleTimeout);
      return;
    }
    // A peer reading an answer that is still draining is not idle: the
    // write buffer changing since the last check is activity too.
    const unsent = this.#transport?.getWriteBufferSize() ?? 0;
    if (unsent > 0 && unsent !== this.#unsentSeen) {
      this.#lastActivity = Date.now();
    }
    this.#unsentSeen = unsent;
    const idle = Date.now() - this.#lastActivity;
    if (idle >= this.idleTimeout) {
      if (unsent === 0) {
        this.close();
        return;
      }
      // A peer that neither sends nor reads: closing would wait for the
      // buffer to drain forever.
      this.abort(
        new TimeoutError(
          `Connection to ${formatAddress(this.remoteAddr)} idle for ` +
            `${this.idleTimeout} ms with ${unsent} bytes it does not read`,
        ),
      );
    } else {
      this.#timer = setTimer(this.#onIdle!, this.idleTimeout - idle);
    }
  }
}

function checkProducer(value: unknown): ProducerInterface {
  const producer = checkObject<ProducerInterface>("producer", value);
  checkFunction("producer.buildConsumer", producer.buildConsumer);
  if (producer.onError !== undefined) {
    checkFunction("producer.onError", producer.onError);
  }
  return producer;
}
