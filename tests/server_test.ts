// Copyright 2026 the pulsar for Deno authors. MIT license.
import {
  assert,
  assertEquals,
  assertFalse,
  assertInstanceOf,
  assertRejects,
} from "@std/assert";
import {
  ConnectionClosedError,
  type ErrorReport,
  TimeoutError,
} from "../errors.ts";
import { DatagramServer } from "../producers/datagram_server.ts";
import { Server } from "../producers/server.ts";
import { DatagramProtocol } from "../protocols/datagram_protocol.ts";
import { ProtocolConsumer } from "../protocols/protocol_consumer.ts";
import { echo, EchoConsumer, startEchoServer } from "./_fixtures.ts";
import { decoder, encoder, readAll, waitFor } from "./_helpers.ts";

async function dial(server: Server): Promise<Deno.TcpConn> {
  return await Deno.connect({ hostname: "127.0.0.1", port: server.port });
}

/** Answers after `delay` ms; never, if `delay` is negative. */
class Slow extends ProtocolConsumer {
  static delay = 100;
  override dataReceived(data: Uint8Array): void {
    const delay = Slow.delay;
    if (delay < 0) return;
    setTimeout(() => {
      if (this.hasFinished) return;
      this.transport!.write(data);
      this.finished();
    }, delay);
  }
}

Deno.test("Server.start() listens on a free port and fires start once", async () => {
  const server = new Server({
    consumerFactory: () => new EchoConsumer(),
    name: "test",
  });
  let starts = 0;
  server.bindEvent("start", () => starts++);
  await server.start();
  await server.start();
  assertEquals(starts, 1);
  assert(server.port > 0);
  assertEquals((server.localAddr as Deno.NetAddr).hostname, "127.0.0.1");
  assert(server.accepting);
  using conn = await dial(server);
  assertEquals(await echo(conn, "hi"), "hi\r\n\r\n");
  await server.close();
  await assertRejects(() => server.start(), Error, "Cannot start test");
});

Deno.test("Server counts sessions, requests and live connections", async () => {
  await using server = await startEchoServer();
  const first = await dial(server);
  const second = await dial(server);
  await echo(first, "a");
  await echo(first, "b");
  await echo(second, "c");
  assertEquals(server.sessions, 2);
  assertEquals(server.requestsProcessed, 3);
  assertEquals(server.concurrentConnections, 2);
  assertEquals([...server.connections].map((c) => c.session), [1, 2]);
  first.close();
  await waitFor(() => server.concurrentConnections === 1);
  assertEquals(server.requestsProcessed, 3);
  second.close();
  await waitFor(() => server.concurrentConnections === 0);
});

Deno.test("Server idleTimeout closes an idle connection", async () => {
  await using server = await startEchoServer({ idleTimeout: 50 });
  using conn = await dial(server);
  assertEquals(await echo(conn, "still here"), "still here\r\n\r\n");
  const started = performance.now();
  assertEquals((await readAll(conn)).length, 0);
  assert(performance.now() - started >= 40);
  await waitFor(() => server.concurrentConnections === 0);
});

Deno.test("Server maxConnections stops accepting at the cap, keeps serving, and resumes when a connection ends", async () => {
  await using server = await startEchoServer({ maxConnections: 2 });
  const first = await dial(server);
  const second = await dial(server);
  assertEquals(await echo(first, "1"), "1\r\n\r\n");
  assertEquals(await echo(second, "2"), "2\r\n\r\n");
  assertEquals(server.concurrentConnections, 2);
  assertFalse(server.accepting);
  // The third connects at the TCP level (backlog) but is not served yet.
  const third = await dial(server);
  const reply = echo(third, "3");
  await new Promise((r) => setTimeout(r, 50));
  assertEquals(server.concurrentConnections, 2);
  assertEquals(server.sessions, 2);
  // Still serving the connections it has.
  assertEquals(await echo(first, "again"), "again\r\n\r\n");
  first.close();
  assertEquals(await reply, "3\r\n\r\n");
  assertEquals(server.sessions, 3);
  assertFalse(server.accepting);
  second.close();
  await waitFor(() => server.accepting);
  third.close();
});

