// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * The heavy reliability scenarios, with a summary table: scenario,
 * operations, failures, peak server memory, duration. Exits non-zero if any
 * operation failed or a bound was broken. Loopback only, every loop bounded.
 *
 *     deno task stress            # 10,000 connections, 1 GiB, ...
 *     deno task stress -- --quick # reduced, well under two minutes (CI)
 *
 * @module
 */

import { createHash } from "node:crypto";
import { ConnectionClosedError } from "../../errors.ts";
import { Server } from "../../producers/server.ts";
import { EchoClient } from "../../examples/echo/echo.ts";
import { DelayedEchoConsumer, rssKiB, startDeno } from "../_helpers.ts";

const quick = Deno.args.includes("--quick");
const SIZES = quick
  ? { connections: 1000, stream: 64 << 20, flood: 32 << 20, inFlight: 1000 }
  : { connections: 10_000, stream: 1 << 30, flood: 256 << 20, inFlight: 1000 };

interface Row {
  scenario: string;
  operations: number;
  failures: number;
  peakMiB: number;
  seconds: number;
  note?: string;
}

const rows: Row[] = [];
const encoder = new TextEncoder();
const echoScript = new URL("../../examples/echo/server.ts", import.meta.url)
  .pathname;

/** Samples a process's resident memory until stopped; returns the peak. */
function sampleMemory(pid: number): { stop(): number } {
  let peak = rssKiB(pid);
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, rssKiB(pid));
    } catch {
      // The process is gone.
    }
  }, 50);
  return {
    stop() {
      clearInterval(timer);
      return peak / 1024;
    },
  };
}

async function withEchoServer<T>(
  run: (port: number, pid: number) => Promise<T>,
): Promise<T> {
  const { child, port, stop } = await startDeno([echoScript, "--port", "0"]);
  try {
    return await run(port, child.pid);
  } finally {
    await stop();
  }
}

async function readExactly(conn: Deno.Conn, size: number): Promise<Uint8Array> {
  const buf = new Uint8Array(size);
  let got = 0;
  while (got < size) {
    const n = await conn.read(buf.subarray(got));
    if (n === null) throw new Error(`Closed after ${got} of ${size} bytes`);
    got += n;
  }
  return buf;
}

/** Scenario 7: many concurrent connections, one request each. */
async function manyConnections(): Promise<void> {
  const count = SIZES.connections;
  await withEchoServer(async (port, pid) => {
    const memory = sampleMemory(pid);
    const started = performance.now();
    let failures = 0;
    // Open in waves, so the listen backlog (511) does not overflow into
    // one-second SYN retransmits; all stay open until every one is served.
    const conns: Deno.TcpConn[] = [];
    for (let i = 0; i < count; i += 500) {
      const wave = await Promise.allSettled(
        Array.from(
          { length: Math.min(500, count - i) },
          () => Deno.connect({ hostname: "127.0.0.1", port }),
        ),
      );
      for (const result of wave) {
        if (result.status === "fulfilled") conns.push(result.value);
        else failures++;
      }
    }
    const results = await Promise.allSettled(conns.map(async (conn, i) => {
      const message = encoder.encode(`connection ${i}\r\n\r\n`);
      await conn.write(message);
      const reply = await readExactly(conn, message.length);
      if (!reply.every((byte, j) => byte === message[j])) {
        throw new Error(`Connection ${i} got a wrong reply`);
      }
    }));
    failures += results.filter((r) => r.status === "rejected").length;
    for (const conn of conns) conn.close();
    rows.push({
      scenario: `${count} concurrent connections, one request each`,
      operations: count,
      failures,
      peakMiB: memory.stop(),
      seconds: (performance.now() - started) / 1000,
    });
  });
}

/** A byte pattern without "\r", so the only separators are the real ones. */
function messageBytes(index: number, size: number): Uint8Array {
  const key = `${index}/${size}`;
  let bytes = patterns.get(key);
  if (bytes === undefined) {
    bytes = makeMessage(index, size);
    patterns.set(key, bytes);
  }
  return bytes;
}

