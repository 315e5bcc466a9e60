// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * The Redis benchmarks, side by side in one run: the module's Redis server
 * against `redis-server` (`bench/redis_server.ts`, where it exists) and
 * `RedisClient` against the npm clients (`bench/redis_client.ts`). Writes
 * `bench/REDIS.md` (and the charts beside it).
 *
 *     deno task bench:redis            # the full run, a few minutes
 *     deno task bench:redis --smoke    # seconds: checks the harness works,
 *                                      # prints the report, writes nothing
 *
 * Loopback only; every run is bounded in time.
 *
 * @module
 */

import { runRedisClientBench } from "./redis_client.ts";

/** A benchmark section: runs and returns its markdown. */
type Section = (options: { smoke: boolean }) => Promise<string>;

/** The server benchmark, if its file is there (it is written separately). */
async function serverBench(): Promise<Section | undefined> {
  const url = new URL("./redis_server.ts", import.meta.url);
  try {
    await Deno.stat(url);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  const module = await import(url.href);
  return module.runRedisServerBench as Section;
}

/** The 1-minute load average, where /proc tells it. */
async function load(): Promise<string> {
  const text = await Deno.readTextFile("/proc/loadavg").catch(() => "");
  return text.split(" ")[0] || "unknown";
}

const smoke = Deno.args.includes("--smoke");
const loadBefore = await load();
const started = performance.now();
const sections: string[] = [];
const server = await serverBench();
if (server !== undefined) sections.push(await server({ smoke }));
sections.push(await runRedisClientBench({ smoke }));
const seconds = (performance.now() - started) / 1000;
const cpu = (await Deno.readTextFile("/proc/cpuinfo").catch(() => ""))
  .match(/model name\s*:\s*(.*)/)?.[1] ?? "unknown CPU";
const report = [
  "# Redis benchmark",
  "",
  `Measured ${new Date().toISOString().slice(0, 10)} by \`deno task ` +
  `bench:redis${smoke ? " --smoke" : ""}\` in ${seconds.toFixed(0)} s on: ` +
  `${navigator.hardwareConcurrency} cores, ${cpu}; Deno ${Deno.version.deno} ` +
  `(V8 ${Deno.version.v8}); load average ${loadBefore} before, ` +
  `${await load()} after. Higher is better. The machine is shared (other ` +
  "work runs beside the benchmark): compare figures within one run, and " +
  "prefer the CPU time per command, which load moves less than the rates.",
  "",
  ...sections,
].join("\n");
if (smoke) {
  console.log(report);
} else {
  const path = new URL("REDIS.md", import.meta.url).pathname;
  await Deno.writeTextFile(path, report);
  // Committed as `deno fmt` writes them (the report and the charts the
  // sections wrote beside it), so CI's format check passes.
  const dir = new URL(".", import.meta.url).pathname;
  const charts: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (/^redis.*\.svg$/.test(entry.name)) charts.push(dir + entry.name);
  }
  await new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--quiet", path, ...charts],
  }).output();
  console.log(`Wrote ${path} in ${seconds.toFixed(0)} s`);
}
