// Copyright 2026 the pulsar for Deno authors. MIT license.
// Faults, overload and hostile input: peers that vanish, flood, stall or
// send garbage, and servers that restart. Real sockets and processes,
// loopback only. The heavy scenarios are in tests/stress/stress.ts.
import {
  assert,
  assertEquals,
  assertGreater,
  assertInstanceOf,
  assertLess,
  assertRejects,
} from "@std/assert";
import {
  ConnectionClosedError,
  type ErrorReport,
  TlsError,
} from "../errors.ts";
import {
  DelayedEchoConsumer,
  EchoConsumer,
  ReplyConsumer,
  startEchoServer,
  TestClient,
} from "./_fixtures.ts";
import {
  certs,
  concat,
  decoder,
  encoder,
  readAll,
  rssKiB,
  seeded,
  startDeno,
  startResetPeer,
  waitFor,
} from "./_helpers.ts";

async function python(args: string[]): Promise<void> {
  const script = new URL(`./peers/${args[0]}`, import.meta.url).pathname;
  const { success } = await new Deno.Command("python3", {
    args: [script, ...args.slice(1)],
  }).output();
  assert(success, `${args[0]} failed`);
}

Deno.test("Server: a client reset mid-request fails that request with a typed error; other connections keep working", async () => {
  await using server = await startEchoServer();
  await using client = new TestClient({ port: server.port });
  const failures: unknown[] = [];
  server.bindEvent("postRequest", (_consumer, _result, error) => {
    if (error !== undefined) failures.push(error);
  });
  assertEquals(decoder.decode(await client.request("before")), "before");
  await python(["reset_client.py", String(server.port), "half a message"]);
  await waitFor(() => failures.length === 1);
  const error = failures[0] as ConnectionClosedError;
  assertInstanceOf(error, ConnectionClosedError);
  assertInstanceOf(error.cause, Deno.errors.ConnectionReset);
  assertEquals(decoder.decode(await client.request("after")), "after");
  assertEquals(server.concurrentConnections, 1);
});

Deno.test("Client: a server reset mid-request fails that request with a typed error; other pools keep working", async () => {
  await using server = await startEchoServer();
  const peer = await startResetPeer(4);
  await using healthy = new TestClient({ port: server.port });
  await using doomed = new TestClient({ port: peer.port });
  const [failed, ok] = await Promise.allSettled([
    doomed.request("boom"),
    healthy.request("fine"),
  ]);
  await peer.done;
  assertEquals(failed.status, "rejected");
  const error = (failed as PromiseRejectedResult).reason;
  assertInstanceOf(error, ConnectionClosedError);
  assertInstanceOf((error as Error).cause, Deno.errors.ConnectionReset);
  assertEquals(ok.status, "fulfilled");
  assertEquals(
    decoder.decode((ok as PromiseFulfilledResult<Uint8Array>).value),
    "fine",
  );
  assertEquals(decoder.decode(await healthy.request("again")), "again");
});

Deno.test("Client recovers when its server is killed with SIGKILL and restarts on the same port", async () => {
  const script = new URL("./peers/echo_server.ts", import.meta.url).pathname;
  const first = await startDeno([script, "0"]);
  const port = first.port;
  await using client = new TestClient({ port }, { poolSize: 4 });
  // Four connections, then two requests in flight on two of them.
  await Promise.all(["a", "b", "c", "d"].map((m) => client.request(m)));
  assertEquals(client.idleConnections, 4);
  const inFlight = ["slow:1", "slow:2"].map((m) =>
    client.request(m).catch((error) => error)
  );
  await waitFor(() => client.connectionsInUse === 2);
  assertEquals(client.idleConnections, 2);
  await first.stop();
  for (const error of await Promise.all(inFlight)) {
    assertInstanceOf(error, ConnectionClosedError);
  }
  await waitFor(() => client.idleConnections === 0);

  const second = await startDeno([script, String(port)]);
  try {
    const replies = await Promise.all(
      ["x", "y", "z"].map((m) => client.request(m)),
    );
    assertEquals(replies.map((r) => decoder.decode(r)), ["x", "y", "z"]);
  } finally {
    await second.stop();
  }
});

