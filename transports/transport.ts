// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * The transport surface shared by stream and datagram transports.
 *
 * @module
 */

import type { BaseProtocolInterface } from "./protocol_interface.ts";

/**
 * The transport surface of PEP 3156 over one Deno resource: what
 * `SocketTransport` and `DatagramTransport` share.
 *
 * @typeParam P The protocol this transport drives.
 *
 * @example Wait until a transport has closed
 * ```ts
 * import { connect, listen, type Transport } from "@pulsar/net/transports";
 * import { Protocol } from "@pulsar/net/protocols";
 *
 * await using listener = listen(() => new Protocol(), { port: 0 });
 * const [transport]: [Transport, Protocol] = await connect(
 *   () => new Protocol(),
 *   { port: listener.port },
 * );
 * transport.close();
 * await transport.closed;
 * ```
 */
export abstract class Transport<
  P extends BaseProtocolInterface = BaseProtocolInterface,
> {
  #protocol: P;
  #closed = Promise.withResolvers<void>();
  #lost = false;

  /**
   * Builds the transport for `protocol`.
   *
   * @param protocol The protocol to drive.
   */
  constructor(protocol: P) {
    this.#protocol = protocol;
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
   * @returns True once `close()` or `abort()` was called or the peer went away.
   */
  abstract isClosing(): boolean;

  /** Closes the transport after flushing what is buffered. Idempotent. */
  abstract close(): void;

  /**
   * Closes the transport at once, dropping buffered writes.
   *
   * @param reason The error passed to the protocol's `connectionLost`.
   */
  abstract abort(reason?: Error): void;

  /** Settles once the protocol's `connectionLost` has run; never rejects. */
  get closed(): Promise<void> {
    return this.#closed.promise;
  }

  /**
   * For subclasses: calls the protocol's `connectionLost` exactly once, then
   * settles `closed`. An exception from the protocol is reported, not thrown.
   *
   * @param error `undefined` for a clean close, the cause otherwise.
   */
  protected connectionLost(error?: Error): void {
    if (this.#lost) return;
    this.#lost = true;
    try {
      this.#protocol.connectionLost(error);
    } catch (thrown) {
      // deno-lint-ignore no-console
      console.error("Protocol's connectionLost() failed:", thrown);
    } finally {
      this.#closed.resolve();
    }
  }
}
