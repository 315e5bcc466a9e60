// Copyright 2026 the pulsar for Deno authors. MIT license.
// What ConnectionPool's `connect` sees of its signal (each connect its own,
// never aborted once it has ended), and close() when a connection's close()
// throws. Regressions of an allocation cut (one signal per pool) that
// failed before their fix.
import { assert, assertEquals } from "@std/assert";
import { ConnectionPool } from "../clients/connection_pool.ts";
import { Connection } from "../protocols/connection.ts";
import { connect } from "../transports/connect.ts";
import { keepingListener } from "./_fixtures.ts";

Deno.test("ConnectionPool: the signal a finished connect was given never aborts later (close() with another connect in progress)", async () => {
  await using server = keepingListener();
  const signals: AbortSignal[] = [];
  let n = 0;
  const pool = new ConnectionPool({
    poolSize: 2,
    connect: async (signal) => {
      signals.push(signal!);
      if (n++ === 1) {
        // The second connect stalls until its signal aborts.
        await new Promise((_, reject) =>
          signal!.addEventListener("abort", () => reject(signal!.reason))
        );
      }
      const [, connection] = await connect(() => new Connection(), {
        port: server.port,
        signal,
      });
      return connection;
    },
  });
  const first = await pool.acquire();
  pool.release(first);
  const held = await pool.acquire(); // the idle one again
  const second = pool.acquire().catch((e) => e); // opens, stalls
  await new Promise((r) => setTimeout(r, 10));
  pool.release(held);
  assertEquals(signals.length, 2);
  await pool.close();
  await second;
  assert(signals[1].aborted, "the connect in progress was aborted");
  assertEquals(
    signals[0].aborted,
    false,
    "the signal of a connect that ended long ago was aborted by close()",
  );
});

Deno.test("ConnectionPool: listeners a connect leaves on its signal do not pile up on one pool-wide signal", async () => {
  await using server = keepingListener();
  const signals = new Set<AbortSignal>();
  const pool = new ConnectionPool({
    poolSize: 1,
    connect: async (signal) => {
      signals.add(signal!);
      const [, connection] = await connect(() => new Connection(), {
        port: server.port,
      });
      // A careless connect: "drop the connection if we are cancelled",
      // never unbound.
      signal!.addEventListener("abort", () => connection.abort());
      return connection;
    },
  });
  for (let i = 0; i < 5; i++) {
    const c = await pool.acquire();
    pool.release(c, { discard: true });
    await c.closed;
  }
  // main: one short-lived signal per connect (5); mem: the same one, 5
  // listeners on it for the pool's whole life.
  assertEquals(signals.size, 5);
  await pool.close();
});

/** A connection whose close() throws (a subclass's clean-up that fails). */
class ThrowingClose extends Connection {
  override close(): void {
    super.close();
    throw new Error("close failed");
  }
}

Deno.test("ConnectionPool.close() with an idle connection whose close() throws returns a rejected promise and marks the pool closing", async () => {
  await using server = keepingListener();
  const pool = new ConnectionPool({
    connect: async (signal) => {
      const [, connection] = await connect(() => new ThrowingClose(), {
        port: server.port,
        signal,
      });
      return connection;
    },
  });
  const c = await pool.acquire();
  pool.release(c);
  let closing: Promise<void> | undefined;
  let thrown: unknown;
  try {
    closing = pool.close();
    closing.catch(() => {}); // its rejection is expected and handled here
  } catch (error) {
    thrown = error;
  }
  // Tidy up whatever the outcome, so the sanitizers judge only the assertions.
  c.abort();
  await c.closed;
  assertEquals(thrown, undefined, "close() threw synchronously");
  assert(closing instanceof Promise);
  await closing!.catch(() => {});
  assert(pool.isClosing(), "a close() that failed left the pool open");
});
