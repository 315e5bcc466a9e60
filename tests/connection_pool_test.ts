// Copyright 2026 the pulsar for Deno authors. MIT license.
import {
  assert,
  assertEquals,
  assertNotStrictEquals,
  assertRejects,
  assertStrictEquals,
  assertThrows,
} from "@std/assert";
import { ConnectionPool } from "../clients/connection_pool.ts";
import { ConnectionClosedError, TimeoutError } from "../errors.ts";
import type { Connection } from "../protocols/connection.ts";
import { waitFor } from "./_helpers.ts";
import { connectTo, keepingListener, refusedPort } from "./_fixtures.ts";

/** A listener that accepts and keeps connections, and a pool to it. */
function setup(
  poolSize: number,
  timeout = 0,
  onEmpty?: (pool: ConnectionPool) => void,
) {
  const server = keepingListener();
  const pool = new ConnectionPool({
    poolSize,
    acquireTimeout: timeout,
    key: "test",
    onEmpty,
    connect: (signal) => connectTo(server.port, signal),
  });
  return {
    pool,
    peers: server.peers,
    async [Symbol.asyncDispose]() {
      await pool.close();
      await server[Symbol.asyncDispose]();
    },
  };
}

Deno.test("ConnectionPool.acquire() opens up to poolSize connections, then waits", async () => {
  await using ctx = setup(2);
  const { pool } = ctx;
  const a = await pool.acquire();
  const b = await pool.acquire();
  assertNotStrictEquals(a, b);
  assertEquals(pool.inUse, 2);
  let third: Connection | undefined;
  const waiting = pool.acquire().then((c) => third = c);
  await waitFor(() => pool.waiting === 1);
  assertEquals(third, undefined);
  pool.release(a);
  await waiting;
  assertStrictEquals(third, a);
  assertEquals(pool.sessions, 2);
  pool.release(b);
  pool.release(third!);
  assertEquals(pool.idle, 2);
  assertEquals(pool.inUse, 0);
});

Deno.test("ConnectionPool.acquire() serves waiters first in, first out", async () => {
  await using ctx = setup(1);
  const { pool } = ctx;
  const held = await pool.acquire();
  const order: number[] = [];
  const waiters = [1, 2, 3].map((n) =>
    pool.acquire().then((c) => {
      order.push(n);
      pool.release(c);
    })
  );
  await waitFor(() => pool.waiting === 3);
  pool.release(held);
  await Promise.all(waiters);
  assertEquals(order, [1, 2, 3]);
  assertEquals(pool.sessions, 1);
});

Deno.test("ConnectionPool.acquire() serves waiters first in, first out after most of 600 gave up, and counts only those still waiting", async () => {
  await using env = setup(1);
  const { pool } = env;
  const only = await pool.acquire();
  const controllers: AbortController[] = [];
  const waits: Promise<unknown>[] = [];
  for (let i = 0; i < 600; i++) {
    const controller = new AbortController();
    controllers.push(controller);
    waits.push(
      pool.acquire({ signal: controller.signal }).then(
        (connection) => ({ i, connection }),
        () => ({ i, gaveUp: true }),
      ),
    );
  }
  assertEquals(pool.waiting, 600);
  // All but every hundredth give up: the queue drops them as they go.
  for (let i = 0; i < 600; i++) if (i % 100 !== 0) controllers[i].abort();
  assertEquals(pool.waiting, 6);
  const served: number[] = [];
  for (let k = 0; k < 6; k++) {
    pool.release(only);
    const next = await Promise.race(
      waits.filter((_, i) => i % 100 === 0 && !served.includes(i)),
    ) as { i: number; connection: Connection };
    assertStrictEquals(next.connection, only);
    served.push(next.i);
    assertEquals(pool.waiting, 5 - k);
  }
  assertEquals(served, [0, 100, 200, 300, 400, 500]);
  assertEquals(pool.inUse, 1);
  pool.release(only);
  assertEquals([pool.inUse, pool.idle], [0, 1]);
  await Promise.all(waits);
});

