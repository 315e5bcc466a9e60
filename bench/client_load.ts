// Copyright 2026 the pulsar for Deno authors. MIT license.
// W5's load: echo requests from the module's pooled EchoClient, or from raw
// Deno.connect clients, CONCURRENCY at once over 16 connections, for MILLIS.
// Prints one line of JSON (with the process's CPU µs per request).
//
//   deno run --allow-net bench/client_load.ts \
//     module|prebuilt|raw|rawpipe|rawpromise PORT CONCURRENCY MILLIS [PIPELINING]
//
// module: the EchoClient, with PIPELINING (default 1) requests in flight per
// connection at most; prebuilt: the same client and consumer sending the
// raw clients' prebuilt request bytes (no encoding per request); raw: each connection carries one request at a time;
// rawpipe: each connection writes a batch of CONCURRENCY/16 requests in one
// write, then reads their answers; rawpromise: a hand-written pipelined
// client with a promise per request (PIPELINING at most per connection), the
// floor of any client that gives each request its own promise.

import { cpuUsage } from "node:process";
import { Client, Request } from "@pulsar/net";
import { EchoClient, EchoClientConsumer } from "../examples/echo/echo.ts";

const [kind, portArg, concurrencyArg, millisArg, pipeliningArg] = Deno.args;
const pipelining = Number(pipeliningArg ?? 1);
const port = Number(portArg);
const concurrency = Number(concurrencyArg);
const millis = Number(millisArg);
const CONNECTIONS = 16;
const payload = new TextEncoder().encode("x".repeat(60));
const wire = new TextEncoder().encode(`${"x".repeat(60)}\r\n\r\n`);

/** Runs `concurrency` workers calling `request` until the deadline. */
async function drive(request: () => Promise<void>): Promise<number> {
  const deadline = performance.now() + millis;
  let done = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        await request();
        done++;
      }
    }),
  );
  return done;
}

async function moduleClient(): Promise<number> {
  await using client = new EchoClient({ port }, {
    poolSize: CONNECTIONS,
    pipelining,
  });
  return await drive(async () => {
    const reply = await client.request(payload);
    if (reply.length !== payload.length) throw new Error("Short reply");
  });
}

/**
 * The module's client sending the raw clients' prebuilt request bytes: what
 * the client costs without EchoClient.request()'s encoding (a new buffer
 * per request).
 */
async function moduleClientPrebuilt(): Promise<number> {
  await using client = new Client({
    consumerFactory: () => new EchoClientConsumer(),
    poolSize: CONNECTIONS,
    pipelining,
  });
  const address = { hostname: "127.0.0.1", port };
  return await drive(async () => {
    const reply = await client.response(
      new Request<Uint8Array>(address, { data: wire }),
    );
    if (reply.length !== payload.length) throw new Error("Short reply");
  });
}

/** Raw clients: 16 connections, each used by one request at a time. */
async function rawClient(): Promise<number> {
  const conns = await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conn.setNoDelay(true);
      return conn;
    }),
  );
  const buf = new Uint8Array(65536);
  const idle = [...conns];
  const waiting: ((conn: Deno.TcpConn) => void)[] = [];
  const done = await drive(async () => {
    const conn = idle.pop() ??
      await new Promise<Deno.TcpConn>((resolve) => waiting.push(resolve));
    let written = 0;
    while (written < wire.length) {
      written += await conn.write(wire.subarray(written));
    }
    let got = 0;
    while (got < wire.length) {
      const n = await conn.read(buf);
      if (n === null) throw new Error("Server closed the connection");
      got += n;
    }
    const next = waiting.shift();
    if (next) next(conn);
    else idle.push(conn);
  });
  for (const conn of conns) conn.close();
  return done;
}

