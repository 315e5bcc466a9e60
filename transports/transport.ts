// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * The transport surface shared by stream and datagram transports.
 *
 * @module
 */

import type { ErrorHandler } from "../errors.ts";
import { reportError } from "../internal/report.ts";
import { asError } from "./_errors.ts";
import { setTransportInternals, type Thrown } from "./_internal.ts";
import type { BaseProtocolInterface } from "./protocol_interface.ts";

/**
 * The transport surface of PEP 3156 over one Deno resource: what
 * `SocketTransport` and `DatagramTransport` share, their lifecycle included.
 *
 * - The protocol's `connectionMade` is called once the transport is built,
 *   before any data: never from the constructor, so it never sees a
 *   half-built object. A transport built directly calls it in a microtask;
 *   `connect()`, `listen()` and `listenDatagram()` call it as soon as they
 *   have built the transport, before they return it. If it throws, the
 *   transport aborts with that error.
 * - Reading starts once `connectionMade` has returned, unless it closed
 *   the transport.
 * - On close or abort, the resource is closed; once the read loop and any
 *   pending write have returned (so no operation outlives `closed`), the
 *   protocol's `connectionLost` is called, exactly once, and `closed`
 *   settles.
 * - An exception from a protocol callback that carries data or starts the
 *   transport (`connectionMade`, `dataReceived`, `eofReceived`,
 *   `datagramReceived`) aborts the transport: the protocol's
 *   `connectionLost` receives it, and (but for `connectionMade`, which
 *   `connect()` rejects with and `listen()` reports) it is also reported.
 *   One from a callback that cannot abort (`connectionLost`,
 *   `pauseWriting`, `resumeWriting`, `errorReceived`) is only reported.
 *   Reports go to the `onError` option, with the callback's name as `source`
 *   and the transport's `remoteAddr` (or, without one, its `localAddr`);
 *   without `onError`, as one `console.error` line.
 *
 * @typeParam P The protocol this transport drives.
 *
 * @example Wait until a transport has closed
 * ```ts
 * import { connect, listen, type Transport } from "@pulsar/net/transports";
 * import { Protocol } from "@pulsar/net/protocols";
 * import { assert } from "@std/assert";
 *
 * await using listener = listen(() => new Protocol(), { port: 0 });
 * const [transport]: [Transport, Protocol] = await connect(
 *   () => new Protocol(),
 *   { port: listener.port },
 * );
 * transport.close();
 * assert(transport.isClosing());
 * await transport.closed;
 * ```
 */
export abstract class Transport<
  P extends BaseProtocolInterface = BaseProtocolInterface,
