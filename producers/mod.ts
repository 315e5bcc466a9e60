// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * Producers build connections and consumers: `Server` (TCP, Unix, TLS) runs
 * one `ProtocolConsumer` per request, `DatagramServer` serves UDP, and
 * `serveWorkers()` runs a `Server` on every core, in supervised workers.
 * `Producer` is what servers and clients share (connection factory, idle
 * timeout, hooks, `onError`); `ConnectionProducer` adds a server's tracking
 * of its connections.
 *
 * @example An echo server on a free port
 * ```ts
 * import { Server } from "@pulsar/net/producers";
 * import { ProtocolConsumer } from "@pulsar/net/protocols";
 * import { assertEquals } from "@std/assert";
 *
 * class Echo extends ProtocolConsumer {
 *   override dataReceived(data: Uint8Array): void {
 *     this.transport!.write(data);
 *     this.finished();
 *   }
 * }
 * await using server = new Server({ consumerFactory: () => new Echo() });
 * await server.start();
 * using conn = await Deno.connect({ port: server.port });
 * await conn.write(new Uint8Array([42]));
 * const reply = new Uint8Array(1);
 * await conn.read(reply);
 * assertEquals(reply[0], 42);
 * ```
 *
 * @module
 */

export * from "./producer.ts";
export * from "./connection_producer.ts";
export * from "./server.ts";
export * from "./datagram_server.ts";
export * from "./workers.ts";
