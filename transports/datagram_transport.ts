// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * The datagram transport over a `Deno.DatagramConn` (UDP).
 *
 * @module
 */

import { ConnectionClosedError, type ErrorHandler } from "../errors.ts";
import {
  checkBytes,
  checkFunction,
  checkObject,
} from "../internal/validate.ts";
import { formatAddress } from "./format_address.ts";
import { asError, isClosedByUs } from "./_errors.ts";
import type { DatagramProtocolInterface } from "./protocol_interface.ts";
import { Transport } from "./transport.ts";

/**
 * Options of a `DatagramTransport`.
 *
 * @example A transport with a default destination
 * ```ts
 * import { DatagramTransport, listenDatagram } from "@pulsar/net/transports";
 * import { DatagramProtocol } from "@pulsar/net/protocols";
 * import { assertEquals } from "@std/assert";
 *
 * const got = Promise.withResolvers<string>();
 * class Receiver extends DatagramProtocol {
 *   override datagramReceived(data: Uint8Array): void {
 *     got.resolve(new TextDecoder().decode(data));
 *   }
 * }
 *
 * await using server = listenDatagram(() => new Receiver())[0];
 * const conn = Deno.listenDatagram({
 *   hostname: "127.0.0.1",
 *   port: 0,
 *   transport: "udp",
 * });
 * await using client = new DatagramTransport(conn, new DatagramProtocol(), {
 *   remoteAddr: server.localAddr as Deno.NetAddr,
 * });
 * client.sendto(new TextEncoder().encode("hi"));
 * assertEquals(await got.promise, "hi");
 * ```
 */
export interface DatagramTransportOptions {
  /** Where `sendto()` sends when given no address. */
  remoteAddr?: Deno.NetAddr;
  /**
   * Receives what a protocol callback threw when there is no caller to
   * throw to: `errorReceived` and `connectionLost`, with the callback's
   * name as `source` and the transport's `remoteAddr` (or, without one, its
   * local address).
   *
   * @default {one console.error line per error}
   */
  onError?: ErrorHandler;
}

/** The largest UDP payload over IPv4. */
const MAX_DATAGRAM = 65507;
/** Datagrams are received into slabs of this many bytes, reused until full. */
const SLAB = 4 * MAX_DATAGRAM;

/**
 * A transport over a `Deno.DatagramConn` (UDP; Deno needs `--unstable-net`).
 * `sendto()` never blocks; received datagrams reach the protocol's
 * `datagramReceived` as views of a reused slab that are never overwritten, so
 * no 64 KiB buffer is allocated per datagram.
 *
 * Its protocol's `connectionMade` is called once the transport is built,
 * before any datagram (see `Transport`). Most code gets one from
 * `listenDatagram()`, which calls it before it returns the transport; one
 * built directly calls it in a microtask, then starts receiving.
 *
 * @example Send a datagram to yourself
 * ```ts
 * import { DatagramTransport } from "@pulsar/net/transports";
 * import { DatagramProtocol } from "@pulsar/net/protocols";
 * import { assertEquals } from "@std/assert";
 *
 * const got = Promise.withResolvers<string>();
 * class Receiver extends DatagramProtocol {
 *   override datagramReceived(data: Uint8Array): void {
 *     got.resolve(new TextDecoder().decode(data));
 *   }
 * }
 * const conn = Deno.listenDatagram({
 *   hostname: "127.0.0.1",
 *   port: 0,
 *   transport: "udp",
 * });
 * const transport = new DatagramTransport(conn, new Receiver());
 * transport.sendto(new TextEncoder().encode("ping"), conn.addr as Deno.NetAddr);
 * assertEquals(await got.promise, "ping");
 * transport.close();
 * await transport.closed;
 * ```
 */
export class DatagramTransport extends Transport<DatagramProtocolInterface> {
  #conn: Deno.DatagramConn;
  #remoteAddr: Deno.NetAddr | undefined;
  #sending = 0;
  #drained: PromiseWithResolvers<void> | undefined;

