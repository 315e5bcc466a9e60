// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * Pulsar's echo server. Compile-ready: `deno task compile:echo`.
 *
 *     deno run --allow-net examples/echo/server.ts --hostname 127.0.0.1 --port 8060
 *
 * `--keep-alive MS` sets the idle timeout of connections (default 15000).
 * Prints the address it listens on; stops cleanly on SIGINT or SIGTERM.
 *
 * @module
 */

import { parseArgs } from "@std/cli/parse-args";
import { Server } from "@pulsar/net";
import { EchoServerConsumer } from "./echo.ts";

/** Runs the server until SIGINT or SIGTERM. */
export async function main(args: string[]): Promise<void> {
  const flags: { hostname: string; port: string; "keep-alive": string } =
    parseArgs(args, {
      string: ["hostname", "port", "keep-alive"],
      default: { hostname: "127.0.0.1", port: "8060", "keep-alive": "15000" },
    });
  const server = new Server({
    consumerFactory: () => new EchoServerConsumer(),
    hostname: flags.hostname,
    port: Number(flags.port),
    idleTimeout: Number(flags["keep-alive"]),
    name: "echo",
  });
  await server.start();
  console.log(`Echo server listening on ${flags.hostname}:${server.port}`);
  const stop = () => server.close({ gracePeriod: 5000 });
  const signals = ["SIGINT", "SIGTERM"] as const;
  for (const signal of signals) Deno.addSignalListener(signal, stop);
  await server.event("stop").waiter();
  for (const signal of signals) Deno.removeSignalListener(signal, stop);
  console.log(
    `Echo server stopped after ${server.requestsProcessed} requests`,
  );
}

if (import.meta.main) await main(Deno.args);
