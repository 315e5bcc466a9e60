// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * Pulsar's echo server. Compile-ready: `deno task compile:echo`.
 *
 *     deno run --allow-net examples/echo/server.ts --hostname 127.0.0.1 --port 8060
 *
 * `--keep-alive MS` sets the idle timeout of connections (default 15000).
 * `--workers N` serves the port from N supervised workers, one `Server` in
 * each (`serveWorkers()`); it needs `--allow-read` (workers load their
 * modules) and, above 1, Deno's `--unstable-net`:
 *
 *     deno run --allow-net --allow-read --unstable-net examples/echo/server.ts --workers 4
 *
 * Prints the address it listens on; stops cleanly on SIGINT or SIGTERM.
 *
 * This module is also the workers' module: it exports `createServer`.
 *
 * @module
 */

import { parseArgs } from "@std/cli/parse-args";
import {
  Server,
  serveWorkers,
  type WorkerContext,
  type WorkerServerOptions,
} from "@pulsar/net";
import { EchoServerConsumer } from "./echo.ts";

/**
 * Builds the echo server of a worker: the listening options from the
 * supervisor, the idle timeout from `worker.data` (default 15000).
 */
export function createServer(
  options: WorkerServerOptions,
  worker: WorkerContext,
): Server {
  const { idleTimeout } = (worker.data ?? {}) as { idleTimeout?: number };
  return new Server({
    ...options,
    consumerFactory: () => new EchoServerConsumer(),
    idleTimeout,
  });
}

/** What a running echo server offers `main()`, with workers or without. */
interface Running {
  port: number;
  requestsProcessed: number;
  close(options: { gracePeriod: number }): Promise<void>;
  closed: Promise<void>;
}

/** Runs the server until SIGINT or SIGTERM. */
export async function main(args: string[]): Promise<void> {
  const flags: {
    hostname: string;
    port: string;
    "keep-alive": string;
    workers?: string;
  } = parseArgs(args, {
    string: ["hostname", "port", "keep-alive", "workers"],
    default: { hostname: "127.0.0.1", port: "8060", "keep-alive": "15000" },
  });
  const idleTimeout = Number(flags["keep-alive"]);
  let server: Running;
  let how = "";
  if (flags.workers === undefined) {
    const single = new Server({
      consumerFactory: () => new EchoServerConsumer(),
      hostname: flags.hostname,
      port: Number(flags.port),
      idleTimeout,
      name: "echo",
    });
    await single.start();
    server = single;
  } else {
    const workers = await serveWorkers(import.meta.url, {
      workers: Number(flags.workers),
      hostname: flags.hostname,
      port: Number(flags.port),
      name: "echo",
      workerData: { idleTimeout },
    });
    how = ` with ${workers.workerCount} worker` +
      (workers.workerCount > 1 ? "s" : "");
    server = workers;
  }
  console.log(
    `Echo server listening on ${flags.hostname}:${server.port}${how}`,
  );
  const stop = () => server.close({ gracePeriod: 5000 });
  const signals = ["SIGINT", "SIGTERM"] as const;
  for (const signal of signals) Deno.addSignalListener(signal, stop);
  await server.closed;
  for (const signal of signals) Deno.removeSignalListener(signal, stop);
  console.log(
    `Echo server stopped after ${server.requestsProcessed} requests`,
  );
}

if (import.meta.main) await main(Deno.args);
