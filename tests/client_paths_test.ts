// Copyright 2026 the pulsar for Deno authors. MIT license.
// Client.response() has two paths: a request with neither signal nor time
// limit is settled by its consumer's finish (no async frames), one with a
// signal or a timeout goes through the general path that races them. Each
// behaviour here is checked on both.
import {
  assertEquals,
  assertInstanceOf,
  assertRejects,
  assertStrictEquals,
} from "@std/assert";
import { Client, type ClientOptions } from "../clients/client.ts";
import { Request } from "../clients/request.ts";
import { ConnectionClosedError, ProtocolError } from "../errors.ts";
import { Connection } from "../protocols/connection.ts";
import { ProtocolConsumer } from "../protocols/protocol_consumer.ts";
import { ReplyConsumer, startEchoServer } from "./_fixtures.ts";
import { decoder } from "./_helpers.ts";

/** The two paths: no time limit, and a time limit no test reaches. */
const PATHS = [
  { name: "without a time limit", timeout: undefined },
  { name: "with a time limit", timeout: 60_000 },
];

function echo(port: number, text: string, timeout?: number) {
  return new Request<Uint8Array>({ port }, {
    data: `${text}\r\n\r\n`,
    timeout,
  });
}

function client(options: Partial<ClientOptions> = {}): Client {
  return new Client({ consumerFactory: () => new ReplyConsumer(), ...options });
}

/** A client whose canReuseConnection() is `reuse`. */
class Choosy extends Client {
  constructor(readonly reuse: (reply: unknown) => boolean) {
    super({ consumerFactory: () => new ReplyConsumer(), poolSize: 1 });
  }
  override canReuseConnection(_c: Connection, reply: unknown): boolean {
    return this.reuse(reply);
  }
}

