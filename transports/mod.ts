// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * Transports adapt Deno's sockets to protocols, with asyncio's semantics:
 * `connect()`, `listen()` and `listenDatagram()` build them;
 * `SocketTransport` drives TCP, Unix and TLS connections, `DatagramTransport`
 * UDP sockets.
 *
 * @example Connect to a listener
 * ```ts
 * import { connect, listen } from "@pulsar/net/transports";
 * import { Protocol } from "@pulsar/net/protocols";
 *
 * await using listener = listen(() => new Protocol(), { port: 0 });
 * const [transport] = await connect(() => new Protocol(), {
 *   port: listener.port,
 * });
 * transport.close();
 * await transport.closed;
 * ```
 *
 * @module
 */

export * from "./protocol_interface.ts";
export * from "./transport.ts";
export * from "./socket_transport.ts";
export * from "./datagram_transport.ts";
export * from "./connect.ts";
export * from "./listen.ts";
export * from "./listen_datagram.ts";
export * from "./format_address.ts";
