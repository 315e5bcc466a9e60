// Copyright 2026 the pulsar for Deno authors. MIT license.
// Closing a Client or ConnectionPool while connects are in
// progress (refused with backoff, stalled, ignoring the signal), with and
// without per-request signals and timeouts.
import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertRejects,
  assertStrictEquals,
} from "@std/assert";
import { ConnectionPool } from "../clients/connection_pool.ts";
import { ConnectionClosedError, TimeoutError } from "../errors.ts";
import type { Connection } from "../protocols/connection.ts";
import { bounded, waitFor } from "./_helpers.ts";
import {
  connectTo,
  keepingListener,
  refusedPort,
  TestClient,
} from "./_fixtures.ts";

const SLOW_RECONNECT = {
  maxAttempts: 50,
  minTimeout: 300,
  maxTimeout: 300,
  jitter: 0,
};

async function settle<T>(p: Promise<T>): Promise<unknown> {
  try {
    return await p;
  } catch (error) {
    return error;
  }
}

Deno.test("Client.close() during the reconnect sleep fails the request (no signal) with ConnectionClosedError and ends at once", async () => {
  const port = refusedPort();
  const client = new TestClient({ port }, { reconnect: SLOW_RECONNECT });
  const req = settle(client.request("x"));
  await new Promise((r) => setTimeout(r, 50)); // first refusal, now sleeping
  const t0 = performance.now();
  const c1 = client.close();
  const c2 = client.close();
  assertStrictEquals(c1, c2);
  await bounded(c1, 2000, "close");
  const error = await bounded(req, 2000, "request");
  assertInstanceOf(error, ConnectionClosedError);
  assert(performance.now() - t0 < 250, "close waited for the backoff");
  assert(client.isClosing());
});

Deno.test("Client.close() during the reconnect sleep fails a request with a signal (no timeout) with ConnectionClosedError", async () => {
  const port = refusedPort();
  const client = new TestClient({ port }, { reconnect: SLOW_RECONNECT });
  const ac = new AbortController();
  const req = settle(client.request("x", { signal: ac.signal }));
  await new Promise((r) => setTimeout(r, 50));
  await bounded(client.close(), 2000, "close");
  const error = await bounded(req, 2000, "request");
  assertInstanceOf(error, ConnectionClosedError);
  ac.abort(); // after the fact: nothing left to abort
});

Deno.test("Client.close() during the reconnect sleep fails a request with a timeout with ConnectionClosedError", async () => {
  const port = refusedPort();
  const client = new TestClient({ port }, { reconnect: SLOW_RECONNECT });
  const req = settle(client.request("x", { timeout: 5000 }));
  await new Promise((r) => setTimeout(r, 50));
  await bounded(client.close(), 2000, "close");
  const error = await bounded(req, 2000, "request");
  assertInstanceOf(error, ConnectionClosedError);
});

Deno.test("a request's signal aborting during reconnect sleep fails only it; a signal-less request sharing the pool goes on and close() ends it", async () => {
  const port = refusedPort();
  const client = new TestClient({ port }, {
    reconnect: SLOW_RECONNECT,
    poolSize: 2,
  });
  const ac = new AbortController();
  const a = settle(client.request("a", { signal: ac.signal }));
  const b = settle(client.request("b"));
  await new Promise((r) => setTimeout(r, 50));
  const reason = new Error("mine");
  ac.abort(reason);
  assertStrictEquals(await bounded(a, 2000, "a"), reason);
  // b still retrying
  let bDone = false;
  b.then(() => bDone = true);
  await new Promise((r) => setTimeout(r, 50));
  assertEquals(bDone, false);
  await bounded(client.close(), 2000, "close");
  assertInstanceOf(await bounded(b, 2000, "b"), ConnectionClosedError);
});

