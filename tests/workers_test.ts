// Copyright 2026 the pulsar for Deno authors. MIT license.
// serveWorkers() and WorkerSupervisor over real sockets: connections spread
// over the workers, a worker that crashes, exits or hangs is replaced while
// the others serve, graceful close with requests in flight, modules that
// cannot serve, option checks; and the reusePort option it is built on.
import {
  assert,
  assertEquals,
  assertGreater,
  assertInstanceOf,
  assertLessOrEqual,
  assertMatch,
  assertRejects,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import {
  AddrInUseError,
  ProtocolError,
  Server,
  serveWorkers,
  TimeoutError,
  WorkerError,
  type WorkerErrorReport,
  WorkerSupervisor,
} from "../mod.ts";
import { EchoServerConsumer } from "../examples/echo/echo.ts";
import {
  bounded,
  certs,
  closeQuietly,
  decoder,
  encoder,
  waitFor,
} from "./_helpers.ts";
import { echo } from "./_fixtures.ts";

const ECHO = new URL("./worker_modules/echo.ts", import.meta.url);

/** A module of tests/worker_modules/. */
function module(name: string): URL {
  return new URL(`./worker_modules/${name}.ts`, import.meta.url);
}

/** Which worker serves `conn`. */
async function who(conn: Deno.Conn): Promise<number> {
  await conn.write(encoder.encode("WHO\r\n\r\n"));
  let reply = "";
  const buf = new Uint8Array(16);
  while (!reply.endsWith("\r\n\r\n")) {
    const n = await conn.read(buf);
    if (n === null) break;
    reply += decoder.decode(buf.subarray(0, n));
  }
  const id = Number(reply.replace("\r\n\r\n", ""));
  assert(id > 0, `WHO got ${JSON.stringify(reply)}`);
  return id;
}

/** Opens `count` connections, grouped by the worker that serves each. */
async function connectMany(
  port: number,
  count: number,
): Promise<Map<number, Deno.Conn[]>> {
  const byWorker = new Map<number, Deno.Conn[]>();
  for (let i = 0; i < count; i++) {
    const conn = await Deno.connect({ port });
    const id = await who(conn);
    byWorker.set(id, [...(byWorker.get(id) ?? []), conn]);
  }
  return byWorker;
}

function closeAll(byWorker: Map<number, Deno.Conn[]>): void {
  for (const conns of byWorker.values()) {
    for (const conn of conns) {
      closeQuietly(conn);
    }
  }
}

/** Reads until end of stream or error; true if it ended (either way). */
async function ended(conn: Deno.Conn): Promise<boolean> {
  const buf = new Uint8Array(1024);
  try {
    while ((await conn.read(buf)) !== null) { /* drain */ }
  } catch {
    // Reset: ended too.
  }
  return true;
}

/** Opens connections until one lands on worker `id`; it is returned open. */
async function connectToWorker(port: number, id: number): Promise<Deno.Conn> {
  for (let i = 0; i < 200; i++) {
    const conn = await Deno.connect({ port });
    if (await who(conn) === id) return conn;
    conn.close();
  }
  throw new Error(`No connection landed on worker ${id}`);
}

/** Starts two echo workers, their reports in `reports`. */
async function startTwo(
  options: Parameters<typeof serveWorkers>[1] = {},
): Promise<{ workers: WorkerSupervisor; reports: WorkerErrorReport[] }> {
  const reports: WorkerErrorReport[] = [];
  const workers = await serveWorkers(ECHO, {
    workers: 2,
    onError: (report) => reports.push(report),
    ...options,
  });
  return { workers, reports };
}

// --- Spreading connections --------------------------------------------------

Deno.test("serveWorkers() with 2 workers spreads connections over both, each counting its own", async () => {
  const { workers } = await startTwo();
  await using _ = workers;
  assertEquals(workers.workerCount, 2);
  const byWorker = await connectMany(workers.port, 32);
  try {
    // 32 connections all on one worker: about 1 chance in 2^31.
    assertEquals([...byWorker.keys()].sort(), [1, 2]);
    for (const conns of byWorker.values()) {
      for (const conn of conns) {
        assertEquals(await echo(conn, "ciao"), "ciao\r\n\r\n");
      }
    }
    // Counters are refreshed every 100 ms.
    await waitFor(() => workers.requestsProcessed === 64, 3000);
    assertEquals(workers.concurrentConnections, 32);
    assertEquals(workers.sessions, 32);
    for (const status of workers.workers) {
      const count = byWorker.get(status.id)!.length;
      assertEquals(status.state, "running");
      assertEquals(status.restarts, 0);
      assertEquals(status.concurrentConnections, count);
      assertEquals(status.sessions, count);
      assertEquals(status.requestsProcessed, 2 * count);
    }
  } finally {
    closeAll(byWorker);
  }
  await waitFor(() => workers.concurrentConnections === 0, 3000);
});

Deno.test("serveWorkers() on a given port listens there with every worker", async () => {
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = probe.addr.port;
  probe.close();
  await using workers = await serveWorkers(ECHO, { workers: 2, port });
  assertEquals(workers.port, port);
  assertEquals(workers.localAddr, {
    transport: "tcp",
    hostname: "127.0.0.1",
    port,
  });
  const byWorker = await connectMany(port, 24);
  closeAll(byWorker);
  assertEquals(byWorker.size, 2);
});

Deno.test("serveWorkers() runs navigator.hardwareConcurrency workers by default", async () => {
  await using workers = await serveWorkers(ECHO);
  assertEquals(workers.workerCount, navigator.hardwareConcurrency);
  assertEquals(workers.workers.length, navigator.hardwareConcurrency);
});

Deno.test("serveWorkers() with 1 worker serves (no reusePort needed)", async () => {
  await using workers = await serveWorkers(ECHO, { workers: 1 });
  using conn = await Deno.connect({ port: workers.port });
  assertEquals(await who(conn), 1);
  assertEquals(await echo(conn, "one"), "one\r\n\r\n");
});

// --- Supervision --------------------------------------------------------------

/**
 * Kills worker 1 with `command` while clients load both workers: worker 2's
 * clients must see no error at all, worker 1's only their own connection
 * ending, and a new connection must reach a replacement worker 1.
 */
async function killOneWhileServing(
  command: string,
  options: Parameters<typeof serveWorkers>[1] = {},
): Promise<WorkerErrorReport[]> {
  const { workers, reports } = await startTwo(options);
  await using _ = workers;
  const byWorker = await connectMany(workers.port, 32);
  const victims = byWorker.get(1)!;
  const survivors = byWorker.get(2)!;
  // Worker 2's clients echo without pause until told to stop; what goes
  // wrong for them is kept, to be shown.
  let stop = false;
  let served = 0;
  const failures: unknown[] = [];
  const load = survivors.map(async (conn, i) => {
    try {
      while (!stop) {
        const reply = await echo(conn, `m${i}`);
        if (reply !== `m${i}\r\n\r\n`) throw new Error(`got ${reply}`);
        served++;
      }
    } catch (error) {
      failures.push(error);
    }
  });
  try {
    await waitFor(() => served > 50, 5000);
    await victims[0].write(encoder.encode(`${command}\r\n\r\n`));
    // Every connection on worker 1 ends: no answer, no hang.
    for (const conn of victims) assert(await ended(conn));
    // Replaced: a new worker 1 is started, then listens.
    await waitFor(
      () => workers.restarts === 1 && workers.workers[0].state === "running",
      5000,
    );
    const before = served;
    // A new connection reaches a new worker 1, which serves.
    const fresh = await connectToWorker(workers.port, 1);
    assertEquals(await echo(fresh, "again"), "again\r\n\r\n");
    fresh.close();
    await waitFor(() => served > before + 50 || failures.length > 0, 5000);
    stop = true;
    await Promise.all(load);
    assertEquals(failures, []); // Worker 2's clients saw no error.
    assertEquals(workers.workers.map((w) => [w.id, w.state, w.restarts]), [
      [1, "running", 1],
      [2, "running", 0],
    ]);
  } finally {
    stop = true;
    closeAll(byWorker);
    await Promise.all(load);
  }
  return reports;
}

Deno.test("WorkerSupervisor replaces a worker whose code throws while the other keeps serving; only its own clients' connections end", async () => {
  const reports = await killOneWhileServing("CRASH");
  assertEquals(reports.length, 1);
  assertEquals(reports[0].workerId, 1);
  assertEquals(reports[0].source, "worker");
  assertInstanceOf(reports[0].error, Error);
  assertEquals(
    (reports[0].error as Error).message,
    "worker 1 crashed on request",
  );
});

Deno.test("WorkerSupervisor replaces a worker with an unhandled rejection", async () => {
  const reports = await killOneWhileServing("REJECT");
  assertEquals(reports.map((r) => [r.workerId, r.source]), [[1, "worker"]]);
  assertEquals(
    (reports[0].error as Error).message,
    "worker 1 rejected on request",
  );
});

Deno.test("WorkerSupervisor replaces a worker that calls Deno.exit()", async () => {
  const reports = await killOneWhileServing("EXIT");
  assertEquals(reports.map((r) => [r.workerId, r.source]), [[1, "exit"]]);
  assertMatch((reports[0].error as Error).message, /Deno\.exit\(\)/);
});

Deno.test("WorkerSupervisor replaces a worker that calls self.close()", async () => {
  const reports = await killOneWhileServing("CLOSE");
  assertEquals(reports.map((r) => [r.workerId, r.source]), [[1, "exit"]]);
  assertMatch((reports[0].error as Error).message, /self\.close\(\)/);
});

Deno.test("WorkerSupervisor replaces a hung worker after heartbeatTimeout", async () => {
  const reports = await killOneWhileServing("HANG", {
    heartbeatTimeout: 600,
  });
  assertEquals(reports.map((r) => [r.workerId, r.source]), [[
    1,
    "heartbeat",
  ]]);
  assertInstanceOf(reports[0].error, TimeoutError);
  assertMatch((reports[0].error as Error).message, /sent no heartbeat/);
});

Deno.test("WorkerSupervisor keeps requestsProcessed of a replaced worker in its sums", async () => {
  const { workers } = await startTwo();
  await using _ = workers;
  const conn = await connectToWorker(workers.port, 1);
  for (let i = 0; i < 5; i++) await echo(conn, "x");
  await waitFor(() => workers.workers[0].requestsProcessed === 6, 3000);
  await conn.write(encoder.encode("CRASH\r\n\r\n"));
  await ended(conn);
  conn.close();
  await waitFor(
    () => workers.restarts === 1 && workers.workers[0].state === "running",
    5000,
  );
  const [first, second] = workers.workers;
  assertEquals(first.requestsProcessed, 6);
  // Worker 2 answered the WHO of connections that landed on it first.
  assertEquals(workers.requestsProcessed, 6 + second.requestsProcessed);
});

Deno.test("WorkerSupervisor backs off while replacements keep failing, and the other worker serves on", async () => {
  const counter = new SharedArrayBuffer(4);
  const { workers, reports } = await startTwo({
    // The first two servers build; every later one throws.
    workerData: { counter, healthy: 2 },
    restartDelay: 100,
    maxRestartDelay: 400,
  });
  await using _ = workers;
  const conn = await connectToWorker(workers.port, 1);
  await conn.write(encoder.encode("CRASH\r\n\r\n"));
  await ended(conn);
  conn.close();
  const started = Date.now();
  // Replacements at about 0, 100, 200, 400, 400, ... ms: 4 to 5 in 1 s.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const failed = reports.filter((r) => r.source === "restart");
  assertGreater(failed.length, 2);
  assertLessOrEqual(failed.length, 6);
  for (const report of failed) {
    assertEquals(report.workerId, 1);
    assertInstanceOf(report.error, WorkerError);
    assertEquals((report.error as WorkerError).workerId, 1);
    assertStringIncludes(
      ((report.error as Error).cause as Error).message,
      "refused to be built",
    );
  }
  // Waiting for its next try, or in it.
  assert(["restarting", "starting"].includes(workers.workers[0].state));
  assertGreater(workers.workers[0].restarts, 2);
  // Worker 2 serves all the while.
  using other = await Deno.connect({ port: workers.port });
  assertEquals(await who(other), 2);
  assert(Date.now() - started < 5000);
});

Deno.test("WorkerSupervisor replaces, after startTimeout, a replacement that hangs while starting", async () => {
  const counter = new SharedArrayBuffer(4);
  const reports: WorkerErrorReport[] = [];
  // The first two servers start; every later one hangs in createServer().
  await using workers = await serveWorkers(module("hangs_while_starting"), {
    workers: 2,
    startTimeout: 1500,
    restartDelay: 100,
    workerData: { how: "factory", counter, healthy: 2 },
    onError: (report) => reports.push(report),
  });
  const conn = await connectToWorker(workers.port, 1);
  await conn.write(encoder.encode("CRASH\r\n\r\n"));
  await ended(conn);
  conn.close();
  await waitFor(
    () => reports.filter((r) => r.source === "restart").length >= 2,
    10000,
  );
  for (const report of reports.filter((r) => r.source === "restart")) {
    assertEquals(report.workerId, 1);
    assertInstanceOf(report.error, WorkerError);
    assertStringIncludes(
      (report.error as Error).message,
      "Worker 1 failed to start: Worker 1 of workers did not listen within " +
        "1500 ms",
    );
    assertInstanceOf((report.error as Error).cause, TimeoutError);
  }
  assertGreater(workers.workers[0].restarts, 1);
  // Worker 2 serves all the while.
  using other = await Deno.connect({ port: workers.port });
  assertEquals(await who(other), 2);
});

Deno.test("WorkerSupervisor reports its workers' server errors with the worker's id", async () => {
  const { workers, reports } = await startTwo();
  await using _ = workers;
  const conn = await connectToWorker(workers.port, 2);
  await conn.write(encoder.encode("BAD\r\n\r\n"));
  await ended(conn);
  conn.close();
  await waitFor(() => reports.length === 1, 3000);
  assertEquals(reports[0].workerId, 2);
  assertEquals(reports[0].source, "dataReceived");
  // Rebuilt with its class, from the worker.
  assertInstanceOf(reports[0].error, ProtocolError);
  assertEquals(
    (reports[0].error as Error).message,
    "worker 2 refused the message",
  );
  assertEquals(reports[0].address?.transport, "tcp");
  assertEquals(workers.restarts, 0);
});

// --- Closing ------------------------------------------------------------------

Deno.test("WorkerSupervisor.close() lets requests in flight on both workers finish, then stops", async () => {
  const { workers } = await startTwo();
  const byWorker = await connectMany(workers.port, 16);
  assertEquals(byWorker.size, 2);
  const conns = [...byWorker.values()].flat();
  try {
    // Half a message on each: the echo consumer echoes it at once, so
    // reading it back proves the request is in flight on its worker.
    for (const conn of conns) await conn.write(encoder.encode("part"));
    for (const conn of conns) {
      const buf = new Uint8Array(4);
      let got = 0;
      while (got < 4) got += (await conn.read(buf.subarray(got)))!;
      assertEquals(decoder.decode(buf), "part");
    }
    const closing = workers.close({ gracePeriod: 10000 });
    // New connections are refused once every worker stopped listening.
    await waitFor(() => workers.workers.every((w) => w.state === "closing"));
    await new Promise((resolve) => setTimeout(resolve, 200));
    await assertRejects(
      () => Deno.connect({ port: workers.port }),
      Deno.errors.ConnectionRefused,
    );
    // The requests finish, then each connection closes.
    for (const conn of conns) {
      await conn.write(encoder.encode("\r\n\r\n"));
      const buf = new Uint8Array(64);
      let text = "";
      for (let n = await conn.read(buf); n !== null; n = await conn.read(buf)) {
        text += decoder.decode(buf.subarray(0, n));
      }
      assertEquals(text, "\r\n\r\n");
    }
    await closing;
    await workers.closed;
    assertEquals(workers.requestsProcessed, 32);
    assertEquals(workers.concurrentConnections, 0);
    assert(workers.workers.every((w) => w.state === "closed"));
  } finally {
    for (const conn of conns) conn.close();
  }
});

Deno.test("WorkerSupervisor.close({ gracePeriod: 0 }) ends requests in flight at once", async () => {
  const { workers } = await startTwo();
  const byWorker = await connectMany(workers.port, 8);
  const conns = [...byWorker.values()].flat();
  try {
    for (const conn of conns) await conn.write(encoder.encode("part"));
    const started = Date.now();
    await workers.close({ gracePeriod: 0 });
    for (const conn of conns) assert(await ended(conn));
    assertLessOrEqual(Date.now() - started, 3000);
  } finally {
    for (const conn of conns) conn.close();
  }
});

Deno.test("WorkerSupervisor.close() is idempotent; start() after it rejects; closed settles", async () => {
  const workers = new WorkerSupervisor(ECHO, { workers: 2 });
  assertThrows(() => workers.port, Error, "not started");
  const started = workers.start();
  assertEquals(workers.start(), started);
  await started;
  const closing = workers.close();
  assertEquals(workers.close(), closing);
  await closing;
  await workers.closed;
  await assertRejects(() => workers.start(), Error, "it was closed");
});

Deno.test("WorkerSupervisor after close() still tells the address its workers listened on, as Server does, and nothing listens there", async () => {
  const workers = await serveWorkers(ECHO, { workers: 2 });
  const { port } = workers;
  const address = workers.localAddr;
  await workers.close();
  assertEquals(workers.port, port);
  assertEquals(workers.localAddr, address);
  await assertRejects(
    () => Deno.connect({ port }),
    Deno.errors.ConnectionRefused,
  );
  // Server keeps its address after close() too.
  const server = new Server({
    consumerFactory: () => new EchoServerConsumer(),
  });
  await server.start();
  const serverPort = server.port;
  await server.close();
  assertEquals(server.port, serverPort);
});

Deno.test("WorkerSupervisor.close() with a bad gracePeriod rejects and leaves the workers serving", async () => {
  await using workers = await serveWorkers(ECHO, { workers: 1 });
  await assertRejects(
    () => workers.close({ gracePeriod: NaN }),
    RangeError,
    'Cannot use gracePeriod "NaN"',
  );
  await assertRejects(
    // @ts-expect-error: a wrong type
    () => workers.close({ gracePeriod: "1" }),
    TypeError,
  );
  using conn = await Deno.connect({ port: workers.port });
  assertEquals(await echo(conn, "still"), "still\r\n\r\n");
});

Deno.test("WorkerSupervisor.close() while start() runs stops the workers and start() rejects", async () => {
  const workers = new WorkerSupervisor(ECHO, { workers: 2 });
  const starting = workers.start();
  const closing = workers.close();
  await assertRejects(() => starting, WorkerError, "closed while it started");
  await closing;
});

// --- Modules that cannot serve --------------------------------------------------

for (
  const [name, message] of [
    ["throws_on_import", "cannot import"],
    ["does_not_exist", "cannot import"],
    ["no_factory", "does not export a createServer function"],
    ["factory_throws", "createServer() threw"],
    ["not_a_server", "createServer() returned no Server"],
  ] as const
) {
  Deno.test(`serveWorkers() with a worker module that fails (${name}) rejects with a WorkerError, without restarts`, async () => {
    const reports: WorkerErrorReport[] = [];
    const started = Date.now();
    const error = await assertRejects(
      () =>
        serveWorkers(module(name), {
          workers: 2,
          onError: (report) => reports.push(report),
        }),
      WorkerError,
      message,
    );
    assertEquals((error as WorkerError).workerId, 1);
    assertMatch(error.message, /^Worker 1 failed to start: /);
    assertEquals(reports, []);
    assertLessOrEqual(Date.now() - started, 5000);
  });
}

Deno.test("serveWorkers() with a worker module that calls Deno.exit() while imported rejects with a WorkerError", async () => {
  await assertRejects(
    () => serveWorkers(module("exits_on_import"), { workers: 2 }),
    WorkerError,
    "Worker 1 failed to start: Worker 1 exited: it called Deno.exit()",
  );
});

Deno.test("serveWorkers() with a worker module that blocks while imported rejects with a WorkerError after heartbeatTimeout", async () => {
  const started = Date.now();
  const error = await assertRejects(
    () =>
      serveWorkers(module("blocks_on_import"), {
        workers: 1,
        heartbeatTimeout: 400,
      }),
    WorkerError,
    "sent no heartbeat",
  );
  assertInstanceOf(error.cause, TimeoutError);
  assertLessOrEqual(Date.now() - started, 1400);
});

for (const how of ["factory", "start", "listening"] as const) {
  Deno.test(`WorkerSupervisor.start() with a worker that hangs while starting (${how}), beating all the while, rejects with a WorkerError after startTimeout, every worker ended and the port free`, async () => {
    // Worker 2 hangs: its createServer() promise never settles ("factory"),
    // its server's start() never settles ("start"), or start() listens on
    // the shared port and then never settles ("listening").
    const workers = new WorkerSupervisor(module("hangs_while_starting"), {
      workers: 2,
      startTimeout: 2500,
      workerData: { how, ids: [2] },
    });
    const started = Date.now();
    const error = await assertRejects(
      () => bounded(workers.start(), 10000, "start()"),
      WorkerError,
      `Worker 2 failed to start: Worker 2 of workers did not listen within ` +
        `2500 ms`,
    );
    assertEquals((error as WorkerError).workerId, 2);
    assertInstanceOf(error.cause, TimeoutError);
    assertGreater(Date.now() - started, 2000);
    await bounded(workers.closed, 5000, "closed");
    assertEquals(workers.workers.map((w) => w.state), ["closed", "closed"]);
    // Worker 1 listened, worker 2 too ("listening"): both let go of the
    // port, which a listener without reusePort can now take.
    using listener = Deno.listen({ hostname: "127.0.0.1", port: workers.port });
    assertEquals(listener.addr.port, workers.port);
  });
}

Deno.test("WorkerSupervisor.start() with its only worker hanging while starting rejects after startTimeout, even with no heartbeatTimeout", async () => {
  const workers = new WorkerSupervisor(module("hangs_while_starting"), {
    workers: 1,
    heartbeatTimeout: 0,
    startTimeout: 2000,
    workerData: { how: "factory" },
  });
  const error = await assertRejects(
    () => bounded(workers.start(), 10000, "start()"),
    WorkerError,
    "did not listen within 2000 ms",
  );
  assertInstanceOf(error.cause, TimeoutError);
  // No worker listened: there is no port to tell.
  assertThrows(() => workers.port, Error, "not started");
});

Deno.test("serveWorkers() with a module whose server ignores its options rejects with a WorkerError", async () => {
  const error = await assertRejects(
    () => serveWorkers(module("ignores_options"), { workers: 2 }),
    WorkerError,
    "build the Server with the options createServer() is given",
  );
  // The first worker may pick any port; the second must use it.
  assertEquals((error as WorkerError).workerId, 2);
});

Deno.test("serveWorkers() on a port taken without reusePort rejects with AddrInUseError", async () => {
  using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  await assertRejects(
    () => serveWorkers(ECHO, { workers: 2, port: taken.addr.port }),
    AddrInUseError,
    `127.0.0.1:${taken.addr.port}`,
  );
});

// --- Options ------------------------------------------------------------------

Deno.test("WorkerSupervisor checks its options when built", () => {
  const bad: [unknown, typeof Error, string][] = [
    [{ workers: 0 }, RangeError, 'Cannot use workers "0"'],
    [{ workers: -1 }, RangeError, 'Cannot use workers "-1"'],
    [{ workers: NaN }, RangeError, 'Cannot use workers "NaN"'],
    [{ workers: Infinity }, RangeError, 'Cannot use workers "Infinity"'],
    [{ workers: 1.5 }, RangeError, 'Cannot use workers "1.5"'],
    [{ workers: "2" }, TypeError, 'Cannot use workers "2" (a string)'],
    [{ port: 70000 }, RangeError, 'Cannot use port "70000"'],
    [{ port: -1 }, RangeError, 'Cannot use port "-1"'],
    [{ hostname: 1 }, TypeError, 'Cannot use hostname "1"'],
    [{ name: null }, TypeError, 'Cannot use name "null"'],
    [{ heartbeatTimeout: 50 }, RangeError, "at least 200 milliseconds"],
    [{ heartbeatTimeout: NaN }, RangeError, 'heartbeatTimeout "NaN"'],
    [{ heartbeatTimeout: -1 }, RangeError, 'heartbeatTimeout "-1"'],
    [{ heartbeatTimeout: "1" }, TypeError, "heartbeatTimeout"],
    [{ restartDelay: NaN }, RangeError, 'restartDelay "NaN"'],
    [{ restartDelay: -5 }, RangeError, 'restartDelay "-5"'],
    [{ maxRestartDelay: "x" }, TypeError, "maxRestartDelay"],
    [{ restartDelay: Infinity }, RangeError, 'restartDelay "Infinity"'],
    [
      { maxRestartDelay: Infinity },
      RangeError,
      'maxRestartDelay "Infinity"',
    ],
    [{ startTimeout: NaN }, RangeError, 'startTimeout "NaN"'],
    [{ startTimeout: -1 }, RangeError, 'startTimeout "-1"'],
    [{ startTimeout: "1" }, TypeError, "startTimeout"],
    [{ onError: "log" }, TypeError, "Cannot use onError"],
    [{ workerData: () => {} }, TypeError, "Cannot use workerData"],
    [null, TypeError, 'Cannot use options "null"'],
  ];
  for (const [options, Type, message] of bad) {
    assertThrows(
      () => new WorkerSupervisor(ECHO, options as never),
      Type,
      message,
    );
  }
  for (const module of ["worker.ts", "./worker.ts", 42, undefined]) {
    assertThrows(
      () => new WorkerSupervisor(module as never),
      TypeError,
      "Cannot use module",
    );
  }
  // The limits that are allowed.
  for (const heartbeatTimeout of [0, 200, Infinity]) {
    new WorkerSupervisor(ECHO.href, { heartbeatTimeout });
  }
  for (const startTimeout of [0, 1, Infinity]) {
    new WorkerSupervisor(ECHO.href, { startTimeout });
  }
  for (const restartDelay of [0, 1e12]) {
    new WorkerSupervisor(ECHO.href, { restartDelay, maxRestartDelay: 0 });
  }
});

Deno.test("serveWorkers() with a bad option rejects without starting a worker", async () => {
  await assertRejects(
    () => serveWorkers(ECHO, { workers: 0 }),
    RangeError,
    'Cannot use workers "0"',
  );
});

// --- The reusePort option of listen() and Server --------------------------------

Deno.test("Server with reusePort shares a port with another Server; without it the second fails with AddrInUseError", async () => {
  const build = (port: number, reusePort?: boolean) =>
    new Server({
      consumerFactory: () => new EchoServerConsumer(),
      port,
      reusePort,
    });
  await using first = build(0, true);
  await first.start();
  await using second = build(first.port, true);
  await second.start();
  for (let i = 0; i < 24; i++) {
    using conn = await Deno.connect({ port: first.port });
    assertEquals(await echo(conn, "shared"), "shared\r\n\r\n");
  }
  await waitFor(() =>
    first.requestsProcessed + second.requestsProcessed === 24
  );
  assertGreater(first.requestsProcessed, 0);
  assertGreater(second.requestsProcessed, 0);
  await using third = build(first.port);
  await assertRejects(() => third.start(), AddrInUseError);
});

Deno.test("Server with tls and reusePort shares a port with another", async () => {
  const build = (port: number) =>
    new Server({
      consumerFactory: () => new EchoServerConsumer(),
      port,
      reusePort: true,
      tls: { cert: certs.cert, key: certs.key },
    });
  await using first = build(0);
  await first.start();
  await using second = build(first.port);
  await second.start();
  for (let i = 0; i < 16; i++) {
    using conn = await Deno.connectTls({
      hostname: "localhost",
      port: first.port,
      caCerts: [certs.ca],
    });
    assertEquals(await echo(conn, "tls"), "tls\r\n\r\n");
  }
  await waitFor(() =>
    first.requestsProcessed + second.requestsProcessed === 16
  );
  assertGreater(first.requestsProcessed, 0);
  assertGreater(second.requestsProcessed, 0);
});

Deno.test("Server and listen() check reusePort", () => {
  assertThrows(
    () =>
      new Server({
        consumerFactory: () => new EchoServerConsumer(),
        reusePort: "yes" as never,
      }),
    TypeError,
    'Cannot use reusePort "yes" (a string)',
  );
  assertThrows(
    () =>
      new Server({
        consumerFactory: () => new EchoServerConsumer(),
        path: "/tmp/pulsar-reuse.sock",
        reusePort: true,
      }),
    TypeError,
    "it shares TCP ports only",
  );
});

Deno.test("listen() with reusePort but without --unstable-net throws a ListenError instead of ending the process", async () => {
  const listen = new URL("../transports/listen.ts", import.meta.url).href;
  const code = `
    import { listen } from ${JSON.stringify(listen)};
    try {
      listen(() => ({}), { port: 0, reusePort: true });
      console.log("listened");
    } catch (error) {
      console.log(error.name + ": " + error.message);
    }`;
  const { code: exit, stdout } = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--no-config", code],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(exit, 0);
  assertEquals(
    decoder.decode(stdout).trim(),
    "ListenError: Cannot listen on 127.0.0.1:0: reusePort needs Deno's " +
      '--unstable-net flag (or "unstable": ["net"] in deno.json)',
  );
});