/** Raw pipelined clients: each connection writes a batch, reads its answers. */
async function rawPipelinedClient(): Promise<number> {
  const batch = Math.max(1, Math.ceil(concurrency / CONNECTIONS));
  const many = new Uint8Array(wire.length * batch);
  for (let i = 0; i < batch; i++) many.set(wire, i * wire.length);
  const deadline = performance.now() + millis;
  const counts = await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conn.setNoDelay(true);
      const buf = new Uint8Array(65536);
      let done = 0;
      try {
        while (performance.now() < deadline) {
          let written = 0;
          while (written < many.length) {
            written += await conn.write(many.subarray(written));
          }
          let got = 0;
          while (got < many.length) {
            const n = await conn.read(buf);
            if (n === null) throw new Error("Server closed the connection");
            got += n;
          }
          done += batch;
        }
      } finally {
        conn.close();
      }
      return done;
    }),
  );
  return counts.reduce((a, b) => a + b, 0);
}

/**
 * A hand-written pipelined client with a promise per request, the floor of
 * any client API that gives each request its own promise: 16 connections,
 * each with a first-in-first-out list of waiting requests; the requests of
 * one microtask turn go out in one write; a read loop finds the answers'
 * separators and settles the requests in order. A request goes to the
 * connection with the fewest in flight, at most PIPELINING on each.
 */
async function rawPromiseClient(): Promise<number> {
  class Pipe {
    waiting: (() => void)[] = [];
    head = 0;
    out: Uint8Array[] = [];
    queued = false;
    writing = false;
    matched = 0;
    constructor(readonly conn: Deno.TcpConn) {}
    get inFlight(): number {
      return this.waiting.length - this.head;
    }
    send(): Promise<void> {
      const { promise, resolve } = Promise.withResolvers<void>();
      this.waiting.push(resolve);
      this.out.push(wire);
      if (!this.queued && !this.writing) {
        this.queued = true;
        queueMicrotask(() => this.flush());
      }
      return promise;
    }
    async flush(): Promise<void> {
      this.queued = false;
      this.writing = true;
      while (this.out.length > 0) {
        const parts = this.out;
        this.out = [];
        const bytes = new Uint8Array(parts.length * wire.length);
        for (let i = 0; i < parts.length; i++) {
          bytes.set(parts[i], i * wire.length);
        }
        let written = 0;
        while (written < bytes.length) {
          written += await this.conn.write(bytes.subarray(written));
        }
      }
      this.writing = false;
    }
    async read(): Promise<void> {
      const buf = new Uint8Array(65536);
      const end = [13, 10, 13, 10];
      while (true) {
        const n = await this.conn.read(buf);
        if (n === null) return;
        for (let i = 0; i < n; i++) {
          const byte = buf[i];
          if (byte !== end[this.matched]) {
            this.matched = byte === 13 ? 1 : 0;
          } else if (++this.matched === 4) {
            this.matched = 0;
            this.waiting[this.head++]();
            if (this.head === this.waiting.length) {
              this.waiting = [];
              this.head = 0;
            }
          }
        }
      }
    }
  }
  const pipes = await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conn.setNoDelay(true);
      return new Pipe(conn);
    }),
  );
  const reading = pipes.map((pipe) => pipe.read().catch(() => {}));
  const waiters: (() => void)[] = [];
  const least = (): Pipe => {
    let best = pipes[0];
    for (const pipe of pipes) if (pipe.inFlight < best.inFlight) best = pipe;
    return best;
  };
  const done = await drive(async () => {
    // Every connection full: wait for an answer, first in first out.
    while (least().inFlight >= pipelining) {
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
    await least().send();
    waiters.shift()?.();
  });
  for (const pipe of pipes) pipe.conn.close();
  await Promise.all(reading);
  return done;
}

const cpuBefore = cpuUsage();
const ops = kind === "module"
  ? await moduleClient()
  : kind === "prebuilt"
  ? await moduleClientPrebuilt()
  : kind === "rawpipe"
  ? await rawPipelinedClient()
  : kind === "rawpromise"
  ? await rawPromiseClient()
  : await rawClient();
const cpuAfter = cpuUsage();
const cpuMicros = cpuAfter.user + cpuAfter.system - cpuBefore.user -
  cpuBefore.system;
const seconds = millis / 1000;
console.log(JSON.stringify({
  ops,
  seconds,
  rate: ops / seconds,
  cpuMicrosPerRequest: cpuMicros / ops,
}));
