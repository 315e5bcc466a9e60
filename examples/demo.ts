// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * The first thing to run: starts pulsar's echo server on a free port, drives
 * it with the pooled echo client, prints what happened, and shuts down.
 *
 *     deno task demo
 *
 * @module
 */

import { pooledMap } from "@std/async/pool";
import { Server } from "@pulsar/net";
import { EchoClient, EchoServerConsumer } from "./echo/echo.ts";

const decoder = new TextDecoder();

function ms(start: number): string {
  return `${(performance.now() - start).toFixed(1)} ms`;
}

/** Runs the demo, printing each step. */
export async function main(): Promise<void> {
  await using server = new Server({
    consumerFactory: () => new EchoServerConsumer(),
    name: "echo",
  });
  await server.start();
  console.log(`Echo server listening on 127.0.0.1:${server.port}`);

  await using client = new EchoClient({ port: server.port }, {
    poolSize: 10,
    timeout: 10000,
  });

  let start = performance.now();
  const pong = decoder.decode(await client.request("ping"));
  console.log(`ping -> ${JSON.stringify(pong)} in ${ms(start)}`);

  const payload = new Uint8Array(1024 * 1024);
  for (let i = 0; i < payload.length; i++) payload[i] = 97 + (i % 26);
  start = performance.now();
  const echoed = await client.request(payload);
  const intact = echoed.length === payload.length &&
    echoed.every((byte, i) => byte === payload[i]);
  console.log(
    `1 MiB payload echoed ${intact ? "intact" : "CORRUPTED"} in ${ms(start)}`,
  );

  start = performance.now();
  let wrong = 0;
  const replies: AsyncIterable<boolean> = pooledMap(
    100,
    Array.from({ length: 1000 }, (_, i) => `message ${i}`),
    async (message: string) =>
      decoder.decode(await client.request(message)) === message,
  );
  for await (const ok of replies) if (!ok) wrong++;
  const elapsed = performance.now() - start;
  console.log(
    `1000 requests, 100 at once over a pool of 10: ${wrong} wrong, ` +
      `${elapsed.toFixed(1)} ms (${(1000 / elapsed * 1000).toFixed(0)} req/s)`,
  );

  const [pool] = client.connectionPools.values();
  console.log(
    `pool: ${pool.sessions} connections opened, ${pool.idle} idle, ` +
      `${pool.inUse} in use; client: ${client.requestsProcessed} requests`,
  );
  console.log(
    `server: ${server.sessions} connections, ` +
      `${server.requestsProcessed} requests, ` +
      `${server.concurrentConnections} open`,
  );
  await client.close();
  await server.close();
  console.log(
    `closed: server open connections ${server.concurrentConnections}, ` +
      `client idle ${client.idleConnections}`,
  );
  if (!intact || wrong > 0 || pong !== "ping") {
    throw new Error("The echo demo saw wrong replies");
  }
}

if (import.meta.main) await main();
