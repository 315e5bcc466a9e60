// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * `DatagramClient`: request/response over UDP.
 *
 * @module
 */

import { lookup } from "node:dns/promises";
import { deadline } from "../internal/deadline.ts";
import {
  checkBytes,
  checkDuration,
  checkFunction,
  checkInteger,
  checkObject,
  checkSignal,
  checkString,
  describe,
} from "../internal/validate.ts";
import {
  ConnectionClosedError,
  type ErrorHandler,
  NetError,
  TimeoutError,
} from "../errors.ts";
import { DatagramProtocol } from "../protocols/datagram_protocol.ts";
import { EventHandler } from "../protocols/events.ts";
import {
  listenDatagram,
  type ListenDatagramOptions,
} from "../transports/listen_datagram.ts";
import { formatAddress } from "../transports/format_address.ts";

/** The largest UDP payload over IPv4, and the most a transport receives. */
const MAX_DATAGRAM = 65507;

const encoder = new TextEncoder();

/** The events of a datagram client: one-time `finish` on close. */
export type DatagramClientEvents = {
  finish: [owner: DatagramClient, data: DatagramClient];
};

/** Options of a `DatagramClient`. */
export interface DatagramClientOptions {
  /**
   * The server's host: an IP address or a name, resolved once, at the first
   * request. Replies must come from the address the requests are sent to.
   *
   * @default {"127.0.0.1"}
   */
  hostname?: string;
  /** The server's port: an integer from 1 to 65535. */
  port: number;
  /**
   * Milliseconds to wait for each reply (waiting for a free socket
   * included) before failing with `TimeoutError`; 0 or `Infinity` for no
   * limit.
   *
   * @default {0}
   */
  timeout?: number;
  /**
   * The most requests in flight at once, each on its own socket; more wait,
   * in order, for a free one. `Infinity` for no limit.
   *
   * @default {10}
   */
  poolSize?: number;
  /**
   * Receives the errors no request can be rejected with, from the client's
   * sockets, with their source and address. Without it, each is printed as
   * one `console.error` line.
   */
  onError?: ErrorHandler;
}

/** Options of `DatagramClient.request()`. */
export interface DatagramRequestOptions {
  /**
   * Milliseconds to wait for the reply; overrides the client's. 0 or
   * `Infinity` for no limit.
   */
  timeout?: number;
  /**
   * Cancels the request; it rejects with the signal's reason. A signal
   * already aborted means nothing is sent.
   */
  signal?: AbortSignal;
}

/**
 * A request/response client over UDP: `request(data)` sends one datagram to
 * the server and resolves with the datagram the server sends back. Deno
 * needs `--unstable-net`.
 *
 * UDP carries no request ids, so the client keeps each request in flight on
 * its own socket (its own local port), up to `poolSize` at once:
 *
 * - A reply is the first datagram that arrives on the request's socket from
 *   the server's address (host and port, as resolved). Datagrams from any
 *   other address are ignored, and so is anything arriving on a socket with
 *   no request in flight.
 * - A socket whose request was answered serves the next request; so a
 *   client sending one request at a time uses one socket and one port.
 * - A request that timed out, was aborted or failed closes its socket: its
 *   late reply, if one ever comes, finds no socket and can never reach
 *   another request. A lost reply costs only its own request (which then
 *   times out: set a `timeout`, or pass a `signal`, since UDP may lose
 *   either datagram).
 * - A send that fails (the OS refuses it) rejects its request with a
 *   `NetError`, Deno's error as `cause`. A datagram over 65,507 bytes is
 *   refused before sending, with a `RangeError`.
 *
 * A server that answers each datagram once, to its sender, is all this
 * needs; one that answers twice may have its extra datagram taken as the
 * reply to the socket's next request.
 *
 * @example Ask a UDP echo server
 * ```ts
 * import { DatagramClient, DatagramServer } from "@pulsar/net";
 * import { DatagramProtocol } from "@pulsar/net/protocols";
 * import { assertEquals } from "@std/assert";
 *
 * class Echo extends DatagramProtocol {
 *   override datagramReceived(data: Uint8Array, addr: Deno.NetAddr): void {
 *     this.transport!.sendto(data, addr);
 *   }
 * }
 * await using server = new DatagramServer({ protocolFactory: () => new Echo() });
 * await server.start();
 * await using client = new DatagramClient({
 *   port: server.localAddr.port,
 *   timeout: 1000,
 * });
 * const reply = await client.request("ping");
 * assertEquals(new TextDecoder().decode(reply), "ping");
 * ```
 */