  /**
   * Builds the transport. Its protocol's `connectionMade(this)` is called
   * once it is built, in a microtask, then it starts receiving.
   *
   * @param conn The datagram socket; this transport owns it.
   * @param protocol The protocol to drive.
   * @param options `remoteAddr` (where `sendto()` sends when given no
   * address) and `onError`.
   * @throws {TypeError} If `options` is not an object or `onError` not a
   * function; `conn` is then left open and still the caller's to close.
   */
  constructor(
    conn: Deno.DatagramConn,
    protocol: DatagramProtocolInterface,
    options: DatagramTransportOptions = {},
  ) {
    checkObject("options", options);
    if (options.onError !== undefined) {
      checkFunction("onError", options.onError);
    }
    super(conn, protocol, options.onError);
    this.#conn = conn;
    this.#remoteAddr = options.remoteAddr;
  }

  /** The local address. */
  get localAddr(): Deno.Addr {
    return this.#conn.addr;
  }

  /** The default destination of `sendto()`, if one was given. */
  get remoteAddr(): Deno.NetAddr | undefined {
    return this.#remoteAddr;
  }

  /**
   * Sends one datagram without blocking. A failure (a datagram over 65,507
   * bytes, say) reaches the protocol's `errorReceived`. The transport owns
   * `data` from now on: do not change it.
   *
   * @param data The datagram.
   * @param addr The destination; defaults to the transport's `remoteAddr`.
   * @throws {ConnectionClosedError} If the transport is closing.
   * @throws {TypeError} If `data` is not a `Uint8Array`, or there is neither
   * `addr` nor a `remoteAddr`.
   */
  sendto(
    data: Uint8Array,
    addr: Deno.NetAddr | undefined = this.#remoteAddr,
  ): void {
    checkBytes("data", data);
    if (this.isClosing()) {
      throw new ConnectionClosedError(
        `Cannot send from ${formatAddress(this.localAddr)}: it is closing`,
      );
    }
    if (addr === undefined) {
      throw new TypeError(
        "Cannot send a datagram: no address given and no remoteAddr set",
      );
    }
    this.#sending++;
    this.#conn.send(data, addr).then(this.#onSent, this.#onSendFailed);
  }

  // Bound once, not per datagram.
  #onSent = (): void => this.#sent();
  #onSendFailed = (error: unknown): void => {
    this.#sent();
    if (!this.isFinished() || !isClosedByUs(error)) this.#errorReceived(error);
  };

  /** Closes the transport once pending sends have completed. Idempotent. */
  close(): void {
    if (!this.markClosing()) return;
    this.#whenDrained().then(() => this.finish(undefined));
  }

  /**
   * Closes the transport at once; pending sends may be lost.
   *
   * @param reason The error passed to the protocol's `connectionLost`.
   */
  abort(reason?: Error): void {
    this.finish(reason, this.#whenDrained());
  }

  #sent(): void {
    if (--this.#sending === 0) this.#drained?.resolve();
  }

  /** Settles once no send is pending. */
  #whenDrained(): Promise<void> {
    if (this.#sending === 0) return Promise.resolve();
    this.#drained ??= Promise.withResolvers();
    return this.#drained.promise;
  }

  /**
   * The receive loop, started once `connectionMade` has returned; never
   * rejects.
   *
   * @returns A promise that settles when the loop ends.
   */
  protected async readLoop(): Promise<void> {
    let slab = new Uint8Array(SLAB);
    let offset = 0;
    while (!this.isClosing()) {
      if (slab.length - offset < MAX_DATAGRAM) {
        slab = new Uint8Array(SLAB);
        offset = 0;
      }
      let data: Uint8Array;
      let addr: Deno.Addr;
      try {
        [data, addr] = await this.#conn.receive(
          slab.subarray(offset, offset + MAX_DATAGRAM),
        );
      } catch (error) {
        if (this.isFinished() || isClosedByUs(error)) return;
        this.#errorReceived(error);
        continue;
      }
      if (this.isClosing()) return;
      offset += data.length;
      try {
        this.protocol.datagramReceived(data, addr as Deno.NetAddr);
      } catch (error) {
        this.report("datagramReceived", error);
        this.abort(asError(error));
        return;
      }
    }
  }

  #errorReceived(error: unknown): void {
    try {
      this.protocol.errorReceived(asError(error));
    } catch (thrown) {
      this.report("errorReceived", thrown);
    }
  }
}