Deno.test("Client reconnects with backoff to a server that comes back within the request's timeout", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  await using client = new TestClient({ port }, {
    timeout: 5000,
    reconnect: { maxAttempts: 20, minTimeout: 20, maxTimeout: 100 },
  });
  const request = client.request("patience");
  await new Promise((r) => setTimeout(r, 150)); // refused a few times
  await using _server = await startEchoServer({ port });
  assertEquals(decoder.decode(await request), "patience");
});

Deno.test("Server idleTimeout closes silent and slow clients while others are served as usual", async () => {
  await using server = await startEchoServer({ idleTimeout: 300 });
  await using client = new TestClient({ port: server.port });
  const silent = await Promise.all(
    Array.from(
      { length: 20 },
      () => Deno.connect({ hostname: "127.0.0.1", port: server.port }),
    ),
  );
  const slow = await Promise.all(
    Array.from(
      { length: 20 },
      () => Deno.connect({ hostname: "127.0.0.1", port: server.port }),
    ),
  );
  // Slow clients send one byte a second (or try to).
  const slowSenders = slow.map(async (conn) => {
    for (let i = 0; i < 3; i++) {
      try {
        await conn.write(encoder.encode("x"));
      } catch {
        return;
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  });
  const started = performance.now();
  let worst = 0;
  let served = 0;
  while (performance.now() - started < 800) {
    const t = performance.now();
    assertEquals(decoder.decode(await client.request("ping")), "ping");
    worst = Math.max(worst, performance.now() - t);
    served++;
  }
  const closed = await Promise.all(
    [...silent, ...slow].map(async (conn) => (await readAll(conn)).length),
  );
  // Closed by the server, having read nothing: silent ones sent nothing,
  // slow ones never finished a message.
  assertEquals(closed, new Array(40).fill(0));
  for (const conn of [...silent, ...slow]) conn.close();
  await Promise.all(slowSenders);
  assertGreater(served, 100);
  // Generous: the point is that nobody waits behind the stalled peers.
  assertLess(worst, 250, `worst request took ${worst.toFixed(1)} ms`);
  await waitFor(() => server.concurrentConnections === 1);
});

Deno.test("Server memory stays bounded under a client that writes without reading; every reply arrives in order once it reads", async () => {
  const script = new URL("./peers/echo_server.ts", import.meta.url).pathname;
  const { child, port, stop } = await startDeno([script, "0"]);
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    const MESSAGE = 64 * 1024;
    const COUNT = 512; // 32 MiB of requests
    const message = (i: number) => {
      const bytes = new Uint8Array(MESSAGE).fill(97 + (i % 26));
      bytes.set(encoder.encode("\r\n\r\n"), MESSAGE - 4);
      return bytes;
    };
    await new Promise((r) => setTimeout(r, 200));
    const baseline = rssKiB(child.pid);
    let written = 0;
    const writer = (async () => {
      for (let i = 0; i < COUNT; i++) {
        const bytes = message(i);
        let offset = 0;
        while (offset < bytes.length) {
          offset += await conn.write(bytes.subarray(offset));
        }
        written++;
      }
    })();
    // The writer stalls once the kernel buffers and the server's limits
    // fill up; the server's memory meanwhile:
    let peak = baseline;
    for (let i = 0; i < 20; i++) {
      await new Promise((r) => setTimeout(r, 50));
      peak = Math.max(peak, rssKiB(child.pid));
    }
    assertLess(written, COUNT, "the server should push back");
    const growth = (peak - baseline) / 1024;
    console.log(
      `wrote ${written} of ${COUNT} messages before reading; server RSS ` +
        `grew ${growth.toFixed(1)} MiB`,
    );
    assertLess(growth, 48);
    // Now read: every reply arrives, in order.
    const buf = new Uint8Array(256 * 1024);
    let received = 0;
    while (received < COUNT * MESSAGE) {
      const n = await conn.read(buf);
      if (n === null) throw new Error("The server closed early");
      for (let j = 0; j < n; j++) {
        const offset = received + j;
        const index = Math.floor(offset / MESSAGE);
        const within = offset % MESSAGE;
        const expected = within >= MESSAGE - 4
          ? encoder.encode("\r\n\r\n")[within - (MESSAGE - 4)]
          : 97 + (index % 26);
        if (buf[j] !== expected) {
          throw new Error(`Byte ${offset} is ${buf[j]}, not ${expected}`);
        }
      }
      received += n;
    }
    await writer;
    assertEquals(received, COUNT * MESSAGE);
    conn.close();
  } finally {
    await stop();
  }
});

Deno.test("Server closes a connection whose message has no separator within the maximum size, and serves others", async () => {
  const reports: ErrorReport[] = [];
  await using server = await startEchoServer({
    consumerFactory: () => new EchoConsumer(1024 * 1024),
    onError: (report) => reports.push(report),
  });
  await using client = new TestClient({ port: server.port });
  const lost: (Error | undefined)[] = [];
  server.bindEvent("connectionLost", (_c, error) => lost.push(error));
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  const reading = readAll(conn).catch(() => new Uint8Array(0));
  try {
    const chunk = new Uint8Array(64 * 1024).fill(120);
    for (let i = 0; i < 32; i++) await conn.write(chunk); // 2 MiB, no separator
  } catch {
    // The server closed the connection: expected.
  }
  const echoed = await reading;
  assertLess(echoed.length, 1024 * 1024 + 1);
  await waitFor(() => lost.length === 1);
  assertEquals(lost[0]?.name, "ProtocolError");
  assertEquals(reports.map((r) => [r.source, r.error]), [
    ["dataReceived", lost[0]],
  ]);
  assertEquals(
    decoder.decode(await client.request("still here")),
    "still here",
  );
  conn.close();
});

Deno.test("Server with a DelimitedConsumer echoes a seeded random stream split at random points byte for byte", async () => {
  await using server = await startEchoServer();
  const random = seeded(42);
  const parts: Uint8Array[] = [];
  for (let i = 0; i < 3000; i++) {
    const size = Math.floor(random() * 300);
    const part = new Uint8Array(size);
    for (let j = 0; j < size; j++) part[j] = Math.floor(random() * 256);
    parts.push(part);
    // Now and then a separator, so messages finish; random bytes hold some
    // "\r" and "\n" of their own.
    if (random() < 0.3) parts.push(encoder.encode("\r\n\r\n"));
    if (random() < 0.05) parts.push(encoder.encode("\r\n\r"));
  }
  parts.push(encoder.encode("\r\n\r\n"));
  const stream = concat(parts);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  const reading = (async () => {
    const chunks: Uint8Array[] = [];
    let total = 0;
    const buf = new Uint8Array(65536);
    while (total < stream.length) {
      const n = await conn.read(buf);
      if (n === null) break;
      chunks.push(buf.slice(0, n));
      total += n;
    }
    return concat(chunks);
  })();
  let offset = 0;
  while (offset < stream.length) {
    const size = 1 + Math.floor(random() * 2000);
    await conn.write(stream.subarray(offset, offset + size));
    offset += size;
  }
  const echoed = await reading;
  assertEquals(echoed.length, stream.length);
  assertEquals(echoed, stream);
  conn.close();
});

Deno.test("DelimitedConsumer parses seeded random replies split at random points, and rejects garbage past maxSize", async () => {
  const random = seeded(7);
  const messages: Uint8Array[] = [];
  for (let i = 0; i < 2000; i++) {
    const size = Math.floor(random() * 200);
    const message = new Uint8Array(size);
    for (let j = 0; j < size; j++) {
      // Bytes without "\r": every separator is a real one.
      message[j] = 14 + Math.floor(random() * 240);
    }
    messages.push(message);
  }
  const stream = concat(
    messages.flatMap((m) => [m, encoder.encode("\r\n\r\n")]),
  );
  const parsed: Uint8Array[] = [];
  let consumer = new ReplyConsumer();
  let offset = 0;
  while (offset < stream.length) {
    const size = 1 + Math.floor(random() * 500);
    let chunk: Uint8Array | void = stream.subarray(offset, offset + size);
    offset += size;
    while (chunk !== undefined && chunk.length > 0) {
      chunk = consumer.dataReceived(chunk);
      if (consumer.hasFinished) {
        consumer.onFinished.then((m) => parsed.push(m));
        consumer = new ReplyConsumer();
      }
    }
  }
  await Promise.resolve(); // let the last onFinished callbacks run
  assertEquals(parsed, messages);
  const garbage = new ReplyConsumer(4096);
  let thrown: unknown;
  try {
    for (let i = 0; i < 100; i++) {
      const chunk = new Uint8Array(100);
      for (let j = 0; j < 100; j++) chunk[j] = 14 + (j % 200);
      garbage.dataReceived(chunk);
    }
  } catch (error) {
    thrown = error;
  }
  assertEquals((thrown as Error)?.name, "ProtocolError");
});

Deno.test("Server.close() under load: every one of 1000 in-flight requests completes or fails with a clear error", async () => {
  const server = await startEchoServer({
    consumerFactory: () => new DelayedEchoConsumer(),
  });
  await using client = new TestClient({ port: server.port }, {
    poolSize: 1000,
    reconnect: false,
  });
  const requests = Array.from(
    { length: 1000 },
    (_, i) =>
      client.request(`request ${i}`).then(
        (reply): { ok: boolean; error?: Error } => ({
          ok: decoder.decode(reply) === `request ${i}`,
        }),
        (error: Error) => ({ ok: false, error }),
      ),
  );
  await waitFor(() => server.concurrentConnections >= 900);
  const closing = server.close({ gracePeriod: 100 });
  const outcomes = await Promise.all(requests);
  await closing;
  const completed = outcomes.filter((o) => o.ok).length;
  const failed = outcomes.filter((o) => !o.ok);
  for (const { error } of failed) {
    assert(
      error instanceof ConnectionClosedError ||
        error?.name === "ConnectionRefusedError",
      `unexpected ${error}`,
    );
  }
  console.log(`${completed} completed, ${failed.length} failed cleanly`);
  assertEquals(completed + failed.length, 1000);
  assertEquals(server.concurrentConnections, 0);
});

Deno.test("Client: TLS with a certificate from an unknown CA fails with TlsError; a missing Unix socket with ConnectionRefusedError", async () => {
  await using server = await startEchoServer({ tls: certs });
  await using tlsClient = new TestClient({
    hostname: "localhost",
    port: server.port,
  });
  const error = await assertRejects(
    () => tlsClient.request("x", { tls: true }),
    TlsError,
  );
  assert(error.message.includes("UnknownIssuer"), error.message);
  const path = `${await Deno.makeTempDir()}/nobody.sock`;
  await using unixClient = new TestClient({ path }, { reconnect: false });
  await assertRejects(
    () => unixClient.request("x"),
    Error,
    `Cannot connect to ${path}: no such socket file`,
  );
  await Deno.remove(path.slice(0, -"/nobody.sock".length));
});

Deno.test("Server idleTimeout aborts a peer that neither sends nor reads what it was sent", async () => {
  await using server = await startEchoServer({ idleTimeout: 200 });
  const lost: (Error | undefined)[] = [];
  server.bindEvent("connectionLost", (_c, error) => lost.push(error));
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  // Echo requests the client never reads, until the server stops reading.
  const message = new Uint8Array(64 * 1024).fill(120);
  message.set(encoder.encode("\r\n\r\n"), message.length - 4);
  const writing = (async () => {
    try {
      for (let i = 0; i < 1024; i++) await conn.write(message);
    } catch {
      // Reset by the server: expected.
    }
  })();
  await waitFor(() => lost.length === 1, 5000);
  assertEquals(lost[0]?.name, "TimeoutError");
  assert(lost[0]?.message.includes("idle for 200 ms"), lost[0]?.message);
  conn.close();
  await writing;
});