const patterns = new Map<string, Uint8Array>();

function makeMessage(index: number, size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size - 4; i++) bytes[i] = 14 + ((i + index * 31) % 240);
  bytes.set([13, 10, 13, 10], size - 4);
  return bytes;
}

/** Scenario 8: a large stream through the echo server, checked by hash. */
async function bigStream(): Promise<void> {
  const total = SIZES.stream;
  const size = 64 * 1024;
  await withEchoServer(async (port, pid) => {
    const memory = sampleMemory(pid);
    const started = performance.now();
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    const sent = createHash("sha256");
    const received = createHash("sha256");
    const writer = (async () => {
      for (let i = 0; i * size < total; i++) {
        const bytes = messageBytes(i % 64, size);
        sent.update(bytes);
        let offset = 0;
        while (offset < size) {
          offset += await conn.write(bytes.subarray(offset));
        }
      }
    })();
    const buf = new Uint8Array(256 * 1024);
    let got = 0;
    while (got < total) {
      const n = await conn.read(buf);
      if (n === null) break;
      received.update(buf.subarray(0, n));
      got += n;
    }
    await writer;
    conn.close();
    const same = sent.digest("hex") === received.digest("hex");
    rows.push({
      scenario: `${total >> 20} MiB streamed through the echo server`,
      operations: total / size,
      failures: same && got === total ? 0 : 1,
      peakMiB: memory.stop(),
      seconds: (performance.now() - started) / 1000,
      note: same ? "SHA-256 equal" : "SHA-256 DIFFERS",
    });
  });
}

/** Scenario 4: a client that writes without reading, then reads. */
async function flood(): Promise<void> {
  const total = SIZES.flood;
  const size = 64 * 1024;
  await withEchoServer(async (port, pid) => {
    const baseline = rssKiB(pid) / 1024;
    const memory = sampleMemory(pid);
    const started = performance.now();
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    let written = 0;
    const writer = (async () => {
      for (let i = 0; i * size < total; i++) {
        const bytes = messageBytes(i % 64, size);
        let offset = 0;
        while (offset < size) {
          offset += await conn.write(bytes.subarray(offset));
        }
        written += size;
      }
    })();
    await new Promise((r) => setTimeout(r, 1000)); // nobody reads
    const stalledAt = written;
    const peakWhileStalled = memory.stop();
    const reading = sampleMemory(pid);
    const buf = new Uint8Array(256 * 1024);
    let got = 0;
    let failures = 0;
    while (got < total) {
      const n = await conn.read(buf);
      if (n === null) break;
      // Check the order: byte j of message i is known.
      const first = got;
      for (let j = 0; j < n; j += 997) {
        const offset = first + j;
        const index = Math.floor(offset / size) % 64;
        const expected = messageBytes(index, size)[offset % size];
        if (buf[j] !== expected) failures++;
      }
      got += n;
    }
    await writer;
    conn.close();
    const peak = Math.max(peakWhileStalled, reading.stop());
    rows.push({
      scenario: `${total >> 20} MiB of requests written without reading`,
      operations: total / size,
      // The bound that matters: while nobody reads, the server must not
      // buffer what it cannot send. (Once the bytes flow, garbage slabs
      // wait for the collector, which the peak column shows.)
      failures: failures + (got === total ? 0 : 1) +
        (peakWhileStalled - baseline > 64 ? 1 : 0),
      peakMiB: peak,
      seconds: (performance.now() - started) / 1000,
      note: `stalled after ${(stalledAt / 2 ** 20).toFixed(1)} MiB; RSS +${
        (peakWhileStalled - baseline).toFixed(1)
      } MiB`,
    });
  });
}