> {
  #resource: { close(): void };
  #protocol: P;
  #onError: ErrorHandler | undefined;
  #started = false;
  #closing = false;
  #finished = false;
  #readLoop: Promise<void> | undefined;
  /** Made on first use of `closed`: most transports are never awaited. */
  #closed: PromiseWithResolvers<void> | undefined;
  /** Set once `connectionLost` has run. */
  #lost = false;
  /** Called with this transport once it has closed (see `onClosed`). */
  #onClosed: ((transport: never) => void) | undefined;

  static {
    setTransportInternals({
      start: (transport) => (transport as Transport).#start(),
      setOnClosed: (transport, hook) => {
        (transport as Transport).#onClosed = hook;
      },
    });
  }

  /**
   * Builds the transport for `protocol`. The protocol's `connectionMade` is
   * not called here but once the object is built (see the class).
   *
   * @param resource The Deno resource to drive (a `Deno.Conn`, a
   * `Deno.DatagramConn`); the transport owns it and closes it.
   * @param protocol The protocol to drive.
   * @param onError Receives the errors of protocol callbacks that have no
   * caller to throw to (see the class); checked by the subclass.
   */
  constructor(
    resource: { close(): void },
    protocol: P,
    onError?: ErrorHandler,
  ) {
    this.#resource = resource;
    this.#protocol = protocol;
    this.#onError = onError;
    // Runs after the constructor of the subclass has returned.
    queueMicrotask(() => this.#start());
  }

  /** The protocol this transport drives. */
  get protocol(): P {
    return this.#protocol;
  }

  /**
   * Switches the protocol this transport drives. The new protocol's
   * `connectionMade` is not called.
   *
   * @param protocol The new protocol.
   */
  setProtocol(protocol: P): void {
    this.#protocol = protocol;
  }

  /** The local address. */
  abstract get localAddr(): Deno.Addr;

  /** The peer's address, or `undefined` when there is none (UDP). */
  abstract get remoteAddr(): Deno.Addr | undefined;

  /**
   * Optional information about the transport, by name: `conn` (the Deno
   * resource), `localAddr`, `remoteAddr`, and what subclasses add.
   *
   * @param name The information's name.
   * @param fallback What to return when there is no such information.
   * @returns The information, or `fallback`.
   */
  getExtraInfo(name: string, fallback?: unknown): unknown {
    switch (name) {
      case "conn":
        return this.#resource;
      case "localAddr":
        return this.localAddr;
      case "remoteAddr":
        return this.remoteAddr ?? fallback;
      default:
        return fallback;
    }
  }

  /**
   * Whether the transport is closing or has closed.
   *
   * @returns True once `close()` or `abort()` was called or the peer went
   * away.
   */
  isClosing(): boolean {
    return this.#closing;
  }

  /** Closes the transport after flushing what is buffered. Idempotent. */
  abstract close(): void;

  /**
   * Closes the transport at once, dropping what is buffered.
   *
   * @param reason The error passed to the protocol's `connectionLost`.
   */
  abstract abort(reason?: Error): void;

  /** Settles once the protocol's `connectionLost` has run; never rejects. */
  get closed(): Promise<void> {
    if (this.#closed === undefined) {
      this.#closed = Promise.withResolvers();
      if (this.#lost) this.#closed.resolve();
    }
    return this.#closed.promise;
  }

  /**
   * Closes the transport, flushing what is buffered, and waits until it has
   * closed: what `await using` calls. A peer that never reads holds this up
   * as it holds up `close()`; call `abort()` first not to wait for it.
   *
   * @returns A promise that settles once `closed` has.
   */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
    await this.closed;
  }

  /**
   * For subclasses: the loop that reads from the resource and hands what it
   * reads to the protocol, until the transport closes. Started once
   * `connectionMade` has returned, unless the transport is closing by then.
   *
   * @returns A promise that settles when the loop ends; it must never
   * reject.
   */
  protected abstract readLoop(): Promise<void>;

  /**
   * For subclasses: reports an error that has no caller to throw to, to the
   * `onError` option (or as one `console.error` line), with the transport's
   * `remoteAddr` (or, without one, its `localAddr`).
   *
   * @param source What threw: the protocol callback's name.
   * @param error What it threw.
   */
  protected report(source: string, error: unknown): void {
    reportError(this.#onError, {
      error,
      source,
      address: this.remoteAddr ?? this.localAddr,
    });
  }

  /**
   * For subclasses: marks the transport closing; `isClosing()` is true from
   * now on.
   *
   * @returns True the first time, false if it was already closing.
   */
  protected markClosing(): boolean {
    if (this.#closing) return false;
    this.#closing = true;
    return true;
  }

  /**
   * For subclasses: whether `finish()` has run (the resource is closed).
   *
   * @returns True once finished.
   */
  protected isFinished(): boolean {
    return this.#finished;
  }

  /**
   * For subclasses: ends the transport, once. Marks it closing, closes the
   * resource at once, then, once the read loop and `pending` have settled
   * (so no operation outlives `closed`), calls the protocol's
   * `connectionLost(error)` and settles `closed`.
   *
   * @param error `undefined` for a clean close, the cause otherwise.
   * @param pending What else must settle first (writes in flight); its
   * rejection is ignored.
   */
  protected finish(error: Error | undefined, pending?: Promise<unknown>): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#closing = true;
    try {
      this.#resource.close();
    } catch {
      // Already closed by Deno; nothing to release.
    }
    const lost = () => this.#connectionLost(error);
    const loop = this.#readLoop ?? Promise.resolve();
    // A plain close has nothing else pending: no Promise.all to build.
    (pending === undefined ? loop : Promise.all([loop, pending]))
      .then(lost, lost);
  }

  /** Calls `connectionMade`, then starts reading; only the first call. */
  #start(): Thrown {
    if (this.#started) return undefined;
    this.#started = true;
    try {
      this.#protocol.connectionMade(this);
    } catch (error) {
      // The resource closes and `closed` settles once connectionLost ran.
      this.abort(asError(error));
      return { error };
    }
    if (!this.#closing) this.#readLoop = this.readLoop();
    return undefined;
  }

  /** Calls the protocol's `connectionLost`, then settles `closed`. */
  #connectionLost(error: Error | undefined): void {
    try {
      this.#protocol.connectionLost(error);
    } catch (thrown) {
      this.report("connectionLost", thrown);
    } finally {
      this.#lost = true;
      const hook = this.#onClosed;
      this.#onClosed = undefined;
      if (hook !== undefined) (hook as (transport: this) => void)(this);
      this.#closed?.resolve();
    }
  }
}
