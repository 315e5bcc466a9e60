// Copyright 2026 the pulsar for Deno authors. MIT license.
// connect() with factories and callbacks
// that throw; transport close ordering; a Client whose connectionFactory
// throws.
import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertRejects,
  assertStrictEquals,
} from "@std/assert";
import { ConnectionRefusedError } from "../errors.ts";
import { Connection } from "../protocols/connection.ts";
import { Protocol } from "../protocols/protocol.ts";
import { connect } from "../transports/connect.ts";
import type { SocketTransport } from "../transports/socket_transport.ts";
import { Recorder } from "./_helpers.ts";
import { keepingListener, startEchoServer, TestClient } from "./_fixtures.ts";

Deno.test("connect() with a protocol factory that throws rejects with its error and leaves no socket", async () => {
  await using server = keepingListener();
  const boom = new Error("factory");
  const error = await assertRejects(() =>
    connect(() => {
      throw boom;
    }, { port: server.port })
  );
  assertStrictEquals(error, boom);
});

Deno.test("connect() whose connectionMade throws rejects with its error once the transport closed; connectionLost ran", async () => {
  await using server = keepingListener();
  const boom = new Error("made");
  let lost = false;
  class Bad extends Protocol {
    override connectionMade(transport: SocketTransport): void {
      super.connectionMade(transport);
      throw boom;
    }
    override connectionLost(): void {
      lost = true;
    }
  }
  const error = await assertRejects(() =>
    connect(() => new Bad(), {
      port: server.port,
      signal: AbortSignal.timeout(5000),
    })
  );
  assertStrictEquals(error, boom);
  assert(lost, "connectionLost had not run when connect() rejected");
});

Deno.test("SocketTransport: connectionLost runs after the read loop's last callback, and closed settles after connectionLost (peer sends then closes; we close; we abort)", async () => {
  for (const how of ["peer", "close", "abort"] as const) {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const accepted = listener.accept();
    const recorder = new Recorder();
    const [transport] = await connect(() => recorder, {
      port: listener.addr.port,
    });
    const peer = await accepted;
    listener.close();
    await peer.write(new TextEncoder().encode("hello"));
    await recorder.receivedAtLeast(5);
    if (how === "peer") peer.close();
    else if (how === "close") transport.close();
    else transport.abort(new Error("cut"));
    let lostWhenClosed = false;
    await transport.closed.then(() => {
      lostWhenClosed = recorder.calls.includes("connectionLost");
    });
    assert(lostWhenClosed, `${how}: closed settled before connectionLost`);
    assertEquals(recorder.calls.at(-1), "connectionLost", how);
    assertEquals(
      recorder.calls.filter((c) => c === "connectionLost").length,
      1,
    );
    if (how !== "peer") peer.close();
  }
});

Deno.test("Client whose connectionFactory throws: the request rejects with its error, nothing leaks, the client still closes", async () => {
  const server = await startEchoServer();
  const boom = new Error("no connection for you");
  const client = new TestClient({ port: server.port }, {
    connectionFactory: () => {
      throw boom;
    },
  });
  assertStrictEquals(await client.request("a").catch((e) => e), boom);
  assertStrictEquals(
    await client.request("b", { timeout: 1000 }).catch((e) => e),
    boom,
  );
  await client.close();
  await server.close();
});

Deno.test("Client whose connectionFactory throws ConnectionRefusedError once: retried with backoff, as a refused connect is", async () => {
  const server = await startEchoServer();
  let calls = 0;
  const client = new TestClient({ port: server.port }, {
    reconnect: { minTimeout: 1, maxTimeout: 5, maxAttempts: 3 },
    connectionFactory: (options) => {
      if (calls++ === 0) {
        throw new ConnectionRefusedError("refused by the factory");
      }
      return new Connection(options);
    },
  });
  const reply = await client.request("a").catch((e) => e);
  assert(!(reply instanceof Error), `request failed: ${reply}`);
  assertEquals(new TextDecoder().decode(reply), "a");
  assertEquals(calls, 2);
  await client.close();
  await server.close();
  assertInstanceOf(client, TestClient);
});
