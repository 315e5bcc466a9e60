// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * `DatagramProtocol`: the callbacks of a datagram transport.
 *
 * @module
 */

import type { DatagramProtocolInterface } from "../transports/protocol_interface.ts";
import type { DatagramTransport } from "../transports/datagram_transport.ts";
import { BaseProtocol } from "./base_protocol.ts";

/**
 * A datagram (UDP) protocol, as no-ops to override: `datagramReceived` gets
 * each datagram and its sender, `errorReceived` failed sends and receives.
 *
 * @example Count datagrams
 * ```ts
 * import { DatagramProtocol } from "@pulsar/net/protocols";
 * import { assertEquals } from "@std/assert";
 *
 * class Counter extends DatagramProtocol {
 *   count = 0;
 *   override datagramReceived(data: Uint8Array, _addr: Deno.NetAddr): void {
 *     this.count += data.length;
 *   }
 * }
 * const counter = new Counter();
 * counter.datagramReceived(new Uint8Array(1), {
 *   transport: "udp",
 *   hostname: "127.0.0.1",
 *   port: 9,
 * });
 * assertEquals(counter.count, 1);
 * ```
 */
export class DatagramProtocol extends BaseProtocol
  implements DatagramProtocolInterface {
  /** The transport driving this protocol, once connected. */
  declare transport: DatagramTransport | undefined;

  /**
   * Called once, when the transport is ready: keeps it in `transport`.
   *
   * @param transport The transport now driving this protocol.
   */
  override connectionMade(transport: DatagramTransport): void {
    this.transport = transport;
  }

  /**
   * Called with each datagram received. Does nothing.
   *
   * @param _data The datagram; never overwritten by later ones.
   * @param _addr Its sender.
   */
  datagramReceived(_data: Uint8Array, _addr: Deno.NetAddr): void {}

  /**
   * Called when a send or receive failed. Does nothing.
   *
   * @param _error The failure.
   */
  errorReceived(_error: Error): void {}
}
