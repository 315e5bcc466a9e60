// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * `connect()`: open a TCP, Unix or TLS connection driven by a protocol.
 *
 * @module
 */

import { abortable } from "@std/async/abortable";
import { deadline } from "../internal/deadline.ts";
import {
  checkDuration,
  checkFunction,
  checkObject,
  checkSignal,
} from "../internal/validate.ts";
import { TimeoutError } from "../errors.ts";
import { formatHostPort } from "./format_address.ts";
import { connectError } from "./_errors.ts";
import {
  checkOptionalString,
  checkPort,
  checkTlsClientOptions,
  refuseTlsOverUnix,
} from "./_options.ts";
import { startNow } from "./_internal.ts";
import type { ProtocolInterface } from "./protocol_interface.ts";
import {
  checkSocketTransportOptions,
  SocketTransport,
  type SocketTransportOptions,
} from "./socket_transport.ts";

/**
 * TLS options of a client connection.
 *
 * @example A TLS connection to a server that does not speak TLS fails
 * ```ts
 * import { connect, type TlsClientOptions } from "@pulsar/net/transports";
 * import { TlsError } from "@pulsar/net/errors";
 * import { Protocol } from "@pulsar/net/protocols";
 * import { assertRejects } from "@std/assert";
 *
 * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const plain = (async () => {
 *   using peer = await listener.accept();
 *   await peer.write(new TextEncoder().encode("HTTP/1.1 400 Bad Request\r\n"));
 * })();
 * const tls: TlsClientOptions = { hostname: "localhost", alpnProtocols: ["h2"] };
 * await assertRejects(
 *   () => connect(() => new Protocol(), { port: listener.addr.port, tls }),
 *   TlsError,
 *   "TLS handshake with",
 * );
 * await plain;
 * ```
 */
export interface TlsClientOptions {
  /**
   * The server name to verify the certificate against (and to send as SNI).
   *
   * @default {the connection's hostname}
   */
  hostname?: string;
  /** PEM root certificates trusted in addition to the default roots. */
  caCerts?: string[];
  /** ALPN protocols to offer. */
  alpnProtocols?: string[];
  /**
   * Skips the check of the certificate's names against `hostname` (the chain
   * is still verified).
   *
   * @default {false}
   */
  unsafelyDisableHostnameVerification?: boolean;
}

/**
 * Options of `connect()`: an address, and how to reach it.
 *
 * @example Connect to a Unix socket, within a time limit
 * ```ts
 * import { connect, type ConnectOptions, listen } from "@pulsar/net/transports";
 * import { Protocol } from "@pulsar/net/protocols";
 * import { assertEquals } from "@std/assert";
 *
 * const dir = await Deno.makeTempDir();
 * const path = `${dir}/app.sock`;
 * try {
 *   await using _server = listen(() => new Protocol(), { path });
 *   const options: ConnectOptions = { path, connectTimeout: 5000 };
 *   await using transport = (await connect(() => new Protocol(), options))[0];
 *   assertEquals(transport.remoteAddr, { transport: "unix", path });
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export interface ConnectOptions extends SocketTransportOptions {
  /**
   * The host to connect to (TCP and TLS).
   *
   * @default {"127.0.0.1"}
   */
  hostname?: string;
  /** The port to connect to (TCP and TLS). */
  port?: number;
  /** The path of a Unix socket to connect to, instead of a host and port. */
  path?: string;
  /**
   * TLS: `true` for the default roots, or options. The handshake completes
   * before `connect()` resolves, so a bad certificate fails here. Not with
   * `path`: Deno's TLS runs over TCP only.
   */
  tls?: boolean | TlsClientOptions;
  /**
   * Milliseconds to connect (and finish the TLS handshake) before failing
   * with `TimeoutError`; 0 or `Infinity` for no limit.
   *
   * @default {0}
   */
  connectTimeout?: number;
  /** Aborts the attempt; `connect()` rejects with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * Connects to a TCP, Unix or TLS address and starts a `SocketTransport`
 * driving a protocol built by `protocolFactory`. Resolves once connected,
 * after the protocol's `connectionMade`. On any failure it rejects and
 * leaves no connection open.
 *
 * @typeParam P The protocol type.
 * @param protocolFactory Builds the protocol for the connection.
 * @param options The address (`hostname` and `port`, or `path`), `tls`,
 * `connectTimeout`, `signal` and transport options.
 * @returns The transport and the protocol.
 * @throws {ConnectionRefusedError} If nobody listens at the address (or the
 * Unix socket file does not exist).
 * @throws {TimeoutError} If `connectTimeout` elapses first.
 * @throws {TlsError} If the TLS handshake fails.
 * @throws {TypeError} If neither a port nor a path is given, if an option
 * has the wrong type, or if both `path` and `tls` are given (Deno's TLS runs
 * over TCP only). Every option is checked before connecting.
 * @throws {RangeError} If a number is out of range (`port` from 1 to 65535,
 * `connectTimeout` 0 or more, `readSize` from 1 to 16 MiB, `writeBufferLimits`).
 * @throws {Error} What `protocolFactory` or the protocol's `connectionMade`
 * threw; the connection is closed first.
 *
 * @example Connect, write and close
 * ```ts
 * import { connect } from "@pulsar/net/transports";
 * import { Protocol } from "@pulsar/net/protocols";
 * import { assertEquals } from "@std/assert";
 *
 * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const [transport] = await connect(() => new Protocol(), {
 *   port: listener.addr.port,
 *   connectTimeout: 1000,
 * });
 * const peer = await listener.accept();
 * transport.write(new TextEncoder().encode("hi"));
 * // Closing flushes what was written first.
 * transport.close();
 * await transport.closed;
 * assertEquals(await new Response(peer.readable).text(), "hi");
 * ```
 *
 * @example A refused connection
 * ```ts
 * import { connect } from "@pulsar/net/transports";
 * import { ConnectionRefusedError } from "@pulsar/net/errors";
 * import { Protocol } from "@pulsar/net/protocols";
 * import { assertRejects } from "@std/assert";
 *
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const port = listener.addr.port;
 * listener.close();
 * await assertRejects(
 *   () => connect(() => new Protocol(), { port }),
 *   ConnectionRefusedError,
 *   `Cannot connect to 127.0.0.1:${port}: connection refused`,
 * );
 * ```
 */
