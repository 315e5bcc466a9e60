// Copyright 2026 the pulsar for Deno authors. MIT license.
// Client pipelining: several consumers in flight on one connection.
import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertNotStrictEquals,
  assertRejects,
  assertStrictEquals,
  assertThrows,
} from "@std/assert";
import { Client } from "../clients/client.ts";
import { ConnectionPool } from "../clients/connection_pool.ts";
import { Request } from "../clients/request.ts";
import {
  ConnectionClosedError,
  ProtocolError,
  TimeoutError,
} from "../errors.ts";
import { Connection } from "../protocols/connection.ts";
import { ProtocolConsumer } from "../protocols/protocol_consumer.ts";
import {
  closeQuietly,
  decoder,
  encoder,
  startResetPeer,
  waitFor,
} from "./_helpers.ts";
import { connectTo, keepingListener } from "./_fixtures.ts";

/** Reads one answer line ("...\n"), possibly over several reads. */
class Line extends ProtocolConsumer<unknown, string> {
  #text = "";
  override dataReceived(data: Uint8Array): Uint8Array | void {
    const end = data.indexOf(10);
    if (end < 0) {
      this.#text += decoder.decode(data);
      return;
    }
    this.#text += decoder.decode(data.subarray(0, end));
    this.finished(this.#text);
    return data.subarray(end + 1);
  }
}

/** Runs `handle` on `conn`, then closes it; a client that left is no error. */
async function serve(
  conn: Deno.Conn,
  handle: (conn: Deno.Conn) => Promise<void>,
): Promise<void> {
  try {
    await handle(conn);
  } catch {
    // The client went away.
  } finally {
    closeQuietly(conn);
  }
}

/** A raw Deno server running `handle` on its one connection. */
function rawServer(handle: (conn: Deno.Conn) => Promise<void>) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const serving = (async () => serve(await listener.accept(), handle))();
  return {
    port: listener.addr.port,
    serving,
    async [Symbol.asyncDispose]() {
      listener.close();
      await serving;
    },
  };
}

/** Reads from `conn` until `count` newlines arrived; returns the lines. */
async function readLines(conn: Deno.Conn, count: number): Promise<string[]> {
  const buffer = new Uint8Array(4096);
  let text = "";
  while (text.split("\n").length - 1 < count) {
    const n = await conn.read(buffer);
    if (n === null) break;
    text += decoder.decode(buffer.subarray(0, n));
  }
  return text.split("\n").slice(0, count);
}

Deno.test("Connection queues consumers set while one is in flight and hands each its own answer, several answers in one read", async () => {
  await using server = rawServer(async (conn) => {
    await readLines(conn, 3);
    await conn.write(encoder.encode("one\ntwo\nthree\n"));
  });
  await using connection = await connectTo(server.port);
  const consumers = [new Line(), new Line(), new Line()];
  for (const consumer of consumers) connection.setConsumer(consumer);
  assertEquals(connection.consumersInFlight, 3);
  assertEquals(connection.currentConsumer, consumers[0]);
  connection.transport!.write(encoder.encode("a\nb\nc\n"));
  const answers = await Promise.all(consumers.map((c) => c.onFinished));
  assertEquals(answers, ["one", "two", "three"]);
  assertEquals(connection.consumersInFlight, 0);
  assertEquals(connection.processed, 3);
  assertEquals(consumers.map((c) => c.bytesReceived), [14, 10, 6]);
});

Deno.test("Connection hands pipelined answers split at every byte boundary to their own consumers", async () => {
  const answers = encoder.encode("first\nsecond\nthird\n");
  for (let cut = 1; cut < answers.length; cut++) {
    await using server = rawServer(async (conn) => {
      await readLines(conn, 1);
      await conn.write(answers.subarray(0, cut));
      // Let the first part be read on its own.
      await new Promise((resolve) => setTimeout(resolve, 2));
      await conn.write(answers.subarray(cut));
      await readLines(conn, 1);
    });
    await using connection = await connectTo(server.port);
    const consumers = [new Line(), new Line(), new Line()];
    for (const consumer of consumers) connection.setConsumer(consumer);
    connection.transport!.write(encoder.encode("go\n"));
    assertEquals(
      await Promise.all(consumers.map((c) => c.onFinished)),
      ["first", "second", "third"],
      `cut at ${cut}`,
    );
    connection.transport!.write(encoder.encode("done\n"));
  }
});

