// Copyright 2026 the pulsar for Deno authors. MIT license.
// The JavaScript cost of the client's per-request path, without socket I/O
// per request: Request, Client.response(), the pool, a consumer per request
// (the echo example's) and its result. The connections are real (to a
// listener that keeps them open), but the consumers write nothing and their
// answers are handed to each Connection's dataReceived() directly. Prints
// one line of JSON: wall and CPU nanoseconds, and V8 heap bytes allocated,
// per request.
//
//   deno run -A bench/client_micro.ts PIPELINING IN_FLIGHT ROUNDS
//
// Each round sends IN_FLIGHT requests at once over a pool of 16, then feeds
// the answers of every connection's requests in flight until all settled.

import { cpuUsage } from "node:process";
import v8 from "node:v8";
import { Client } from "../clients/client.ts";
import { Request } from "../clients/request.ts";
import { Connection } from "../protocols/connection.ts";
import { EchoClientConsumer, SEPARATOR } from "../examples/echo/echo.ts";

const [pipeliningArg, inFlightArg, roundsArg] = Deno.args;
const pipelining = Number(pipeliningArg ?? 16);
const inFlight = Number(inFlightArg ?? 256);
const rounds = Number(roundsArg ?? 1000);

/** The echo consumer, minus its write: the request goes nowhere. */
class Unsent extends EchoClientConsumer {
  override startRequest(): void {}
}

const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
const accepted: Deno.Conn[] = [];
const accepting = (async () => {
  for await (const conn of listener) accepted.push(conn);
})();
const connections: Connection[] = [];
const client = new Client({
  consumerFactory: () => new Unsent(),
  poolSize: 16,
  pipelining,
  connectionFactory: (options) => {
    const connection = new Connection(options);
    connections.push(connection);
    return connection;
  },
});
const address = { port: listener.addr.port };
const data = new Uint8Array(64);
data.fill(120, 0, 60);
data.set(SEPARATOR, 60);
// Answers for up to 256 requests on one connection, back to back.
const answers = new Uint8Array(64 * 256);
for (let i = 0; i < 256; i++) answers.set(data, i * 64);

function request(): Promise<Uint8Array> {
  return client.response(new Request<Uint8Array>(address, { data }));
}

/** Answers every request in flight on every connection. */
function answer(): void {
  for (const connection of connections) {
    const n = connection.consumersInFlight;
    if (n > 0) connection.dataReceived(answers.subarray(0, n * 64));
  }
}

async function round(): Promise<void> {
  let pending = inFlight;
  const settled = () => pending--;
  const all: Promise<unknown>[] = [];
  for (let i = 0; i < inFlight; i++) all.push(request().then(settled));
  // Requests that waited for a connection start a few microtasks later.
  while (pending > 0) {
    for (let turn = 0; turn < 4; turn++) await Promise.resolve();
    answer();
  }
  await Promise.all(all);
}

/** V8's count of heap bytes allocated so far (not in Node's typings). */
function allocatedBytes(): number {
  const stats = v8.getHeapStatistics() as { total_allocated_bytes?: number };
  return stats.total_allocated_bytes ?? NaN;
}

// Open the connections, then warm up.
await Promise.all(
  Array.from({ length: 16 }, async () => {
    const reply = request();
    await new Promise((resolve) => setTimeout(resolve, 20));
    answer();
    await reply;
  }),
);
for (let i = 0; i < 200; i++) await round();

const allocated0 = allocatedBytes();
const cpu0 = cpuUsage();
const start = performance.now();
for (let i = 0; i < rounds; i++) await round();
const wall = performance.now() - start;
const cpu1 = cpuUsage();
const allocated = allocatedBytes() - allocated0;
const requests = rounds * inFlight;
console.log(JSON.stringify({
  pipelining,
  inFlight,
  wallNsPerRequest: Math.round(wall * 1e6 / requests),
  cpuNsPerRequest: Math.round(
    (cpu1.user + cpu1.system - cpu0.user - cpu0.system) * 1000 / requests,
  ),
  heapBytesPerRequest: Math.round(allocated / requests),
}));
await client.close();
listener.close();
await accepting.catch(() => {});
for (const conn of accepted) conn.close();
