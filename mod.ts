// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * pulsar for Deno: asyncio-style transports and protocols over Deno's
 * sockets, with per-request protocol consumers.
 *
 * - `transports`: `connect()`, `listen()`, `listenDatagram()`,
 *   `SocketTransport`, `DatagramTransport`.
 * - `protocols`: `Protocol`, `DatagramProtocol`, `Connection`,
 *   `ProtocolConsumer`, `EventHandler`.
 * - `producers`: `Server`, `DatagramServer`, `Producer`,
 *   `ConnectionProducer`.
 * - `clients`: `Client`, `ConnectionPool`, `Request`, `DatagramClient`.
 * - `errors`: the typed errors.
 *
 * @example An echo server and a client, over transports and protocols
 * ```ts
 * import { connect, listen, Protocol } from "@pulsar/net";
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
 * transport.write(new TextEncoder().encode("ciao luca"));
 * assertEquals(await client.reply.promise, "ciao luca");
 * transport.close();
 * await transport.closed;
 * ```
 *
 * @module
 */

export * from "./errors.ts";
export * from "./transports/mod.ts";
export * from "./protocols/mod.ts";
export * from "./producers/mod.ts";
export * from "./clients/mod.ts";