Deno.test("Connection finishes every queued consumer with ConnectionClosedError when the connection is lost", async () => {
  await using server = rawServer(async (conn) => {
    await readLines(conn, 1);
    await conn.write(encoder.encode("one\ntw"));
    // Then a clean end of stream, answers two and three never sent.
  });
  await using connection = await connectTo(server.port);
  const consumers = [new Line(), new Line(), new Line()];
  for (const consumer of consumers) connection.setConsumer(consumer);
  connection.transport!.write(encoder.encode("go\n"));
  const settled = await Promise.allSettled(
    consumers.map((c) => c.onFinished),
  );
  assertEquals(settled[0], { status: "fulfilled", value: "one" });
  for (const result of settled.slice(1)) {
    assertEquals(result.status, "rejected");
    assertInstanceOf(
      (result as PromiseRejectedResult).reason,
      ConnectionClosedError,
    );
  }
  assertEquals(consumers.map((c) => c.bytesReceived), [6, 2, 0]);
  assertEquals(connection.consumersInFlight, 0);
});

Deno.test("Connection passes the cause of a reset to every queued consumer's ConnectionClosedError", async () => {
  await using connection = await (async () => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const accepted = listener.accept();
    const c = await connectTo(listener.addr.port);
    (await accepted).close();
    listener.close();
    return c;
  })();
  const consumers = [new Line(), new Line()];
  for (const consumer of consumers) connection.setConsumer(consumer);
  const cause = new Error("boom");
  connection.abort(cause);
  for (const consumer of consumers) {
    const error = await consumer.onFinished.then(() => undefined, (e) => e);
    assertInstanceOf(error, ConnectionClosedError);
    assertEquals((error as Error).cause, cause);
  }
});

/** A raw server that accepts any number of connections. */
function rawServerMany(handle: (conn: Deno.Conn) => Promise<void>) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const handlers: Promise<void>[] = [];
  const accepting = (async () => {
    try {
      for await (const conn of listener) {
        handlers.push(serve(conn, handle));
      }
    } catch {
      // Closed.
    }
  })();
  return {
    port: listener.addr.port,
    async [Symbol.asyncDispose]() {
      listener.close();
      await accepting;
      await Promise.all(handlers);
    },
  };
}

function lineClient(options: Partial<ConstructorParameters<typeof Client>[0]>) {
  return new Client({ consumerFactory: () => new Line(), ...options });
}

function line(port: number, text: string, timeout?: number): Request<string> {
  return new Request<string>({ port }, { data: `${text}\n`, timeout });
}

Deno.test("Client with poolSize 1 and pipelining 8 sends 100 concurrent requests with several in flight on one connection, each answered in order", async () => {
  let inFlight = 0;
  let most = 0;
  const seen: string[] = [];
  await using server = rawServerMany(async (conn) => {
    const buffer = new Uint8Array(4096);
    let pending = "";
    for (let n; (n = await conn.read(buffer)) !== null;) {
      pending += decoder.decode(buffer.subarray(0, n));
      const lines = pending.split("\n");
      pending = lines.pop()!;
      seen.push(...lines);
      inFlight += lines.length;
      most = Math.max(most, inFlight);
      // Answer a little later, so that more requests arrive meanwhile.
      await new Promise((resolve) => setTimeout(resolve, 2));
      await conn.write(encoder.encode(lines.map((l) => `re:${l}\n`).join("")));
      inFlight -= lines.length;
    }
  });
  await using client = lineClient({ poolSize: 1, pipelining: 8 });
  const answers = await Promise.all(
    Array.from(
      { length: 100 },
      (_, i) => client.response(line(server.port, `q${i}`)),
    ),
  );
  assertEquals(answers, Array.from({ length: 100 }, (_, i) => `re:q${i}`));
  // Written in the order they were sent.
  assertEquals(seen, Array.from({ length: 100 }, (_, i) => `q${i}`));
  assertEquals(client.sessions, 1);
  assert(most > 1, `the server saw at most ${most} in flight`);
  assert(most <= 8, `the server saw ${most} in flight`);
  assertEquals(client.requestsProcessed, 100);
});

Deno.test("Client writes the pipelined requests sent in one turn in one socket write: the server reads them all at once", async () => {
  const reads: string[] = [];
  await using server = rawServer(async (conn) => {
    const buffer = new Uint8Array(4096);
    for (let n; (n = await conn.read(buffer)) !== null;) {
      const text = decoder.decode(buffer.subarray(0, n));
      reads.push(text);
      const lines = text.split("\n").slice(0, -1);
      await conn.write(encoder.encode(lines.map((l) => `re:${l}\n`).join("")));
    }
  });
  const connections: Connection[] = [];
  await using client = lineClient({
    poolSize: 1,
    pipelining: 8,
    connectionFactory: (options) => {
      const connection = new Connection(options);
      connections.push(connection);
      return connection;
    },
  });
  // The connection is open: the next requests are all written at once.
  assertEquals(await client.response(line(server.port, "hello")), "re:hello");
  // Count the socket writes (each still goes to the socket).
  const conn = connections[0].transport!.conn;
  const write = conn.write.bind(conn);
  const writes: string[] = [];
  conn.write = (bytes) => {
    writes.push(decoder.decode(bytes));
    return write(bytes);
  };
  const answers = await Promise.all(
    Array.from(
      { length: 8 },
      (_, i) => client.response(line(server.port, `${i}`)),
    ),
  );
  assertEquals(answers, Array.from({ length: 8 }, (_, i) => `re:${i}`));
  assertEquals(writes, ["0\n1\n2\n3\n4\n5\n6\n7\n"]);
  assertEquals(reads, ["hello\n", "0\n1\n2\n3\n4\n5\n6\n7\n"]);
});

