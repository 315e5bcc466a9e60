// Copyright 2026 the pulsar for Deno authors. MIT license.
// Client pipelining: several consumers in flight on one connection.
import { assertEquals, assertInstanceOf } from "@std/assert";
import { ConnectionClosedError } from "../errors.ts";
import { Connection } from "../protocols/connection.ts";
import { ProtocolConsumer } from "../protocols/protocol_consumer.ts";
import { connect } from "../transports/connect.ts";
import { decoder, encoder } from "./_helpers.ts";

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

/** A raw Deno server running `handle` on its one connection. */
function rawServer(handle: (conn: Deno.Conn) => Promise<void>) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const serving = (async () => {
    const conn = await listener.accept();
    try {
      await handle(conn);
    } catch {
      // The client went away.
    } finally {
      try {
        conn.close();
      } catch {
        // Closed by the handler.
      }
    }
  })();
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

async function connectTo(port: number): Promise<Connection> {
  const [, connection] = await connect(() => new Connection(), { port });
  return connection;
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
