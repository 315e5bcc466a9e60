// Copyright 2026 the pulsar for Deno authors. MIT license.

/**
 * Formats an address for messages: `127.0.0.1:4000`, `[::1]:4000` or a Unix
 * socket path.
 */
export function formatAddress(addr: Deno.Addr | undefined): string {
  if (addr === undefined) return "an unknown address";
  if ("hostname" in addr) return formatHostPort(addr.hostname, addr.port);
  if ("path" in addr) return addr.path ?? "an unnamed Unix socket";
  return `vsock:${addr.cid}:${addr.port}`;
}

/** `host:port`, with an IPv6 host in brackets: `[::1]:4000`. */
export function formatHostPort(hostname: string, port: number): string {
  return hostname.includes(":")
    ? `[${hostname}]:${port}`
    : `${hostname}:${port}`;
}