Deno.test("Client.close() with two pools, both reconnecting, ends both", async () => {
  const p1 = refusedPort();
  const p2 = refusedPort();
  const client = new TestClient({ port: p1 }, { reconnect: SLOW_RECONNECT });
  const a = settle(client.request("a"));
  // A second address: a request object of its own.
  const { echoRequest } = await import("./_fixtures.ts");
  const b = settle(client.response(echoRequest({ port: p2 }, "b")));
  const c = settle(
    client.response(echoRequest({ port: p2 }, "c", { timeout: 3000 })),
  );
  await new Promise((r) => setTimeout(r, 50));
  await bounded(client.close(), 2000, "close");
  for (const r of [a, b, c]) {
    assertInstanceOf(await bounded(r, 2000, "req"), ConnectionClosedError);
  }
});

/** A connect that never completes unless its signal aborts (a blackhole). */
function stalled(signal?: AbortSignal): Promise<Connection> {
  return new Promise((_, reject) => {
    signal!.addEventListener("abort", () => reject(signal!.reason), {
      once: true,
    });
  });
}

/** A pool of 3 whose connects stall until aborted; `seen` has their signals. */
function stalledPool(): { seen: AbortSignal[]; pool: ConnectionPool } {
  const seen: AbortSignal[] = [];
  const pool = new ConnectionPool({
    poolSize: 3,
    connect: (signal) => {
      seen.push(signal!);
      return stalled(signal);
    },
  });
  return { seen, pool };
}

Deno.test("ConnectionPool.close() aborts stalled connects with and without caller signals, and twice returns one promise", async () => {
  const { seen, pool } = stalledPool();
  const ac = new AbortController();
  const a = settle(pool.acquire());
  const b = settle(pool.acquire({ signal: ac.signal }));
  const c = settle(pool.acquire({ acquireTimeout: 5000 }));
  const d = settle(pool.acquire()); // waits: 3 connecting
  await waitFor(() => pool.waiting === 1);
  const c1 = pool.close();
  assertStrictEquals(pool.close(), c1);
  await bounded(c1, 2000, "close");
  for (const r of [a, b, c, d]) {
    assertInstanceOf(await bounded(r, 2000, "acquire"), ConnectionClosedError);
  }
  assertEquals(seen.length, 3);
  assert(seen.every((s) => s.aborted));
  assertEquals(ac.signal.aborted, false);
});

Deno.test("ConnectionPool: a caller's signal aborting its stalled connect leaves the other connects running", async () => {
  const { seen, pool } = stalledPool();
  const ac = new AbortController();
  const a = settle(pool.acquire());
  const b = settle(pool.acquire({ signal: ac.signal }));
  const c = settle(pool.acquire());
  const reason = new Error("b gives up");
  ac.abort(reason);
  assertStrictEquals(await b, reason);
  assertEquals(seen.map((s) => s.aborted), [false, true, false]);
  await pool.close();
  assertInstanceOf(await a, ConnectionClosedError);
  assertInstanceOf(await c, ConnectionClosedError);
});

Deno.test("ConnectionPool with a connect that ignores the signal and resolves late: close() waits for it, closes it, and the caller gets ConnectionClosedError", async () => {
  const server = keepingListener();
  const late = Promise.withResolvers<void>();
  const made: Connection[] = [];
  const pool = new ConnectionPool({
    poolSize: 2,
    connect: async () => {
      await late.promise;
      const c = await connectTo(server.port);
      made.push(c);
      return c;
    },
  });
  const a = settle(pool.acquire());
  const b = settle(pool.acquire({ signal: new AbortController().signal }));
  let closed = false;
  const closing = pool.close().then(() => closed = true);
  await new Promise((r) => setTimeout(r, 30));
  assertEquals(closed, false, "close() did not wait for the connects");
  late.resolve();
  await bounded(closing, 2000, "close");
  assertInstanceOf(await a, ConnectionClosedError);
  assertInstanceOf(await b, ConnectionClosedError);
  assertEquals(made.length, 2);
  for (const c of made) assert(c.transport?.isClosing());
  await server[Symbol.asyncDispose]();
});

Deno.test("ConnectionPool whose connect throws synchronously: acquire rejects, close() settles", async () => {
  const boom = new Error("sync throw");
  const pool = new ConnectionPool({
    connect: () => {
      throw boom;
    },
  });
  assertStrictEquals(await settle(pool.acquire()), boom);
  assertStrictEquals(
    await settle(pool.acquire({ signal: new AbortController().signal })),
    boom,
  );
  await bounded(pool.close(), 1000, "close");
});

