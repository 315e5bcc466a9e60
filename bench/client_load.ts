// Copyright 2026 the pulsar for Deno authors. MIT license.
// W5's load: echo requests from the module's pooled EchoClient, or from raw
// Deno.connect clients, CONCURRENCY at once over 16 connections, for MILLIS.
// Prints one line of JSON (with the process's CPU µs per request).
//
//   deno run --allow-net bench/client_load.ts module|prebuilt|raw|rawpipe \
//     PORT CONCURRENCY MILLIS [PIPELINING]
//
// module: the EchoClient, with PIPELINING (default 1) requests in flight per
// connection at most; prebuilt: the same client and consumer sending the
// raw clients' prebuilt request bytes (no encoding per request); raw: each connection carries one request at a time;
// rawpipe: each connection writes a batch of CONCURRENCY/16 requests in one
// write, then reads their answers.

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

const cpuBefore = cpuUsage();
const ops = kind === "module"
  ? await moduleClient()
  : kind === "prebuilt"
  ? await moduleClientPrebuilt()
  : kind === "rawpipe"
  ? await rawPipelinedClient()
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
