// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * `BaseProtocol`: the callbacks every transport makes.
 *
 * @module
 */

import type { BaseProtocolInterface } from "../transports/protocol_interface.ts";
import type { Transport } from "../transports/transport.ts";

/**
 * The callbacks every transport makes on its protocol, as no-ops to
 * override. `connectionMade` keeps the transport in `transport`.
 *
 * @example The callbacks a transport makes, on a protocol built on it
 * ```ts
 * import { connect, listen, type SocketTransport } from "@pulsar/net/transports";
 * import { BaseProtocol, Protocol } from "@pulsar/net/protocols";
 * import { assert, assertEquals } from "@std/assert";
 *
 * class Life extends Protocol {
 *   seen: string[] = [];
 *   override connectionMade(transport: SocketTransport): void {
 *     super.connectionMade(transport); // keeps it in `transport`
 *     this.seen.push("made");
 *   }
 *   override connectionLost(error?: Error): void {
 *     this.seen.push(`lost ${error?.message ?? "cleanly"}`);
 *   }
 * }
 *
 * await using listener = listen(() => new Protocol(), { port: 0 });
 * const [transport, life] = await connect(() => new Life(), {
 *   port: listener.port,
 * });
 * assert(life instanceof BaseProtocol && life.transport === transport);
 * transport.close();
 * await transport.closed;
 * assertEquals(life.seen, ["made", "lost cleanly"]);
 * ```
 */
export class BaseProtocol implements BaseProtocolInterface {
  /** The transport driving this protocol, once connected. */
  transport: Transport | undefined;

  /**
   * Called once, when the transport is ready: keeps it in `transport`.
   *
   * @param transport The transport now driving this protocol.
   */
  connectionMade(transport: Transport): void {
    this.transport = transport;
  }

  /**
   * Called exactly once, when the transport has closed. Does nothing.
   *
   * @param _error `undefined` for a clean close, the cause otherwise.
   */
  connectionLost(_error?: Error): void {}

  /** Called when the transport's write buffer is above its high mark. Does nothing. */
  pauseWriting(): void {}

  /** Called when the transport's write buffer has drained. Does nothing. */
  resumeWriting(): void {}
}
