// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * `listenDatagram()`: a UDP socket driven by a datagram protocol.
 *
 * @module
 */

import {
  type DatagramProtocolInterface,
  DatagramTransport,
} from "./datagram_transport.ts";

/** Options of `listenDatagram()`. */
export interface ListenDatagramOptions {
  /**
   * The address to bind.
   *
   * @default {"127.0.0.1"}
   */
  hostname?: string;
  /**
   * The port to bind; 0 picks a free one.
   *
   * @default {0}
   */
  port?: number;
  /**
   * Where `sendto()` sends when given no address: a client's server.
   * Datagrams from other addresses are still delivered.
   */
  remoteAddr?: { hostname: string; port: number };
  /**
   * Lets other sockets bind the same address and port.
   *
   * @default {false}
   */
  reuseAddress?: boolean;
}

/**
 * Binds a UDP socket and drives it with a `DatagramTransport` and the
 * protocol from `protocolFactory`. Deno needs `--unstable-net` (or
 * `"unstable": ["net"]` in deno.json) for UDP.
 *
 * @typeParam P The protocol type.
 * @param protocolFactory Builds the protocol.
 * @param options The address to bind, and a default `remoteAddr`.
 * @returns The transport and the protocol, already receiving.
 * @throws {TypeError} If Deno runs without `--unstable-net`.
 * @throws {Deno.errors.AddrInUse} If the address is taken.
 *
 * @example A UDP echo server and a client
 * ```ts
 * import { listenDatagram } from "@pulsar/net/transports";
 * import { DatagramProtocol } from "@pulsar/net/protocols";
 * import { assertEquals } from "@std/assert";
 *
 * class Echo extends DatagramProtocol {
 *   override datagramReceived(data: Uint8Array, addr: Deno.NetAddr): void {
 *     this.transport!.sendto(data, addr);
 *   }
 * }
 * class Client extends DatagramProtocol {
 *   reply = Promise.withResolvers<string>();
 *   override datagramReceived(data: Uint8Array): void {
 *     this.reply.resolve(new TextDecoder().decode(data));
 *   }
 * }
 *
 * const [server] = listenDatagram(() => new Echo(), { port: 0 });
 * const [transport, client] = listenDatagram(() => new Client(), {
 *   remoteAddr: server.localAddr as Deno.NetAddr,
 * });
 * transport.sendto(new TextEncoder().encode("ping"));
 * assertEquals(await client.reply.promise, "ping");
 * transport.close();
 * server.close();
 * await Promise.all([transport.closed, server.closed]);
 * ```
 */
export function listenDatagram<P extends DatagramProtocolInterface>(
  protocolFactory: () => P,
  options: ListenDatagramOptions = {},
): [DatagramTransport, P] {
  if (typeof Deno.listenDatagram !== "function") {
    throw new TypeError(
      'Cannot listen for datagrams: run Deno with "--unstable-net"',
    );
  }
  const { hostname = "127.0.0.1", port = 0, reuseAddress, remoteAddr } =
    options;
  const conn = Deno.listenDatagram({
    hostname,
    port,
    transport: "udp",
    reuseAddress,
  });
  const protocol = protocolFactory();
  const transport = new DatagramTransport(conn, protocol, {
    remoteAddr: remoteAddr && { transport: "udp", ...remoteAddr },
  });
  return [transport, protocol];
}
