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
 * A socket could not listen (or bind) at an address: the address is not
 * local, the Unix socket path is a directory or too long, the TLS
 * certificate or key is not valid PEM. `address` names it and `cause` is
 * Deno's error. An address already in use is the subclass `AddrInUseError`.
 *
 * @example
 * ```ts
 * import { ListenError, NetError } from "@pulsar/net/errors";
 * import { assert, assertEquals } from "@std/assert";
 *
 * const error = new ListenError("192.0.2.1:4000", {
 *   reason: "address not available",
 * });
 * assertEquals(
 *   error.message,
 *   "Cannot listen on 192.0.2.1:4000: address not available",
 * );
 * assert(error instanceof NetError);
 * ```
 */
export class ListenError extends NetError {
  /** The address that could not be listened on, as `host:port` or a path. */
  readonly address: string;

  /**
   * Builds the error.
   *
   * @param address The address, as `host:port` or a Unix socket path.
   * @param options `cause`: Deno's error; `reason`: why, for the message
   * (default `"listen failed"`).
   */
  constructor(
    address: string,
    options?: ErrorOptions & { reason?: string },
  ) {
    super(
      `Cannot listen on ${address}: ${options?.reason ?? "listen failed"}`,
      options,
    );
    this.address = address;
  }
}

/**
 * The address to listen on is taken: another socket listens on that port,
 * or a file exists at that Unix socket path. Catch it by type to try another
 * port. `cause` is Deno's `AddrInUse` error.
 *
 * @example
 * ```ts
 * import { AddrInUseError, ListenError } from "@pulsar/net/errors";
 * import { assert, assertEquals } from "@std/assert";
 *
 * const error = new AddrInUseError("127.0.0.1:4000");
 * assertEquals(error.message, "Cannot listen on 127.0.0.1:4000: address in use");
 * assert(error instanceof ListenError);
 * ```
 */
export class AddrInUseError extends ListenError {
  /**
   * Builds the error.
   *
   * @param address The address, as `host:port` or a Unix socket path.
   * @param options `cause`: Deno's error; `reason`: why, for the message
   * (default `"address in use"`).
   */
  constructor(
    address: string,
    options?: ErrorOptions & { reason?: string },
  ) {
    super(address, {
      ...options,
      reason: options?.reason ?? "address in use",
    });
  }
}

/**
 * A worker of `serveWorkers()` could not start: its module failed to load,
 * does not export a `createServer` function, or that function threw or
 * built no server. `workerId` names the worker; `cause` is the worker's own
 * error, rebuilt in this thread (its `name`, `message` and `stack`).
 *
 * @example
 * ```ts
 * import { NetError, WorkerError } from "@pulsar/net/errors";
 * import { assert, assertEquals } from "@std/assert";
 *
 * const error = new WorkerError(1, "its module does not export createServer");
 * assertEquals(error.message, "Worker 1 failed to start: its module does not export createServer");
 * assertEquals(error.workerId, 1);
 * assert(error instanceof NetError);
 * ```
 */
export class WorkerError extends NetError {
  /** The worker's id, from 1. */
  readonly workerId: number;

  /**
   * Builds the error.
   *
   * @param workerId The worker's id.
   * @param reason Why it failed, for the message.
   * @param options `cause`: the worker's error.
   */
  constructor(workerId: number, reason: string, options?: ErrorOptions) {
    super(`Worker ${workerId} failed to start: ${reason}`, options);
    this.workerId = workerId;
  }
}

/**
 * An error that has no caller to reject: a user callback that threw (a
 * protocol's `connectionLost`, an event handler, `onTransport`, a consumer's
 * `dataReceived`) or a failure of a background loop (an `accept()` that
 * failed). What threw costs at most its connection; the report goes to the
 * `onError` option of whatever owns it (a `Server`, a `Client`, `listen()`,
 * `connect()`), or, when nobody set one, to one `console.error` line.
 */
export interface ErrorReport {
  /** What was thrown. */
  error: unknown;
  /**
   * What threw: a callback's name (`"connectionLost"`, `"dataReceived"`,
   * `"onTransport"`), `"event <name>"` for an event handler, or the
   * operation that failed (`"accept"`).
   */
  source: string;
  /** The address concerned: the peer's, or the listener's for `accept`. */
  address?: Deno.Addr;
}

/**
 * Receives error reports: the `onError` option. It should not throw; if it
 * does, that error is printed with `console.error`.
 *
 * @example Count the callbacks that threw
 * ```ts
 * import type { ErrorHandler, ErrorReport } from "@pulsar/net/errors";
 * import { assertEquals } from "@std/assert";
 *
 * const reports: ErrorReport[] = [];
 * const onError: ErrorHandler = (report) => reports.push(report);
 * onError({ error: new Error("boom"), source: "dataReceived" });
 * assertEquals(reports[0].source, "dataReceived");
 * ```
 */
export type ErrorHandler = (report: ErrorReport) => void;