/** Scenario 5: a message without separator past the maximum size. */
async function overlong(): Promise<void> {
  await withEchoServer(async (port, pid) => {
    const baseline = rssKiB(pid) / 1024;
    const memory = sampleMemory(pid);
    const started = performance.now();
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    const reading = (async () => {
      const buf = new Uint8Array(256 * 1024);
      let got = 0;
      try {
        while ((await conn.read(buf)) !== null) got += buf.length;
      } catch {
        // Reset: fine.
      }
      return got;
    })();
    const chunk = new Uint8Array(64 * 1024).fill(120);
    let sent = 0;
    try {
      while (sent < 32 << 20) sent += await conn.write(chunk);
    } catch {
      // The server closed it: expected.
    }
    await reading;
    conn.close();
    // Others are still served.
    const other = await Deno.connect({ hostname: "127.0.0.1", port });
    await other.write(encoder.encode("still here\r\n\r\n"));
    const reply = new TextDecoder().decode(await readExactly(other, 14));
    other.close();
    const peak = memory.stop();
    rows.push({
      scenario: "32 MiB message without separator (max 16 MiB)",
      operations: 1,
      failures: (sent >= 32 << 20 ? 1 : 0) +
        (reply === "still here\r\n\r\n" ? 0 : 1) +
        (peak - baseline > 64 ? 1 : 0),
      peakMiB: peak,
      seconds: (performance.now() - started) / 1000,
      note: `closed after ${(sent / 2 ** 20).toFixed(1)} MiB`,
    });
  });
}

/** Scenario 9: graceful shutdown with requests in flight. */
async function shutdownUnderLoad(): Promise<void> {
  const count = SIZES.inFlight;
  const server = new Server({
    consumerFactory: () => new DelayedEchoConsumer(),
  });
  await server.start();
  const client = new EchoClient({ port: server.port }, {
    poolSize: count,
    reconnect: false,
  });
  const started = performance.now();
  let completed = 0;
  let failedCleanly = 0;
  let failures = 0;
  const unexpected = new Set<string>();
  const settle = (error: Error) => {
    if (
      error instanceof ConnectionClosedError ||
      error?.name === "ConnectionRefusedError"
    ) {
      failedCleanly++;
    } else {
      failures++;
      unexpected.add(`${error?.name}: ${error?.message}`);
    }
  };
  const requests = Array.from(
    { length: count },
    (_, i) => client.request(`request ${i}`).then(() => completed++, settle),
  );

  while (server.concurrentConnections < count * 0.9) {
    await new Promise((r) => setTimeout(r, 5));
  }
  await server.close({ gracePeriod: 100 });
  // None may hang: all settle within 10 s of the close.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hung = await Promise.race([
    Promise.all(requests).then(() => false),
    new Promise<boolean>((r) => timer = setTimeout(() => r(true), 10_000)),
  ]);
  clearTimeout(timer);
  await client.close();
  rows.push({
    scenario: `server.close() with ${count} requests in flight`,
    operations: count,
    failures: failures + (hung ? 1 : 0),
    peakMiB: rssKiB(Deno.pid) / 1024,
    seconds: (performance.now() - started) / 1000,
    note: `${completed} completed, ${failedCleanly} failed with a clear ` +
      `error${unexpected.size ? `; unexpected: ${[...unexpected]}` : ""}`,
  });
}

function table(): string {
  const header = [
    "scenario",
    "operations",
    "failures",
    "peak MiB",
    "seconds",
    "note",
  ];
  const lines = rows.map((r) => [
    r.scenario,
    String(r.operations),
    String(r.failures),
    r.peakMiB.toFixed(1),
    r.seconds.toFixed(2),
    r.note ?? "",
  ]);
  const widths = header.map((h, i) =>
    Math.max(h.length, ...lines.map((l) => l[i].length))
  );
  const row = (cells: string[]) =>
    `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  return [
    row(header),
    row(widths.map((w) => "-".repeat(w))),
    ...lines.map(row),
  ].join("\n");
}

const started = performance.now();
await manyConnections();
await bigStream();
await flood();
await overlong();
await shutdownUnderLoad();
console.log(table());
console.log(
  `\n${quick ? "Quick" : "Full"} run in ${
    ((performance.now() - started) / 1000).toFixed(1)
  } s; peak MiB is the echo server's resident memory (the test process's for the shutdown scenario).`,
);
if (rows.some((r) => r.failures > 0)) Deno.exit(1);
