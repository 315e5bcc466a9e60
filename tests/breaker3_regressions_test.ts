// Copyright 2026 the pulsar for Deno authors. MIT license.
// Regressions of defects found by trying to break the client's per-turn
// cork, a throwing client consumer and unexpected bytes (each test failed
// before its fix).
import { assert, assertEquals, assertInstanceOf } from "@std/assert";
import {
  Client,
  type ClientOptions,
  type ErrorReport,
  ProtocolConsumer,
  ProtocolError,
  Request,
  type RequestAddress,
  Server,
} from "../mod.ts";
import { bounded, closeQuietly, encoder } from "./_helpers.ts";
import { EchoConsumer, TestClient } from "./_fixtures.ts";

/** A client consumer that writes its request, then throws `thrown`. */
function throwingClient(
  thrown: unknown,
  options: Omit<ClientOptions, "consumerFactory"> = {},
): Client {
  class Thrower extends ProtocolConsumer<Request, unknown> {
    override startRequest(): void {
      this.transport!.write(this.request!.encode());
    }
    override dataReceived(): void {
      throw thrown;
    }
  }
  return new Client({ ...options, consumerFactory: () => new Thrower() });
}

for (const limited of [false, true]) {
  Deno.test(`Client.response() ${limited ? "with a time limit" : "without a time limit"}: a consumer whose dataReceived throws undefined fails its request`, async () => {
    await using server = new Server({
      consumerFactory: () => new EchoConsumer(),
    });
    await server.start();
    await using client = throwingClient(undefined, { poolSize: 1 });
    const address: RequestAddress = { port: server.port };
    const request = new Request(address, {
      data: encoder.encode("x\r\n\r\n"),
      timeout: limited ? 5000 : 0,
    });
    // Observed: resolves with undefined, as if the consumer had succeeded,
    // while the connection under it is aborted. Expected: it rejects (the
    // thrown value wrapped in an Error, say, as the abort already does).
    let outcome = "pending";
    await bounded(
      client.response(request).then(
        (value) => outcome = `resolved with ${String(value)}`,
        () => outcome = "rejected",
      ),
      3000,
      "response",
    );
    assertEquals(outcome, "rejected");
  });
}

/**
 * A peer that records every byte it reads and echoes each message
 * (`...\r\n\r\n`) after `delay` ms.
 */
function recordingEcho(delay: number): {
  port: number;
  received: () => string;
  [Symbol.asyncDispose](): Promise<void>;
} {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const decoder = new TextDecoder();
  let received = "";
  const conns = new Set<Deno.Conn>();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const serving: Promise<void>[] = [];
  const accepting = (async () => {
    for await (const conn of listener) {
      conns.add(conn);
      serving.push((async () => {
        const buf = new Uint8Array(65536);
        let pending = "";
        try {
          while (true) {
            const n = await conn.read(buf);
            if (n === null) break;
            const text = decoder.decode(buf.subarray(0, n));
            received += text;
            pending += text;
            let end;
            while ((end = pending.indexOf("\r\n\r\n")) >= 0) {
              const message = pending.slice(0, end + 4);
              pending = pending.slice(end + 4);
              const timer = setTimeout(() => {
                timers.delete(timer);
                conn.write(encoder.encode(message)).catch(() => {});
              }, delay);
              timers.add(timer);
            }
          }
        } catch {
          // Reset by the client.
        } finally {
          conns.delete(conn);
          closeQuietly(conn);
        }
      })());
    }
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    received: () => received,
    async [Symbol.asyncDispose]() {
      for (const timer of timers) clearTimeout(timer);
      listener.close();
      for (const conn of conns) {
        closeQuietly(conn);
      }
      await accepting.catch(() => {});
      await Promise.all(serving);
    },
  };
}

Deno.test("Client with pipelining never writes a request aborted in the turn it was sent, while its bytes are corked", async () => {
  // Client's JSDoc: "A request whose signal is aborted before it is written
  // is never written." With pipelining above 1 the turn's writes are corked
  // until its end; aborting B synchronously, before that write, still sends
  // B (and A and C, which then fail with the connection). RedisClient works
  // around it in its own cork (it skips the batch); the generic Client does
  // not. Observed: the peer reads "A\r\n\r\nB\r\n\r\nC\r\n\r\n".
  await using peer = recordingEcho(20);
  await using client = new TestClient({ port: peer.port }, {
    pipelining: 4,
    poolSize: 1,
  });
  await client.request("warm");
  const controller = new AbortController();
  const settled = Promise.allSettled([
    client.request("A"),
    client.request("B", { signal: controller.signal }),
    client.request("C"),
  ]);
  controller.abort(new Error("abort B"));
  const results = await bounded(settled, 3000, "requests");
  assertEquals(results[1].status, "rejected");
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert(
    !peer.received().includes("B\r\n\r\n"),
    `the peer read ${JSON.stringify(peer.received())}`,
  );
});

Deno.test("Client reports bytes a server sends on an idle connection as unexpected, naming the peer, and drops the connection", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const serving = (async () => {
    using conn = await listener.accept();
    const buffer = new Uint8Array(64);
    await conn.read(buffer); // the request, "hi\r\n\r\n"
    await conn.write(encoder.encode("hi\r\n\r\n"));
    await new Promise((resolve) => setTimeout(resolve, 50));
    await conn.write(encoder.encode("junk"));
    await conn.read(buffer); // until the client drops it
  })();
  const reports: ErrorReport[] = [];
  await using client = new TestClient({ port: listener.addr.port }, {
    onError: (report) => reports.push(report),
  });
  assertEquals(new TextDecoder().decode(await client.request("hi")), "hi");
  await bounded(serving, 3000, "the client dropping the connection");
  assertEquals(reports.length, 1);
  assertInstanceOf(reports[0].error, ProtocolError);
  assertEquals(
    (reports[0].error as Error).message,
    `Unexpected bytes from 127.0.0.1:${listener.addr.port}: no request is ` +
      "waiting for an answer",
  );
  assertEquals(client.idleConnections, 0);
});
