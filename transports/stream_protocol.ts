// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * `StreamProtocol`: a socket transport seen as a pair of web streams.
 *
 * @module
 */

import { ConnectionClosedError } from "../errors.ts";
import { checkInteger, checkObject } from "../internal/validate.ts";
import { formatAddress } from "./format_address.ts";
import type { ProtocolInterface } from "./protocol_interface.ts";
import type { SocketTransport } from "./socket_transport.ts";

/**
 * Options of a `StreamProtocol` (and of `openConnection()` and
 * `listenStreams()`, which build one).
 *
 * @example A readable that queues at most 4 KiB before reading pauses
 * ```ts
 * import { StreamProtocol } from "@pulsar/net/transports";
 * import { assertEquals } from "@std/assert";
 *
 * const protocol = new StreamProtocol({ readableHighWaterMark: 4096 });
 * assertEquals(protocol.transport, undefined);
 * ```
 */
export interface StreamProtocolOptions {
  /**
   * The bytes the readable queues, unread, before the transport stops
   * reading from the socket (the peer is then held back by TCP flow
   * control); reading resumes once the queue is read below it. An integer,
   * 1 or more.
   *
   * @default {65536}
   */
  readableHighWaterMark?: number;
}

const DEFAULT_READABLE_HIGH_WATER_MARK = 64 * 1024;

/**
 * A protocol that gives its transport a web streams face, `{ readable,
 * writable }`, with the transport's own flow control and half-close:
 *
 * - `readable` yields the bytes read, as `Uint8Array` chunks that are the
 *   caller's to keep. When `readableHighWaterMark` bytes are queued unread,
 *   the transport stops reading (`pauseReading()`); reading resumes as the
 *   queue is read.
 * - `writable` writes each chunk with `transport.write()`, which takes
 *   ownership of it: do not change a chunk after writing it. While the
 *   transport's writing is paused (its buffer above the high-water mark), a
 *   write waits until it resumes, so `writer.ready` and `pipeTo()` wait.
 * - Half-close: closing the writable sends end of stream once what was
 *   written is flushed (`writeEof()`), and the readable can still be read;
 *   the readable ends at the peer's end of stream, without closing the
 *   socket, so the writable can still answer. The connection closes once
 *   both sides are done (or on `transport.close()`).
 * - Cancelling the readable discards what arrives from then on (reading
 *   goes on, so the peer is not held up); aborting the writable aborts the
 *   transport, dropping what is buffered.
 * - Errors are typed: a reset, a broken pipe or an abort errors the readable
 *   and the writable with the `ConnectionClosedError` (`TlsError` for TLS
 *   failures) the transport lost the connection with, Deno's error as its
 *   `cause`; a write after the connection closed rejects with
 *   `ConnectionClosedError`; writing something other than a `Uint8Array`
 *   rejects with `TypeError`.
 *
 * Use it with `connect()` and `listen()` like any protocol, or through
 * `openConnection()` and `listenStreams()`.
 *
 * @example Lines over a connection, with `@std/streams`
 * ```ts
 * import { connect, listen, StreamProtocol } from "@pulsar/net/transports";
 * import { TextLineStream } from "@std/streams/text-line-stream";
 * import { assertEquals } from "@std/assert";
 *
 * // A server that answers each line in upper case, then ends its side.
 * await using server = listen(() => new StreamProtocol(), {
 *   port: 0,
 *   onTransport: (transport) => {
 *     const { readable, writable } = transport.protocol as StreamProtocol;
 *     readable
 *       .pipeThrough(new TextDecoderStream())
 *       .pipeThrough<string>(new TextLineStream())
 *       .pipeThrough(
 *         new TransformStream<string, string>({
 *           transform: (line, out) => out.enqueue(line.toUpperCase() + "\n"),
 *         }),
 *       )
 *       .pipeThrough(new TextEncoderStream())
 *       .pipeTo(writable);
 *   },
 * });
 *
 * const [transport, client] = await connect(() => new StreamProtocol(), {
 *   port: server.port,
 * });
 * const writer = client.writable.getWriter();
 * await writer.write(new TextEncoder().encode("hello\nstreams\n"));
 * await writer.close(); // end of stream: the server's pipe ends too
 * const lines: string[] = await Array.fromAsync(
 *   client.readable
 *     .pipeThrough(new TextDecoderStream())
 *     .pipeThrough<string>(new TextLineStream()),
 * );
 * assertEquals(lines, ["HELLO", "STREAMS"]);
 * await transport.closed;
 * ```
 */
export class StreamProtocol implements ProtocolInterface {
  /** The bytes read, until the peer's end of stream. */
  readonly readable: ReadableStream<Uint8Array>;
  /** Writes to the peer; closing it sends end of stream. */
  readonly writable: WritableStream<Uint8Array>;
  #transport: SocketTransport | undefined;
  #readable!: ReadableStreamDefaultController<Uint8Array>;
  #writable!: WritableStreamDefaultController;
  /** Set once the readable is closed, errored or cancelled. */
  #readableDone = false;
  /** Set once the readable was cancelled: what arrives is dropped. */
  #discarding = false;
  /** Set once the writable is closed or aborted. */
  #writableDone = false;
  /** A write waiting for the transport's writing to resume. */
  #drain: PromiseWithResolvers<void> | undefined;
  #writePaused = false;

