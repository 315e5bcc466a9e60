// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * Starts the real `redis-server` (installed by `install_redis.sh`) on a free
 * loopback port, for the Redis example's tests and benchmark.
 *
 * @module
 */

/** A running `redis-server`, stopped by its pid. */
export interface RealRedis extends AsyncDisposable {
  /** Its loopback port. */
  readonly port: number;
  /** Its TLS port, when started with `tls`. */
  readonly tlsPort: number | undefined;
  /** Its process id. */
  readonly pid: number;
  /** Stops it (SIGTERM, then waits for it to exit). */
  stop(): Promise<void>;
}

/** A port nothing listens on right now. */
export function freePort(): number {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  return listener.addr.port;
}

/** Options of `startRealRedis()`. */
export interface RealRedisOptions {
  /** A Unix socket path to listen on as well (`--unixsocket`). */
  unixSocket?: string;
  /**
   * TLS on a port of its own as well (`--tls-port`, a free one), with these
   * PEM files; clients need no certificate.
   */
  tls?: { certFile: string; keyFile: string; caFile: string };
}

/**
 * Starts `redis-server` with no persistence on `port` (a free one by
 * default) and resolves once it answers `PING`.
 *
 * @param port The port to listen on.
 * @param options A Unix socket, or TLS, to listen on as well.
 * @returns The running server.
 * @throws {Error} If `redis-server` is missing or does not start in 10 s.
 */
export async function startRealRedis(
  port: number = freePort(),
  options: RealRedisOptions = {},
): Promise<RealRedis> {
  const unix = options.unixSocket === undefined
    ? []
    : ["--unixsocket", options.unixSocket, "--unixsocketperm", "700"];
  const tlsPort = options.tls === undefined ? undefined : freePort();
  const tls = options.tls === undefined ? [] : [
    "--tls-port",
    String(tlsPort),
    "--tls-cert-file",
    options.tls.certFile,
    "--tls-key-file",
    options.tls.keyFile,
    "--tls-ca-cert-file",
    options.tls.caFile,
    "--tls-auth-clients",
    "no",
  ];
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command("redis-server", {
      args: [
        ...unix,
        ...tls,
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--protected-mode",
        "no",
      ],
      stdout: "null",
      stderr: "null",
    }).spawn();
  } catch (error) {
    throw new Error(
      "Cannot start redis-server: run examples/redis/install_redis.sh first",
      { cause: error },
    );
  }
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch {
      // Already exited.
    }
    await child.status;
  };
  const started = Date.now();
  while (true) {
    try {
      using conn = await Deno.connect({ hostname: "127.0.0.1", port });
      await conn.write(new TextEncoder().encode("PING\r\n"));
      const reply = new Uint8Array(7);
      if (await conn.read(reply) !== null) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() - started > 10_000) {
      await stop();
      throw new Error(`redis-server did not start on port ${port} in 10 s`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return {
    port,
    tlsPort,
    pid: child.pid,
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
