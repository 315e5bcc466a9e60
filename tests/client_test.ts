// Copyright 2026 the pulsar for Deno authors. MIT license.
import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertRejects,
} from "@std/assert";
import { Client } from "../clients/client.ts";
import { Request } from "../clients/request.ts";
import {
  ConnectionClosedError,
  ConnectionRefusedError,
  TimeoutError,
} from "../errors.ts";
import type { Connection } from "../protocols/connection.ts";
import type { ProtocolConsumer } from "../protocols/protocol_consumer.ts";
import {
  EchoConsumer,
  ReplyConsumer,
  startEchoServer,
  TestClient,
} from "./_fixtures.ts";
import {
  certs,
  decoder,
  encoder,
  pattern,
  startResetPeer,
  waitFor,
} from "./_helpers.ts";

/** The pool table's columns: in use, idle, sessions, requests processed. */
function counters(client: Client): number[] {
  return [
    client.connectionsInUse,
    client.idleConnections,
    client.sessions,
    client.requestsProcessed,
  ];
}

Deno.test("Client with poolSize 2 follows pulsar's pool table row by row", async () => {
  await using server = await startEchoServer();
  await using client = new TestClient({ port: server.port }, { poolSize: 2 });
  // new client
  assertEquals(counters(client), [0, 0, 0, 0]);
  // one request
  await client.request("one");
  assertEquals(counters(client), [0, 1, 1, 1]);
  // a second request
  await client.request("two");
  assertEquals(counters(client), [0, 1, 1, 2]);
  // three requests at once
  await Promise.all(["a", "b", "c"].map((m) => client.request(m)));
  assertEquals(counters(client), [0, 2, 2, 5]);
  // one idle connection closed by the server, then three at once
  const [victim] = server.connections;
  victim.close();
  await waitFor(() => client.idleConnections === 1);
  await Promise.all(["d", "e", "f"].map((m) => client.request(m)));
  assertEquals(counters(client), [0, 2, 3, 8]);
  // close()
  await client.close();
  assertEquals(counters(client), [0, 0, 3, 8]);
});

/** Serves one request per connection, then closes the next unanswered. */
class OncePerConnection extends EchoConsumer {
  override dataReceived(data: Uint8Array): Uint8Array | void {
    if ((this.connection as Connection).processed >= 1) {
      this.transport!.close();
      return;
    }
    return super.dataReceived(data);
  }
}

Deno.test("Client.response() retries on a new connection when a pooled one closes before any response byte", async () => {
  await using server = await startEchoServer({
    consumerFactory: () => new OncePerConnection(),
  });
  await using client = new TestClient({ port: server.port }, { poolSize: 1 });
  assertEquals(decoder.decode(await client.request("first")), "first");
  // Written on the pooled connection, which the server closes unanswered.
  assertEquals(decoder.decode(await client.request("second")), "second");
  assertEquals(client.sessions, 2);
  assertEquals(server.sessions, 2);
  assertEquals(client.requestsProcessed, 2);
});

Deno.test("Client.response() with maxReconnect 0 fails a request whose pooled connection closed unanswered", async () => {
  await using server = await startEchoServer({
    consumerFactory: () => new OncePerConnection(),
  });
  await using client = new TestClient({ port: server.port }, {
    poolSize: 1,
    maxReconnect: 0,
  });
  await client.request("first");
  const error = await assertRejects(
    () => client.request("second"),
    ConnectionClosedError,
    "closed before the exchange finished",
  );
  assertEquals(error.cause, undefined);
});

Deno.test("Client.response() does not retry a request whose connection was reset", async () => {
  const peer = await startResetPeer(4);
  await using client = new TestClient({ port: peer.port });
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
  await using client = new TestClient({ port: listener.addr.port });
  await assertRejects(
    () => client.request("hello", { timeout: 50 }),
    TimeoutError,
    `Request to tcp://127.0.0.1:${listener.addr.port} timed out after 50 ms`,
  );
  assertEquals(client.connectionsInUse, 0);
  assertEquals(client.idleConnections, 0);
  (await accepted).close();
});

Deno.test("Client.response() rejects with the signal's reason when aborted", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept();
  await using client = new TestClient({ port: listener.addr.port });
  const controller = new AbortController();
  const request = client.request("hello", { signal: controller.signal });
  setTimeout(() => controller.abort(new Error("changed my mind")), 20);
  await assertRejects(() => request, Error, "changed my mind");
  (await accepted).close();
});

Deno.test("Client.response() fails in-flight requests with ConnectionClosedError on close()", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept();
  const client = new TestClient({ port: listener.addr.port });
  const request = client.request("never answered");
  await waitFor(() => client.connectionsInUse === 1);
  await client.close();
  await assertRejects(
    () => request,
    ConnectionClosedError,
    "closed: the pool was closed",
  );
  await assertRejects(
    () => client.request("late"),
    ConnectionClosedError,
    "client is closed",
  );
  (await accepted).close();
});

Deno.test("Client hooks and per-request events reach every consumer and connection", async () => {
  await using server = await startEchoServer();
  await using client = new TestClient({ port: server.port }, { poolSize: 2 });
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
    consumerFactory: () => new ReplyConsumer(),
  });
  await assertRejects(
    () => client.request(),
    TypeError,
    "a subclass implements request()",
  );
});

Deno.test("Client.response() keeps the connection checked out when releaseConnection is false", async () => {
  await using server = await startEchoServer();
  await using client = new TestClient({ port: server.port });
  let held: ProtocolConsumer | undefined;
  const request = new Request<Uint8Array>({ port: server.port }, {
    data: encoder.encode("mine\r\n\r\n"),
    releaseConnection: false,
    events: { preRequest: (consumer) => held = consumer },
  });
  assertEquals(decoder.decode(await client.response(request)), "mine");
  const pool = client.connectionPools.get(request.key)!;
  assertEquals(pool.inUse, 1);
  assertEquals(pool.idle, 0);
  pool.release(held!.connection as Connection);
  assertEquals(pool.inUse, 0);
  assertEquals(pool.idle, 1);
});

Deno.test("Client.response() to a refused port fails with ConnectionRefusedError, and leaves no pool behind", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  await using client = new TestClient({ port });
  for (let i = 0; i < 2; i++) {
    const error = await assertRejects(
      () => client.request("hello"),
      ConnectionRefusedError,
      `Cannot connect to 127.0.0.1:${port}: connection refused`,
    );
    assertInstanceOf(error.cause, Deno.errors.ConnectionRefused);
  }
  assertEquals(client.connectionPools.size, 0);
  assertEquals(client.sessions, 0);
  assertEquals(client.connectionsInUse, 0);
  assertEquals(client.idleConnections, 0);
});

Deno.test("Client.response() gets a short and a 100 kB reply back over TLS", async () => {
  await using server = await startEchoServer({ tls: certs });
  await using client = new TestClient({
    hostname: "localhost",
    port: server.port,
  });
  const tls = { caCerts: [certs.ca] };
  const secret = await client.request("secret", { tls });
  assertEquals(decoder.decode(secret), "secret");
  const data = pattern(100_000);
  assertEquals(await client.request(data, { tls }), data);
  assertEquals(client.sessions, 1);
});

Deno.test("Client.response() gets a reply back over a Unix socket", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/echo.sock`;
    await using _server = await startEchoServer({ path });
    await using client = new TestClient({ path });
    assertEquals(decoder.decode(await client.request("unix")), "unix");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
