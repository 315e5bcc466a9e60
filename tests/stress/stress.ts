// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * The heavy reliability scenarios, with a summary table: scenario,
 * operations, failures, peak server memory, duration. Exits non-zero if any
 * operation failed or a bound was broken. Loopback only, every loop bounded.
 *
 *     deno task stress            # 10,000 connections, 1 GiB, ...
 *     deno task stress -- --quick # reduced, well under two minutes (CI)
 *     deno task stress -- --only=cycles,flood # some scenarios only
 *
 * The connect/close cycles scenario runs its loops in child processes of
 * this script (`--cycles-worker MODE`), one per mode, so each process's
 * memory is its loop's alone.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { getHeapSpaceStatistics } from "node:v8";
import { ConnectionClosedError } from "../../errors.ts";
import { Server } from "../../producers/server.ts";
import { Protocol } from "../../protocols/protocol.ts";
import { connect } from "../../transports/connect.ts";
import { DelayedEchoConsumer, TestClient } from "../_fixtures.ts";
import { rssKiB, startDeno } from "../_helpers.ts";

const quick = Deno.args.includes("--quick");
const SIZES = quick
  ? {
    connections: 1000,
    stream: 64 << 20,
    flood: 32 << 20,
    inFlight: 1000,
    cycles: 2000,
  }
  : {
    connections: 10_000,
    stream: 1 << 30,
    flood: 256 << 20,
    inFlight: 1000,
    cycles: 100_000,
  };

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
const echoScript = new URL("../peers/echo_server.ts", import.meta.url).pathname;

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
  const { child, port, stop } = await startDeno([echoScript, "0"]);
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
  const client = new TestClient({ port: server.port }, {
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

// ---------------------------------------------------------------------------
// Connect/close cycles (issue 13, defect 13): memory over many short-lived
// connections, the module against raw Deno sockets.

/** How a cycles worker opens, uses and closes one connection. */
type CycleMode = "client" | "connect" | "raw";
const CYCLE_MODES: CycleMode[] = ["raw", "client", "connect"];
/** Memory is sampled every this many cycles. */
const SAMPLE_EVERY = 10_000;
/** The module's RSS after the full run must be within this of raw Deno's. */
const CYCLES_RSS_BOUND = 1.25;

/** One memory sample of a cycles worker. */
interface CycleSample {
  cycles: number;
  rssMiB: number;
  heapMiB: number;
  externalMiB: number;
  /** Open file descriptors: sockets not closed would show here. */
  fds: number;
  /** Live JS heap after a full collection (last sample only). */
  liveHeapMiB?: number;
}

/** A worker's report: its samples, failures and duration. */
interface CycleReport {
  mode: CycleMode;
  samples: CycleSample[];
  failures: number;
  firstError?: string;
  seconds: number;
  /** Open descriptors after the first cycle (the runtime opens some lazily). */
  baselineFds: number;
  /** Where the resident memory is at the end, in MiB. */
  breakdown?: Record<string, number>;
}

/**
 * Where a process's memory is: V8's spaces (committed), and the resident
 * pages of malloc's main heap, of anonymous mappings (V8's pages, other
 * threads' malloc arenas) and of files (the deno binary's code).
 */
function memoryBreakdown(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const space of getHeapSpaceStatistics()) {
    const name = space.space_name.replace(/_space$/, "");
    if (["new", "old", "code"].includes(name)) {
      out[`v8 ${name}`] = space.space_size / 2 ** 20;
    }
  }
  let mapping = "";
  for (const line of Deno.readTextFileSync("/proc/self/smaps").split("\n")) {
    const header = line.match(/^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/);
    if (header !== null) {
      const name = header[1];
      mapping = name === "[heap]"
        ? "malloc heap"
        : name === ""
        ? "anonymous"
        : name.startsWith("/")
        ? "files"
        : "other";
      continue;
    }
    const rss = line.match(/^Rss:\s+(\d+)/);
    if (rss !== null) {
      out[mapping] = (out[mapping] ?? 0) + Number(rss[1]) / 1024;
    }
  }
  return out;
}

function memorySample(cycles: number): CycleSample {
  const usage = Deno.memoryUsage();
  return {
    cycles,
    rssMiB: rssKiB(Deno.pid) / 1024,
    heapMiB: usage.heapUsed / 2 ** 20,
    externalMiB: usage.external / 2 ** 20,
    fds: [...Deno.readDirSync("/proc/self/fd")].length,
  };
}

/** A protocol that writes one echo message and waits for all of it back. */
class OneEcho extends Protocol {
  static message = encoder.encode("ping\r\n\r\n");
  done = Promise.withResolvers<void>();
  #got = 0;

  override connectionMade(
    transport: Parameters<Protocol["connectionMade"]>[0],
  ): void {
    super.connectionMade(transport);
    transport.write(OneEcho.message);
  }
  override dataReceived(data: Uint8Array): void {
    this.#got += data.length;
    if (this.#got >= OneEcho.message.length) this.done.resolve();
  }
  override connectionLost(error?: Error): void {
    if (this.#got < OneEcho.message.length) {
      this.done.reject(error ?? new Error("Closed before the echo"));
    }
  }
}

/**
 * The child side: `count` cycles of connect → one request → close in
 * `mode`, sampling memory every `SAMPLE_EVERY` cycles; prints the report as
 * one JSON line.
 */
async function cyclesWorker(
  mode: CycleMode,
  port: number,
  count: number,
): Promise<void> {
  const message = encoder.encode("ping\r\n\r\n");
  const buf = new Uint8Array(64 * 1024);
  const cycle: () => Promise<void> = {
    async raw(): Promise<void> {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      try {
        conn.setNoDelay(true);
        await conn.write(message);
        let got = 0;
        while (got < message.length) {
          const n = await conn.read(buf);
          if (n === null) throw new Error("Closed before the echo");
          got += n;
        }
      } finally {
        conn.close();
      }
    },
    async client(): Promise<void> {
      const client = new TestClient({ hostname: "127.0.0.1", port });
      try {
        await client.request("ping");
      } finally {
        await client.close();
      }
    },
    async connect(): Promise<void> {
      const [transport, protocol] = await connect(() => new OneEcho(), {
        hostname: "127.0.0.1",
        port,
      });
      try {
        await protocol.done.promise;
      } finally {
        transport.close();
        await transport.closed;
      }
    },
  }[mode];
  const report: CycleReport = {
    mode,
    samples: [memorySample(0)],
    failures: 0,
    seconds: 0,
    baselineFds: 0,
  };
  const started = performance.now();
  for (let i = 1; i <= count; i++) {
    try {
      await cycle();
    } catch (error) {
      report.failures++;
      report.firstError ??= String(error);
    }
    if (i === 1) report.baselineFds = memorySample(1).fds;
    if (i % SAMPLE_EVERY === 0 || i === count) {
      report.samples.push(memorySample(i));
    }
  }
  report.seconds = (performance.now() - started) / 1000;
  report.breakdown = memoryBreakdown();
  // What is still reachable, once the collector has run: a leak of JS
  // objects would show here, garbage would not.
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc !== undefined) {
    gc();
    report.samples.at(-1)!.liveHeapMiB = Deno.memoryUsage().heapUsed / 2 ** 20;
  }
  console.log(JSON.stringify(report));
}

/** Runs one cycles worker in a child process (this script, same import map). */
async function runCyclesWorker(
  mode: CycleMode,
  port: number,
  count: number,
): Promise<CycleReport> {
  const offline = import.meta.resolve("@std/assert").includes("deno-std");
  const map = new URL("../../import_map.offline.json", import.meta.url)
    .pathname;
  const { code, stdout } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--v8-flags=--expose-gc",
      ...(offline ? [`--import-map=${map}`, "--no-lock"] : []),
      new URL(import.meta.url).pathname,
      "--cycles-worker",
      mode,
      String(port),
      String(count),
    ],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  const text = new TextDecoder().decode(stdout).trim();
  if (code !== 0) throw new Error(`The ${mode} cycles worker failed: ${text}`);
  return JSON.parse(text.split("\n").at(-1)!);
}

