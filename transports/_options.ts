// Copyright 2026 the pulsar for Deno authors. MIT license.
// Checks of the options shared by connect(), listen(), listenDatagram() and
// the producers built on them, with the module's one set of validators.

import {
  checkBoolean,
  checkInteger,
  checkObject,
  checkString,
  describe,
} from "../internal/validate.ts";

/** The largest listen backlog (an `int` in the kernel). */
const MAX_BACKLOG = 2 ** 31 - 1;

/**
 * Checks a port: an integer from `min` (0 to listen on any free port, 1 to
 * connect) to 65535.
 */
export function checkPort(name: string, value: unknown, min: number): number {
  return checkInteger(name, value, min, 65535);
}

/** Checks an optional string option. */
export function checkOptionalString(name: string, value: unknown): void {
  if (value !== undefined) checkString(name, value);
}

/** Checks a list of strings (PEM certificates, ALPN protocol names). */
export function checkStrings(name: string, value: unknown): void {
  if (!Array.isArray(value)) {
    throw new TypeError(
      `Cannot use ${name} ${describe(value)}: it must be an array of strings`,
    );
  }
  value.forEach((item, i) => checkString(`${name}[${i}]`, item));
}

/**
 * Checks the `hostname`, `port`, `path`, `backlog` and `reusePort` of a
 * listener.
 *
 * @throws {TypeError} Also if `reusePort` is true with a Unix socket `path`
 * (it shares TCP ports only).
 */
export function checkListenAddress(options: {
  hostname?: unknown;
  port?: unknown;
  path?: unknown;
  backlog?: unknown;
  reusePort?: unknown;
}): void {
  checkOptionalString("hostname", options.hostname);
  if (options.port !== undefined) checkPort("port", options.port, 0);
  checkOptionalString("path", options.path);
  if (options.backlog !== undefined) {
    checkInteger("backlog", options.backlog, 1, MAX_BACKLOG);
  }
  if (options.reusePort !== undefined) {
    checkBoolean("reusePort", options.reusePort);
    if (options.reusePort && options.path !== undefined) {
      throw new TypeError(
        `Cannot listen on ${String(options.path)} with reusePort: it shares ` +
          "TCP ports only",
      );
    }
  }
}

/**
 * Whether Deno's unstable network APIs are on (`--unstable-net`, or
 * `"unstable": ["net"]` in deno.json): `Deno.listenDatagram` exists only
 * then. Without them, `Deno.listen({ reusePort: true })` does not throw: it
 * ends the process (exit code 70).
 */
export function hasUnstableNet(): boolean {
  return typeof (Deno as { listenDatagram?: unknown }).listenDatagram ===
    "function";
}

/** Checks a listener's `tls`: `cert` and `key` strings, `alpnProtocols`. */
export function checkTlsServerOptions(value: unknown): void {
  const tls = checkObject<Record<string, unknown>>("tls", value);
  checkString("tls.cert", tls.cert);
  checkString("tls.key", tls.key);
  if (tls.alpnProtocols !== undefined) {
    checkStrings("tls.alpnProtocols", tls.alpnProtocols);
  }
}

/**
 * Checks a client's `tls`: a boolean, or options with `hostname`, `caCerts`,
 * `alpnProtocols` and `unsafelyDisableHostnameVerification`.
 */
export function checkTlsClientOptions(value: unknown): void {
  if (typeof value === "boolean") return;
  if (typeof value !== "object" || value === null) {
    throw new TypeError(
      `Cannot use tls ${describe(value)}: it must be true, false or an object`,
    );
  }
  const tls = value as Record<string, unknown>;
  checkOptionalString("tls.hostname", tls.hostname);
  if (tls.caCerts !== undefined) checkStrings("tls.caCerts", tls.caCerts);
  if (tls.alpnProtocols !== undefined) {
    checkStrings("tls.alpnProtocols", tls.alpnProtocols);
  }
  if (tls.unsafelyDisableHostnameVerification !== undefined) {
    checkBoolean(
      "tls.unsafelyDisableHostnameVerification",
      tls.unsafelyDisableHostnameVerification,
    );
  }
}

/**
 * Refuses TLS over a Unix socket: Deno's TLS works over TCP only
 * (`Deno.startTls` on a Unix connection fails, and `Deno.listenTls` takes a
 * port).
 *
 * @throws {TypeError} If both are given.
 */
export function refuseTlsOverUnix(
  verb: string,
  path: unknown,
  tls: unknown,
): void {
  if (path !== undefined && tls !== undefined && tls !== false) {
    throw new TypeError(
      `Cannot ${verb} ${String(path)} with TLS: TLS over a Unix socket is ` +
        "not supported (Deno's TLS runs over TCP only)",
    );
  }
}
