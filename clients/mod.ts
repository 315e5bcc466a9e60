// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * Clients send requests over pooled connections: `Client` runs one consumer
 * per request on a connection from the `ConnectionPool` of the request's
 * address; `Request` says what and where; `DatagramClient` does the same
 * over UDP.
 *
 * @example Requests to one address share a pool
 * ```ts
 * import { Request } from "@pulsar/net/clients";
 * import { assertEquals, assertNotEquals } from "@std/assert";
 *
 * const plain = new Request({ port: 8060 }, { data: "ping" });
 * assertEquals(plain.key, "tcp://127.0.0.1:8060");
 * // The timeout does not split pools; TLS does.
 * assertEquals(new Request({ port: 8060 }, { timeout: 500 }).key, plain.key);
 * assertNotEquals(new Request({ port: 8060 }, { tls: true }).key, plain.key);
 * ```
 *
 * @module
 */

export * from "./request.ts";
export * from "./connection_pool.ts";
export * from "./client.ts";
export * from "./datagram_client.ts";
