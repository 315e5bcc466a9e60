// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * Clients send requests over pooled connections: `Client` runs one consumer
 * per request on a connection from the `ConnectionPool` of the request's
 * address; `Request` says what and where; `DatagramClient` does the same
 * over UDP.
 *
 * @example A request's pool key
 * ```ts
 * import { Request } from "@pulsar/net/clients";
 *
 * console.log(new Request({ port: 8060 }).key); // "tcp://127.0.0.1:8060"
 * ```
 *
 * @module
 */

export * from "./request.ts";
export * from "./connection_pool.ts";
export * from "./client.ts";
export * from "./datagram_client.ts";
