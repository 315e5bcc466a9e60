// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * `Request`: what a client sends, and where.
 *
 * @module
 */

import type { EventCallback } from "../protocols/events.ts";
import type {
  ConsumerEvents,
  Encodable,
} from "../protocols/protocol_consumer.ts";
import { CONSUMER_EVENTS } from "../internal/event_names.ts";
import type { TlsClientOptions } from "../transports/connect.ts";
import {
  checkBoolean,
  checkDuration,
  checkFunction,
  checkInteger,
  checkObject,
  checkSignal,
  checkString,
  describe,
} from "../internal/validate.ts";
import { makeTarget } from "./_target.ts";

/** Where a request goes: a host and port, or a Unix socket path. */
export type RequestAddress = { hostname?: string; port: number } | {
  path: string;
};

/**
 * Handlers bound on the consumer of one request only: one for any of the
 * consumer's events (`ConsumerEvents`), with the same owner and data.
 */
export type RequestEvents = {
  [K in keyof ConsumerEvents]?: EventCallback<
    ConsumerEvents[K][0],
    ConsumerEvents[K][1]
  >;
};

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
   * Whether the connection goes back to the pool after a successful
   * response; `false` leaves it in use, for the consumer's code to take
   * over (an upgrade). After an error reply it goes back to the pool
   * anyway. With a client's `pipelining` above 1, other requests may be in
   * flight on that connection, or still be given it: send upgrades through
   * a client with `pipelining` 1.
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
 * pool: the same address and the same TLS settings (a request's timeout
 * does not split pools). Subclass it and override `encode()` to build the
 * bytes lazily.
 *
 * A request carries the type of its result: `client.response()` of a
 * `Request<number>` is a `Promise<number>`, so the commands of one client
 * may each have their own result type (see `Client`). The consumer that
 * reads the reply must produce a value of that type.
 *
 * @typeParam T The type of the result `Client.response()` resolves with.
 *
 * @example
 * ```ts
 * import { Request } from "@pulsar/net/clients";
 * import { assertEquals } from "@std/assert";
 *
 * const request = new Request({ port: 8060 }, { data: "ping" });
 * assertEquals(request.key, "tcp://127.0.0.1:8060");
 * assertEquals(new TextDecoder().decode(request.encode()), "ping");
 *
 * // TLS settings select their own pool; the timeout does not.
 * const tls = new Request({ port: 8060 }, {
 *   tls: { hostname: "example.com", alpnProtocols: ["h2"] },
 *   timeout: 500,
 * });
 * assertEquals(tls.key, "tls://127.0.0.1:8060?servername=example.com&alpn=h2");
 * ```
 */
export class Request<T = unknown> implements Encodable {
  /**
   * The type of the result, for the type checker only: never set. It is
   * what ties `Client.response()`'s result to the request.
   */
  declare readonly resultType?: T;
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
   * @throws {TypeError} If the address or an option has the wrong type.
   * @throws {RangeError} If the port or `timeout` is out of range.
   */
  constructor(address: RequestAddress, options: RequestOptions = {}) {
    checkAddress(address);
    checkObject("options", options);
    // Kept as given when complete, so a client can recognise it.
    this.address = "path" in address || address.hostname !== undefined
      ? address
      : { hostname: "127.0.0.1", port: address.port };
    const { timeout, releaseConnection } = options;
    this.timeout = timeout === undefined
      ? 0
      : checkDuration("timeout", timeout);
    this.tls = checkTls(options.tls);
    this.signal = options.signal === undefined
      ? undefined
      : checkSignal("signal", options.signal);
    this.releaseConnection = releaseConnection === undefined
      ? true
      : checkBoolean("releaseConnection", releaseConnection);
    this.events = checkEvents(options.events);
    this.#data = checkData(options.data);
  }

  /**
   * The pool key: requests to the same address with the same TLS settings
   * (server name, CA set, ALPN, hostname verification) share a pool of
   * connections; a request's timeout does not split pools.
   */
  get key(): string {
    return this.#key ??= makeTarget(this.address, this.tls).key;
  }

  /**
   * The bytes to send: the `data` option, UTF-8 encoded if a string.
   *
   * @returns The bytes.
   */
  encode(): Uint8Array {
    const data = this.#data ?? EMPTY;
    return typeof data === "string" ? ENCODER.encode(data) : data;
  }
}

function checkAddress(address: unknown): void {
  const given = checkObject<Record<string, unknown>>("address", address);
  if ("path" in given) {
    checkString("address.path", given.path);
    return;
  }
  if (given.hostname !== undefined) {
    checkString("address.hostname", given.hostname);
  }
  checkInteger("address.port", given.port, 1, 65535);
}

function checkData(data: unknown): Uint8Array | string | undefined {
  if (
    data === undefined || typeof data === "string" ||
    data instanceof Uint8Array
  ) {
    return data;
  }
  throw new TypeError(
    `Cannot use data ${describe(data)}: it must be a Uint8Array or a string`,
  );
}

function checkTls(tls: unknown): boolean | TlsClientOptions | undefined {
  if (tls === undefined || typeof tls === "boolean") return tls;
  const options = checkObject<Record<string, unknown>>("tls", tls);
  if (options.hostname !== undefined) {
    checkString("tls.hostname", options.hostname);
  }
  for (const name of ["caCerts", "alpnProtocols"]) {
    const list = options[name];
    if (list === undefined) continue;
    if (!Array.isArray(list)) {
      throw new TypeError(
        `Cannot use tls.${name} ${describe(list)}: it must be an array of ` +
          "strings",
      );
    }
    list.forEach((item, i) => checkString(`tls.${name}[${i}]`, item));
  }
  if (options.unsafelyDisableHostnameVerification !== undefined) {
    checkBoolean(
      "tls.unsafelyDisableHostnameVerification",
      options.unsafelyDisableHostnameVerification,
    );
  }
  return options as TlsClientOptions;
}

/** A request's event names: a consumer's, from their one list. */
const ENCODER = new TextEncoder();
const EMPTY = new Uint8Array(0);

const REQUEST_EVENT_NAMES: readonly string[] = [
  ...CONSUMER_EVENTS.oneTime,
  ...CONSUMER_EVENTS.manyTimes,
];

function checkEvents(events: unknown): RequestEvents | undefined {
  if (events === undefined) return undefined;
  const given = checkObject<Record<string, unknown>>("events", events);
  const names = REQUEST_EVENT_NAMES;
  for (const [name, handler] of Object.entries(given)) {
    if (!names.includes(name)) {
      throw new TypeError(
        `Cannot use events.${name}: a request's events are ` +
          names.join(", "),
      );
    }
    if (handler !== undefined) checkFunction(`events.${name}`, handler);
  }
  return given as RequestEvents;
}
