// Copyright 2026 the pulsar for Deno authors. MIT license.
// For the examples' own tests: runs an example script as a user would, in a
// Deno process of its own, with the import map of this test run.

/** The `deno run` arguments for `script` (relative to examples/). */
function runArgs(script: string, args: string[]): string[] {
  const root = new URL("../", import.meta.url);
  // Offline, @std resolves to the npm package deno-std and the module is
  // found through import_map.offline.json.
  const offline = import.meta.resolve("@std/assert").includes("deno-std");
  return [
    "run",
    "--allow-net",
    "--allow-read",
    offline
      ? `--import-map=${new URL("import_map.offline.json", root).pathname}`
      : `--config=${new URL("deno.json", root).pathname}`,
    "--no-lock",
    new URL(script, import.meta.url).pathname,
    ...args,
  ];
}

/** Runs `script` with `args` to its end: its exit code and what it printed. */
export async function runExample(
  script: string,
  args: string[] = [],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: runArgs(script, args),
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return {
    code,
    stdout: decoder.decode(stdout),
    stderr: decoder.decode(stderr),
  };
}

/** An example server running in its own process. */
export interface RunningExample {
  /** The port it printed that it listens on. */
  port: number;
  /** Sends `signal`, then resolves with its exit code and all it printed. */
  stop(signal: Deno.Signal): Promise<{ code: number; stdout: string }>;
}

/**
 * Starts the server `script` on a free port (`--port 0`, then `args`) and
 * waits until it prints "listening on 127.0.0.1:PORT".
 */
export async function startExample(
  script: string,
  args: string[] = [],
): Promise<RunningExample> {
  const child = new Deno.Command(Deno.execPath(), {
    args: runArgs(script, ["--port", "0", ...args]),
    stdout: "piped",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let stdout = "";
  let match: RegExpMatchArray | null = null;
  while (match === null) {
    const { value, done } = await lines.read();
    if (done) throw new Error(`${script} exited before listening: ${stdout}`);
    stdout += value;
    match = stdout.match(/listening on 127\.0\.0\.1:(\d+)/);
  }
  // Read on, so a full pipe never blocks it.
  const rest = (async () => {
    for (let r = await lines.read(); !r.done; r = await lines.read()) {
      stdout += r.value;
    }
    return stdout;
  })();
  return {
    port: Number(match[1]),
    async stop(signal) {
      child.kill(signal);
      const { code } = await child.status;
      return { code, stdout: await rest };
    },
  };
}
