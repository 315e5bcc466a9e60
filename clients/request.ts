// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * `Request`: what a client sends, and where.
 *
 * @module
 */

import type { EventCallback } from "../protocols/events.ts";
import type {
  Encodable,
  ProtocolConsumer,
} from "../protocols/protocol_consumer.ts";
import type { TlsClientOptions } from "../transports/connect.ts";
import { formatHostPort } from "../transports/_address.ts";

/** Where a request goes: a host and port, or a Unix socket path. */
export type RequestAddress = { hostname?: string; port: number } | {
  path: string;
};

/** Handlers bound on the consumer of one request only. */
export interface RequestEvents {
  /** Called when the request starts. */
  preRequest?: EventCallback<ProtocolConsumer, unknown>;
  /** Called when the response is complete, or the request failed. */
  postRequest?: EventCallback<ProtocolConsumer, unknown>;
  /** Called with each chunk of the response read. */
  dataReceived?: EventCallback<ProtocolConsumer, Uint8Array>;
  /** Called after each chunk of the response was handled. */
  dataProcessed?: EventCallback<ProtocolConsumer, Uint8Array>;
}

/** Options of a `Request`. */
export interface RequestOptions {
  /** The bytes to send (a string is sent as UTF-8); `encode()` returns them. */
  data?: Uint8Array | string;
  /**
   * Milliseconds for the whole request (waiting for a connection included)
   * before it fails with `TimeoutError`; 0 for the client's default.
   *
   * @default {0}
   */
  timeout?: number;
  /** TLS: `true` for the default roots, or options. */
  tls?: boolean | TlsClientOptions;
  /** Aborts the request; it rejects with the signal's reason. */
  signal?: AbortSignal;
  /**
   * Whether the connection goes back to the pool after the response.
   *
   * @default {true}
   */
  releaseConnection?: boolean;
  /** Handlers bound on this request's consumer only. */
  events?: RequestEvents;
}

/**
 * A request a `Client` sends: the address, the bytes (`encode()`), and how
 * (TLS, timeout, signal). Requests with the same `key` share a connection
 * pool. Subclass it and override `encode()` to build the bytes lazily.
 *
 * @example
 * ```ts
 * import { Request } from "@pulsar/net/clients";
 * import { assertEquals } from "@std/assert";
 *
 * const request = new Request({ port: 8060 }, { data: "ping" });
 * assertEquals(request.key, "tcp://127.0.0.1:8060");
 * assertEquals(new TextDecoder().decode(request.encode()), "ping");
 * ```
 */
export class Request implements Encodable {
  /** Where the request goes. */
  readonly address: RequestAddress;
  /** Milliseconds for the whole request; 0 for the client's default. */
  readonly timeout: number;
  /** TLS options, if any. */
  readonly tls: boolean | TlsClientOptions | undefined;
  /** Aborts the request. */
  readonly signal: AbortSignal | undefined;
  /** Whether the connection goes back to the pool after the response. */
  readonly releaseConnection: boolean;
  /** Handlers bound on this request's consumer only. */
  readonly events: RequestEvents | undefined;
  #data: Uint8Array | string | undefined;
  #key: string | undefined;

  /**
   * Builds a request.
   *
   * @param address A host and port (host defaults to `127.0.0.1`), or a
   * Unix socket path.
   * @param options The data, `timeout`, `tls`, `signal`,
   * `releaseConnection` and per-request `events`.
   */
  constructor(address: RequestAddress, options: RequestOptions = {}) {
    // Kept as given when complete, so a client can recognise it.
    this.address = "path" in address || address.hostname !== undefined
      ? address
      : { hostname: "127.0.0.1", port: address.port };
    this.timeout = options.timeout ?? 0;
    this.tls = options.tls;
    this.signal = options.signal;
    this.releaseConnection = options.releaseConnection ?? true;
    this.events = options.events;
    this.#data = options.data;
  }

  /**
   * The pool key: requests to the same address with the same TLS setting
   * and timeout share a pool of connections.
   */
  get key(): string {
    return this.#key ??= this.#makeKey();
  }

  #makeKey(): string {
    const address = this.address;
    let key: string;
    if ("path" in address) key = `unix://${address.path}`;
    else {
      const host = formatHostPort(address.hostname!, address.port);
      key = `${this.tls ? "tls" : "tcp"}://${host}`;
    }
    return this.timeout > 0 ? `${key}?timeout=${this.timeout}` : key;
  }

  /**
   * The bytes to send: the `data` option, UTF-8 encoded if a string.
   *
   * @returns The bytes.
   */
  encode(): Uint8Array {
    const data = this.#data ?? new Uint8Array(0);
    return typeof data === "string" ? new TextEncoder().encode(data) : data;
  }
}