const cycleTables: string[] = [];

/**
 * Scenario 13: connect → one request → close, `SIZES.cycles` times, by the
 * module's `Client`, by `connect()` and by raw Deno sockets, each in its own
 * process against its own echo server; RSS sampled every 10,000 cycles.
 */
async function connectCloseCycles(): Promise<void> {
  const count = SIZES.cycles;
  const reports = new Map<CycleMode, CycleReport>();
  for (const mode of CYCLE_MODES) {
    await withEchoServer(async (port) => {
      reports.set(mode, await runCyclesWorker(mode, port, count));
    });
  }
  const raw = reports.get("raw")!;
  const rawEnd = raw.samples.at(-1)!;
  for (const mode of CYCLE_MODES) {
    const report = reports.get(mode)!;
    const first = report.samples[0];
    const last = report.samples.at(-1)!;
    const ratio = last.rssMiB / rawEnd.rssMiB;
    // The bound is for the full run: after 2,000 cycles the start-up
    // memory dominates and the ratio says little.
    const broken = mode !== "raw" && !quick && ratio > CYCLES_RSS_BOUND;
    // The runtime opens a socket pair of its own about half a second in;
    // sockets left open by the cycles would number in the thousands.
    const leakedFds = last.fds - report.baselineFds > 8
      ? last.fds - report.baselineFds
      : 0;
    rows.push({
      scenario: `${count} connect → request → close cycles, ${
        mode === "raw" ? "raw Deno" : mode === "client" ? "Client" : "connect()"
      }`,
      operations: count,
      failures: report.failures + (broken ? 1 : 0) + (leakedFds > 0 ? 1 : 0),
      peakMiB: Math.max(...report.samples.map((s) => s.rssMiB)),
      seconds: report.seconds,
      note: `RSS ${first.rssMiB.toFixed(1)} → ${last.rssMiB.toFixed(1)} MiB` +
        (mode === "raw" ? "" : ` (${ratio.toFixed(2)}× raw)`) +
        `; live heap ${last.liveHeapMiB?.toFixed(1) ?? "?"} MiB` +
        (leakedFds > 0 ? `; ${leakedFds} descriptors left open` : "") +
        (report.firstError ? `; first error: ${report.firstError}` : ""),
    });
  }
  // The samples side by side: RSS (JS heap in use) per mode.
  const header = ["cycles", ...CYCLE_MODES.map((m) => `${m} RSS (heap) MiB`)];
  const lines = raw.samples.map((sample, i) => [
    String(sample.cycles),
    ...CYCLE_MODES.map((mode) => {
      const s = reports.get(mode)!.samples[i];
      return s === undefined
        ? ""
        : `${s.rssMiB.toFixed(1)} (${s.heapMiB.toFixed(1)})`;
    }),
  ]);
  cycleTables.push(formatTable(header, lines));
  // Where each process's memory is at the end.
  const parts = Object.keys(raw.breakdown ?? {}).filter((k) => k !== "other");
  cycleTables.push(formatTable(
    ["MiB at the end", ...parts],
    CYCLE_MODES.map((mode) => [
      mode,
      ...parts.map((p) => reports.get(mode)!.breakdown?.[p]?.toFixed(1) ?? ""),
    ]),
  ));
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
  return formatTable(header, lines);
}

