// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * `ProtocolConsumer`: one request/response on a connection.
 *
 * @module
 */

import { ConnectionClosedError, type ErrorReport } from "../errors.ts";
import { CONSUMER_EVENTS } from "../internal/event_names.ts";
import type { SocketTransport } from "../transports/socket_transport.ts";
import { formatAddress } from "../transports/format_address.ts";
import { reportError as reportTo } from "../internal/report.ts";
import {
  type FinishWatcher,
  kAttach,
  kFinished,
  kReceived,
  kReport,
  kWatch,
} from "./_internal.ts";
import { EventHandler } from "./events.ts";
import type { ProducerInterface } from "./producer_interface.ts";

/** A request that can write itself: what `startRequest()` sends by default. */
export interface Encodable {
  /**
   * The bytes to send.
   *
   * @returns The encoded request.
   */
  encode(): Uint8Array;
}

/** Builds a new consumer for each request. */
export type ConsumerFactory<
  C extends ProtocolConsumer = ProtocolConsumer,
> = () => C;

/** What a consumer sees of the connection that runs it. */
export interface ConsumerConnection {
  /** The transport, once connected. */
  readonly transport: SocketTransport | undefined;
  /** The peer's address, once connected. */
  readonly remoteAddr: Deno.Addr | undefined;
  /** The producer that made the connection, if any. */
  readonly producer: ProducerInterface | undefined;
}

/**
 * The events of a consumer: one-time `preRequest` (data: the request) and
 * `postRequest` (data: the result; the error as third argument), many-times
 * `dataReceived` and `dataProcessed` (data: the bytes).
 */
export type ConsumerEvents = {
  preRequest: [owner: ProtocolConsumer, data: unknown];
  postRequest: [owner: ProtocolConsumer, data: unknown];
  dataReceived: [owner: ProtocolConsumer, data: Uint8Array];
  dataProcessed: [owner: ProtocolConsumer, data: Uint8Array];
};

/** The one-time events of a consumer. */
export type ConsumerOneTimeEvents = "preRequest" | "postRequest";

/**
 * Handles exactly one request/response on a connection: a server reads one
 * request and writes its answer, a client writes one request and reads its
 * answer. Subclasses implement `dataReceived`, and call `finished()` once the
 * exchange is complete, returning the bytes they did not use so the next
 * consumer gets them (pipelining).
 *
 * If the connection is lost before `finished()` (a clean end of stream
 * included), the consumer finishes with a `ConnectionClosedError`: a request
 * never resolves with half a response.
 *
 * @typeParam Req The request type (client side).
 * @typeParam Res The result type.
 *
 * @example A line-echo server consumer
 * ```ts
 * import { Server } from "@pulsar/net/producers";
 * import { ProtocolConsumer } from "@pulsar/net/protocols";
 * import { assertEquals } from "@std/assert";
 *
 * class EchoLine extends ProtocolConsumer<undefined, string> {
 *   #line = "";
 *   override dataReceived(data: Uint8Array): Uint8Array | void {
 *     const end = data.indexOf(10); // "\n"
 *     const upTo = end < 0 ? data : data.subarray(0, end + 1);
 *     this.#line += new TextDecoder().decode(upTo);
 *     if (end < 0) return;
 *     this.transport!.write(new TextEncoder().encode(this.#line));
 *     this.finished(this.#line);
 *     return data.subarray(end + 1); // the next request's bytes
 *   }
 * }
 *
 * await using server = new Server({ consumerFactory: () => new EchoLine() });
 * await server.start();
 * const lines: unknown[] = [];
 * server.bindEvent("postRequest", (_consumer, line) => lines.push(line));
 * using conn = await Deno.connect({ port: server.port });
 * await conn.write(new TextEncoder().encode("hi\n"));
 * const reply = new Uint8Array(3);
 * await conn.read(reply);
 * assertEquals(new TextDecoder().decode(reply), "hi\n");
 * assertEquals(lines, ["hi\n"]);
 * ```
 */
