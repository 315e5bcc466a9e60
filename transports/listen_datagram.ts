// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * `listenDatagram()`: a UDP socket driven by a datagram protocol.
 *
 * @module
 */

import type { ErrorHandler } from "../errors.ts";
import {
  checkBoolean,
  checkFunction,
  checkObject,
  checkString,
} from "../internal/validate.ts";
import { formatHostPort } from "./format_address.ts";
import { listenError } from "./_errors.ts";
import { checkOptionalString, checkPort, hasUnstableNet } from "./_options.ts";
import { startNow } from "./_internal.ts";
import { DatagramTransport } from "./datagram_transport.ts";
import type { DatagramProtocolInterface } from "./protocol_interface.ts";

/**
 * Options of `listenDatagram()`.
 *
 * @example Receive what a protocol's errorReceived threw
 * ```ts
 * import { listenDatagram } from "@pulsar/net/transports";
 * import type { ErrorReport } from "@pulsar/net/errors";
 * import { DatagramProtocol } from "@pulsar/net/protocols";
 * import { assertEquals } from "@std/assert";
 *
 * class Careless extends DatagramProtocol {
 *   override errorReceived(): void {
 *     throw new Error("could not log it");
 *   }
 * }
 *
 * const reported = Promise.withResolvers<ErrorReport>();
 * await using transport = listenDatagram(() => new Careless(), {
 *   hostname: "127.0.0.1",
 *   port: 0,
 *   onError: (report) => reported.resolve(report),
 * })[0];
 * // Over 65,507 bytes: the send fails, and errorReceived is called.
 * transport.sendto(new Uint8Array(70_000), transport.localAddr as Deno.NetAddr);
 * assertEquals((await reported.promise).source, "errorReceived");
 * ```
 */
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
  /**
   * Receives what a protocol callback threw when there is no caller to
   * throw to (see `DatagramTransportOptions.onError`).
   *
   * @default {one console.error line per error}
   */
  onError?: ErrorHandler;
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
 * @throws {TypeError} If Deno runs without `--unstable-net`, or an option
 * has the wrong type.
 * @throws {RangeError} If a port is out of range (`port` from 0 to 65535,
 * `remoteAddr.port` from 1). Options are checked before the socket is bound.
 * @throws {AddrInUseError} If the address is taken. Like
 * `Deno.listenDatagram`, this is synchronous: it throws at once.
 * @throws {ListenError} If it cannot bind for another reason (an address
 * that is not local, say); `cause` is Deno's error.
 * @throws {Error} What `protocolFactory` or the protocol's `connectionMade`
 * threw; the socket is closed first.
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
  checkListenDatagramOptions(protocolFactory, options);
  if (!hasUnstableNet()) {
    throw new TypeError(
      'Cannot listen for datagrams: run Deno with "--unstable-net"',
    );
  }
  const {
    hostname = "127.0.0.1",
    port = 0,
    reuseAddress,
    remoteAddr,
    onError,
  } = options;
  let conn: Deno.DatagramConn;
  try {
    conn = Deno.listenDatagram({
      hostname,
      port,
      transport: "udp",
      reuseAddress,
    });
  } catch (error) {
    throw listenError(error, formatHostPort(hostname, port));
  }
  let protocol: P;
  let transport: DatagramTransport;
  try {
    protocol = protocolFactory();
    transport = new DatagramTransport(conn, protocol, {
      remoteAddr: remoteAddr && { transport: "udp", ...remoteAddr },
      onError,
    });
  } catch (error) {
    conn.close();
    throw error;
  }
  // Started now, so that the transport is returned after connectionMade.
  // If it threw, the transport aborted itself and closed the socket: fail
  // with the error rather than hand back a closed transport.
  const thrown = startNow(transport);
  if (thrown !== undefined) throw thrown.error;
  return [transport, protocol];
}

function checkListenDatagramOptions(
  protocolFactory: unknown,
  options: ListenDatagramOptions,
): void {
  checkFunction("protocolFactory", protocolFactory);
  checkObject("options", options);
  const { hostname, port, remoteAddr, reuseAddress, onError } = options;
  checkOptionalString("hostname", hostname);
  if (port !== undefined) checkPort("port", port, 0);
  if (remoteAddr !== undefined) {
    checkObject("remoteAddr", remoteAddr);
    checkString("remoteAddr.hostname", remoteAddr.hostname);
    checkPort("remoteAddr.port", remoteAddr.port, 1);
  }
  if (reuseAddress !== undefined) checkBoolean("reuseAddress", reuseAddress);
  if (onError !== undefined) checkFunction("onError", onError);
}
