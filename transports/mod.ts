// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * Transports adapt Deno's sockets to protocols, with asyncio's semantics:
 * `connect()`, `listen()` and `listenDatagram()` build them;
 * `SocketTransport` drives TCP, Unix and TLS connections, `DatagramTransport`
 * UDP sockets. `StreamProtocol` gives a transport a web streams face
 * (`readable`, `writable`), which `openConnection()` and `listenStreams()`
 * open and accept, as asyncio's `open_connection()` and `start_server()`.
 *
 * @example An echo server and a client
 * ```ts
 * import { connect, listen } from "@pulsar/net/transports";
 * import { Protocol } from "@pulsar/net/protocols";
 * import { assertEquals } from "@std/assert";
 *
 * class Echo extends Protocol {
 *   override dataReceived(data: Uint8Array): void {
 *     this.transport!.write(data);
 *   }
 * }
 * class Client extends Protocol {
 *   reply = Promise.withResolvers<string>();
 *   override dataReceived(data: Uint8Array): void {
 *     this.reply.resolve(new TextDecoder().decode(data));
 *   }
 * }
 *
 * await using server = listen(() => new Echo(), { port: 0 });
 * const [transport, client] = await connect(() => new Client(), {
 *   port: server.port,
 * });
 * transport.write(new TextEncoder().encode("ping"));
 * assertEquals(await client.reply.promise, "ping");
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
export * from "./stream_protocol.ts";
export * from "./open_connection.ts";
