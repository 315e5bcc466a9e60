// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * A soak: a mixed workload for a while, printing throughput, errors and
 * resident memory at intervals. Fails if any request fails or memory keeps
 * growing.
 *
 *     deno task soak -- --seconds 60
 *
 * The workload: 32 workers sending echo requests of random sizes through a
 * shared pooled client; pool churn (a new client every second, used and
 * closed); and reconnects (the server's keep-alive is short and workers
 * pause at random, so pooled connections are closed under them). Loopback
 * only; it stops by itself.
 *
 * @module
 */

import { parseArgs } from "@std/cli/parse-args";
import { startEchoServer, TestClient } from "../_fixtures.ts";
import { rssKiB, seeded } from "../_helpers.ts";

const flags: { seconds: string } = parseArgs(Deno.args, {
  string: ["seconds"],
  default: { seconds: "60" },
});
const seconds = Number(flags.seconds);
const interval = Math.max(1, Math.round(seconds / 12)) * 1000;

const server = await startEchoServer({ idleTimeout: 200 });
const client = new TestClient({ port: server.port }, {
  poolSize: 8,
  timeout: 10_000,
});

const random = seeded(2026);
const deadline = Date.now() + seconds * 1000;
let requests = 0;
let errors = 0;
const failures = new Map<string, number>();

function fail(error: Error): void {
  errors++;
  const key = `${error.name}: ${error.message}`;
  failures.set(key, (failures.get(key) ?? 0) + 1);
}

async function exchange(target: TestClient): Promise<void> {
  const size = Math.floor(random() * 16 * 1024);
  const payload = new Uint8Array(size).fill(97 + (size % 26));
  try {
    const reply = await target.request(payload);
    if (reply.length !== size || reply[0] !== payload[0]) {
      fail(new Error(`Wrong reply of ${reply.length} bytes for ${size}`));
    }
    requests++;
  } catch (error) {
    fail(error as Error);
  }
}

async function worker(): Promise<void> {
  while (Date.now() < deadline) {
    await exchange(client);
    // Now and then a pause longer than the keep-alive: the server closes
    // idle pooled connections, and the client must reconnect.
    if (random() < 0.002) {
      await new Promise((r) => setTimeout(r, 250 + random() * 100));
    }
  }
}

async function churn(): Promise<void> {
  while (Date.now() < deadline) {
    const shortLived = new TestClient({ port: server.port }, { poolSize: 4 });
    await Promise.all(Array.from({ length: 20 }, () => exchange(shortLived)));
    await shortLived.close();
    await new Promise((r) =>
      setTimeout(r, Math.min(1000, deadline - Date.now()))
    );
  }
}

const samples: number[] = [];
const started = Date.now();
let last = { time: started, requests: 0 };
console.log("seconds  requests/s  errors  RSS MiB  server connections");
const reporter = setInterval(() => {
  const now = Date.now();
  const rate = (requests - last.requests) / ((now - last.time) / 1000);
  const rss = rssKiB(Deno.pid) / 1024;
  samples.push(rss);
  last = { time: now, requests };
  console.log(
    `${((now - started) / 1000).toFixed(0).padStart(7)}  ${
      rate.toFixed(0).padStart(10)
    }  ${String(errors).padStart(6)}  ${rss.toFixed(1).padStart(7)}  ${
      String(server.concurrentConnections).padStart(18)
    }`,
  );
}, interval);

await Promise.all([
  ...Array.from({ length: 32 }, worker),
  churn(),
]);
clearInterval(reporter);
await client.close();
await server.close();

// The first third of the samples is warm-up (JIT, heap sizing). Memory
// keeps growing if the last third sits well above the middle third's peak.
const third = Math.max(1, Math.floor(samples.length / 3));
const early = Math.max(...samples.slice(third, 2 * third));
const late = Math.min(...samples.slice(-third));
const growing = samples.length >= 3 && late > early * 1.25 + 16;
console.log(
  `\n${requests} requests in ${seconds} s, ${errors} errors; the shared ` +
    `client opened ${client.sessions} connections, the server served ` +
    `${server.sessions}; RSS peak after warm-up ${early.toFixed(1)} MiB, ` +
    `late low ` +
    `${late.toFixed(1)} MiB`,
);
for (const [failure, count] of failures) console.log(`  ${count} × ${failure}`);
if (errors > 0 || growing) {
  console.log(growing ? "FAILED: memory keeps growing" : "FAILED: errors");
  Deno.exit(1);
}
console.log("ok");
