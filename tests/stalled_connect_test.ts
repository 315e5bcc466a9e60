// Copyright 2026 the pulsar for Deno authors. MIT license.
// Connects that stall (a listener whose accept backlog is
// full drops the SYN) cancelled by close(), by a request's signal, by a
// timeout; and a signal shared by many requests.
import { assert, assertInstanceOf, assertStrictEquals } from "@std/assert";
import { ConnectionPool } from "../clients/connection_pool.ts";
import { ConnectionClosedError, TimeoutError } from "../errors.ts";
import { Protocol } from "../protocols/protocol.ts";
import { connect } from "../transports/connect.ts";
import { bounded } from "./_helpers.ts";
import { connectTo, TestClient } from "./_fixtures.ts";

/** A listener that never accepts, its backlog filled: connects to it stall. */
async function fullBacklog(): Promise<{
  port: number;
  [Symbol.asyncDispose](): Promise<void>;
}> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  const held: Deno.Conn[] = [];
  for (let i = 0; i < 4096; i++) {
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), 150);
    try {
      held.push(await Deno.connect({ port, signal: ac.signal }));
    } catch {
      break; // stalled: the backlog is full
    } finally {
      clearTimeout(timer);
    }
  }
  return {
    port,
    [Symbol.asyncDispose]() {
      for (const conn of held) conn.close();
      listener.close();
      return Promise.resolve();
    },
  };
}

async function settle<T>(p: Promise<T>): Promise<unknown> {
  try {
    return await p;
  } catch (error) {
    return error;
  }
}

Deno.test("stalled connects (full backlog): Client.close() ends requests with and without signal/timeout at once, leaving no op", async () => {
  await using hole = await fullBacklog();
  const client = new TestClient({ port: hole.port }, { poolSize: 4 });
  const ac = new AbortController();
  const a = settle(client.request("a"));
  const b = settle(client.request("b", { signal: ac.signal }));
  const c = settle(client.request("c", { timeout: 10000 }));
  const d = settle(client.request("d", { signal: ac.signal, timeout: 10000 }));
  const e = settle(client.request("e")); // waits for a slot
  await new Promise((r) => setTimeout(r, 50));
  const t0 = performance.now();
  await bounded(client.close(), 2000, "close");
  for (const r of [a, b, c, d, e]) {
    assertInstanceOf(await bounded(r, 1000, "request"), ConnectionClosedError);
  }
  assert(performance.now() - t0 < 1000);
});

Deno.test("stalled connect (full backlog): a request's signal cancels its own connect only; timeout gives TimeoutError", async () => {
  await using hole = await fullBacklog();
  const client = new TestClient({ port: hole.port }, { poolSize: 3 });
  const ac = new AbortController();
  const a = settle(client.request("a"));
  const b = settle(client.request("b", { signal: ac.signal }));
  const c = settle(client.request("c", { timeout: 100 }));
  const reason = new Error("b cancelled");
  await new Promise((r) => setTimeout(r, 30));
  ac.abort(reason);
  assertStrictEquals(await bounded(b, 1000, "b"), reason);
  assertInstanceOf(await bounded(c, 1000, "c"), TimeoutError);
  await client.close();
  assertInstanceOf(await a, ConnectionClosedError);
});

Deno.test("stalled connect (full backlog): connect() with a signal and no connectTimeout is cancelled by the signal; with connectTimeout it times out", async () => {
  await using hole = await fullBacklog();
  const ac = new AbortController();
  const p = settle(connect(() => new Protocol(), {
    port: hole.port,
    signal: ac.signal,
  }));
  const reason = new Error("stop");
  setTimeout(() => ac.abort(reason), 30);
  assertStrictEquals(await bounded(p, 1000, "connect"), reason);
  const q = settle(connect(() => new Protocol(), {
    port: hole.port,
    signal: new AbortController().signal,
    connectTimeout: 50,
  }));
  assertInstanceOf(await bounded(q, 1000, "connect"), TimeoutError);
});

Deno.test("stalled connects (full backlog): ConnectionPool over connect() closes with no op left", async () => {
  await using hole = await fullBacklog();
  const pool = new ConnectionPool({
    poolSize: 2,
    connect: (signal) => connectTo(hole.port, signal),
  });
  const a = settle(pool.acquire());
  const b = settle(pool.acquire({ signal: new AbortController().signal }));
  await new Promise((r) => setTimeout(r, 30));
  await bounded(pool.close(), 1000, "close");
  assertInstanceOf(await a, ConnectionClosedError);
  assertInstanceOf(await b, ConnectionClosedError);
});

Deno.test("one signal shared by many sequential requests: no listener piles up, a later abort touches nothing finished", async () => {
  const { startEchoServer } = await import("./_fixtures.ts");
  const server = await startEchoServer();
  const client = new TestClient({ port: server.port }, { poolSize: 2 });
  const ac = new AbortController();
  let listeners = 0;
  let most = 0;
  const add = ac.signal.addEventListener.bind(ac.signal);
  const remove = ac.signal.removeEventListener.bind(ac.signal);
  ac.signal.addEventListener = ((...args: Parameters<typeof add>) => {
    most = Math.max(most, ++listeners);
    add(...args);
  }) as typeof add;
  ac.signal.removeEventListener = ((...args: Parameters<typeof remove>) => {
    listeners--;
    remove(...args);
  }) as typeof remove;
  for (let i = 0; i < 200; i++) {
    await client.request(`m${i}`, { signal: ac.signal });
  }
  await Promise.all(
    Array.from(
      { length: 50 },
      (_, i) => client.request(`p${i}`, { signal: ac.signal }),
    ),
  );
  // Wait a turn for the corked-abort cleanup microtasks.
  await new Promise((r) => setTimeout(r, 0));
  assert(most > 0, "the signal was never listened to");
  assert(listeners <= 0, `${listeners} listeners left on the caller's signal`);
  ac.abort(new Error("late"));
  // The client still works after the shared signal aborted.
  await client.request("after");
  await client.close();
  await server.close();
});
