// Copyright 2026 the pulsar for Deno authors. MIT license.
// Shared test helpers: a recording protocol, certificates, raw-socket reads.

import { Protocol } from "../protocols/protocol.ts";
import type { SocketTransport } from "../transports/socket_transport.ts";

export const encoder = new TextEncoder();
export const decoder = new TextDecoder();

/** The test certificates: a CA and a leaf for localhost signed by it. */
export const certs = {
  ca: Deno.readTextFileSync(new URL("./certs/ca.pem", import.meta.url)),
  cert: Deno.readTextFileSync(new URL("./certs/server.pem", import.meta.url)),
  key: Deno.readTextFileSync(new URL("./certs/server.key", import.meta.url)),
};

/** A protocol that records every callback and collects the bytes read. */
export class Recorder extends Protocol {
  calls: string[] = [];
  chunks: Uint8Array[] = [];
  lostWith: Error | undefined;
  keepOpenOnEof = false;
  lost = Promise.withResolvers<Error | undefined>();
  #onData: (() => void) | undefined;

  override connectionMade(transport: SocketTransport): void {
    super.connectionMade(transport);
    this.calls.push("connectionMade");
  }
  override dataReceived(data: Uint8Array): void {
    if (this.calls.at(-1) !== "dataReceived") this.calls.push("dataReceived");
    this.chunks.push(data);
    this.#onData?.();
  }
  override eofReceived(): boolean {
    this.calls.push("eofReceived");
    return this.keepOpenOnEof;
  }
  override connectionLost(error?: Error): void {
    this.calls.push("connectionLost");
    this.lostWith = error;
    this.lost.resolve(error);
  }
  override pauseWriting(): void {
    this.calls.push("pauseWriting");
  }
  override resumeWriting(): void {
    this.calls.push("resumeWriting");
  }
  get received(): Uint8Array {
    return concat(this.chunks);
  }
  get text(): string {
    return decoder.decode(this.received);
  }
  /** Resolves once at least `size` bytes have been read. */
  async receivedAtLeast(size: number): Promise<void> {
    while (this.received.length < size) {
      const next = Promise.withResolvers<void>();
      this.#onData = next.resolve;
      await Promise.race([next.promise, this.lost.promise]);
      if (this.calls.includes("connectionLost")) break;
    }
    this.#onData = undefined;
  }
}

export function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/** Reads a raw Deno connection until end of stream. */
export async function readAll(conn: Deno.Conn): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const buf = new Uint8Array(64 * 1024);
  while (true) {
    const n = await conn.read(buf);
    if (n === null) return concat(chunks);
    chunks.push(buf.slice(0, n));
  }
}

/** A deterministic byte pattern, so corruption and reordering show. */
export function pattern(size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * 7 + (i >> 11)) % 251;
  return out;
}

/** Polls `condition` every millisecond, up to `timeout` ms. */
export async function waitFor(
  condition: () => boolean,
  timeout = 5000,
): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeout) {
      throw new Error(`Condition not met within ${timeout} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/**
 * Rejects with "HANG: what after ms ms" if `promise` takes longer than
 * `ms`; settles as `promise` otherwise.
 */
export async function bounded<T>(
  promise: Promise<T>,
  ms: number,
  what: string,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`HANG: ${what} after ${ms} ms`)),
          ms,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Starts `tests/peers/reset_peer.py`: it accepts one connection, reads
 * `readBytes`, writes `reply`, then resets the connection.
 */
export async function startResetPeer(
  readBytes = 1,
  reply = "",
): Promise<{ port: number; done: Promise<Deno.CommandStatus> }> {
  const script = new URL("./peers/reset_peer.py", import.meta.url).pathname;
  const child = new Deno.Command("python3", {
    args: [script, String(readBytes), reply],
    stdout: "piped",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream());
  const reader = lines.getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  await reader.cancel();
  return { port: Number(text.trim()), done: child.status };
}

/** A child process that printed "listening on 127.0.0.1:PORT". */
export interface Listening {
  child: Deno.ChildProcess;
  port: number;
  /** Everything it printed, once it has exited. */
  output(): Promise<string>;
  /** Sends `signal` (default SIGKILL) and waits for it to exit. */
  stop(signal?: Deno.Signal): Promise<Deno.CommandStatus>;
}

/**
 * Runs `args` with this Deno (same import map as this test run, when it
 * runs offline), and waits for it to print the address it listens on. Its
 * output is drained from then on, so it never blocks on a full pipe.
 */
export async function startDeno(args: string[]): Promise<Listening> {
  // Offline, std resolves to the npm package deno-std.
  const offline = import.meta.resolve("@std/cli/parse-args").includes(
    "deno-std",
  );
  const map = new URL("../import_map.offline.json", import.meta.url).pathname;
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net",
      "--allow-read",
      "--unstable-net",
      ...(offline ? [`--import-map=${map}`, "--no-lock"] : []),
      ...args,
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!/listening on 127\.0\.0\.1:\d+/.test(text)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`${args.join(" ")} exited early: ${text}`);
    text += value;
  }
  const port = Number(text.match(/listening on 127\.0\.0\.1:(\d+)/)![1]);
  const rest = (async () => {
    while (true) {
      const { value, done } = await reader.read();
      if (done) return text;
      text += value;
    }
  })();
  return {
    child,
    port,
    output: () => rest,
    async stop(signal: Deno.Signal = "SIGKILL") {
      try {
        child.kill(signal);
      } catch {
        // Already exited.
      }
      await rest;
      return await child.status;
    },
  };
}

/** Closes `resource`, which may have been closed already. */
export function closeQuietly(resource: { close(): void }): void {
  try {
    resource.close();
  } catch {
    // Closed already.
  }
}

/** The resident memory of process `pid`, in KiB. */
export function rssKiB(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Number(status.match(/VmRSS:\s+(\d+)/)![1]);
}

/** A seeded pseudo-random generator (mulberry32): numbers in [0, 1). */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
