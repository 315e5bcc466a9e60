// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * Pulsar's UDP echo client: sends each message as a datagram and prints the
 * echo.
 *
 *     deno run --allow-net --unstable-net examples/echoudp/client.ts --port 8060 ping
 *
 * @module
 */

import { parseArgs } from "@std/cli/parse-args";
import { DatagramClient } from "@pulsar/net";

/** Sends each message in `args` and prints the replies. */
export async function main(args: string[]): Promise<void> {
  const flags: { hostname: string; port: string; _: (string | number)[] } =
    parseArgs(args, {
      string: ["hostname", "port"],
      default: { hostname: "127.0.0.1", port: "8060" },
    });
  await using client = new DatagramClient({
    hostname: flags.hostname,
    port: Number(flags.port),
    timeout: 5000,
  });
  const messages = flags._.length > 0 ? flags._.map(String) : ["ping"];
  for (const message of messages) {
    console.log(new TextDecoder().decode(await client.request(message)));
  }
}

if (import.meta.main) await main(Deno.args);
