// Copyright 2026 the pulsar for Deno authors. MIT license.
// A pool whose connect failed fails the callers waiting for it at once,
// with that error, instead of letting each run its own connect (and its
// client's backoff) in turn: requests queued on a server that went away
// settle in about one connect round, not at ten a second.
import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertRejects,
  assertStrictEquals,
} from "@std/assert";
import { ConnectionPool } from "../clients/connection_pool.ts";
import { ConnectionClosedError, ConnectionRefusedError } from "../errors.ts";
import { waitFor } from "./_helpers.ts";
import {
  connectTo,
  keepingListener,
  refusedPort,
  startEchoServer,
  TestClient,
} from "./_fixtures.ts";

/** Resolves with `promise`'s value, or with `undefined` after `ms`. */
async function within<T>(
  promise: Promise<T>,
  ms: number,
): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A pool to a listener (the next `state.refuse` connects to a refused
 * port), counting its connects. A connect told to `hold` waits for its
 * signal.
 */
function setup(poolSize: number, pipelining = 1) {
  const server = keepingListener();
  const dead = refusedPort();
  const state = { refuse: 0, hold: false, connects: 0 };
  const pool = new ConnectionPool({
    poolSize,
    pipelining,
    key: "test",
    connect: async (signal) => {
      state.connects++;
      if (state.hold) {
        state.hold = false;
        await new Promise((_, reject) => {
          signal!.addEventListener("abort", () => reject(signal!.reason));
        });
      }
      return await connectTo(state.refuse-- > 0 ? dead : server.port, signal);
    },
  });
  return {
    pool,
    state,
    async [Symbol.asyncDispose]() {
      await pool.close();
      await server[Symbol.asyncDispose]();
    },
  };
}

Deno.test("ConnectionPool whose connect fails rejects every caller waiting with that same error, and the next acquire() connects anew", async () => {
  for (const pipelining of [1, 8]) {
    await using ctx = setup(1, pipelining);
    const { pool, state } = ctx;
    state.refuse = 1;
    const first = pool.acquire();
    const waiting = Array.from({ length: 50 }, () => pool.acquire());
    assertEquals(pool.waiting, 50);
    const error = await assertRejects(() => first, ConnectionRefusedError);
    const results = await within(Promise.allSettled(waiting), 2000);
    if (results === undefined) throw new Error("the callers waiting hang");
    for (const result of results) {
      assertEquals(result.status, "rejected");
      assertStrictEquals((result as PromiseRejectedResult).reason, error);
    }
    // One connect for all of them.
    assertEquals(state.connects, 1);
    assertEquals(pool.waiting, 0);
    // A caller arriving later opens its own connection.
    const connection = await pool.acquire();
    assertEquals(state.connects, 2);
    pool.release(connection);
  }
});

Deno.test("ConnectionPool: a connect cut short by its caller's signal leaves the callers waiting, and the next one connects", async () => {
  await using ctx = setup(1);
  const { pool, state } = ctx;
  state.hold = true;
  const controller = new AbortController();
  const first = pool.acquire({ signal: controller.signal });
  const second = pool.acquire();
  assertEquals(pool.waiting, 1);
  const reason = new Error("gave up");
  controller.abort(reason);
  assertStrictEquals(await first.catch((error) => error), reason);
  const connection = await second;
  assertEquals(state.connects, 2);
  pool.release(connection);
});

Deno.test("ConnectionPool: a failed connect leaves the callers waiting while the pool holds an open connection", async () => {
  await using ctx = setup(2);
  const { pool, state } = ctx;
  const held = await pool.acquire();
  state.refuse = 1;
  const refused = pool.acquire();
  const waiting = pool.acquire();
  assertEquals(pool.waiting, 1);
  await assertRejects(() => refused, ConnectionRefusedError);
  // The slot freed went to the waiter, whose own connect succeeds.
  const connection = await waiting;
  assert(connection !== held);
  pool.release(connection);
  pool.release(held);
});

for (const [pipelining, poolSize] of [[1, 1], [16, 2]]) {
  Deno.test(`Client (pipelining ${pipelining}, poolSize ${poolSize}) with 300 requests queued on a server that went away settles them all within seconds`, async () => {
    const server = await startEchoServer();
    await using client = new TestClient({ port: server.port }, {
      poolSize,
      pipelining,
    });
    await client.request("warm");
    const settled = Promise.allSettled(
      Array.from({ length: 300 }, (_, i) => client.request(`m${i}`)),
    );
    await server.close({ gracePeriod: 0 });
    const start = performance.now();
    const done = await within(settled.then(() => true), 10_000);
    const elapsed = performance.now() - start;
    await client.close();
    // One connect round (4 attempts, backoff under 200 ms) per pool slot,
    // not one per request (about 10 a second): generous for 2 loaded cores.
    assert(
      done && elapsed < 5000,
      `not all settled within ${elapsed.toFixed(0)} ms`,
    );
    const results = await settled;
    for (const result of results) {
      // Answered before the close, or failed with a typed error.
      if (result.status === "fulfilled") continue;
      const error = result.reason;
      if (!(error instanceof ConnectionRefusedError)) {
        assertInstanceOf(error, ConnectionClosedError);
      }
    }
    assert(
      results.some((result) =>
        result.status === "rejected" &&
        (result.reason instanceof ConnectionRefusedError ||
          result.reason?.cause instanceof ConnectionRefusedError)
      ),
      "no request failed with the connect's error",
    );
    await waitFor(() => client.requestsInFlight === 0);
  });
}
