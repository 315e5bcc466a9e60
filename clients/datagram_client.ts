// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * `DatagramClient`: request/response over UDP.
 *
 * @module
 */

import { deadline } from "../internal/deadline.ts";
import { ConnectionClosedError, TimeoutError } from "../errors.ts";
import { DatagramProtocol } from "../protocols/datagram_protocol.ts";
import { EventHandler } from "../protocols/events.ts";
import type { DatagramTransport } from "../transports/datagram_transport.ts";
import { listenDatagram } from "../transports/listen_datagram.ts";
import { formatAddress } from "../transports/format_address.ts";

/** The events of a datagram client: one-time `finish` on close. */
export type DatagramClientEvents = {
  finish: [owner: DatagramClient, data: DatagramClient];
};

/** Options of a `DatagramClient`. */
export interface DatagramClientOptions {
  /**
   * The server's host.
   *
   * @default {"127.0.0.1"}
   */
  hostname?: string;
  /** The server's port. */
  port: number;
  /**
   * Milliseconds to wait for each reply before failing with `TimeoutError`;
   * 0 for no limit.
   *
   * @default {0}
   */
  timeout?: number;
}

/** Options of `DatagramClient.request()`. */
export interface DatagramRequestOptions {
  /** Milliseconds to wait for the reply; overrides the client's. */
  timeout?: number;
  /** Aborts the wait; rejects with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * A request/response client over UDP: `request(data)` sends one datagram to
 * the server and resolves with the next datagram from it. Replies are
 * matched to requests in order, which suits an echo or any server that
 * answers each datagram once, in order. Datagrams from other addresses are
 * ignored. Deno needs `--unstable-net`.
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
  #transport: DatagramTransport | undefined;
  #pending: PromiseWithResolvers<Uint8Array>[] = [];
  #closing: Promise<void> | undefined;

  /**
   * Builds the client; its socket is bound on the first request.
   *
   * @param options The server's `hostname` and `port`, and `timeout`.
   */
  constructor(options: DatagramClientOptions) {
    super({ oneTime: ["finish"], manyTimes: [] });
    this.#server = {
      transport: "udp",
      hostname: options.hostname ?? "127.0.0.1",
      port: options.port,
    };
    this.#timeout = options.timeout ?? 0;
  }

  /** The server's address. */
  get address(): Deno.NetAddr {
    return this.#server;
  }

  /** The requests waiting for a reply. */
  get pending(): number {
    return this.#pending.length;
  }

  /**
   * Sends one datagram and resolves with the server's next reply.
   *
   * @param data The datagram (a string is sent as UTF-8).
   * @param options `timeout` and `signal`.
   * @returns The reply.
   * @throws {TimeoutError} If no reply came within the timeout.
   * @throws {ConnectionClosedError} If the client is closed.
   */
  async request(
    data: Uint8Array | string,
    options: DatagramRequestOptions = {},
  ): Promise<Uint8Array> {
    if (this.#closing !== undefined) {
      throw new ConnectionClosedError(
        `Cannot send to ${formatAddress(this.#server)}: the client is closed`,
      );
    }
    const bytes = typeof data === "string"
      ? new TextEncoder().encode(data)
      : data;
    const transport = this.#transport ??= this.#bind();
    const reply = Promise.withResolvers<Uint8Array>();
    this.#pending.push(reply);
    const timeout = options.timeout ?? this.#timeout;
    const limit = deadline(options.signal, timeout, () =>
      new TimeoutError(
        `No reply from ${formatAddress(this.#server)} within ${timeout} ms`,
      ));
    const signal = limit.signal;
    const onAbort = () => {
      const index = this.#pending.indexOf(reply);
      if (index >= 0) this.#pending.splice(index, 1);
      reply.reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      transport.sendto(bytes);
      return await reply.promise;
    } finally {
      signal?.removeEventListener("abort", onAbort);
      limit.clear();
    }
  }

  /**
   * Closes the socket; pending requests fail with `ConnectionClosedError`.
   * Fires `finish`. Idempotent.
   *
   * @returns A promise settled once closed.
   */
  close(): Promise<void> {
    return this.#closing ??= (async () => {
      const error = new ConnectionClosedError(
        `Request to ${formatAddress(this.#server)} cancelled: client closed`,
      );
      for (const reply of this.#pending.splice(0)) reply.reject(error);
      this.#transport?.close();
      await this.#transport?.closed;
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

  #bind(): DatagramTransport {
    const server = this.#server;
    const pending = this.#pending;
    class Replies extends DatagramProtocol {
      override datagramReceived(data: Uint8Array, addr: Deno.NetAddr): void {
        if (addr.port !== server.port) return;
        pending.shift()?.resolve(data);
      }
    }
    const local = server.hostname.includes(":") ? "::1" : "127.0.0.1";
    const [transport] = listenDatagram(() => new Replies(), {
      hostname: isLoopback(server.hostname) ? local : "0.0.0.0",
      remoteAddr: server,
    });
    return transport;
  }
}

function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname === "::1" ||
    hostname.startsWith("127.");
}