export class DatagramClient
  extends EventHandler<DatagramClientEvents, "finish"> {
  #server: Deno.NetAddr;
  #timeout: number;
  #poolSize: number;
  #onError: ErrorHandler | undefined;
  /** The server's resolved address, once known. */
  #peer: Deno.NetAddr | undefined;
  #resolving: Promise<Deno.NetAddr> | undefined;
  /** Open sockets, busy or idle. */
  #sockets = new Set<ReplySocket>();
  /** Idle sockets; the last one freed is reused first. */
  #idle: ReplySocket[] = [];
  /** Requests waiting for a free socket, in order. */
  #waiters: PromiseWithResolvers<ReplySocket>[] = [];
  /** Every socket's `closed`, until it settles. */
  #closes = new Set<Promise<void>>();
  #pending = 0;
  #closing: Promise<void> | undefined;
  #closed = Promise.withResolvers<void>();

  /**
   * Builds the client; sockets are bound when requests need them.
   *
   * @param options The server's `hostname` and `port`, `timeout`,
   *   `poolSize` and `onError`.
   * @throws {TypeError} If an option has the wrong type.
   * @throws {RangeError} If `port` is not an integer from 1 to 65535, or
   *   `timeout` is negative or `NaN`, or `poolSize` is below 1.
   */
  constructor(options: DatagramClientOptions) {
    super({ oneTime: ["finish"], manyTimes: [] });
    checkObject("options", options);
    const hostname = options.hostname === undefined
      ? "127.0.0.1"
      : checkString("hostname", options.hostname);
    if (hostname === "") {
      throw new TypeError(
        `Cannot use hostname ${
          describe(hostname)
        }: it must be a host name or an IP address`,
      );
    }
    this.#server = {
      transport: "udp",
      hostname,
      port: checkInteger("port", options.port, 1, 65535),
    };
    this.#timeout = options.timeout === undefined
      ? 0
      : checkDuration("timeout", options.timeout);
    this.#poolSize = options.poolSize === undefined
      ? 10
      : checkInteger("poolSize", options.poolSize, 1, Infinity);
    this.#onError = options.onError === undefined
      ? undefined
      : checkFunction<ErrorHandler>("onError", options.onError);
  }

  /** The server's address, as given. */
  get address(): Deno.NetAddr {
    return this.#server;
  }

  /**
   * The requests not settled yet: waiting for a socket or for their reply
   * (a `Client`'s counter of the same name).
   */
  get requestsInFlight(): number {
    return this.#pending;
  }

  /**
   * Sends one datagram and resolves with the server's reply to it.
   *
   * @param data The datagram (a string is sent as UTF-8), at most 65,507
   *   bytes. The client owns it until the request settles: do not change it.
   * @param options `timeout` and `signal`.
   * @returns The reply.
   * @throws {TypeError} If `data` or an option has the wrong type.
   * @throws {RangeError} If `data` is over 65,507 bytes, or `timeout` is
   *   negative or `NaN`.
   * @throws {TimeoutError} If no reply came within the timeout.
   * @throws {NetError} If the send failed or the hostname did not resolve
   *   (Deno's error as `cause`).
   * @throws {ConnectionClosedError} If the client is closed.
   */
  async request(
    data: Uint8Array | string,
    options: DatagramRequestOptions = {},
  ): Promise<Uint8Array> {
    checkObject("options", options);
    const timeout = options.timeout === undefined
      ? this.#timeout
      : checkDuration("timeout", options.timeout);
    const signal = options.signal;
    if (signal !== undefined) checkSignal("signal", signal);
    const bytes = typeof data === "string"
      ? encoder.encode(data)
      : checkBytes("data", data);
    if (bytes.length > MAX_DATAGRAM) {
      throw new RangeError(
        `Cannot send ${bytes.length} bytes to ${
          formatAddress(this.#server)
        }: a UDP datagram holds at most ${MAX_DATAGRAM}`,
      );
    }
    if (this.#closing !== undefined) throw this.#closedError();
    this.#pending++;
    const limit = deadline(signal, timeout, () =>
      new TimeoutError(
        `No reply from ${formatAddress(this.#server)} within ${timeout} ms`,
      ));
    try {
      limit.signal?.throwIfAborted();
      const socket = await this.#acquire(limit.signal);
      if (limit.signal?.aborted) {
        // Cancelled as the socket was handed over: nothing was sent.
        this.#release(socket);
        throw limit.signal.reason;
      }
      return await this.#exchange(socket, bytes, limit.signal);
    } finally {
      limit.clear();
      this.#pending--;
    }
  }

  /**
   * Whether `close()` was called.
   *
   * @returns True once closing.
   */
  isClosing(): boolean {
    return this.#closing !== undefined;
  }

  /** Settles (never rejects) once `close()` has closed every socket. */
  get closed(): Promise<void> {
    return this.#closed.promise;
  }

  /**
   * Closes every socket; requests in flight or waiting fail with
   * `ConnectionClosedError`. Fires `finish`. Idempotent.
   *
   * @returns A promise settled once every socket has closed.
   */
  close(): Promise<void> {
    return this.#closing ??= (async () => {
      const error = this.#closedError();
      for (const waiter of this.#waiters.splice(0)) waiter.reject(error);
      const sockets = [...this.#sockets];
      this.#sockets.clear();
      this.#idle.length = 0;
      for (const socket of sockets) {
        socket.cancel(error);
        socket.transport?.close();
      }
      await this.#resolving?.catch(() => {});
      await Promise.all(this.#closes);
      this.#closed.resolve();
      this.fireEvent("finish", this);
    })();
  }

  /**
   * Closes the client, as `close()` does.
   *
   * @returns A promise settled once closed.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #closedError(): ConnectionClosedError {
    return new ConnectionClosedError(
      `Request to ${formatAddress(this.#server)} cancelled: client closed`,
    );
  }

  /** Sends `bytes` on `socket` and waits for its reply. */
  async #exchange(
    socket: ReplySocket,
    bytes: Uint8Array,
    signal: AbortSignal | undefined,
  ): Promise<Uint8Array> {
    const reply = Promise.withResolvers<Uint8Array>();
    socket.reply = reply;
    const onAbort = () => socket.cancel(signal!.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      socket.transport!.sendto(bytes, this.#peer);
      const answer = await reply.promise;
      this.#release(socket);
      return answer;
    } catch (error) {
      // Timed out, aborted, failed or closed: the socket goes with its
      // request, so a late reply can never reach another one.
      socket.cancel(error);
      this.#discard(socket);
      throw error;
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
  }

  /** An idle socket, a new one, or the next one freed. */
  async #acquire(signal: AbortSignal | undefined): Promise<ReplySocket> {
    const peer = this.#peer ?? await abortable(this.#resolve(), signal);
    if (this.#closing !== undefined) throw this.#closedError();
    const idle = this.#idle.pop();
    if (idle !== undefined) return idle;
    if (this.#sockets.size < this.#poolSize) return this.#bind(peer);
    const waiter = Promise.withResolvers<ReplySocket>();
    this.#waiters.push(waiter);
    const onAbort = () => {
      const index = this.#waiters.indexOf(waiter);
      // Not queued any more: it was handed a socket, which request() gives
      // back on seeing the aborted signal.
      if (index < 0) return;
      this.#waiters.splice(index, 1);
      waiter.reject(signal!.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      return await waiter.promise;
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
  }

  /** Resolves the server's hostname once; a failure is retried next time. */
  #resolve(): Promise<Deno.NetAddr> {
    if (this.#resolving === undefined) {
      const resolving = resolvePeer(this.#server).then((peer) => {
        this.#peer = peer;
        return peer;
      }, (error) => {
        this.#resolving = undefined;
        throw error;
      });
      resolving.catch(() => {}); // Its callers handle it.
      this.#resolving = resolving;
    }
    return this.#resolving;
  }

  #bind(peer: Deno.NetAddr): ReplySocket {
    const socket = new ReplySocket(peer, () => this.#lost(socket));
    try {
      // Typed wider than ListenDatagramOptions until it takes onError.
      const options: ListenDatagramOptions = {
        hostname: localAddressFor(peer),
        onError: this.#onError,
      };
      listenDatagram(() => socket, options);
    } catch (error) {
      if (!(error instanceof Error) || error instanceof TypeError) throw error;
      throw new NetError(
        `Cannot bind a UDP socket to reach ${
          formatAddress(this.#server)
        }: ${error.message}`,
        { cause: error },
      );
    }
    this.#sockets.add(socket);
    const closed = socket.transport!.closed;
    this.#closes.add(closed);
    closed.then(() => this.#closes.delete(closed));
    return socket;
  }

  /** Gives an answered request's socket to the next request. */
  #release(socket: ReplySocket): void {
    if (!this.#sockets.has(socket)) return;
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) waiter.resolve(socket);
    else this.#idle.push(socket);
  }

  /** Closes a socket whose request did not get its reply. */
  #discard(socket: ReplySocket): void {
    socket.transport?.close();
    this.#lost(socket);
  }

  /** Forgets a closed socket, and binds another for a waiting request. */
  #lost(socket: ReplySocket): void {
    if (!this.#sockets.delete(socket)) return;
    const index = this.#idle.indexOf(socket);
    if (index >= 0) this.#idle.splice(index, 1);
    const waiter = this.#waiters.shift();
    if (waiter === undefined) return;
    try {
      waiter.resolve(this.#bind(this.#peer!));
    } catch (error) {
      waiter.reject(error);
    }
  }
}

/** One socket of a `DatagramClient`: at most one request in flight. */
class ReplySocket extends DatagramProtocol {
  /** The request in flight, until it is answered or cancelled. */
  reply: PromiseWithResolvers<Uint8Array> | undefined;
  #peer: Deno.NetAddr;
  #onLost: () => void;

  constructor(peer: Deno.NetAddr, onLost: () => void) {
    super();
    this.#peer = peer;
    this.#onLost = onLost;
  }

  /** Rejects the request in flight, if any; its reply will be dropped. */
  cancel(reason: unknown): void {
    const reply = this.reply;
    this.reply = undefined;
    reply?.reject(reason);
  }

  override datagramReceived(data: Uint8Array, addr: Deno.NetAddr): void {
    if (this.reply === undefined || !isFrom(addr, this.#peer)) return;
    const reply = this.reply;
    this.reply = undefined;
    reply.resolve(data);
  }

  override errorReceived(error: Error): void {
    this.cancel(
      new NetError(
        `Request to ${formatAddress(this.#peer)} failed: ${error.message}`,
        { cause: error },
      ),
    );
    // Idle or not, a socket that failed is not reused.
    this.transport?.close();
    this.#onLost();
  }

  override connectionLost(error?: Error): void {
    this.cancel(
      new ConnectionClosedError(
        `Socket to ${formatAddress(this.#peer)} closed before the reply`,
        { cause: error },
      ),
    );
    this.#onLost();
  }
}

/** Waits for `promise`, or rejects with `signal`'s reason if it aborts first. */
function abortable<T>(
  promise: Promise<T>,
  signal: AbortSignal | undefined,
): Promise<T> {
  if (signal === undefined) return promise;
  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(signal.reason);
    if (signal.aborted) return abort();
    signal.addEventListener("abort", abort, { once: true });
    promise.then(resolve, reject).finally(() =>
      signal.removeEventListener("abort", abort)
    );
  });
}

/**
 * The server's address as an IP, so replies can be matched by host: an IP
 * literal as it is (canonical), a name looked up like the OS does
 * (`/etc/hosts` included), the first address taken. The unspecified
 * address means this host, as it does for `Deno.connect`.
 */
async function resolvePeer(server: Deno.NetAddr): Promise<Deno.NetAddr> {
  let ip = canonicalIp(server.hostname);
  if (ip === undefined) {
    let address: string;
    try {
      ({ address } = await lookup(server.hostname));
    } catch (error) {
      throw new NetError(
        `Cannot resolve "${server.hostname}" to send to ${
          formatAddress(server)
        }: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
    ip = canonicalIp(address) ?? address;
  }
  if (ip === "0.0.0.0") ip = "127.0.0.1";
  if (ip === "::") ip = "::1";
  return { transport: "udp", hostname: ip, port: server.port };
}

const IPV4 =
  /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/**
 * An IP literal in the form Deno reports senders in (dotted IPv4, RFC 5952
 * IPv6, an IPv4-mapped IPv6 address as IPv4), or undefined for a name.
 */
function canonicalIp(hostname: string): string | undefined {
  if (IPV4.test(hostname)) return hostname;
  if (!hostname.includes(":")) return undefined;
  let ip: string;
  try {
    ip = new URL(`http://[${hostname.replace(/^\[|\]$/g, "")}]`).hostname
      .slice(1, -1);
  } catch {
    return undefined;
  }
  const mapped = ip.match(/^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/);
  if (mapped === null) return ip;
  const high = parseInt(mapped[1], 16);
  const low = parseInt(mapped[2], 16);
  return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
}

/** Whether a datagram's sender is the server. */
function isFrom(addr: Deno.NetAddr, peer: Deno.NetAddr): boolean {
  return addr.port === peer.port &&
    (addr.hostname === peer.hostname ||
      canonicalIp(addr.hostname) === peer.hostname);
}

/** The address to bind to reach `peer`: loopback for loopback, else any. */
function localAddressFor(peer: Deno.NetAddr): string {
  if (peer.hostname.includes(":")) {
    return peer.hostname === "::1" ? "::1" : "::";
  }
  return peer.hostname.startsWith("127.") ? "127.0.0.1" : "0.0.0.0";
}
