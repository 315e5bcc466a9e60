// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * `listen()`: accept TCP, Unix or TLS connections, each driven by a protocol.
 *
 * @module
 */

import { Gate } from "../internal/gate.ts";
import { reportError } from "../internal/report.ts";
import { setTimer } from "../internal/timer.ts";
import { checkFunction, checkObject } from "../internal/validate.ts";
import { formatAddress, formatHostPort } from "./format_address.ts";
import { ListenError } from "../errors.ts";
import { asError, isClosedByUs, listenError } from "./_errors.ts";
import { onClosed, startNow } from "./_internal.ts";
import {
  checkListenAddress,
  checkTlsServerOptions,
  hasUnstableNet,
  refuseTlsOverUnix,
} from "./_options.ts";
import type { ProtocolInterface } from "./protocol_interface.ts";
import {
  checkSocketTransportOptions,
  SocketTransport,
  type SocketTransportOptions,
} from "./socket_transport.ts";

/**
 * TLS options of a listener: the certificate chain and key, in PEM.
 *
 * @example A certificate that is not PEM is refused at once
 * ```ts
 * import { listen, type TlsServerOptions } from "@pulsar/net/transports";
 * import { ListenError } from "@pulsar/net/errors";
 * import { Protocol } from "@pulsar/net/protocols";
 * import { assertThrows } from "@std/assert";
 *
 * const tls: TlsServerOptions = { cert: "not a PEM", key: "not a PEM" };
 * assertThrows(
 *   () => listen(() => new Protocol(), { port: 0, tls }),
 *   ListenError,
 *   "invalid TLS certificate or key",
 * );
 * ```
 */
export interface TlsServerOptions {
  /** The certificate chain, PEM. */
  cert: string;
  /** The private key, PEM. */
  key: string;
  /** ALPN protocols to accept. */
  alpnProtocols?: string[];
}

/**
 * Options of `listen()`: where to listen, and the transports' options.
 *
 * @example Take each accepted transport as it starts
 * ```ts
 * import {
 *   connect,
 *   listen,
 *   type ListenOptions,
 *   type SocketTransport,
 * } from "@pulsar/net/transports";
 * import { Protocol } from "@pulsar/net/protocols";
 * import { assertEquals } from "@std/assert";
 *
 * const accepted = Promise.withResolvers<SocketTransport>();
 * const options: ListenOptions = {
 *   port: 0,
 *   backlog: 64,
 *   onTransport: (transport) => accepted.resolve(transport),
 * };
 * await using server = listen(() => new Protocol(), options);
 * await using client = (await connect(() => new Protocol(), {
 *   port: server.port,
 * }))[0];
 * const transport = await accepted.promise;
 * assertEquals(transport.remoteAddr, client.localAddr);
 * ```
 */
export interface ListenOptions extends SocketTransportOptions {
  /**
   * The address to listen on (TCP and TLS).
   *
   * @default {"127.0.0.1"}
   */
  hostname?: string;
  /**
   * The port to listen on; 0 picks a free one (see `addr`).
   *
   * @default {0}
   */
  port?: number;
  /** A Unix socket path to listen on, instead of a host and port. */
  path?: string;
  /**
   * Listen with TLS, with this certificate and key. Not with `path`: Deno's
   * TLS runs over TCP only.
   */
  tls?: TlsServerOptions;
  /**
   * The listen backlog: connections the kernel queues while none is
   * accepted; an integer of 1 or more.
   *
   * @default {511}
   */
  backlog?: number;
  /**
   * Let several listeners share this TCP (or TLS) address (`SO_REUSEPORT`):
   * on Linux the kernel spreads new connections over them, which is how
   * `serveWorkers()` runs a server on every core. Needs Deno's
   * `--unstable-net` (or `"unstable": ["net"]` in deno.json); Deno ignores
   * it on other systems. Not with `path`.
   *
   * @default {false}
   */
  reusePort?: boolean;
  /**
   * Called with each accepted transport, after its protocol's
   * `connectionMade`. If it throws, the error is reported to `onError`
   * (source `"onTransport"`) and that transport is aborted with it; the
   * listener goes on.
   */
  onTransport?: (transport: SocketTransport) => void;
}

/** How long to wait before accepting again after an accept failure. */
const ACCEPT_RETRY_DELAY = 100;

/**
 * A listening socket that accepts connections and starts a `SocketTransport`
 * with a new protocol for each. Returned by `listen()`.
 *
 * @example Accept a connection, pause, then dispose of everything
 * ```ts
 * import { connect, listen } from "@pulsar/net/transports";
 * import { Protocol } from "@pulsar/net/protocols";
 * import { assert, assertEquals } from "@std/assert";
 *
 * const accepted = Promise.withResolvers<void>();
 * await using listener = listen(() => new Protocol(), {
 *   port: 0,
 *   onTransport: () => accepted.resolve(),
 * });
 * await using _client = (await connect(() => new Protocol(), {
 *   port: listener.port,
 * }))[0];
 * await accepted.promise;
 * assertEquals(listener.transports.size, 1);
 * listener.pauseAccepting();
 * assert(!listener.isAccepting());
 * // Disposing closes the listener and aborts the transports it accepted.
 * ```
 */
