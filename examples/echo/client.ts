// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * Pulsar's echo client: sends each message and prints the echo.
 *
 *     deno run --allow-net examples/echo/client.ts --port 8060 "ciao luca" QUIT
 *
 * @module
 */

import { parseArgs } from "@std/cli/parse-args";
import { EchoClient } from "./echo.ts";

/** Sends each message in `args` to the server and prints the replies. */
export async function main(args: string[]): Promise<void> {
  const flags: { hostname: string; port: string; _: (string | number)[] } =
    parseArgs(args, {
      string: ["hostname", "port"],
      default: { hostname: "127.0.0.1", port: "8060" },
    });
  await using client = new EchoClient(
    { hostname: flags.hostname, port: Number(flags.port) },
    { timeout: 10000 },
  );
  const messages = flags._.length > 0 ? flags._.map(String) : ["ciao luca"];
  for (const message of messages) {
    const reply = await client.request(message);
    console.log(new TextDecoder().decode(reply));
  }
}

if (import.meta.main) await main(Deno.args);