Deno.test("ConnectionPool with pipelining spreads callers over poolSize connections, then stacks them, then queues them; its counters say so", async () => {
  await using server = keepingListener();
  const pool = new ConnectionPool({
    poolSize: 2,
    pipelining: 3,
    key: "test",
    connect: (signal) => connectTo(server.port, signal),
  });
  try {
    const a = await pool.acquire();
    const b = await pool.acquire();
    assertNotStrictEquals(a, b);
    assertEquals([pool.inUse, pool.inFlight, pool.available], [2, 2, 2]);
    const stacked = [];
    for (let i = 0; i < 4; i++) stacked.push(await pool.acquire());
    assertEquals(stacked.filter((c) => c === a).length, 2);
    assertEquals(stacked.filter((c) => c === b).length, 2);
    assertEquals([pool.inUse, pool.inFlight, pool.available], [2, 6, 0]);
    assertEquals(pool.tryAcquire(), undefined);
    const waiting = pool.acquire();
    assertEquals(pool.waiting, 1);
    pool.release(a);
    assertStrictEquals(await waiting, a);
    assertEquals([pool.inFlight, pool.waiting], [6, 0]);
    for (let i = 0; i < 3; i++) pool.release(a);
    assertEquals([pool.inUse, pool.idle, pool.inFlight], [1, 1, 3]);
    // a idle, b full.
    assertEquals(pool.available, 1);
    for (let i = 0; i < 3; i++) pool.release(b);
    assertEquals([pool.inUse, pool.idle, pool.inFlight], [0, 2, 0]);
    assertEquals(pool.sessions, 2);
  } finally {
    await pool.close();
  }
});

Deno.test("Client and ConnectionPool reject a pipelining that is not an integer of 1 or more", () => {
  for (const bad of [0, 1.5, -1, NaN]) {
    assertThrows(
      () => lineClient({ pipelining: bad }),
      RangeError,
      "pipelining",
    );
    assertThrows(
      () =>
        new ConnectionPool({
          pipelining: bad,
          connect: () => Promise.reject(),
        }),
      RangeError,
      "pipelining",
    );
  }
  assertThrows(
    () => lineClient({ pipelining: "2" as unknown as number }),
    TypeError,
    "pipelining",
  );
  assertEquals(lineClient({}).pipelining, 1);
});

Deno.test("Client retries the pipelined requests that got no byte of their answer after a clean end of stream; one partly answered fails", async () => {
  let accepted = 0;
  let order: string[] = [];
  await using server = rawServerMany(async (conn) => {
    if (++accepted === 1) {
      order = await readLines(conn, 3);
      // The first answer, part of the second, then a clean end of stream.
      await conn.write(encoder.encode(`re:${order[0]}\nre:`));
      return;
    }
    const lines = await readLines(conn, 1);
    await conn.write(encoder.encode(`again:${lines[0]}\n`));
    await readLines(conn, 1);
  });
  await using client = lineClient({ poolSize: 1, pipelining: 3 });
  const texts = ["a", "b", "c"];
  const settled = await Promise.allSettled(
    texts.map((t) => client.response(line(server.port, t))),
  );
  const byText = (t: string) => settled[texts.indexOf(t)];
  assertEquals(order, texts);
  // Answered in full.
  assertEquals(byText(order[0]), {
    status: "fulfilled",
    value: `re:${order[0]}`,
  });
  // Partly answered: not retried.
  const partly = byText(order[1]);
  assertEquals(partly.status, "rejected");
  assertInstanceOf(
    (partly as PromiseRejectedResult).reason,
    ConnectionClosedError,
  );
  // Not answered at all: retried on a new connection.
  assertEquals(byText(order[2]), {
    status: "fulfilled",
    value: `again:${order[2]}`,
  });
  assertEquals(client.sessions, 2);
});

Deno.test("Client retries none of the pipelined requests after a reset", async () => {
  const peer = await startResetPeer(6);
  await using client = lineClient({
    poolSize: 1,
    pipelining: 3,
    reconnect: false,
  });
  const settled = await Promise.allSettled(
    ["a", "b", "c"].map((t) => client.response(line(peer.port, t))),
  );
  for (const result of settled) {
    assertEquals(result.status, "rejected");
    assertInstanceOf(
      (result as PromiseRejectedResult).reason,
      ConnectionClosedError,
    );
  }
  assertEquals(client.sessions, 1);
  await peer.done;
});

