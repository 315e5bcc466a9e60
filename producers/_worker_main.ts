// Copyright 2026 the pulsar for Deno authors. MIT license.
// The entry module of every worker of serveWorkers(): it imports the user's
// module, builds the server with its createServer(), starts it on the
// shared port, writes the server's counters (and its beat) into the shared
// buffer, forwards the server's error reports, and closes the server when
// told to. An uncaught error, Deno.exit() or self.close() in the worker is
// told to the supervisor, which replaces the worker.
//
// workers.ts imports WORKER_ENTRY from here, so this module is part of any
// program that uses serveWorkers() (and of its `deno compile` binary); it
// does nothing unless it is a worker's entry.

import type { ErrorReport } from "../errors.ts";
import { setTimer, type Timer } from "../internal/timer.ts";
import { formatAddress } from "../transports/format_address.ts";
import {
  BEAT_INTERVAL,
  errorToData,
  type FromWorker,
  type StartMessage,
  STAT_BEATS,
  STAT_CONNECTIONS,
  STAT_REQUESTS,
  STAT_SESSIONS,
  type ToWorker,
  type WorkerServer,
} from "./_worker_messages.ts";

/** The URL of this module: the entry of every worker. */
export const WORKER_ENTRY: string = import.meta.url;

/** What a worker's global scope offers, typed here (lib is Deno's window). */
interface WorkerScope {
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
  postMessage(message: FromWorker): void;
  close(): void;
  addEventListener(
    type: "error" | "unhandledrejection" | "unload",
    listener: (event: Event) => void,
  ): void;
}

if (import.meta.main && "WorkerGlobalScope" in globalThis) {
  runWorker(globalThis as unknown as WorkerScope);
}

function runWorker(scope: WorkerScope): void {
  let server: WorkerServer | undefined;
  let stats: BigInt64Array | undefined;
  let beat: Timer | undefined;
  let closing = false;
  let gone = false;
  const post = (message: FromWorker) => {
    if (!gone) scope.postMessage(message);
  };
  const write = () => {
    if (stats === undefined) return;
    Atomics.add(stats, STAT_BEATS, 1n);
    if (server === undefined) return;
    Atomics.store(stats, STAT_SESSIONS, BigInt(server.sessions));
    Atomics.store(
      stats,
      STAT_CONNECTIONS,
      BigInt(server.concurrentConnections),
    );
    Atomics.store(stats, STAT_REQUESTS, BigInt(server.requestsProcessed));
  };
  const tick = () => {
    write();
    beat = setTimer(tick, BEAT_INTERVAL);
  };
  // The supervisor replaces a worker whose code threw where nobody caught
  // it; it also keeps Deno from printing the error (the supervisor reports
  // it to its onError instead).
  scope.addEventListener("error", (event) => {
    event.preventDefault();
    const { error, message } = event as ErrorEvent;
    post({ type: "crashed", error: errorToData(error ?? message) });
    gone = true;
  });
  scope.addEventListener("unhandledrejection", (event) => {
    event.preventDefault();
    const { reason } = event as PromiseRejectionEvent;
    post({ type: "crashed", error: errorToData(reason) });
    gone = true;
  });
  // Deno.exit() in a worker ends only the worker, with an unload event;
  // self.close() ends it with none: announce both.
  scope.addEventListener("unload", () => {
    post({ type: "exited", reason: "it called Deno.exit()" });
    gone = true;
  });
  const close = scope.close.bind(scope);
  scope.close = () => {
    post({ type: "exited", reason: "it called self.close()" });
    gone = true;
    close();
  };

  scope.onmessage = async ({ data }) => {
    if (data.type === "start") {
      stats = new BigInt64Array(data.stats);
      tick();
      server = await startServer(data, post);
      if (server === undefined) return;
      write();
      server.closed.then(() => {
        if (!closing) {
          post({ type: "exited", reason: "its server closed" });
          gone = true;
        }
      });
    } else if (data.type === "close") {
      closing = true;
      try {
        await server?.close({ gracePeriod: data.gracePeriod });
      } finally {
        beat?.clear();
        write();
        post({ type: "closed" });
        gone = true;
      }
    }
  };
}

/**
 * Imports the module, builds and starts its server; tells the supervisor
 * `ready`, or `failed` with the reason.
 */
async function startServer(
  start: StartMessage,
  post: (message: FromWorker) => void,
): Promise<WorkerServer | undefined> {
  const failed = (reason: string, error?: unknown) => {
    post({
      type: "failed",
      reason,
      error: error === undefined ? undefined : errorToData(error),
    });
    return undefined;
  };
  let module: Record<string, unknown>;
  try {
    module = await import(start.module);
  } catch (error) {
    return failed(`cannot import ${start.module}`, error);
  }
  const createServer = module.createServer;
  if (typeof createServer !== "function") {
    return failed(
      `${start.module} does not export a createServer function`,
    );
  }
  const options = {
    hostname: start.hostname,
    port: start.port,
    reusePort: start.reusePort,
    name: `${start.name} ${start.id}`,
    onError: (report: ErrorReport) =>
      post({
        type: "report",
        error: errorToData(report.error),
        source: report.source,
        address: report.address,
      }),
  };
  let server: unknown;
  try {
    server = await createServer(options, {
      id: start.id,
      workers: start.workers,
      data: start.data,
    });
  } catch (error) {
    return failed("createServer() threw", error);
  }
  if (!isWorkerServer(server)) {
    return failed("createServer() returned no Server");
  }
  try {
    await server.start();
  } catch (error) {
    return failed("its server did not start", error);
  }
  const address = server.localAddr;
  if (
    address.transport !== "tcp" ||
    (start.port !== 0 && address.port !== start.port)
  ) {
    await server.close({ gracePeriod: 0 });
    return failed(
      `its server listens on ${formatAddress(address)}, not on port ` +
        `${start.port}: build the Server with the options createServer() ` +
        "is given",
    );
  }
  post({ type: "ready", address });
  return server;
}

function isWorkerServer(value: unknown): value is WorkerServer {
  const server = value as Partial<WorkerServer> | null;
  return typeof server === "object" && server !== null &&
    typeof server.start === "function" &&
    typeof server.close === "function" &&
    typeof server.closed?.then === "function" &&
    typeof server.requestsProcessed === "number";
}
