// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * The transport's contract with its protocol: what a transport calls on the
 * protocol it drives, and in which order. `BaseProtocol`, `Protocol` and
 * `DatagramProtocol` (in `@pulsar/net/protocols`) implement these with
 * methods that do nothing.
 *
 * @module
 */

import type { DatagramTransport } from "./datagram_transport.ts";
import type { SocketTransport } from "./socket_transport.ts";
import type { Transport } from "./transport.ts";

/**
 * What every transport calls on its protocol: the shape of `BaseProtocol`.
 * A transport calls `connectionMade` once, once it is built and before any
 * data, then data callbacks, then `connectionLost` exactly once.
 *
 * @example One lifecycle shared by a datagram protocol
 * ```ts
 * import {
 *   type BaseProtocolInterface,
 *   type DatagramProtocolInterface,
 *   listenDatagram,
 * } from "@pulsar/net/transports";
 * import { assert } from "@std/assert";
 *
 * class Lifecycle implements BaseProtocolInterface {
 *   made = false;
 *   lost = Promise.withResolvers<void>();
 *   connectionMade(): void {
 *     this.made = true;
 *   }
 *   connectionLost(): void {
 *     this.lost.resolve();
 *   }
 *   pauseWriting(): void {}
 *   resumeWriting(): void {}
 * }
 * class Silent extends Lifecycle implements DatagramProtocolInterface {
 *   datagramReceived(): void {}
 *   errorReceived(): void {}
 * }
 *
 * const [transport, protocol] = listenDatagram(() => new Silent());
 * assert(protocol.made);
 * transport.close();
 * await protocol.lost.promise;
 * ```
 */
export interface BaseProtocolInterface {
  /**
   * Called once, when the transport is built and before any data.
   *
   * @param transport The transport now driving this protocol.
   */
  connectionMade(transport: Transport): void;
  /**
   * Called exactly once, when the transport has closed.
   *
   * @param error `undefined` for a clean close, the cause otherwise.
   */
  connectionLost(error?: Error): void;
  /** Called when the transport's write buffer rises above its high mark. */
  pauseWriting(): void;
  /** Called when the transport's write buffer drains below its low mark. */
  resumeWriting(): void;
}

/**
 * What a `SocketTransport` calls on its protocol: the shape of `Protocol`.
 *
 * @example A protocol written without a base class
 * ```ts
 * import {
 *   connect,
 *   listen,
 *   type ProtocolInterface,
 *   type SocketTransport,
 * } from "@pulsar/net/transports";
 * import { assertEquals } from "@std/assert";
 *
 * class Greeter implements ProtocolInterface {
 *   connectionMade(transport: SocketTransport): void {
 *     transport.write(new TextEncoder().encode("hello"));
 *     transport.close();
 *   }
 *   dataReceived(): void {}
 *   eofReceived(): void {}
 *   connectionLost(): void {}
 *   pauseWriting(): void {}
 *   resumeWriting(): void {}
 * }
 * class Reader implements ProtocolInterface {
 *   text = "";
 *   done = Promise.withResolvers<string>();
 *   connectionMade(): void {}
 *   dataReceived(data: Uint8Array): void {
 *     this.text += new TextDecoder().decode(data);
 *   }
 *   eofReceived(): void {}
 *   connectionLost(): void {
 *     this.done.resolve(this.text);
 *   }
 *   pauseWriting(): void {}
 *   resumeWriting(): void {}
 * }
 *
 * await using server = listen(() => new Greeter(), { port: 0 });
 * const [, reader] = await connect(() => new Reader(), { port: server.port });
 * assertEquals(await reader.done.promise, "hello");
 * ```
 */
export interface ProtocolInterface extends BaseProtocolInterface {
  /**
   * Called once, when the transport is built and before any data.
   *
   * @param transport The transport now driving this protocol.
   */
  connectionMade(transport: SocketTransport): void;
  /**
   * Called with each chunk read. The chunk is never overwritten, so it may be
   * kept or written back as it is.
   *
   * @param data The bytes read.
   */
  dataReceived(data: Uint8Array): void;
  /**
   * Called at most once, when the peer closed its writing side. Return true
   * to keep this side open for writing (half-close); otherwise the transport
   * closes.
   *
   * @returns Whether to keep the transport open for writing.
   */
  eofReceived(): boolean | void;
}

/**
 * What a `DatagramTransport` calls on its protocol: the shape of
 * `DatagramProtocol`.
 *
 * @example A protocol that counts datagrams, written without a base class
 * ```ts
 * import {
 *   type DatagramProtocolInterface,
 *   listenDatagram,
 * } from "@pulsar/net/transports";
 * import { assertEquals } from "@std/assert";
 *
 * class Counter implements DatagramProtocolInterface {
 *   count = 0;
 *   got = Promise.withResolvers<void>();
 *   connectionMade(): void {}
 *   datagramReceived(): void {
 *     if (++this.count === 2) this.got.resolve();
 *   }
 *   errorReceived(): void {}
 *   connectionLost(): void {}
 *   pauseWriting(): void {}
 *   resumeWriting(): void {}
 * }
 *
 * const [counter, protocol] = listenDatagram(() => new Counter());
 * const [sender] = listenDatagram(() => new Counter(), {
 *   remoteAddr: counter.localAddr as Deno.NetAddr,
 * });
 * sender.sendto(new Uint8Array([1]));
 * sender.sendto(new Uint8Array([2]));
 * await protocol.got.promise;
 * assertEquals(protocol.count, 2);
 * sender.close();
 * counter.close();
 * await Promise.all([sender.closed, counter.closed]);
 * ```
 */
export interface DatagramProtocolInterface extends BaseProtocolInterface {
  /**
   * Called once, when the transport is built and before any data.
   *
   * @param transport The transport now driving this protocol.
   */
  connectionMade(transport: DatagramTransport): void;
  /**
   * Called with each datagram received. The bytes are never overwritten, so
   * they may be kept or sent back as they are.
   *
   * @param data The datagram.
   * @param addr Where it came from.
   */
  datagramReceived(data: Uint8Array, addr: Deno.NetAddr): void;
  /**
   * Called when a send or a receive failed; the transport stays open.
   *
   * @param error The failure.
   */
  errorReceived(error: Error): void;
}