Deno.test("Client closes the connection of a pipelined request that timed out: the one behind fails with ConnectionClosedError and never gets the late answer", async () => {
  let accepted = 0;
  await using server = rawServerMany(async (conn) => {
    if (++accepted === 1) {
      await readLines(conn, 2);
      // Both answers, long after the first request timed out.
      await new Promise((resolve) => setTimeout(resolve, 300));
      await conn.write(encoder.encode("late-a\nlate-b\n"));
      await readLines(conn, 1);
      return;
    }
    const lines = await readLines(conn, 1);
    await conn.write(encoder.encode(`fresh:${lines[0]}\n`));
    await readLines(conn, 1);
  });
  await using client = lineClient({ poolSize: 1, pipelining: 2 });
  const first = client.response(line(server.port, "a", 50));
  const second = client.response(line(server.port, "b"));
  await assertRejects(() => first, TimeoutError);
  const error = await assertRejects(() => second, ConnectionClosedError);
  assertInstanceOf(error.cause, TimeoutError);
  // The next request gets a new connection and its own answer.
  assertEquals(await client.response(line(server.port, "c")), "fresh:c");
  assertEquals(client.sessions, 2);
});

Deno.test("Client never writes a pipelined request aborted while it waited for a connection", async () => {
  const received: string[] = [];
  const release = Promise.withResolvers<void>();
  await using server = rawServerMany(async (conn) => {
    const first = await readLines(conn, 2);
    received.push(...first);
    await release.promise;
    await conn.write(encoder.encode(first.map((l) => `re:${l}\n`).join("")));
    // Anything more would be the aborted request.
    const buffer = new Uint8Array(64);
    const n = await conn.read(buffer);
    if (n !== null) received.push(decoder.decode(buffer.subarray(0, n)));
  });
  const client = lineClient({ poolSize: 1, pipelining: 2 });
  try {
    const a = client.response(line(server.port, "a"));
    const b = client.response(line(server.port, "b"));
    await waitFor(() => received.length === 2);
    const controller = new AbortController();
    const c = client.response(
      new Request<string>({ port: server.port }, {
        data: "c\n",
        signal: controller.signal,
      }),
    );
    const [pool] = client.connectionPools.values();
    assertEquals([pool.waiting, pool.inFlight], [1, 2]);
    controller.abort(new Error("no longer wanted"));
    await assertRejects(() => c, Error, "no longer wanted");
    release.resolve();
    assertEquals([await a, await b], ["re:a", "re:b"]);
  } finally {
    release.resolve();
    await client.close();
  }
  assertEquals(received.sort(), ["a", "b"]);
});

/** A line consumer that finds "bad" a broken stream. */
class StrictLine extends Line {
  override finished(result?: string, error?: unknown): void {
    if (result === "bad") {
      super.finished(undefined, new ProtocolError('Not an answer: "bad"'));
    } else super.finished(result, error);
  }
}

/** A client with one connection and two requests in flight on it. */
function strictPipelinedClient(): Client {
  return new Client({
    consumerFactory: () => new StrictLine(),
    poolSize: 1,
    pipelining: 2,
  });
}

/**
 * Sends "a" and "b" pipelined; the server breaks the first answer: the first
 * fails with a `ProtocolError`, the second with `ConnectionClosedError`
 * caused by it.
 */
async function assertBrokenPair(client: Client, port: number): Promise<void> {
  const first = client.response(line(port, "a"));
  const second = client.response(line(port, "b"));
  await assertRejects(() => first, ProtocolError);
  const error = await assertRejects(() => second, ConnectionClosedError);
  assertInstanceOf(error.cause, ProtocolError);
}

Deno.test("Client closes the connection of a pipelined request whose consumer found the stream broken: the one behind fails with ConnectionClosedError, the ProtocolError as cause", async () => {
  await using server = rawServerMany(async (conn) => {
    await readLines(conn, 2);
    await conn.write(encoder.encode("bad\n"));
    await new Promise((resolve) => setTimeout(resolve, 50));
    try {
      await conn.write(encoder.encode("ok\n"));
    } catch {
      // The client closed the connection.
    }
  });
  await using client = strictPipelinedClient();
  await assertBrokenPair(client, server.port);
  assertEquals(client.sessions, 1);
});

Deno.test("Client never hands the answer after a broken one, read at once, to the pipelined request behind it", async () => {
  await using server = rawServerMany(async (conn) => {
    await readLines(conn, 2);
    // Both in one write: "ok" must not reach the second request.
    await conn.write(encoder.encode("bad\nok\n"));
    await readLines(conn, 1);
  });
  await using client = strictPipelinedClient();
  await assertBrokenPair(client, server.port);
});
