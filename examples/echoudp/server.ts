// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * Pulsar's UDP echo server: sends every datagram back to its sender.
 * Compile-ready: `deno task compile:echoudp`.
 *
 *     deno run --allow-net --unstable-net examples/echoudp/server.ts --port 8060
 *
 * Prints the address it listens on; stops cleanly on SIGINT or SIGTERM.
 *
 * @module
 */

import { parseArgs } from "@std/cli/parse-args";
import { DatagramProtocol, DatagramServer } from "@pulsar/net";

/** Sends each datagram back to where it came from. */
export class EchoDatagramProtocol extends DatagramProtocol {
  override datagramReceived(data: Uint8Array, addr: Deno.NetAddr): void {
    this.transport!.sendto(data, addr);
  }
}

/** Runs the server until SIGINT or SIGTERM. */
export async function main(args: string[]): Promise<void> {
  const flags: { hostname: string; port: string } = parseArgs(args, {
    string: ["hostname", "port"],
    default: { hostname: "127.0.0.1", port: "8060" },
  });
  const server = new DatagramServer({
    protocolFactory: () => new EchoDatagramProtocol(),
    hostname: flags.hostname,
    port: Number(flags.port),
    name: "echoudp",
  });
  await server.start();
  console.log(
    `UDP echo server listening on ${flags.hostname}:${server.localAddr.port}`,
  );
  const stop = () => server.close();
  const signals = ["SIGINT", "SIGTERM"] as const;
  for (const signal of signals) Deno.addSignalListener(signal, stop);
  await server.event("stop").waiter();
  for (const signal of signals) Deno.removeSignalListener(signal, stop);
  console.log("UDP echo server stopped");
}

if (import.meta.main) await main(Deno.args);