function formatTable(header: string[], lines: string[][]): string {
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

const workerAt = Deno.args.indexOf("--cycles-worker");
if (workerAt >= 0) {
  const [mode, port, count] = Deno.args.slice(workerAt + 1);
  await cyclesWorker(mode as CycleMode, Number(port), Number(count));
  Deno.exit(0);
}

const scenarios: Record<string, () => Promise<void>> = {
  connections: manyConnections,
  stream: bigStream,
  flood,
  overlong,
  shutdown: shutdownUnderLoad,
  cycles: connectCloseCycles,
};
// `--only=cycles,flood` runs some scenarios only.
const only = Deno.args.find((a) => a.startsWith("--only="))?.slice(7)
  .split(",");
const started = performance.now();
for (const [name, scenario] of Object.entries(scenarios)) {
  if (only === undefined || only.includes(name)) await scenario();
}
console.log(table());
for (const extra of cycleTables) console.log(`\n${extra}`);
console.log(
  `\n${quick ? "Quick" : "Full"} run in ${
    ((performance.now() - started) / 1000).toFixed(1)
  } s; peak MiB is the echo server's resident memory (the test process's for the shutdown scenario, the cycles worker's for the cycles).`,
);
if (rows.some((r) => r.failures > 0)) Deno.exit(1);
