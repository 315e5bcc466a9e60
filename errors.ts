// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * The typed errors of `@pulsar/net`. Each names the address or limit involved
 * and keeps Deno's own error, when there is one, as `cause`.
 *
 * @module
 */

/**
 * Base class of every error this module raises, so one `instanceof` check
 * catches them all.
 *
 * @example Catch any error of the module
 * ```ts
 * import { NetError, TimeoutError } from "@pulsar/net/errors";
 * import { assert } from "@std/assert";
 *
 * assert(new TimeoutError("Request timed out after 10 ms") instanceof NetError);
 * ```
 */
export class NetError extends Error {
  /**
   * Builds the error.
   *
   * @param message What failed and why.
   * @param options `cause`: the underlying error.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * A connection ended, cleanly or not, before the operation that needed it
 * completed: a request lost its connection, or a write came after `close()`.
 *
 * @example
 * ```ts
 * import { ConnectionClosedError } from "@pulsar/net/errors";
 * import { assertEquals } from "@std/assert";
 *
 * const error = new ConnectionClosedError(
 *   "Connection to 127.0.0.1:4000 closed before the response was complete",
 * );
 * assertEquals(error.name, "ConnectionClosedError");
 * ```
 */
export class ConnectionClosedError extends NetError {}

/**
 * Nobody listens at the address a connection was made to. `address` names it
 * and `cause` is Deno's `ConnectionRefused` error.
 *
 * @example
 * ```ts
 * import { ConnectionRefusedError } from "@pulsar/net/errors";
 * import { assertEquals } from "@std/assert";
 *
 * const error = new ConnectionRefusedError("127.0.0.1:4000");
 * assertEquals(error.message, "Cannot connect to 127.0.0.1:4000: connection refused");
 * assertEquals(error.address, "127.0.0.1:4000");
 * ```
 */
export class ConnectionRefusedError extends NetError {
  /** The address that refused the connection, as `host:port` or a path. */
  readonly address: string;

  /**
   * Builds the error.
   *
   * @param address The refused address, as `host:port` or a Unix socket path.
   * @param options `cause`: Deno's error; `reason`: why, for the message
   * (default `"connection refused"`).
   */
  constructor(
    address: string,
    options?: ErrorOptions & { reason?: string },
  ) {
    super(
      `Cannot connect to ${address}: ${
        options?.reason ?? "connection refused"
      }`,
      options,
    );
    this.address = address;
  }
}

/**
 * A TLS handshake failed: an unknown certificate authority, a name mismatch,
 * or a peer that does not speak TLS. `cause` is Deno's error.
 *
 * @example
 * ```ts
 * import { TlsError } from "@pulsar/net/errors";
 * import { assertEquals } from "@std/assert";
 *
 * const error = new TlsError("TLS handshake with 127.0.0.1:4000 failed");
 * assertEquals(error.name, "TlsError");
 * ```
 */
export class TlsError extends NetError {}

/**
 * An operation did not finish within its time limit: a connect, a wait for a
 * pooled connection, or a request.
 *
 * @example
 * ```ts
 * import { TimeoutError } from "@pulsar/net/errors";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(new TimeoutError("Connect timed out").name, "TimeoutError");
 * ```
 */
export class TimeoutError extends NetError {}

/**
 * The peer (or a consumer) broke the protocol: garbage bytes, an oversize
 * message, leftover bytes from an unfinished consumer.
 *
 * @example
 * ```ts
 * import { ProtocolError } from "@pulsar/net/errors";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(new ProtocolError("Message too long").name, "ProtocolError");
 * ```
 */
export class ProtocolError extends NetError {}

/**
 * A limit on the number of connections was reached and the caller can act on
 * it (retry later, or raise the limit).
 *
 * @example
 * ```ts
 * import { TooManyConnectionsError } from "@pulsar/net/errors";
 * import { assertEquals } from "@std/assert";
 *
 * const error = new TooManyConnectionsError("Pool for 127.0.0.1:4000 is full");
 * assertEquals(error.name, "TooManyConnectionsError");
 * ```
 */
export class TooManyConnectionsError extends NetError {}
