// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * Protocols sit on transports: `BaseProtocol`, `Protocol` and
 * `DatagramProtocol` are the transport callbacks; `Connection` hands a
 * stream's bytes to one `ProtocolConsumer` per request; `EventHandler` gives
 * them all typed, awaitable events.
 *
 * @example A consumer per request on each accepted connection
 * ```ts
 * import { listen } from "@pulsar/net/transports";
 * import { Connection, ProtocolConsumer } from "@pulsar/net/protocols";
 * import { assertEquals } from "@std/assert";
 *
 * class Shout extends ProtocolConsumer {
 *   override dataReceived(data: Uint8Array): void {
 *     const text = new TextDecoder().decode(data).toUpperCase();
 *     this.transport!.write(new TextEncoder().encode(text));
 *     this.finished();
 *   }
 * }
 *
 * await using listener = listen(
 *   () => new Connection({ consumerFactory: () => new Shout() }),
 *   { port: 0 },
 * );
 * using conn = await Deno.connect({ port: listener.port });
 * await conn.write(new TextEncoder().encode("hi"));
 * const reply = new Uint8Array(2);
 * await conn.read(reply);
 * assertEquals(new TextDecoder().decode(reply), "HI");
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
export * from "./chunk_reader.ts";
