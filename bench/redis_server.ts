// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * The Redis server example (`examples/redis/server.ts`) against the real
 * `redis-server`, under the same `redis-benchmark` runs: `-t set,get -n
 * 100000 -c 50`, plain and with `-P 16`; and against the same store on raw
 * Deno sockets (`bench/servers/raw_redis.ts`), which separates Deno's cost
 * from the module's. The servers run side by side on
 * core 1, `redis-benchmark` on core 0 (taskset, when present); each run
 * alternates which server goes first, and is repeated; the median is
 * reported with min–max, and the servers' CPU time per request (from
 * `/proc`), which the machine's noise moves less than the rates.
 *
 * `bench/redis.ts` (`deno task bench:redis`) calls it; alone:
 *
 *     deno run -A bench/redis_server.ts [--smoke]
 *
 * @module
 */

import { startRealRedis } from "../examples/redis/_real_redis.ts";
import { startDeno } from "../tests/_helpers.ts";
import { spread, succeeds } from "./_common.ts";

/** One server under test. */
interface Target {
  label: string;
  pid: number;
  port: number;
  stop(): Promise<void>;
}

/** One `redis-benchmark` configuration. */
interface Case {
  test: "SET" | "GET";
  pipeline: number;
  target?: number;
}

const CASES: Case[] = [
  { test: "SET", pipeline: 1, target: 0.5 },
  { test: "GET", pipeline: 1, target: 0.5 },
  { test: "SET", pipeline: 16 },
  { test: "GET", pipeline: 16 },
];

const root = new URL("../", import.meta.url).pathname;

/**
 * What the profiles said, taken apart from this run (they are not remade
 * by it): how the time of the module's server splits.
 */
const PROFILE = [
  "Where the module's server spends its time: V8's sampling profiler " +
  "(`bench/profile.ts`, 10 s) on the server under the same " +
  "`redis-benchmark`, as shares of its busy samples. Unpipelined: the send " +
  "syscall (`op_write`) 60%, the example's code 10%, Deno's op and promise " +
  "plumbing 6%, `op_read` 5%, GC 4%, the module's transport 4% and its " +
  "`Connection` and consumers 2%; the raw Deno server above costs about " +
  "the same CPU per request, so Deno's two ops and the kernel bound it, " +
  "not the module. With `-P 16`: the example's code 42% (parsing in " +
  "place, the store's `Map` with one-byte-per-char string keys, " +
  "dispatch), `op_write` 31%, the module's `Connection` and consumers 10% " +
  "(`#feed`, `#startConsumer`, `finished()`, building a consumer and its " +
  "events for every command), the transport 6.5%, GC 5%: the consumer " +
  "per command and the view of the leftover bytes handed from one to " +
  "the next are the gap to raw Deno there (about 0.2 µs a command " +
  "without I/O, more with the GC it brings).",
];

/** The server's CPU time so far, in microseconds (user + system). */
function cpuMicros(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  // Fields after the command name, which is in parentheses.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime
  return ticks * 1e6 / 100; // USER_HZ is 100 on Linux
}

/** Starts a Deno server script on a free port, on core 1 if `pin`. */
async function startDenoServer(
  label: string,
  script: string,
  args: string[],
  pin: boolean,
): Promise<Target> {
  const server = await startDeno([`${root}${script}`, ...args]);
  const pid = server.child.pid;
  if (pin) await succeeds(["taskset", "-a", "-p", "-c", "1", String(pid)]);
  return {
    label,
    pid,
    port: server.port,
    stop: async () => {
      await server.stop("SIGTERM");
    },
  };
}

