// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * Samples the CPU of a Deno process started with `--inspect` and prints the
 * functions with the most self time: how the profiles in bench/PROFILE.md
 * were taken.
 *
 *     taskset -c 1 deno run -A --inspect=127.0.0.1:9229 examples/echo/server.ts --port 9001 &
 *     taskset -c 0 bench/.build/loadgen echo 127.0.0.1 9001 256 4000 64 &
 *     deno run -A bench/profile.ts 3000
 *
 * @module
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
}

const millis = Number(Deno.args[0] ?? 3000);
const inspector = Deno.args[1] ?? "127.0.0.1:9229";
const [target]: { webSocketDebuggerUrl: string }[] =
  await (await fetch(`http://${inspector}/json/list`)).json();
const socket = new WebSocket(target.webSocketDebuggerUrl);
await new Promise((resolve) => socket.onopen = resolve);
const replies = new Map<number, (result: unknown) => void>();
socket.onmessage = (event) => {
  const message = JSON.parse(event.data);
  replies.get(message.id)?.(message.result);
};
let id = 0;
function send(method: string, params = {}): Promise<unknown> {
  const request = ++id;
  socket.send(JSON.stringify({ id: request, method, params }));
  return new Promise((resolve) => replies.set(request, resolve));
}

await send("Profiler.enable");
await send("Profiler.setSamplingInterval", { interval: 100 });
await send("Profiler.start");
await new Promise((resolve) => setTimeout(resolve, millis));
const { profile } = await send("Profiler.stop") as { profile: Profile };
socket.close();

const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
const self = new Map<string, number>();
for (const sample of profile.samples) {
  const { functionName, url, lineNumber } = nodes.get(sample)!.callFrame;
  const where = url.split("/").slice(-2).join("/");
  const key = `${functionName || "(anonymous)"} ${where}:${lineNumber}`;
  self.set(key, (self.get(key) ?? 0) + 1);
}
const total = profile.samples.length;
const top = [...self].sort((a, b) => b[1] - a[1]).slice(0, 30);
for (const [key, count] of top) {
  console.log(`${(count / total * 100).toFixed(1).padStart(5)}%  ${key}`);
}