export class SocketListener<P extends ProtocolInterface = ProtocolInterface> {
  #listener: Deno.Listener;
  #protocolFactory: () => P;
  #options: ListenOptions;
  #transports = new Set<SocketTransport>();
  /** Forgets a transport once it has closed: one function for them all. */
  #forget = (transport: SocketTransport): void => {
    this.#transports.delete(transport);
  };
  /** Shut by `pauseAccepting()`; the accept loop waits at it. */
  #accepting = new Gate();
  #closing = new AbortController();
  #loop: Promise<void>;

  /**
   * Starts accepting on an open Deno listener.
   *
   * @param listener The Deno listener; this object owns it.
   * @param protocolFactory Builds a protocol per connection.
   * @param options Transport options, and `onTransport`.
   * @throws {TypeError} If `protocolFactory` or `onTransport` is not a
   * function, or a transport option has the wrong type.
   * @throws {RangeError} If a transport option is out of range.
   */
  constructor(
    listener: Deno.Listener,
    protocolFactory: () => P,
    options: ListenOptions = {},
  ) {
    checkListenerOptions(protocolFactory, options);
    this.#listener = listener;
    this.#protocolFactory = protocolFactory;
    this.#options = options;
    this.#loop = this.#accept();
  }

  /** The bound address, a Unix socket's included. */
  get localAddr(): Deno.Addr {
    return this.#listener.addr;
  }

  /**
   * The bound port (with port 0, the one picked).
   *
   * @throws {TypeError} If the listener is on a Unix socket.
   */
  get port(): number {
    const address = this.#listener.addr;
    if (!("port" in address)) {
      throw new TypeError(
        `Cannot get the port of ${formatAddress(address)}: it is a Unix socket`,
      );
    }
    return address.port;
  }

  /** The transports accepted and not yet closed. */
  get transports(): ReadonlySet<SocketTransport> {
    return this.#transports;
  }

  /**
   * Whether connections are being accepted.
   *
   * @returns False while paused or once closed.
   */
  isAccepting(): boolean {
    return this.#accepting.isOpen && !this.#closing.signal.aborted;
  }

  /**
   * Stops accepting: new clients wait in the listen backlog until
   * `resumeAccepting()`.
   */
  pauseAccepting(): void {
    this.#accepting.shut();
  }

  /** Accepts again after `pauseAccepting()`. */
  resumeAccepting(): void {
    this.#accepting.open();
  }

  /**
   * Stops listening; open transports are left alone. Idempotent.
   *
   * @returns A promise settled once the accept loop has ended.
   */
  close(): Promise<void> {
    if (!this.#closing.signal.aborted) {
      this.#closing.abort();
      this.#accepting.wake();
      try {
        this.#listener.close();
      } catch {
        // Already closed.
      }
    }
    return this.#loop;
  }

  /**
   * Stops listening, aborts every open transport (a peer that does not read
   * cannot hold this up), and waits for them to close.
   *
   * @returns A promise settled once everything has closed.
   */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
    const closing = [...this.#transports].map((transport) => {
      transport.abort();
      return transport.closed;
    });
    await Promise.all(closing);
  }

  /** The accept loop; it never rejects. */
  async #accept(): Promise<void> {
    const closing = this.#closing.signal;
    while (!closing.aborted) {
      if (!this.#accepting.isOpen) {
        await this.#accepting.wait();
        continue;
      }
      let conn: Deno.Conn;
      try {
        conn = await this.#listener.accept();
      } catch (error) {
        if (closing.aborted || isClosedByUs(error)) return;
        // A connection reset while it waited in the backlog: it is gone,
        // the next one is not.
        if (isGoneBeforeAccept(error)) continue;
        // Out of file descriptors, say: report, wait a little, go on.
        reportError(this.#options.onError, {
          error,
          source: "accept",
          address: this.#listener.addr,
        });
        await pause(ACCEPT_RETRY_DELAY, closing);
        continue;
      }
      this.#start(conn);
    }
  }

  /**
   * Drives an accepted connection, started at once (so `onTransport` gets
   * it after `connectionMade`); whatever throws costs only it.
   */
  #start(conn: Deno.Conn): void {
    let transport: SocketTransport;
    try {
      transport = new SocketTransport(
        conn,
        this.#protocolFactory(),
        this.#options,
      );
    } catch (error) {
      // The factory threw (the options were checked up front).
      reportError(this.#options.onError, {
        error,
        source: "protocolFactory",
        address: conn.remoteAddr,
      });
      conn.close();
      return;
    }
    // A connectionMade that throws aborts the transport (its error reaches
    // the protocol's connectionLost); nobody awaits it, so it is reported.
    const thrown = startNow(transport);
    if (thrown !== undefined) {
      reportError(this.#options.onError, {
        error: thrown.error,
        source: "connectionMade",
        address: transport.remoteAddr,
      });
    }
    if (transport.isClosing()) return;
    this.#transports.add(transport);
    onClosed(transport, this.#forget);
    const onTransport = this.#options.onTransport;
    if (onTransport === undefined) return;
    try {
      onTransport(transport);
    } catch (error) {
      reportError(this.#options.onError, {
        error,
        source: "onTransport",
        address: transport.remoteAddr,
      });
      transport.abort(asError(error));
    }
  }
}

