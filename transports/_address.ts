// Copyright 2026 the pulsar for Deno authors. MIT license.

/**
 * Formats an address for messages: `127.0.0.1:4000`, `[::1]:4000` or a Unix
 * socket path.
 */
export function formatAddress(addr: Deno.Addr | undefined): string {
  if (addr === undefined) return "an unknown address";
  if ("hostname" in addr) {
    const host = addr.hostname.includes(":")
      ? `[${addr.hostname}]`
      : addr.hostname;
    return `${host}:${addr.port}`;
  }
  if ("path" in addr) return addr.path ?? "an unnamed Unix socket";
  return `vsock:${addr.cid}:${addr.port}`;
}