export abstract class ProtocolConsumer<Req = unknown, Res = unknown>
  extends EventHandler<ConsumerEvents, ConsumerOneTimeEvents> {
  #connection: ConsumerConnection | undefined;
  // Private state is typed without Req and Res so that a
  // ProtocolConsumer<A, B> stays assignable to ProtocolConsumer.
  #request: unknown;
  #hasFinished = false;
  #result: unknown;
  #error: unknown;
  #onFinished: PromiseWithResolvers<unknown> | undefined;
  #bytesReceived = 0;
  /** Told when the consumer has finished (a client's request). */
  #watcher: FinishWatcher | undefined;

  /** Builds a consumer not yet attached to a connection. */
  constructor() {
    super(CONSUMER_EVENTS);
  }

  /** The connection running this consumer, once set on one. */
  get connection(): ConsumerConnection | undefined {
    return this.#connection;
  }

  /** The connection's transport. */
  get transport(): SocketTransport | undefined {
    return this.#connection?.transport;
  }

  /** The producer (server or client) of the connection. */
  get producer(): ProducerInterface | undefined {
    return this.#connection?.producer;
  }

  /** The request, on the client side, once started. */
  get request(): Req | undefined {
    return this.#request as Req | undefined;
  }

  /** The peer's address. */
  get remoteAddr(): Deno.Addr | undefined {
    return this.#connection?.remoteAddr;
  }

  /**
   * The bytes its connection handed to this consumer's `dataReceived` so
   * far: 0 while a pipelined request waits behind others for its answer.
   */
  get bytesReceived(): number {
    return this.#bytesReceived;
  }

  /** Whether `finished()` has been called. */
  get hasFinished(): boolean {
    return this.#hasFinished;
  }

  /**
   * Server side: whether this consumer holds part of its request and waits
   * for the rest from the peer, doing no work of its own meanwhile. While
   * true, the connection's idle timeout counts the peer's silence, so a peer
   * that stalls mid-request is closed. While false (the default), a current
   * consumer is a request in flight, which an idle timeout never cuts: a
   * slow handler is not closed under its request. Override it in consumers
   * that read a request over several reads; client consumers keep the
   * default.
   */
  get waitingForRequest(): boolean {
    return false;
  }

  /**
   * A promise of the result passed to `finished()`; rejects with its error.
   * Created on first use, so a failure nobody asked about is not an
   * unhandled rejection.
   */
  get onFinished(): Promise<Res> {
    if (this.#onFinished === undefined) {
      this.#onFinished = Promise.withResolvers();
      if (this.#hasFinished) this.#settle(this.#onFinished);
    }
    return this.#onFinished.promise as Promise<Res>;
  }

  /**
   * Starts the consumer: fires `preRequest`, then, with a request (client
   * side), calls `startRequest()`. A `preRequest` handler that throws
   * finishes the consumer with that error.
   *
   * @param request The request to send, on the client side.
   */
  start(request?: Req): void {
    this.#request = request;
    const error = this.fireEvent("preRequest", request);
    if (error !== undefined) {
      this.finished(undefined, error);
      return;
    }
    if (request !== undefined) {
      try {
        this.startRequest();
      } catch (thrown) {
        this.finished(undefined, thrown);
      }
    }
  }

  /**
   * Sends the request: by default writes `request.encode()`. Override to
   * stream a request or send it in parts.
   *
   * @throws {TypeError} If the request has no `encode()` method.
   * @throws {ConnectionClosedError} If the connection is closing.
   */
  startRequest(): void {
    const request = this.#request as Partial<Encodable> | undefined;
    if (typeof request?.encode !== "function") {
      throw new TypeError(
        "Cannot send the request: it has no encode() method; " +
          "override startRequest() to send it",
      );
    }
    const transport = this.transport;
    if (transport === undefined) {
      throw new ConnectionClosedError(
        "Cannot send the request: the consumer has no connection",
      );
    }
    transport.write(request.encode());
  }

  /**
   * Handles bytes read from the connection. Call `finished()` once the
   * exchange is complete, and return the bytes not used, which go to the next
   * consumer. Returning bytes without having finished is a protocol error
   * that aborts the connection.
   *
   * @param data The bytes read; never overwritten by later reads.
   * @returns The bytes not used, after `finished()`; or nothing.
   */
  abstract dataReceived(data: Uint8Array): Uint8Array | void;

  /**
   * Ends this consumer's exchange: settles `onFinished`, fires
   * `postRequest`, and frees the connection for the next consumer. Later
   * calls are ignored.
   *
   * Calling it says the exchange is complete and the stream is in step,
   * even with an `error`: one that is not a `NetError` is an error reply
   * (the peer answered `ERROR`, say), after which a `Client` keeps the
   * connection for its next request. A stream that is broken (bytes that
   * are no reply) is said by throwing from `dataReceived` (the connection
   * is aborted) or by finishing with a `ProtocolError`: a `Client` then
   * closes the connection.
   *
   * @param result The result, on success.
   * @param error The failure; `onFinished` rejects with it.
   */
  finished(result?: Res, error?: unknown): void {
    if (this.#hasFinished) return;
    this.#hasFinished = true;
    this.#result = result;
    this.#error = error;
    if (this.#onFinished !== undefined) this.#settle(this.#onFinished);
    this.fireEvent("postRequest", result, error);
    const connection = this.#connection as
      | (ConsumerConnection & {
        [kFinished]?(c: ProtocolConsumer, error?: unknown): void;
      })
      | undefined;
    connection?.[kFinished]?.(this, error);
    this.#watcher?.consumerFinished(this, result, error);
  }

  /**
   * Called when the connection is lost while this consumer is current. By
   * default, if not finished, finishes with a `ConnectionClosedError`: the
   * transport's own when it had one (a reset), else a new one whose cause is
   * `error`. Override to accept end of stream as the end of a
   * response (call `finished()` with the result).
   *
   * @param error `undefined` for a clean close, the cause otherwise.
   */
  connectionLost(error?: Error): void {
    if (this.#hasFinished) return;
    // A transport's own ConnectionClosedError already says what happened.
    if (error instanceof ConnectionClosedError) {
      this.finished(undefined, error);
      return;
    }
    const address = formatAddress(this.remoteAddr);
    const how = error === undefined ? "closed" : `lost (${error.message})`;
    this.finished(
      undefined,
      new ConnectionClosedError(
        `Connection to ${address} ${how} before the exchange finished`,
        { cause: error },
      ),
    );
  }

  /**
   * Reports an error that has no caller (a handler of this consumer's events
   * that threw), with the peer's address, through its connection to the
   * producer's `onError`; one `console.error` line without one.
   *
   * @param report What failed, and where.
   */
  protected override reportError(report: ErrorReport): void {
    const address = report.address ?? this.remoteAddr;
    const full = address === undefined ? report : { ...report, address };
    const connection = this.#connection as
      | (ConsumerConnection & { [kReport]?(report: ErrorReport): void })
      | undefined;
    if (connection?.[kReport] !== undefined) connection[kReport](full);
    else reportTo(this.producer?.onError, full);
  }

  /**
   * Attaches this consumer to a connection. Called by the connection.
   *
   * @param connection The connection.
   */
  [kAttach](connection: ConsumerConnection): void {
    this.#connection = connection;
  }

  /**
   * Sets what is told, once, when this consumer has finished: a client's
   * request in flight. Called by the client.
   *
   * @param watcher The watcher.
   */
  [kWatch](watcher: {
    consumerFinished(consumer: unknown, result: unknown, error: unknown): void;
  }): void {
    this.#watcher = watcher;
  }

  /**
   * Called by the connection before it hands `length` bytes to
   * `dataReceived`.
   *
   * @param length The number of bytes.
   */
  [kReceived](length: number): void {
    this.#bytesReceived += length;
  }

  #settle(deferred: PromiseWithResolvers<unknown>): void {
    if (this.#error !== undefined) deferred.reject(this.#error);
    else deferred.resolve(this.#result);
  }
}