Deno.test("ConnectionPool: acquireTimeout on a waiter behind a stalled connect times out, the connect keeps going, close() ends it", async () => {
  const pool = new ConnectionPool({
    poolSize: 1,
    acquireTimeout: 50,
    connect: stalled,
  });
  const a = settle(pool.acquire({ acquireTimeout: 0 }));
  const b = settle(pool.acquire());
  assertInstanceOf(await bounded(b, 2000, "b"), TimeoutError);
  await pool.close();
  assertInstanceOf(await a, ConnectionClosedError);
});

Deno.test("ConnectionPool: a waiter with a signal gets the slot a failed connect frees; its connect follows its signal", async () => {
  let n = 0;
  const seen: AbortSignal[] = [];
  const gate = Promise.withResolvers<void>();
  const pool = new ConnectionPool({
    poolSize: 1,
    connect: async (signal) => {
      seen.push(signal!);
      if (n++ === 0) {
        await gate.promise;
        throw new Error("first fails");
      }
      return await stalled(signal);
    },
  });
  const ac = new AbortController();
  const a = settle(pool.acquire());
  const b = settle(pool.acquire({ signal: ac.signal }));
  await waitFor(() => pool.waiting === 1);
  gate.resolve();
  // The first connect failed with no connection open: waiters fail with it.
  const ea = await a;
  const eb = await b;
  assertEquals((ea as Error).message, "first fails");
  assertEquals((eb as Error).message, "first fails");
  await pool.close();
});

Deno.test("Client: onEmpty drops a pool whose connect failed; the next request makes a new pool and close() ends its connect", async () => {
  const port = refusedPort();
  const client = new TestClient({ port }, { reconnect: false });
  await assertRejects(() => client.request("a"));
  await new Promise((r) => setTimeout(r, 0));
  const client2 = new TestClient({ port }, { reconnect: SLOW_RECONNECT });
  const b = settle(client2.request("b"));
  await new Promise((r) => setTimeout(r, 20));
  await client2.close();
  assertInstanceOf(await b, ConnectionClosedError);
  await client.close();
});

Deno.test("pipelined Client (poolSize 1, pipelining 4): close() during the reconnect sleep fails every stacked request with ConnectionClosedError", async () => {
  const port = refusedPort();
  const client = new TestClient({ port }, {
    reconnect: SLOW_RECONNECT,
    poolSize: 1,
    pipelining: 4,
  });
  const ac = new AbortController();
  const all = [
    settle(client.request("a")),
    settle(client.request("b", { signal: ac.signal })),
    settle(client.request("c", { timeout: 5000 })),
    settle(client.request("d")),
    settle(client.request("e", { signal: ac.signal, timeout: 5000 })),
    settle(client.request("f")),
  ];
  await new Promise((r) => setTimeout(r, 50));
  await bounded(client.close(), 2000, "close");
  for (const r of all) {
    assertInstanceOf(await bounded(r, 1000, "request"), ConnectionClosedError);
  }
});

Deno.test("pipelined Client against a live server: close() right after the connect started, with stacked requests, leaves nothing behind", async () => {
  const { startEchoServer } = await import("./_fixtures.ts");
  const server = await startEchoServer();
  for (let round = 0; round < 20; round++) {
    const client = new TestClient({ port: server.port }, {
      poolSize: 1,
      pipelining: 3,
    });
    const all = [
      settle(client.request("a")),
      settle(client.request("b", { signal: new AbortController().signal })),
      settle(client.request("c", { timeout: 5000 })),
    ];
    // Close at a different point of the connect each round.
    for (let i = 0; i < round; i++) await Promise.resolve();
    await bounded(client.close(), 2000, "close");
    for (const r of all) {
      const out = await bounded(r, 1000, "request");
      assert(
        out instanceof ConnectionClosedError || out instanceof Uint8Array,
        `round ${round}: ${out}`,
      );
    }
  }
  await server.close();
});