/** Whether an accept failed only because that connection was already gone. */
function isGoneBeforeAccept(error: unknown): boolean {
  return error instanceof Deno.errors.NotConnected ||
    error instanceof Deno.errors.ConnectionReset ||
    error instanceof Deno.errors.ConnectionAborted;
}

/** Waits `ms` milliseconds, or less if `signal` aborts; never rejects. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      timer.clear();
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimer(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

/** Checks what a `SocketListener` uses of its options. */
function checkListenerOptions(
  protocolFactory: unknown,
  options: ListenOptions,
): void {
  checkFunction("protocolFactory", protocolFactory);
  checkObject("options", options);
  if (options.onTransport !== undefined) {
    checkFunction("onTransport", options.onTransport);
  }
  checkSocketTransportOptions(options);
}

/**
 * Listens on a TCP, Unix or TLS address and drives each accepted connection
 * with a `SocketTransport` and a new protocol from `protocolFactory`.
 *
 * @typeParam P The protocol type.
 * @param protocolFactory Builds the protocol for each connection.
 * @param options The address (`hostname` and `port`, or `path`), `tls`,
 * `backlog` and transport options.
 * @returns The listener, already accepting.
 * @throws {AddrInUseError} If the address is taken. Like `Deno.listen`,
 * `listen()` is synchronous: it throws at once.
 * @throws {ListenError} If it cannot listen for another reason (an address
 * that is not local, a directory or an over-long path, a bad certificate or
 * key, `reusePort` without Deno's `--unstable-net`); `cause` is Deno's
 * error.
 * @throws {TypeError} If an option has the wrong type, or both `path` and
 * `tls` are given (Deno's TLS runs over TCP only).
 * @throws {RangeError} If a number is out of range (`port` from 0 to 65535,
 * `backlog`, `readSize` from 1 to 16 MiB, `writeBufferLimits`). Options are
 * checked before the socket is opened.
 *
 * @example An echo server
 * ```ts
 * import { connect, listen } from "@pulsar/net/transports";
 * import { Protocol } from "@pulsar/net/protocols";
 * import { assertEquals } from "@std/assert";
 *
 * class Echo extends Protocol {
 *   override dataReceived(data: Uint8Array): void {
 *     this.transport!.write(data);
 *   }
 * }
 * class Once extends Protocol {
 *   reply = Promise.withResolvers<string>();
 *   override dataReceived(data: Uint8Array): void {
 *     this.reply.resolve(new TextDecoder().decode(data));
 *     this.transport!.close();
 *   }
 * }
 *
 * await using server = listen(() => new Echo(), { port: 0 });
 * const [transport, client] = await connect(() => new Once(), {
 *   port: server.port,
 * });
 * transport.write(new TextEncoder().encode("ping"));
 * assertEquals(await client.reply.promise, "ping");
 * await transport.closed;
 * ```
 */
export function listen<P extends ProtocolInterface>(
  protocolFactory: () => P,
  options: ListenOptions = {},
): SocketListener<P> {
  // Every option is checked before the socket is opened.
  checkListenerOptions(protocolFactory, options);
  checkListenAddress(options);
  if (options.tls !== undefined) checkTlsServerOptions(options.tls);
  const { hostname = "127.0.0.1", port = 0, path, tls, backlog } = options;
  refuseTlsOverUnix("listen on", path, tls);
  const reusePort = options.reusePort === true;
  if (reusePort && !hasUnstableNet()) {
    // Deno would end the process (exit code 70) instead of throwing.
    throw new ListenError(formatHostPort(hostname, port), {
      reason: "reusePort needs Deno's --unstable-net flag (or " +
        '"unstable": ["net"] in deno.json)',
    });
  }
  let listener: Deno.Listener;
  try {
    if (path !== undefined) {
      listener = Deno.listen({ transport: "unix", path });
    } else if (tls !== undefined) {
      listener = Deno.listenTls({
        hostname,
        port,
        cert: tls.cert,
        key: tls.key,
        alpnProtocols: tls.alpnProtocols,
        tcpBacklog: backlog,
        ...(reusePort ? { reusePort } : {}),
      });
    } else {
      listener = Deno.listen({
        hostname,
        port,
        tcpBacklog: backlog,
        ...(reusePort ? { reusePort } : {}),
      });
    }
  } catch (error) {
    throw listenError(error, path ?? formatHostPort(hostname, port), path);
  }
  return new SocketListener(listener, protocolFactory, options);
}
