// Copyright 2026 the pulsar for Deno authors. MIT license.
import {
  AddrInUseError,
  ConnectionClosedError,
  ConnectionRefusedError,
  ListenError,
  NetError,
  TlsError,
} from "../errors.ts";

/** `thrown` as an `Error`: what `abort()` and `connectionLost` take. */
export function asError(thrown: unknown): Error {
  return thrown instanceof Error ? thrown : new Error(String(thrown));
}

/** Whether `error` is Deno's sign that we closed the resource ourselves. */
export function isClosedByUs(error: unknown): boolean {
  return error instanceof Deno.errors.BadResource ||
    error instanceof Deno.errors.Interrupted;
}

/**
 * Turns a failure to connect to `address` into this module's typed error,
 * keeping Deno's error as `cause`.
 */
export function connectError(error: unknown, address: string): NetError {
  if (error instanceof NetError) return error;
  if (error instanceof Deno.errors.ConnectionRefused) {
    return new ConnectionRefusedError(address, { cause: error });
  }
  if (error instanceof Deno.errors.NotFound) {
    return new ConnectionRefusedError(address, {
      cause: error,
      reason: "no such socket file",
    });
  }
  if (
    error instanceof Deno.errors.ConnectionReset ||
    error instanceof Deno.errors.ConnectionAborted
  ) {
    // A listener closing with connections still in its backlog resets them.
    return new ConnectionRefusedError(address, {
      cause: error,
      reason: "reset by the server while connecting",
    });
  }
  if (error instanceof Deno.errors.InvalidData) {
    return new TlsError(
      `TLS handshake with ${address} failed: ${error.message}`,
      { cause: error },
    );
  }
  const message = error instanceof Error ? error.message : String(error);
  return new NetError(`Cannot connect to ${address}: ${message}`, {
    cause: error,
  });
}

/**
 * Turns an I/O failure on an open connection into a
 * `ConnectionClosedError`, keeping Deno's error as `cause`.
 */
export function ioError(error: unknown, address: string): Error {
  if (error instanceof NetError) return error;
  let reason = "unknown error";
  if (error instanceof Deno.errors.ConnectionReset) reason = "reset by peer";
  else if (error instanceof Deno.errors.BrokenPipe) reason = "broken pipe";
  else if (error instanceof Deno.errors.ConnectionAborted) {
    reason = "connection aborted";
  } else if (error instanceof Deno.errors.InvalidData) {
    return new TlsError(`TLS error on connection to ${address}: ${error}`, {
      cause: error,
    });
  } else if (error instanceof Error) reason = error.message;
  return new ConnectionClosedError(`Connection to ${address} lost: ${reason}`, {
    cause: error,
  });
}

/**
 * Turns a failure to listen on (or bind) `address` into this module's typed
 * error, keeping Deno's error as `cause`: `AddrInUseError` for an address in
 * use, `ListenError` otherwise.
 *
 * @param error What `Deno.listen`, `Deno.listenTls` or `Deno.listenDatagram`
 * threw.
 * @param address The address, as `host:port` or a Unix socket path.
 * @param path The Unix socket path, when listening on one.
 */
export function listenError(
  error: unknown,
  address: string,
  path?: string,
): NetError {
  if (error instanceof NetError) return error;
  const options = { cause: error };
  if (error instanceof Deno.errors.AddrInUse) {
    if (path !== undefined && isDirectory(path)) {
      return new ListenError(address, {
        ...options,
        reason: "the path is a directory",
      });
    }
    return new AddrInUseError(address, options);
  }
  let reason: string;
  if (error instanceof Deno.errors.AddrNotAvailable) {
    reason = "address not available";
  } else if (error instanceof Deno.errors.PermissionDenied) {
    reason = "permission denied";
  } else if (error instanceof Deno.errors.NotFound) {
    reason = "no such directory";
  } else if (error instanceof Deno.errors.InvalidData) {
    reason = `invalid TLS certificate or key: ${error.message}`;
  } else if (
    path !== undefined && new TextEncoder().encode(path).length >= SUN_PATH
  ) {
    reason = `the path is longer than ${SUN_PATH - 1} bytes`;
  } else {
    reason = error instanceof Error ? error.message : String(error);
  }
  return new ListenError(address, { ...options, reason });
}

/** The size of a Unix socket address's path, its final NUL included. */
const SUN_PATH = 108;

function isDirectory(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    // No permission to look, or gone: say "in use", as Deno did.
    return false;
  }
}