Deno.test("ConnectionPool.acquire() fails with TimeoutError when all stay in use", async () => {
  await using ctx = setup(1, 30);
  const { pool } = ctx;
  const held = await pool.acquire();
  await assertRejects(
    () => pool.acquire(),
    TimeoutError,
    "Cannot get a connection to test within 30 ms: all 1 were in use or connecting",
  );
  assertEquals(pool.waiting, 0);
  pool.release(held);
});

Deno.test("ConnectionPool.acquire() drops a dead idle connection and opens a new one", async () => {
  await using ctx = setup(1);
  const { pool, peers } = ctx;
  const first = await pool.acquire();
  pool.release(first);
  await waitFor(() => peers.length === 1);
  peers[0].close();
  await first.closed;
  assertEquals(pool.idle, 0);
  const second = await pool.acquire();
  assertNotStrictEquals(second, first);
  assert(!second.isClosed);
  assertEquals(pool.sessions, 2);
  pool.release(second);
});

Deno.test("ConnectionPool.release() with discard closes the connection and frees its slot for a waiter", async () => {
  await using ctx = setup(1);
  const { pool } = ctx;
  const first = await pool.acquire();
  const next = pool.acquire();
  await waitFor(() => pool.waiting === 1);
  pool.release(first, { discard: true });
  const second = await next;
  assertNotStrictEquals(second, first);
  await first.closed;
  assertEquals(pool.sessions, 2);
  pool.release(second);
});

Deno.test("ConnectionPool.close() closes idle and in-use connections and is idempotent", async () => {
  await using ctx = setup(2);
  const { pool } = ctx;
  const idle = await pool.acquire();
  const busy = await pool.acquire();
  pool.release(idle);
  const closing = pool.close();
  assertStrictEquals(pool.close(), closing);
  await closing;
  assert(idle.isClosed && busy.isClosed);
  assert(pool.isClosing());
  await assertRejects(
    () => pool.acquire(),
    ConnectionClosedError,
    "Cannot get a connection to test: the pool is closed",
  );
  pool.release(busy);
  assertEquals(pool.idle, 0);
});

Deno.test("ConnectionPool.close() fails the callers waiting for a connection", async () => {
  await using ctx = setup(1);
  const { pool } = ctx;
  const held = await pool.acquire();
  const waiter = assertRejects(
    () => pool.acquire(),
    ConnectionClosedError,
    "Cannot get a connection to test: the pool was closed",
  );
  await waitFor(() => pool.waiting === 1);
  await pool.close();
  await waiter;
  assert(held.isClosed);
});

Deno.test("ConnectionPool rejects a poolSize below 1", () => {
  assertThrows(
    () => new ConnectionPool({ poolSize: 0, connect: () => Promise.reject() }),
    RangeError,
    'Cannot use poolSize "0": it must be an integer of 1 or more',
  );
});

Deno.test("ConnectionPool calls onEmpty once its last connection is gone and nobody waits, never while one is idle, in use or being replaced", async () => {
  let empty = 0;
  await using ctx = setup(1, 0, () => empty++);
  const { pool } = ctx;
  const first = await pool.acquire();
  pool.release(first);
  await Promise.resolve();
  assertEquals(empty, 0); // Idle: not empty.
  const again = await pool.acquire();
  // Discarded and replaced at once, as a retry does: never seen empty.
  pool.release(again, { discard: true });
  const second = await pool.acquire();
  assertEquals(empty, 0);
  pool.release(second, { discard: true });
  await second.closed;
  await waitFor(() => empty === 1);
  await new Promise((resolve) => setTimeout(resolve, 10));
  assertEquals(empty, 1); // Once, not again as the connection closes.
  // An idle connection closed by the peer empties it too.
  const third = await pool.acquire();
  pool.release(third);
  await waitFor(() => ctx.peers.length === 3);
  ctx.peers[2].close();
  await waitFor(() => empty === 2);
  assertEquals([pool.idle, pool.inUse, pool.waiting], [0, 0, 0]);
});

Deno.test("ConnectionPool calls onEmpty after a connect that failed", async () => {
  const port = refusedPort();
  let empty = 0;
  const pool = new ConnectionPool({
    connect: (signal) => connectTo(port, signal),
    onEmpty: () => empty++,
  });
  await assertRejects(() => pool.acquire());
  await waitFor(() => empty === 1);
  await pool.close();
});
