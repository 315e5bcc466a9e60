// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * Addresses as text, the way the module's messages name them.
 *
 * @module
 */

/**
 * Formats an address for messages: `127.0.0.1:4000`, `[::1]:4000` or a Unix
 * socket path.
 *
 * @param addr The address (a transport's `localAddr` or `remoteAddr`, say).
 * @returns The address as text; `an unknown address` for `undefined`.
 *
 * @example
 * ```ts
 * import { formatAddress } from "@pulsar/net/transports";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(
 *   formatAddress({ transport: "tcp", hostname: "::1", port: 4000 }),
 *   "[::1]:4000",
 * );
 * assertEquals(
 *   formatAddress({ transport: "unix", path: "/tmp/app.sock" }),
 *   "/tmp/app.sock",
 * );
 * ```
 */
export function formatAddress(addr: Deno.Addr | undefined): string {
  if (addr === undefined) return "an unknown address";
  if ("hostname" in addr) return formatHostPort(addr.hostname, addr.port);
  if ("path" in addr) return addr.path ?? "an unnamed Unix socket";
  return `vsock:${addr.cid}:${addr.port}`;
}

/**
 * Formats a host and port, with an IPv6 host in brackets.
 *
 * @param hostname The host name or IP address.
 * @param port The port.
 * @returns `host:port`, or `[host]:port` for IPv6.
 *
 * @example
 * ```ts
 * import { formatHostPort } from "@pulsar/net/transports";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(formatHostPort("127.0.0.1", 80), "127.0.0.1:80");
 * assertEquals(formatHostPort("::1", 80), "[::1]:80");
 * ```
 */
export function formatHostPort(hostname: string, port: number): string {
  return hostname.includes(":")
    ? `[${hostname}]:${port}`
    : `${hostname}:${port}`;
}