export async function connect<P extends ProtocolInterface>(
  protocolFactory: () => P,
  options: ConnectOptions,
): Promise<[SocketTransport, P]> {
  // Every option is checked before a connection is opened, so a bad one
  // leaves nothing behind.
  checkConnectOptions(protocolFactory, options);
  const {
    hostname = "127.0.0.1",
    port,
    path,
    tls,
    connectTimeout: timeout = 0,
  } = options;
  const address = path ?? formatHostPort(hostname, port!);
  options.signal?.throwIfAborted();

  // One signal for the user's abort and the timeout, so both cancel the
  // connect op itself rather than leave it to finish unseen.
  const limit = deadline(
    options.signal,
    timeout,
    () =>
      new TimeoutError(
        `Cannot connect to ${address}: timed out after ${timeout} ms`,
      ),
  );
  const signal = limit.signal;
  let conn: Deno.Conn | undefined;
  let upgrading: Promise<Deno.TlsConn> | undefined;
  try {
    if (path !== undefined) {
      conn = await Deno.connect({ transport: "unix", path });
    } else {
      conn = await Deno.connect({ hostname, port: port!, signal });
    }
    signal?.throwIfAborted();
    if (tls) {
      const tlsOptions = tls === true ? {} : tls;
      const tcp = conn as Deno.TcpConn;
      // Nagle is set on the TCP socket first: a TlsConn has no setNoDelay.
      if (options.noDelay ?? true) tcp.setNoDelay(true);
      if (options.tcpKeepAlive) tcp.setKeepAlive(true);
      conn = undefined; // startTls consumes the TCP connection.
      upgrading = Deno.startTls(tcp, {
        hostname: tlsOptions.hostname ?? hostname,
        caCerts: tlsOptions.caCerts,
        alpnProtocols: tlsOptions.alpnProtocols,
        unsafelyDisableHostnameVerification:
          tlsOptions.unsafelyDisableHostnameVerification,
      });
      const tlsConn: Deno.TlsConn = await cancellable(upgrading, signal);
      conn = tlsConn;
      await cancellable(tlsConn.handshake(), signal);
    }
  } catch (error) {
    if (conn !== undefined) conn.close();
    // Aborted during the upgrade: close the connection it may still make.
    else upgrading?.then((late) => late.close(), () => {});
    // Aborted: the reason is the caller's (or our TimeoutError) as it is.
    if (signal?.aborted) throw signal.reason;
    throw connectError(error, address);
  } finally {
    limit.clear();
  }
  // Not a function of its own: no async frame on every connect's path.
  let protocol: P;
  let transport: SocketTransport;
  try {
    protocol = protocolFactory();
    transport = new SocketTransport(conn, protocol, options);
  } catch (error) {
    conn.close();
    throw error;
  }
  const thrown = startNow(transport);
  if (thrown !== undefined) {
    // The transport aborted itself with the error: wait until it has let go
    // of the connection, then fail with it.
    await transport.closed;
    throw thrown.error;
  }
  return [transport, protocol];
}

function checkConnectOptions(
  protocolFactory: unknown,
  options: ConnectOptions,
): void {
  checkFunction("protocolFactory", protocolFactory);
  checkObject("options", options);
  const { hostname, port, path, tls, connectTimeout, signal } = options;
  checkOptionalString("hostname", hostname);
  if (port !== undefined) checkPort("port", port, 1);
  checkOptionalString("path", path);
  if (path === undefined && port === undefined) {
    throw new TypeError("Cannot connect: give a port or a Unix socket path");
  }
  if (tls !== undefined) checkTlsClientOptions(tls);
  refuseTlsOverUnix("connect to", path, tls);
  if (connectTimeout !== undefined) {
    checkDuration("connectTimeout", connectTimeout);
  }
  if (signal !== undefined) checkSignal("signal", signal);
  checkSocketTransportOptions(options);
}

/** `promise`, rejecting early if `signal` aborts. */
function cancellable<T>(
  promise: Promise<T>,
  signal: AbortSignal | undefined,
): Promise<T> {
  return signal === undefined ? promise : abortable(promise, signal);
}
