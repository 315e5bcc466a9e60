// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * A Redis server on `@pulsar/net`, in memory. Compile-ready:
 * `deno task compile:redis`.
 *
 *     deno run --allow-net examples/redis/server.ts --hostname 127.0.0.1 --port 6379
 *
 * `--idle-timeout MS` closes connections idle that long (default 0: never,
 * as Redis); `--max-bulk-length` and `--max-arguments` cap what a request
 * may declare (Redis's 512 MiB and 1M by default). Prints the address it
 * listens on; stops cleanly on SIGINT or SIGTERM.
 *
 * @module
 */

import { parseArgs } from "@std/cli/parse-args";
import { RedisServer } from "./redis_server.ts";

/**
 * Runs the server until SIGINT or SIGTERM.
 *
 * @param args The command line.
 */
export async function main(args: string[]): Promise<void> {
  const flags: {
    hostname: string;
    port: string;
    "idle-timeout": string;
    "max-bulk-length": string;
    "max-arguments": string;
  } = parseArgs(args, {
    string: [
      "hostname",
      "port",
      "idle-timeout",
      "max-bulk-length",
      "max-arguments",
    ],
    default: {
      hostname: "127.0.0.1",
      port: "6379",
      "idle-timeout": "0",
      "max-bulk-length": String(512 * 1024 * 1024),
      "max-arguments": String(1024 * 1024),
    },
  });
  const server = new RedisServer({
    hostname: flags.hostname,
    port: Number(flags.port),
    idleTimeout: Number(flags["idle-timeout"]),
    maxBulkLength: Number(flags["max-bulk-length"]),
    maxArguments: Number(flags["max-arguments"]),
  });
  await server.start();
  console.log(`Redis server listening on ${flags.hostname}:${server.port}`);
  const stop = () => server.close({ gracePeriod: 5000 });
  const signals = ["SIGINT", "SIGTERM"] as const;
  for (const signal of signals) Deno.addSignalListener(signal, stop);
  await server.event("stop").waiter();
  for (const signal of signals) Deno.removeSignalListener(signal, stop);
  console.log(
    `Redis server stopped after ${server.requestsProcessed} commands`,
  );
}

if (import.meta.main) await main(Deno.args);
