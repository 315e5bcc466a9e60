// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * `Protocol`: the callbacks of a stream transport.
 *
 * @module
 */

import type { ProtocolInterface } from "../transports/protocol_interface.ts";
import type { SocketTransport } from "../transports/socket_transport.ts";
import { BaseProtocol } from "./base_protocol.ts";

/**
 * A stream protocol (TCP, Unix, TLS), as no-ops to override: `dataReceived`
 * gets each chunk read; `eofReceived` the peer's end of stream.
 *
 * @example A protocol that collects what it reads until the peer is done
 * ```ts
 * import { connect, listen } from "@pulsar/net/transports";
 * import { Protocol } from "@pulsar/net/protocols";
 * import { assertEquals } from "@std/assert";
 *
 * const collected = Promise.withResolvers<string>();
 * class Collect extends Protocol {
 *   #text = "";
 *   override dataReceived(data: Uint8Array): void {
 *     this.#text += new TextDecoder().decode(data);
 *   }
 *   override connectionLost(): void {
 *     collected.resolve(this.#text);
 *   }
 * }
 *
 * await using listener = listen(() => new Collect(), { port: 0 });
 * const [transport] = await connect(() => new Protocol(), {
 *   port: listener.port,
 * });
 * transport.write(new TextEncoder().encode("hello"));
 * transport.close();
 * await transport.closed;
 * assertEquals(await collected.promise, "hello");
 * ```
 */
export class Protocol extends BaseProtocol implements ProtocolInterface {
  /** The transport driving this protocol, once connected. */
  declare transport: SocketTransport | undefined;

  /**
   * Called once, when the transport is ready: keeps it in `transport`.
   *
   * @param transport The transport now driving this protocol.
   */
  override connectionMade(transport: SocketTransport): void {
    this.transport = transport;
  }

  /**
   * Called with each chunk read. Does nothing.
   *
   * @param _data The bytes read; never overwritten by later reads.
   */
  dataReceived(_data: Uint8Array): void {}

  /**
   * Called when the peer closed its writing side. Returns nothing, so the
   * transport closes; return true to keep writing (half-close).
   *
   * @returns Whether to keep the transport open for writing.
   */
  eofReceived(): boolean | void {}
}