  /**
   * Builds the protocol; its streams work once a transport drives it.
   *
   * @param options `readableHighWaterMark`.
   * @throws {TypeError} If `options` is not an object.
   * @throws {RangeError} If `readableHighWaterMark` is not an integer of 1
   * or more.
   */
  constructor(options: StreamProtocolOptions = {}) {
    checkObject("options", options);
    const highWaterMark = options.readableHighWaterMark === undefined
      ? DEFAULT_READABLE_HIGH_WATER_MARK
      : checkInteger("readableHighWaterMark", options.readableHighWaterMark, 1);
    this.readable = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.#readable = controller;
      },
      pull: () => {
        if (!this.#discarding) this.#transport?.resumeReading();
      },
      cancel: () => this.#cancel(),
    }, new ByteLengthQueuingStrategy({ highWaterMark }));
    this.writable = new WritableStream<Uint8Array>({
      start: (controller) => {
        this.#writable = controller;
      },
      write: (chunk) => this.#write(chunk),
      close: () => this.#close(),
      abort: (reason) => this.#abort(reason),
    });
  }

  /** The transport driving this protocol, once connected. */
  get transport(): SocketTransport | undefined {
    return this.#transport;
  }

  /**
   * Called by the transport once connected.
   *
   * @param transport The transport.
   */
  connectionMade(transport: SocketTransport): void {
    this.#transport = transport;
  }

  /**
   * Queues `data` on the readable; pauses reading once the queue is full.
   *
   * @param data The bytes read.
   */
  dataReceived(data: Uint8Array): void {
    if (this.#readableDone) return;
    this.#readable.enqueue(data);
    if ((this.#readable.desiredSize ?? 0) <= 0) {
      this.#transport?.pauseReading();
    }
  }

  /**
   * Ends the readable at the peer's end of stream, keeping the writing side
   * open (half-close).
   *
   * @returns True: the transport stays open until the writable is closed.
   */
  eofReceived(): boolean {
    if (!this.#readableDone) {
      this.#readableDone = true;
      this.#readable.close();
    }
    return true;
  }

  /** Called by the transport above its high-water mark: writes wait. */
  pauseWriting(): void {
    this.#writePaused = true;
  }

  /** Called by the transport below its low-water mark: writes go on. */
  resumeWriting(): void {
    this.#writePaused = false;
    this.#drain?.resolve();
    this.#drain = undefined;
  }

  /**
   * Called by the transport once closed: ends the streams, with the error
   * if there was one.
   *
   * @param error The cause, or `undefined` for a clean close.
   */
  connectionLost(error?: Error): void {
    const closed = error ?? this.#closedError("it closed");
    if (!this.#readableDone) {
      this.#readableDone = true;
      if (error === undefined) this.#readable.close();
      else this.#readable.error(error);
    }
    if (!this.#writableDone) {
      this.#writableDone = true;
      this.#writable.error(closed);
    }
    this.#drain?.reject(closed);
    this.#drain = undefined;
  }

  #closedError(why: string): ConnectionClosedError {
    const peer = this.#peerText();
    return new ConnectionClosedError(`Cannot write to ${peer}: ${why}`);
  }

  #write(chunk: Uint8Array): Promise<void> | void {
    if (!(chunk instanceof Uint8Array)) {
      throw new TypeError(
        `Cannot write ${
          chunk === null ? "null" : typeof chunk
        } to a StreamProtocol's writable: it takes Uint8Array chunks`,
      );
    }
    const transport = this.#transport;
    if (transport === undefined) {
      throw this.#closedError("it is not connected yet");
    }
    transport.write(chunk);
    if (!this.#writePaused) return;
    this.#drain ??= Promise.withResolvers();
    return this.#drain.promise;
  }

  #close(): void {
    this.#writableDone = true;
    const transport = this.#transport;
    if (transport === undefined) {
      throw this.#closedError("it is not connected yet");
    }
    transport.writeEof();
    // The peer's end of stream came first and was read to the end, or the
    // readable was cancelled: both sides are done.
    if (this.#readableDone) transport.close();
  }

  #abort(reason: unknown): void {
    this.#writableDone = true;
    const error = reason instanceof Error ? reason : new ConnectionClosedError(
      `Writing to ${this.#peerText()} aborted: ${
        String(reason ?? "no reason given")
      }`,
    );
    this.#transport?.abort(error);
  }

  #cancel(): void {
    this.#readableDone = true;
    this.#discarding = true;
    // Keep reading (and dropping) so the peer is not held up, until the
    // writable is done too.
    this.#transport?.resumeReading();
    if (this.#writableDone) this.#transport?.close();
  }

  #peerText(): string {
    return this.#transport === undefined
      ? "an unconnected transport"
      : formatAddress(this.#transport.remoteAddr);
  }
}