Deno.test("Server.close() lets a slow in-flight request finish, closes idle connections at once, then fires stop", async () => {
  Slow.delay = 100;
  const server = await startEchoServer({ consumerFactory: () => new Slow() });
  const idle = await dial(server);
  const busy = await dial(server);
  await idle.write(encoder.encode("x"));
  await waitFor(() => server.requestsProcessed === 0 && server.sessions === 2);
  await new Promise((r) => setTimeout(r, 150)); // idle's request answered
  await busy.write(encoder.encode("slow"));
  await waitFor(() =>
    [...server.connections].some((c) =>
      c.currentConsumer !== undefined && c.bytesReceived === 4
    )
  );
  let stops = 0;
  server.bindEvent("stop", () => stops++);
  const closing = server.close({ gracePeriod: 2000 });
  assertEquals(server.close(), closing);
  assertEquals(decoder.decode(await readAll(idle)), "x");
  assertEquals(decoder.decode(await readAll(busy)), "slow");
  await closing;
  assertEquals(stops, 1);
  assertEquals(server.concurrentConnections, 0);
  assertEquals(server.requestsProcessed, 2);
  idle.close();
  busy.close();
});

Deno.test("Server.close() aborts requests still in flight after its timeout", async () => {
  Slow.delay = -1;
  const server = await startEchoServer({ consumerFactory: () => new Slow() });
  const consumers: ProtocolConsumer[] = [];
  server.bindEvent("preRequest", (consumer) => consumers.push(consumer));
  const conn = await dial(server);
  await conn.write(encoder.encode("never answered"));
  await waitFor(() => consumers.length === 1);
  const failed = consumers[0].onFinished.catch((error) => error);
  await server.close({ gracePeriod: 50 });
  const error = await failed as ConnectionClosedError;
  assertInstanceOf(error, ConnectionClosedError);
  assertInstanceOf(error.cause, TimeoutError);
  assertEquals(
    (error.cause as TimeoutError).message,
    "Server server closed with requests still in flight after 50 ms",
  );
  assertEquals((await readAll(conn)).length, 0);
  conn.close();
});

Deno.test("Server hooks reach every connection and consumer it creates", async () => {
  await using server = await startEchoServer();
  const counts: Record<string, number> = {};
  const count = (name: string) => () => {
    counts[name] = (counts[name] ?? 0) + 1;
  };
  for (const name of server.eventNames.manyTimes) {
    server.bindEvent(name, count(name));
  }
  const conns = [await dial(server), await dial(server)];
  for (const conn of conns) {
    await echo(conn, "one");
    await echo(conn, "two");
  }
  for (const conn of conns) conn.close();
  await waitFor(() => server.concurrentConnections === 0);
  assertEquals(counts.connectionMade, 2);
  assertEquals(counts.connectionLost, 2);
  assertEquals(counts.preRequest, 4);
  assertEquals(counts.postRequest, 4);
  assertEquals(counts.dataReceived, counts.dataProcessed);
  assert(counts.dataReceived >= 4);
});

Deno.test("Server hooks see the consumer that handled the request and its result, the echoed length", async () => {
  await using server = await startEchoServer();
  const results: unknown[] = [];
  server.bindEvent("postRequest", (consumer, result) => {
    assert(consumer instanceof EchoConsumer);
    results.push(result);
  });
  using conn = await dial(server);
  await echo(conn, "ciao");
  await echo(conn, "luca!");
  assertEquals(results, [8, 9]);
});

Deno.test("Server closes a connection whose message exceeds the maximum size, reports it to onError, and serves others", async () => {
  const reports: ErrorReport[] = [];
  await using server = await startEchoServer({
    consumerFactory: () => new EchoConsumer(1024),
    onError: (report) => reports.push(report),
  });
  const lost: (Error | undefined)[] = [];
  server.bindEvent("connectionLost", (_connection, error) => lost.push(error));
  const good = await dial(server);
  const bad = await dial(server);
  await bad.write(new Uint8Array(2048).fill(65));
  assertEquals((await readAll(bad)).length, 0);
  await waitFor(() => lost.length === 1);
  assertEquals(lost[0]?.name, "ProtocolError");
  assert(lost[0]?.message.includes("exceeds the maximum size of 1024 bytes"));
  assertEquals(reports.map((r) => [r.source, r.error]), [
    ["dataReceived", lost[0]],
  ]);
  assertEquals(await echo(good, "fine"), "fine\r\n\r\n");
  good.close();
  bad.close();
});

Deno.test("DatagramServer fires start and stop once and closes idempotently", async () => {
  const server = new DatagramServer({
    protocolFactory: () => new DatagramProtocol(),
  });
  const events: string[] = [];
  server.bindEvent("start", () => events.push("start"));
  server.bindEvent("stop", () => events.push("stop"));
  await server.start();
  assert(server.localAddr.port > 0);
  const closing = server.close();
  assertEquals(server.close(), closing);
  await closing;
  assertEquals(events, ["start", "stop"]);
});