/** One redis-benchmark run: the rate of each test. */
async function benchmark(
  pin: string[],
  port: number,
  requests: number,
  pipeline: number,
): Promise<Map<string, number>> {
  const cmd = [
    ...pin,
    "redis-benchmark",
    "-p",
    String(port),
    "-t",
    "set,get",
    "-n",
    String(requests),
    "-c",
    "50",
    "-P",
    String(pipeline),
    "--csv",
  ];
  const { success, stdout, stderr } = await new Deno.Command(cmd[0], {
    args: cmd.slice(1),
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(stdout);
  const errors = new TextDecoder().decode(stderr);
  if (!success || /error/i.test(text + errors)) {
    throw new Error(`redis-benchmark failed: ${text}${errors}`);
  }
  const rates = new Map<string, number>();
  for (const line of text.split("\n")) {
    const match = line.match(/^"([A-Z]+)","([\d.]+)"/);
    if (match) rates.set(match[1], Number(match[2]));
  }
  return rates;
}

function rate(values: number[]): string {
  const k = (n: number) => `${(n / 1000).toFixed(1)}k`;
  if (values.length === 1) return k(values[0]);
  const { median, min, max } = spread(values);
  return `${k(median)} (${k(min)}–${k(max)})`;
}

/**
 * Runs the benchmark and returns its section of `bench/REDIS.md`.
 *
 * @param options `smoke`: one short repetition, to check the harness.
 * @returns A markdown section: how it was measured, and the table.
 */
export async function runRedisServerBench(
  options: { smoke: boolean },
): Promise<string> {
  const reps = options.smoke ? 1 : 5;
  const requests = options.smoke ? 10_000 : 100_000;
  const taskset = await succeeds(["taskset", "-c", "0", "true"]);
  const loadPin = taskset ? ["taskset", "-c", "0"] : [];
  const real = await startRealRedis();
  if (taskset) await succeeds(["taskset", "-pc", "1", String(real.pid)]);
  const targets: Target[] = [
    { label: "redis-server", pid: real.pid, port: real.port, stop: real.stop },
  ];
  try {
    targets.push(
      await startDenoServer(
        "@pulsar/net",
        "examples/redis/server.ts",
        ["--port", "0"],
        taskset,
      ),
      await startDenoServer(
        "raw Deno",
        "bench/servers/raw_redis.ts",
        ["0"],
        taskset,
      ),
    );
    // rates[target][case] and CPU µs per request, one entry a repetition.
    const rates = targets.map(() => CASES.map((): number[] => []));
    const cpu = targets.map(() => CASES.map((): number[] => []));
    // Warm up both (the JIT of the module's server above all).
    for (const target of targets) {
      await benchmark(loadPin, target.port, requests / 5, 1);
    }
    for (let rep = 0; rep < reps; rep++) {
      // Each server goes first in turn.
      const order = targets.map((_, i) => (i + rep) % targets.length);
      for (const pipeline of [1, 16]) {
        for (const t of order) {
          const target = targets[t];
          const before = cpuMicros(target.pid);
          const result = await benchmark(
            loadPin,
            target.port,
            requests,
            pipeline,
          );
          const spent = cpuMicros(target.pid) - before;
          CASES.forEach((c, i) => {
            if (c.pipeline !== pipeline) return;
            const value = result.get(c.test);
            if (value === undefined) {
              throw new Error(`redis-benchmark gave no ${c.test} figure`);
            }
            rates[t][i].push(value);
            // SET and GET ran in the same process: CPU per request of both.
            cpu[t][i].push(spent / (2 * requests));
          });
        }
      }
    }
    const lines = [
      "## The Redis server: `examples/redis/server.ts` against `redis-server`",
      "",
      `\`redis-benchmark -t set,get -n ${requests} -c 50\`, plain and with ` +
      `\`-P 16\`, against \`redis-server\` ${
        (await redisVersion()) ?? ""
      } (no persistence), the module's server, and raw Deno: the ` +
      "example's own reader, store and replies in a plain " +
      "`conn.read()`/`conn.write()` loop (`bench/servers/raw_redis.ts`), " +
      "which tells what Deno costs from what the module costs. " +
      (taskset
        ? "All on core 1, `redis-benchmark` on core 0 (taskset)"
        : "Unpinned (taskset not found)") +
      `. ${reps} repetition${reps > 1 ? "s" : ""}, each server going ` +
      "first in turn; the median, with min–max. CPU is each server's own " +
      "(user + system, from `/proc`) per request, SET and GET together: " +
      "the machine's noise moves it less than the rates.",
      "",
      "| run | redis-server req/s | @pulsar/net req/s | raw Deno req/s | @pulsar/net / redis-server | target | CPU µs/req: redis-server | @pulsar/net | raw Deno |",
      "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ];
    CASES.forEach((c, i) => {
      const ratio = spread(rates[1][i]).median / spread(rates[0][i]).median;
      const target = c.target === undefined
        ? "—"
        : `≥ ${c.target} ${ratio >= c.target ? "met" : "**missed**"}`;
      const cells = [
        `${c.test}${c.pipeline > 1 ? `, -P ${c.pipeline}` : ""}`,
        ...targets.map((_, t) => rate(rates[t][i])),
        ratio.toFixed(2),
        target,
        ...targets.map((_, t) => spread(cpu[t][i]).median.toFixed(2)),
      ];
      lines.push(`| ${cells.join(" | ")} |`);
    });
    lines.push("", ...PROFILE);
    return lines.join("\n") + "\n";
  } finally {
    for (const target of targets) await target.stop();
  }
}

async function redisVersion(): Promise<string | undefined> {
  try {
    const { stdout } = await new Deno.Command("redis-server", {
      args: ["--version"],
      stdout: "piped",
    }).output();
    return new TextDecoder().decode(stdout).match(/v=(\S+)/)?.[1];
  } catch {
    return undefined;
  }
}

if (import.meta.main) {
  console.log(
    await runRedisServerBench({ smoke: Deno.args.includes("--smoke") }),
  );
}
