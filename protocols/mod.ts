// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * Protocols sit on transports: `BaseProtocol`, `Protocol` and
 * `DatagramProtocol` are the transport callbacks; `Connection` hands a
 * stream's bytes to one `ProtocolConsumer` per request; `EventHandler` gives
 * them all typed, awaitable events.
 *
 * @example A consumer per request on a connection
 * ```ts
 * import { Connection, ProtocolConsumer } from "@pulsar/net/protocols";
 *
 * class Ignore extends ProtocolConsumer {
 *   override dataReceived(): void {
 *     this.finished();
 *   }
 * }
 * const connection = new Connection({ consumerFactory: () => new Ignore() });
 * console.log(connection.processed); // 0
 * ```
 *
 * @module
 */

export * from "./events.ts";
export * from "./base_protocol.ts";
export * from "./protocol.ts";
export * from "./datagram_protocol.ts";
export * from "./protocol_consumer.ts";
export * from "./producer_interface.ts";
export * from "./connection.ts";
export * from "./delimiter_finder.ts";
export * from "./delimited_consumer.ts";
