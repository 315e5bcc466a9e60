// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * The Redis client benchmark: `RedisClient` (examples/redis/client.ts)
 * against the two npm clients, `ioredis` (with its defaults, and with
 * `enableAutoPipelining`) and `redis` (node-redis), all run under Deno
 * against the same real `redis-server`. GET and SET of a 100-byte value,
 * with 1, 16 and 256 commands in flight (that many loops, each awaiting its
 * command before sending the next).
 *
 * Each client runs in a Deno process of its own (so one's garbage is not
 * another's pause), started once and kept connected; the trials alternate
 * between them, round after round, in a rotating order. Each process reports
 * the commands it completed and its own CPU time (user + system, all
 * threads). The server runs on core 1 and the clients on core 0 where
 * `taskset` exists. Figures are medians over the rounds, with min–max.
 *
 * Run by `bench/redis.ts` (`deno task bench:redis`); run alone, this file is
 * the per-client worker process.
 *
 * @module
 */

import { startRealRedis } from "../examples/redis/_real_redis.ts";
import { format, spread, succeeds } from "./_common.ts";

/** The clients compared. */
type Impl = "pulsar" | "ioredis" | "ioredis-auto" | "node-redis";
const IMPLS: Impl[] = ["pulsar", "ioredis", "ioredis-auto", "node-redis"];
/** The npm clients: the ratio is taken against the fastest of them. */
const NPM: Impl[] = ["ioredis", "ioredis-auto", "node-redis"];
const LABELS: Record<Impl, string> = {
  pulsar: "RedisClient",
  ioredis: "ioredis",
  "ioredis-auto": "ioredis, auto-pipelining",
  "node-redis": "node-redis",
};
const IOREDIS = "npm:ioredis@6.0.0";
const NODE_REDIS = "npm:redis@6.3.1";
type Op = "GET" | "SET";
const OPS: Op[] = ["GET", "SET"];
const LEVELS = [1, 16, 256];
const KEY = "bench:key";
const VALUE = "v".repeat(100);

/** What one trial of one client measured. */
interface Trial {
  ops: number;
  seconds: number;
  cpuMicros: number;
}

/** A running worker: one client in its own process. */
interface Worker {
  run(op: Op, inflight: number, millis: number): Promise<Trial>;
  stop(): Promise<void>;
}

const hasTaskset = await succeeds(["taskset", "-c", "0", "true"]);

/** Pins every thread of `pid` to `core`, where taskset exists. */
async function pin(pid: number, core: number): Promise<void> {
  if (!hasTaskset) return;
  await new Deno.Command("taskset", {
    args: ["-a", "-p", "-c", String(core), String(pid)],
    stdout: "null",
    stderr: "null",
  }).output();
}

/** Starts the worker process of `impl`, connected to `port`. */
async function startWorker(impl: Impl, port: number): Promise<Worker> {
  // Offline runs resolve @std to the npm package deno-std: the worker uses
  // the same import map.
  const offline = import.meta.resolve("@std/assert").includes("deno-std");
  const root = new URL("../", import.meta.url);
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      ...(offline
        ? [
          `--import-map=${new URL("import_map.offline.json", root).pathname}`,
        ]
        : []),
      "--no-lock",
      new URL(import.meta.url).pathname,
      "--worker",
      impl,
      String(port),
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  await pin(child.pid, 0);
  const writer = child.stdin.getWriter();
  const lines = child.stdout.pipeThrough(new TextDecoderStream())
    .pipeThrough(new LineStream()).getReader();
  const next = async (): Promise<string> => {
    const { value, done } = await lines.read();
    if (done) throw new Error(`The ${impl} worker exited`);
    return value;
  };
  const ready = await next();
  if (ready !== "ready") throw new Error(`The ${impl} worker said ${ready}`);
  return {
    async run(op, inflight, millis) {
      await writer.write(
        new TextEncoder().encode(
          JSON.stringify({ op, inflight, millis }) + "\n",
        ),
      );
      return JSON.parse(await next()) as Trial;
    },
    async stop() {
      await writer.close();
      await lines.cancel();
      await child.status;
    },
  };
}

/** Splits a text stream into lines. */
class LineStream extends TransformStream<string, string> {
  constructor() {
    let rest = "";
    super({
      transform(chunk, controller) {
        const parts = (rest + chunk).split("\n");
        rest = parts.pop()!;
        for (const part of parts) controller.enqueue(part);
      },
    });
  }
}

/** One client's two calls. */
interface Calls {
  get(): Promise<unknown>;
  set(): Promise<unknown>;
  close(): Promise<unknown>;
}

/** Connects the client `impl` to `port`, each as its users would. */
async function connectClient(impl: Impl, port: number): Promise<Calls> {
  if (impl === "pulsar") {
    const { RedisClient } = await import("../examples/redis/client.ts");
    const client = new RedisClient({ port });
    return {
      get: () => client.command("GET", KEY),
      set: () => client.command("SET", KEY, VALUE),
      close: () => client.close(),
    };
  }
  if (impl === "ioredis" || impl === "ioredis-auto") {
    const { Redis } = await import("npm:ioredis@6.0.0");
    const client = new Redis({
      host: "127.0.0.1",
      port,
      enableAutoPipelining: impl === "ioredis-auto",
    });
    await client.ping();
    return {
      get: () => client.get(KEY),
      set: () => client.set(KEY, VALUE),
      close: () => client.quit(),
    };
  }
  const { createClient } = await import("npm:redis@6.3.1");
  const client = createClient({ socket: { host: "127.0.0.1", port } });
  await client.connect();
  return {
    get: () => client.get(KEY),
    set: () => client.set(KEY, VALUE),
    close: () => client.quit(),
  };
}

/** The process's CPU time so far, in microseconds (all threads). */
async function cpuMicros(): Promise<number> {
  const { default: process } = await import("node:process");
  const { user, system } = process.cpuUsage();
  return user + system;
}

/**
 * Runs `call` in `inflight` loops for `millis` ms (after a warm-up of a
 * fifth of that): the commands completed, the time, the CPU time.
 */
async function trial(
  call: () => Promise<unknown>,
  inflight: number,
  millis: number,
): Promise<Trial> {
  const loops = async (ms: number) => {
    let ops = 0;
    const end = performance.now() + ms;
    await Promise.all(
      Array.from({ length: inflight }, async () => {
        while (performance.now() < end) {
          await call();
          ops++;
        }
      }),
    );
    return ops;
  };
  await loops(millis / 5);
  const cpu = await cpuMicros();
  const start = performance.now();
  const ops = await loops(millis);
  const seconds = (performance.now() - start) / 1000;
  return { ops, seconds, cpuMicros: await cpuMicros() - cpu };
}

/** The worker process: runs the trials asked for on stdin. */
async function worker(impl: Impl, port: number): Promise<void> {
  const calls = await connectClient(impl, port);
  await calls.set();
  const out = (line: string) =>
    Deno.stdout.write(new TextEncoder().encode(line + "\n"));
  await out("ready");
  const lines = Deno.stdin.readable.pipeThrough(new TextDecoderStream())
    .pipeThrough(new LineStream());
  for await (const line of lines) {
    const { op, inflight, millis } = JSON.parse(line);
    const call = op === "GET" ? calls.get : calls.set;
    await out(JSON.stringify(await trial(call, inflight, millis)));
  }
  await calls.close();
}

/** The figures of one row: an op at a level. */
interface Row {
  op: Op;
  inflight: number;
  rates: Map<Impl, number[]>;
  cpus: Map<Impl, number[]>;
}

/**
 * Runs the benchmark and returns its markdown section (a table, the ratios
 * and a chart); a full run also writes the chart to
 * `bench/redis_client.svg`.
 *
 * @param options `smoke`: one short round, to check the harness works (a
 * few seconds), no file written.
 * @returns The markdown section.
 */
export async function runRedisClientBench(
  options: { smoke: boolean },
): Promise<string> {
  const rounds = options.smoke ? 1 : 11;
  const millis = options.smoke ? 150 : 500;
  const started = performance.now();
  await using redis = await startRealRedis();
  await pin(redis.pid, 1);
  const workers = new Map<Impl, Worker>();
  try {
    for (const impl of IMPLS) {
      workers.set(impl, await startWorker(impl, redis.port));
    }
    const rows: Row[] = [];
    for (const op of OPS) {
      for (const inflight of LEVELS) {
        rows.push({ op, inflight, rates: new Map(), cpus: new Map() });
      }
    }
    for (let round = 0; round < rounds; round++) {
      for (const row of rows) {
        // A rotating order: no client always runs first (or last).
        for (let i = 0; i < IMPLS.length; i++) {
          const impl = IMPLS[(i + round) % IMPLS.length];
          const t = await workers.get(impl)!.run(row.op, row.inflight, millis);
          if (t.ops === 0) throw new Error(`${impl} completed no command`);
          const rates = row.rates.get(impl) ?? [];
          const cpus = row.cpus.get(impl) ?? [];
          rates.push(t.ops / t.seconds);
          cpus.push(t.cpuMicros / t.ops);
          row.rates.set(impl, rates);
          row.cpus.set(impl, cpus);
        }
      }
    }
    const seconds = (performance.now() - started) / 1000;
    const section = report(rows, rounds, millis, seconds, options.smoke);
    if (!options.smoke) {
      const path = new URL("redis_client.svg", import.meta.url).pathname;
      await Deno.writeTextFile(path, chart(rows));
    }
    return section;
  } finally {
    for (const worker of workers.values()) await worker.stop();
  }
}

/**
 * `RedisClient`'s ratio to the fastest npm client: the median over the
 * rounds of its rate over the fastest npm rate of the same round (paired:
 * measured seconds apart, under the same load), and the same for CPU time
 * per command (over the least); `fastest` is the fastest by median rate.
 */
function ratio(row: Row): { ratio: number; fastest: Impl; cpuRatio: number } {
  const rates = (impl: Impl) => row.rates.get(impl)!;
  const cpus = (impl: Impl) => row.cpus.get(impl)!;
  const median = (impl: Impl) => spread(rates(impl)).median;
  const fastest = NPM.reduce((a, b) => median(b) > median(a) ? b : a);
  const paired = (
    of: (impl: Impl) => number[],
    best: (...values: number[]) => number,
  ) =>
    spread(
      of("pulsar").map((value, round) =>
        value / best(...NPM.map((impl) => of(impl)[round]))
      ),
    ).median;
  return {
    ratio: paired(rates, Math.max),
    fastest,
    cpuRatio: paired(cpus, Math.min),
  };
}

/**
 * The median over the rounds of `impl`'s rate over the fastest npm rate of
 * the same round: what the table gives for `RedisClient`, for the chart.
 */
function pairedRatio(row: Row, impl: Impl): number {
  const rates = (of: Impl) => row.rates.get(of)!;
  return spread(
    rates(impl).map((rate, round) =>
      rate / Math.max(...NPM.map((npm) => rates(npm)[round]))
    ),
  ).median;
}

function report(
  rows: Row[],
  rounds: number,
  millis: number,
  seconds: number,
  smoke: boolean,
): string {
  const cell = (row: Row, impl: Impl) => {
    const rate = spread(row.rates.get(impl)!);
    const cpu = spread(row.cpus.get(impl)!).median;
    return `${format(rate.median)} (${format(rate.min)}–${
      format(rate.max)
    })<br>CPU ${format(cpu)} µs`;
  };
  const lines = [
    "## Redis client: RedisClient, ioredis and node-redis",
    "",
    `${smoke ? "A smoke run (not figures to quote)" : "Measured"} ${
      new Date().toISOString().slice(0, 10)
    } in ${seconds.toFixed(0)} s: each client in a Deno ${Deno.version.deno} ` +
    "process of its own against one real `redis-server` " +
    `(${hasTaskset ? "on core 1, clients on core 0" : "not pinned"}); ` +
    `GET and SET of a 100-byte value with 1, 16 and 256 commands in flight; ` +
    `${rounds} round${rounds > 1 ? "s" : ""} of ${millis} ms per figure ` +
    "(after a warm-up of a fifth of that), clients alternating in a " +
    "rotating order. Medians (min–max) of commands per second, and the " +
    "client process's CPU time (user + system) per command. Each client is " +
    "used as its users would, with its defaults: `RedisClient` " +
    "(`poolSize` 1, `pipelining` 256, bulk strings copied) resolves GET " +
    `with the bytes; \`${IOREDIS}\` and \`${NODE_REDIS}\` (one connection ` +
    "each) with a string. ioredis runs twice: with its defaults (each " +
    "command written as it is called) and with `enableAutoPipelining` " +
    "(commands of one tick written together, as node-redis always does). " +
    "Ratios are paired: in each round, RedisClient's rate over the fastest " +
    "npm client's rate in that round (its CPU time over the least), and the " +
    "median of those over the rounds; the client named is the fastest by " +
    "median.",
    "",
    `| command | in flight | ${
      IMPLS.map((impl) => LABELS[impl]).join(" | ")
    } | ÷ fastest npm, req/s | ÷ least npm, CPU per command | ≥ 1.0 |`,
    `| --- | --- | ${IMPLS.map(() => "---").join(" | ")} | --- | --- | --- |`,
  ];
  for (const row of rows) {
    const r = ratio(row);
    lines.push(
      `| ${row.op} | ${row.inflight} | ${
        IMPLS.map((impl) => cell(row, impl)).join(" | ")
      } | ${r.ratio.toFixed(2)} (${LABELS[r.fastest]}) | ${
        r.cpuRatio.toFixed(2)
      } | ${r.ratio >= 1 ? "yes" : "**no**"} |`,
    );
  }
  lines.push("");
  if (!smoke) {
    lines.push(
      "![RedisClient and the npm clients, req/s over the fastest npm client](redis_client.svg)",
      "",
    );
  }
  return lines.join("\n");
}

/**
 * Bars: each client's req/s over the fastest npm client's of the same
 * round (median over the rounds), per row.
 */
function chart(rows: Row[]): string {
  const colors: Record<Impl, string> = {
    pulsar: "#2b6cb0",
    ioredis: "#38a169",
    "ioredis-auto": "#9ae6b4",
    "node-redis": "#d69e2e",
  };
  const rowHeight = 16;
  const left = 150;
  const largest = Math.max(
    1.2,
    ...rows.flatMap((row) => IMPLS.map((impl) => pairedRatio(row, impl))),
  );
  const scale = 600 / largest; // pixels for a ratio of 1.0
  let y = 40;
  const parts: string[] = [];
  for (const row of rows) {
    parts.push(
      `<text x="${left - 8}" y="${y + rowHeight * 2 + 4}" ` +
        `text-anchor="end">${row.op}, ${row.inflight} in flight</text>`,
    );
    for (const impl of IMPLS) {
      const r = pairedRatio(row, impl);
      const w = Math.max(1, r * scale);
      parts.push(
        `<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="${
          rowHeight - 3
        }" fill="${colors[impl]}"/>`,
        `<text x="${(left + w + 4).toFixed(1)}" y="${
          y + rowHeight - 5
        }" class="v">${r.toFixed(2)}</text>`,
      );
      y += rowHeight;
    }
    y += 14;
  }
  const legend = IMPLS.map((impl, i) =>
    `<rect x="${left + i * 170}" y="8" width="12" height="12" fill="${
      colors[impl]
    }"/><text x="${left + i * 170 + 16}" y="18">${LABELS[impl]}</text>`
  ).join("");
  const one = (left + scale).toFixed(1);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${
    left + 600 + 60
  }" height="${y + 30}" font-family="sans-serif" font-size="12">
<style>.v { font-size: 10px; fill: #2d3748; }</style>
<rect width="100%" height="100%" fill="white"/>
${legend}
<line x1="${one}" x2="${one}" y1="30" y2="${y}" stroke="#e53e3e" stroke-width="2"/>
<text x="${one}" y="${
    y + 14
  }" text-anchor="middle">1.0 = the fastest npm client (target)</text>
${parts.join("\n")}
</svg>
`;
}

if (import.meta.main) {
  const [flag, impl, port] = Deno.args;
  if (flag === "--worker" && IMPLS.includes(impl as Impl)) {
    await worker(impl as Impl, Number(port));
  } else {
    console.log(
      await runRedisClientBench({ smoke: Deno.args.includes("--smoke") }),
    );
  }
}