for (const { name, timeout } of PATHS) {
  Deno.test(`Client.response() ${name}: canReuseConnection() false closes the connection; the next request opens another`, async () => {
    await using server = await startEchoServer();
    await using choosy = new Choosy((reply) =>
      decoder.decode(reply as Uint8Array) !== "last"
    );
    const first = await choosy.response(echo(server.port, "one", timeout));
    assertEquals(decoder.decode(first), "one");
    await choosy.response(echo(server.port, "last", timeout));
    assertEquals(choosy.idleConnections, 0);
    await choosy.response(echo(server.port, "again", timeout));
    assertEquals(choosy.sessions, 2);
    assertEquals(choosy.requestsProcessed, 3);
  });

  Deno.test(`Client.response() ${name}: a canReuseConnection() that throws fails the request with its error and closes the connection`, async () => {
    await using server = await startEchoServer();
    const oops = new Error("cannot tell");
    await using choosy = new Choosy(() => {
      throw oops;
    });
    const error = await assertRejects(() =>
      choosy.response(echo(server.port, "one", timeout))
    );
    assertStrictEquals(error, oops);
    assertEquals(choosy.connectionsInUse, 0);
    assertEquals(choosy.idleConnections, 0);
    assertEquals(choosy.requestsInFlight, 0);
    // The pool's slot came free: a new connection serves the next one.
    await assertRejects(() =>
      choosy.response(echo(server.port, "two", timeout))
    );
    assertEquals(choosy.sessions, 2);
  });

  Deno.test(`Client.response() ${name}: a consumer set on a connection already lost fails with ConnectionClosedError`, async () => {
    await using server = await startEchoServer();
    class Lost extends Connection {
      override setConsumer(consumer: ProtocolConsumer | undefined): void {
        // The peer's close is learnt just before the request is set.
        if (consumer !== undefined) this.connectionLost(undefined);
        super.setConsumer(consumer);
      }
    }
    const connections: Connection[] = [];
    await using lost = client({
      connectionFactory: (options) => {
        const connection = new Lost(options);
        connections.push(connection);
        return connection;
      },
    });
    await assertRejects(
      () => lost.response(echo(server.port, "one", timeout)),
      ConnectionClosedError,
    );
    assertEquals(lost.requestsInFlight, 0);
    for (const connection of connections) connection.abort();
  });

  Deno.test(`Client.response() ${name}: a request that needs no answer resolves with what its consumer finished with while it started`, async () => {
    await using server = await startEchoServer();
    class Fire extends ProtocolConsumer<Request, string> {
      override startRequest(): void {
        super.startRequest();
        this.finished("sent");
      }
      override dataReceived(): void {}
    }
    await using fire = new Client({
      consumerFactory: () => new Fire(),
      poolSize: 1,
    });
    // Text with no separator: the server answers nothing.
    const request = new Request<string>({ port: server.port }, {
      data: "fire",
      timeout,
    });
    assertEquals(await fire.response(request), "sent");
    assertEquals(await fire.response(request), "sent");
    assertEquals(fire.sessions, 1);
    assertEquals(fire.requestsProcessed, 2);
  });

  Deno.test(`Client.response() ${name}: an error reply keeps the connection; a broken stream closes it`, async () => {
    await using server = await startEchoServer();
    class Picky extends ReplyConsumer {
      override messageReceived(reply: Uint8Array): Uint8Array {
        const text = decoder.decode(reply);
        if (text.startsWith("err")) {
          this.finished(undefined, new Error(`reply ${text.trim()}`));
        }
        if (text.startsWith("bad")) throw new ProtocolError("bad reply");
        return super.messageReceived(reply);
      }
    }
    await using picky = new Client({
      consumerFactory: () => new Picky(),
      poolSize: 1,
    });
    await assertRejects(
      () => picky.response(echo(server.port, "err", timeout)),
      Error,
      "reply err",
    );
    assertEquals([picky.sessions, picky.idleConnections], [1, 1]);
    // A consumer that throws breaks the stream: its request rejects with
    // what it threw, and the connection is aborted.
    await assertRejects(
      () => picky.response(echo(server.port, "bad", timeout)),
      ProtocolError,
      "bad reply",
    );
    assertEquals(picky.idleConnections, 0);
    const ok = await picky.response(echo(server.port, "ok", timeout));
    assertEquals(decoder.decode(ok), "ok");
    assertEquals(picky.sessions, 2);
    assertEquals(picky.requestsProcessed, 2);
    assertEquals(picky.requestsInFlight, 0);
  });

  Deno.test(`Client.response() ${name}: a consumer that throws fails its request with what it threw; those pipelined behind it fail with ConnectionClosedError`, async () => {
    await using server = await startEchoServer();
    const thrown = new ProtocolError("bad reply");
    class Throws extends ReplyConsumer {
      override messageReceived(reply: Uint8Array): Uint8Array {
        if (decoder.decode(reply).startsWith("bad")) throw thrown;
        return super.messageReceived(reply);
      }
    }
    await using pipelined = new Client({
      consumerFactory: () => new Throws(),
      poolSize: 1,
      pipelining: 4,
    });
    const [first, second] = await Promise.allSettled([
      pipelined.response(echo(server.port, "bad", timeout)),
      pipelined.response(echo(server.port, "next", timeout)),
    ]);
    assertEquals(first.status, "rejected");
    assertStrictEquals((first as PromiseRejectedResult).reason, thrown);
    const behind = (second as PromiseRejectedResult).reason;
    assertInstanceOf(behind, ConnectionClosedError);
    assertStrictEquals(behind.cause, thrown);
    assertEquals(pipelined.requestsInFlight, 0);
    const ok = await pipelined.response(echo(server.port, "ok", timeout));
    assertEquals(decoder.decode(ok), "ok");
    assertEquals(pipelined.sessions, 2);
  });

  Deno.test(`Client.response() ${name}: a consumer factory that throws fails the request; the pool's slot comes free`, async () => {
    await using server = await startEchoServer();
    let calls = 0;
    await using flaky = new Client({
      consumerFactory: () => {
        if (++calls === 1) throw new TypeError("no consumer");
        return new ReplyConsumer();
      },
      poolSize: 1,
    });
    await assertRejects(
      () => flaky.response(echo(server.port, "one", timeout)),
      TypeError,
      "no consumer",
    );
    const ok = await flaky.response(echo(server.port, "two", timeout));
    assertEquals(decoder.decode(ok), "two");
    assertEquals(flaky.requestsInFlight, 0);
  });

  Deno.test(`Client.response() ${name}: retries once on a new connection a request whose pooled connection the server closed unanswered`, async () => {
    // A raw server that closes its first connection after one answer.
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const serving = (async () => {
      for (let i = 0; i < 2; i++) {
        const conn = await listener.accept();
        const buffer = new Uint8Array(1024);
        const n = await conn.read(buffer);
        if (n !== null) await conn.write(buffer.subarray(0, n));
        // The first connection: the second request, closed unanswered;
        // the second: the client's own close.
        await conn.read(buffer);
        conn.close();
      }
    })();
    const retried = client({ poolSize: 1 });
    try {
      const port = listener.addr.port;
      assertEquals(
        decoder.decode(await retried.response(echo(port, "one", timeout))),
        "one",
      );
      assertEquals(
        decoder.decode(await retried.response(echo(port, "two", timeout))),
        "two",
      );
      assertEquals(retried.sessions, 2);
    } finally {
      await retried.close();
      await serving;
      listener.close();
    }
  });
}

Deno.test("Client.response() rejects, never throws, for a request that is not one", async () => {
  await using plain = client();
  const error = await plain.response(undefined as unknown as Request).then(
    () => undefined,
    (e) => e,
  );
  assertInstanceOf(error, TypeError);
});
