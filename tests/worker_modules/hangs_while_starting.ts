// Copyright 2026 the pulsar for Deno authors. MIT license.
// A worker module whose workers hang while starting, their event loop
// running (so they keep beating), for tests/workers_test.ts. workerData
// `{ how, ids, counter, healthy }`:
//   how      "factory": createServer() returns a promise that never settles;
//            "start": the server's start() never settles (it never listens);
//            "listening": start() listens, then never settles
//   ids      the ids of the workers that hang (default: all)
//   counter  with `healthy`: a SharedArrayBuffer counting the servers
//            built; the first `healthy` ones do not hang
// A worker that does not hang is tests/worker_modules/echo.ts's.
import type { Server, WorkerContext, WorkerServerOptions } from "@pulsar/net";
import { createServer as echoServer } from "./echo.ts";

interface HangData {
  how: "factory" | "start" | "listening";
  ids?: number[];
  counter?: SharedArrayBuffer;
  healthy?: number;
}

export function createServer(
  options: WorkerServerOptions,
  worker: WorkerContext,
): Server | Promise<Server> {
  const data = worker.data as HangData;
  let hangs = data.ids === undefined || data.ids.includes(worker.id);
  if (hangs && data.counter !== undefined) {
    const built = Atomics.add(new Int32Array(data.counter), 0, 1) + 1;
    hangs = built > (data.healthy ?? 0);
  }
  const server = echoServer(options, { ...worker, data: undefined });
  if (!hangs) return server;
  if (data.how === "factory") return new Promise(() => {});
  const start = server.start.bind(server);
  server.start = async () => {
    if (data.how === "listening") await start();
    await new Promise(() => {});
  };
  return server;
}
