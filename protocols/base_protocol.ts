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
 * @example Log a connection's life
 * ```ts
 * import { BaseProtocol } from "@pulsar/net/protocols";
 *
 * class Logger extends BaseProtocol {
 *   override connectionLost(error?: Error): void {
 *     console.log("lost", error?.message ?? "cleanly");
 *   }
 * }
 * new Logger().connectionLost();
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
