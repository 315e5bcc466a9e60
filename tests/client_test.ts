// Copyright 2026 the pulsar for Deno authors. MIT license.
import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertRejects,
} from "@std/assert";
import { Client } from "../clients/client.ts";
import { Request } from "../clients/request.ts";
import { ConnectionClosedError, TimeoutError } from "../errors.ts";
import type { Connection } from "../protocols/connection.ts";
import type { ProtocolConsumer } from "../protocols/protocol_consumer.ts";
import { EchoClient, EchoServerConsumer } from "../examples/echo/echo.ts";
import {
  decoder,
  encoder,
  startEchoServer,
  startResetPeer,
  waitFor,
} from "./_helpers.ts";

function counters(client: Client<Uint8Array>) {
  return {
    inUse: client.concurrentConnections,
    available: client.availableConnections,
    sessions: client.sessions,
    requestsProcessed: client.requestsProcessed,
  };
}

Deno.test("Client with poolSize 2 follows pulsar's pool table row by row", async () => {
  await using server = await startEchoServer();
  await using client = new EchoClient({ port: server.port }, { poolSize: 2 });
  // new client
  assertEquals(counters(client), {
    inUse: 0,
    available: 0,
    sessions: 0,
    requestsProcessed: 0,
  });
  // one request
  await client.request("one");
  assertEquals(counters(client), {
    inUse: 0,
    available: 1,
    sessions: 1,
    requestsProcessed: 1,
  });
  // a second request
  await client.request("two");
  assertEquals(counters(client), {
    inUse: 0,
    available: 1,
    sessions: 1,
    requestsProcessed: 2,
  });
  // three requests at once
  await Promise.all(["a", "b", "c"].map((m) => client.request(m)));
  assertEquals(counters(client), {
    inUse: 0,
    available: 2,
    sessions: 2,
    requestsProcessed: 5,
  });
  // one idle connection closed by the server, then three at once
  const [victim] = server.connections;
  victim.close();
  await waitFor(() => client.availableConnections === 1);
  await Promise.all(["d", "e", "f"].map((m) => client.request(m)));
  assertEquals(counters(client), {
    inUse: 0,
    available: 2,
    sessions: 3,
    requestsProcessed: 8,
  });
  // close()
  await client.close();
  assertEquals(counters(client), {
    inUse: 0,
    available: 0,
    sessions: 3,
    requestsProcessed: 8,
  });
});

Deno.test("Client.response() retries once on a new connection when a pooled one was closed before any response byte", async () => {
  await using server = await startEchoServer();
  await using client = new EchoClient({ port: server.port }, { poolSize: 1 });
  await client.request("warm");
  // The server closes the idle connection; the client has not noticed yet
  // when the next request is written on it.
  const [connection] = server.connections;
  const [pool] = client.connectionPools.values();
  const request = client.request("after close");
  connection.close();
  assertEquals(decoder.decode(await request), "after close");
  assert(pool.sessions >= 1 && pool.sessions <= 2);
  assertEquals(client.requestsProcessed, 2);
});

Deno.test("Client.response() does not retry a request whose connection was reset", async () => {
  const peer = await startResetPeer(4);
  await using client = new EchoClient({ port: peer.port });
  const error = await assertRejects(
    () => client.request("boom"),
    ConnectionClosedError,
  );
  assertInstanceOf(error.cause, Deno.errors.ConnectionReset);
  assertEquals(
    error.message,
    `Connection to 127.0.0.1:${peer.port} lost: reset by peer`,
  );
  await peer.done;
  assertEquals(client.sessions, 1);
});

Deno.test("Client.response() fails with TimeoutError when the response is late", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept();
  await using client = new EchoClient({ port: listener.addr.port });
  await assertRejects(
    () => client.request("hello", { timeout: 50 }),
    TimeoutError,
    `Request to tcp://127.0.0.1:${listener.addr.port}?timeout=50 timed out after 50 ms`,
  );
  assertEquals(client.concurrentConnections, 0);
  assertEquals(client.availableConnections, 0);
  (await accepted).close();
});

Deno.test("Client.response() rejects with the signal's reason when aborted", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept();
  await using client = new EchoClient({ port: listener.addr.port });
  const controller = new AbortController();
  const request = client.request("hello", { signal: controller.signal });
  setTimeout(() => controller.abort(new Error("changed my mind")), 20);
  await assertRejects(() => request, Error, "changed my mind");
  (await accepted).close();
});

Deno.test("Client.response() fails in-flight requests with ConnectionClosedError on close()", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept();
  const client = new EchoClient({ port: listener.addr.port });
  const request = client.request("never answered");
  await waitFor(() => client.concurrentConnections === 1);
  await client.close();
  await assertRejects(() => request, ConnectionClosedError);
  await assertRejects(
    () => client.request("late"),
    ConnectionClosedError,
    "client is closed",
  );
  (await accepted).close();
});

Deno.test("Client hooks and per-request events reach every consumer and connection", async () => {
  await using server = await startEchoServer();
  await using client = new EchoClient({ port: server.port }, { poolSize: 2 });
  const counts = { made: 0, pre: 0, post: 0, data: 0, processed: 0 };
  client.bindEvent("connectionMade", () => counts.made++);
  client.bindEvent("preRequest", () => counts.pre++);
  client.bindEvent("postRequest", () => counts.post++);
  client.bindEvent("dataReceived", () => counts.data++);
  client.bindEvent("dataProcessed", () => counts.processed++);
  const finished = client.event("finish").waiter();
  await Promise.all(["a", "b", "c", "d"].map((m) => client.request(m)));
  assertEquals(counts.made, 2);
  assertEquals(counts.pre, 4);
  assertEquals(counts.post, 4);
  assert(counts.data >= 4);
  assertEquals(counts.data, counts.processed);

  const seen: string[] = [];
  await client.response(
    new Request({ port: server.port }, {
      data: encoder.encode("x\r\n\r\n"),
      events: {
        preRequest: (consumer: ProtocolConsumer) =>
          seen.push(`pre ${consumer.hasFinished}`),
        postRequest: (_consumer, result) =>
          seen.push(`post ${decoder.decode(result as Uint8Array)}`),
      },
    }),
  );
  assertEquals(seen, ["pre false", "post x"]);
  await client.close();
  assertEquals(await finished, client);
});

Deno.test("Client.request() throws in the base class", async () => {
  await using client = new Client({
    consumerFactory: () => new EchoServerConsumer(),
  });
  await assertRejects(
    () => client.request(),
    TypeError,
    "a subclass implements request()",
  );
});

Deno.test("Client.response() keeps the connection checked out when releaseConnection is false", async () => {
  await using server = await startEchoServer();
  await using client = new EchoClient({ port: server.port });
  let held: ProtocolConsumer | undefined;
  const request = new Request({ port: server.port }, {
    data: encoder.encode("mine\r\n\r\n"),
    releaseConnection: false,
    events: { preRequest: (consumer) => held = consumer },
  });
  assertEquals(decoder.decode(await client.response(request)), "mine");
  const pool = client.connectionPools.get(request.key)!;
  assertEquals(pool.inUse, 1);
  assertEquals(pool.available, 0);
  pool.release(held!.connection as Connection);
  assertEquals(pool.inUse, 0);
  assertEquals(pool.available, 1);
});
