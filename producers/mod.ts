// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * Producers build connections and consumers: `Server` (TCP, Unix, TLS) runs
 * one `ProtocolConsumer` per request, `DatagramServer` serves UDP;
 * `Producer` and `ConnectionProducer` are their bases.
 *
 * @example A server on a free port
 * ```ts
 * import { Server } from "@pulsar/net/producers";
 * import { ProtocolConsumer } from "@pulsar/net/protocols";
 *
 * class Drop extends ProtocolConsumer {
 *   override dataReceived(): void {
 *     this.finished();
 *   }
 * }
 * await using server = new Server({ consumerFactory: () => new Drop() });
 * await server.start();
 * console.log(`listening on port ${server.port}`);
 * ```
 *
 * @module
 */

export * from "./producer.ts";
export * from "./connection_producer.ts";
export * from "./server.ts";
export * from "./datagram_server.ts";
