// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * Internal: where a connection goes and how (address and TLS settings), as
 * a frozen copy and a key that selects the pool: two requests share pooled
 * connections only when everything that changes the connection is equal.
 *
 * @module
 */

import { createHash } from "node:crypto";
import type { TlsClientOptions } from "../transports/connect.ts";
import { formatHostPort } from "../transports/format_address.ts";

/** Where a connection goes: a host and port, or a Unix socket path. */
export type TargetAddress = Readonly<
  { hostname: string; port: number } | { path: string }
>;

/** A pool's own copy of what its connections are opened with. */
export interface Target {
  /**
   * Selects the pool: the scheme, the address, and every TLS setting that
   * differs from the defaults.
   */
  readonly key: string;
  /** The scheme and address, for messages: `tls://127.0.0.1:8060`. */
  readonly label: string;
  /** The address, copied. */
  readonly address: TargetAddress;
  /** The TLS settings, copied (arrays too): `true`, options, or none. */
  readonly tls: true | Readonly<TlsClientOptions> | undefined;
}

/** The TLS options a key spells out; any other is folded into a digest. */
const KNOWN = new Set([
  "hostname",
  "caCerts",
  "alpnProtocols",
  "unsafelyDisableHostnameVerification",
]);

/**
 * The digest of each CA list seen, with a copy of its content: a list
 * reused request after request is hashed once, and one changed in place is
 * hashed again.
 */
const digests = new WeakMap<readonly string[], [string[], string]>();

/**
 * Builds the frozen target and pool key of an address and TLS setting. The
 * copy is what connections are opened with, so a request changed after it
 * was sent, or kept alive by nobody, cannot change its pool's connections.
 *
 * @param address A host and port, or a Unix socket path.
 * @param tls `true`, TLS options, or `false`/`undefined` for none.
 * @returns The target.
 */
export function makeTarget(
  address: { hostname?: string; port: number } | { path: string },
  tls: boolean | TlsClientOptions | undefined,
): Target {
  const copy: TargetAddress = "path" in address
    ? Object.freeze({ path: address.path })
    : Object.freeze({
      hostname: address.hostname ?? "127.0.0.1",
      port: address.port,
    });
  const where = "path" in copy
    ? copy.path
    : formatHostPort(copy.hostname, copy.port);
  const scheme = "path" in copy
    ? (tls ? "tls+unix" : "unix")
    : (tls ? "tls" : "tcp");
  const label = `${scheme}://${where}`;
  if (!tls) {
    return Object.freeze({ key: label, label, address: copy, tls: undefined });
  }
  const options = copyTls(tls, "hostname" in copy ? copy.hostname : undefined);
  const query = options === true
    ? ""
    : params(options, (tls as TlsClientOptions).caCerts);
  return Object.freeze({
    key: query === "" ? label : `${label}?${query}`,
    label,
    address: copy,
    tls: query === "" ? true : options,
  });
}

/**
 * A frozen copy of TLS options without the settings that mean the
 * defaults: the server name of the address itself, no ALPN, hostname
 * verification on.
 */
function copyTls(
  tls: true | TlsClientOptions,
  hostname: string | undefined,
): true | Readonly<TlsClientOptions> {
  if (tls === true) return true;
  const copy: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(tls)) {
    if (value === undefined) continue;
    if (name === "hostname" && value === hostname) continue;
    if (name === "alpnProtocols" && (value as string[]).length === 0) continue;
    if (name === "unsafelyDisableHostnameVerification" && value === false) {
      continue;
    }
    copy[name] = Array.isArray(value)
      ? Object.freeze([...value])
      : value !== null && typeof value === "object"
      ? Object.freeze({ ...value })
      : value;
  }
  return Object.freeze(copy as TlsClientOptions);
}

/** The query of a TLS key: one parameter per setting, in a fixed order. */
function params(
  tls: Readonly<TlsClientOptions>,
  caCerts: readonly string[] | undefined,
): string {
  const parts: string[] = [];
  if (tls.hostname !== undefined) {
    parts.push(`servername=${encodeURIComponent(tls.hostname)}`);
  }
  if (tls.alpnProtocols !== undefined) {
    parts.push(
      `alpn=${tls.alpnProtocols.map(encodeURIComponent).join(",")}`,
    );
  }
  // The caller's list, not the copy: a list reused is hashed once.
  if (caCerts !== undefined) parts.push(`ca=${caDigest(caCerts)}`);
  if (tls.unsafelyDisableHostnameVerification) {
    parts.push("verify-hostname=false");
  }
  const others = Object.keys(tls).filter((name) => !KNOWN.has(name)).sort();
  if (others.length > 0) {
    const record = tls as Record<string, unknown>;
    const canonical = JSON.stringify(
      others.map((name) => [name, record[name]]),
    );
    parts.push(`options=${sha256(canonical)}`);
  }
  return parts.join("&");
}

/** The digest of a CA set: the same certificates in any order match. */
function caDigest(caCerts: readonly string[]): string {
  const cached = digests.get(caCerts);
  if (
    cached !== undefined && cached[0].length === caCerts.length &&
    cached[0].every((pem, i) => pem === caCerts[i])
  ) {
    return cached[1];
  }
  const digest = sha256(JSON.stringify([...caCerts].sort()));
  digests.set(caCerts, [[...caCerts], digest]);
  return digest;
}

function sha256(text: string): string {
  return `sha256:${createHash("sha256").update(text).digest("hex")}`;
}
