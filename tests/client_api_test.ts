// Copyright 2026 the pulsar for Deno authors. MIT license.
// The client's public face (issue 14): an error reply keeps its connection
// while a broken stream drops it, requests carry their own result type,
// error reporting and option checks, and pools that do not outlive their
// connections.
import { assertEquals, assertRejects, assertThrows } from "@std/assert";
import { Client } from "../clients/client.ts";
import { DatagramClient } from "../clients/datagram_client.ts";
import { Request, type RequestEvents } from "../clients/request.ts";
import { ProtocolError } from "../errors.ts";
import { ProtocolConsumer } from "../protocols/protocol_consumer.ts";
import { closeQuietly, waitFor } from "./_helpers.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * A raw text-protocol server: one line per request, one line per answer.
 * `get <key>` answers `VALUE <key>`, `fail` answers `ERROR` (the connection
 * stays usable, as after Redis's `-ERR`), `garbage` answers bytes that are
 * no reply at all. It counts the connections it accepted.
 */
function textServer() {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let accepted = 0;
  const conns = new Set<Deno.Conn>();
  const serving = new Set<Promise<void>>();
  const serve = async (conn: Deno.Conn) => {
    const buf = new Uint8Array(4096);
    let pending = "";
    try {
      while (true) {
        const n = await conn.read(buf);
        if (n === null) return;
        pending += decoder.decode(buf.subarray(0, n));
        let end: number;
        while ((end = pending.indexOf("\r\n")) >= 0) {
          const line = pending.slice(0, end);
          pending = pending.slice(end + 2);
          const answer = line.startsWith("get ")
            ? `VALUE ${line.slice(4)}\r\n`
            : line === "fail"
            ? "ERROR\r\n"
            : line === "incr"
            ? `:${accepted}\r\n`
            : "%%% not a reply\r\n";
          await conn.write(encoder.encode(answer));
        }
      }
    } catch {
      // Reset or closed by the test: this connection is over.
    } finally {
      conns.delete(conn);
      closeQuietly(conn);
    }
  };
  const accepting = (async () => {
    for await (const conn of listener) {
      accepted++;
      conns.add(conn);
      const done = serve(conn);
      serving.add(done);
      done.finally(() => serving.delete(done));
    }
  })().catch(() => {});
  return {
    port: listener.addr.port,
    /** The connections accepted so far. */
    get accepted(): number {
      return accepted;
    },
    async [Symbol.asyncDispose]() {
      listener.close();
      await accepting;
      for (const conn of conns) conn.close();
      await Promise.all(serving);
    },
  };
}

/** The server answered with an error: the exchange itself went fine. */
class ServerError extends Error {}

/**
 * Reads one `\r\n`-terminated reply line: `VALUE x` is the result `x`,
 * `:n` the number `n`, `ERROR` an error reply (`ServerError`), anything else a broken stream: it
 * throws a `ProtocolError` (or finishes with one, if `finishOnGarbage`).
 */
class LineReply extends ProtocolConsumer<Request, string | number> {
  #line = "";
  finishOnGarbage = false;

  override dataReceived(data: Uint8Array): Uint8Array | void {
    this.#line += decoder.decode(data);
    const end = this.#line.indexOf("\r\n");
    if (end < 0) return;
    const line = this.#line.slice(0, end);
    if (line.startsWith(":")) {
      this.finished(Number(line.slice(1)));
    } else if (line === "ERROR") {
      this.finished(undefined, new ServerError(`Server answered ${line}`));
    } else if (line.startsWith("VALUE ")) {
      this.finished(line.slice(6));
    } else {
      const error = new ProtocolError(`Not a reply: "${line}"`);
      if (!this.finishOnGarbage) throw error;
      this.finished(undefined, error);
    }
  }
}

/** A client of one connection at most, reading replies with `factory`. */
function lineClient(
  factory: () => LineReply = () => new LineReply(),
): Client {
  return new Client({ consumerFactory: factory, poolSize: 1 });
}

function line(port: number, text: string): Request {
  return new Request({ port }, { data: `${text}\r\n` });
}

Deno.test("Client keeps the connection after an error reply: 20 ERROR replies in a row on poolSize 1 use one connection", async () => {
  await using server = textServer();
  await using client = lineClient();
  for (let i = 0; i < 20; i++) {
    await assertRejects(
      () => client.response(line(server.port, "fail")),
      ServerError,
      "Server answered ERROR",
    );
  }
  // The stream is still in step: the next answer is this request's.
  assertEquals(await client.response(line(server.port, "get a")), "a");
  assertEquals(server.accepted, 1);
  assertEquals(client.sessions, 1);
  assertEquals(client.requestsProcessed, 21);
});

Deno.test("Client drops the connection after a garbage reply (a ProtocolError thrown by the consumer) and opens a new one for the next request", async () => {
  await using server = textServer();
  await using client = lineClient();
  assertEquals(await client.response(line(server.port, "get a")), "a");
  await assertRejects(
    () => client.response(line(server.port, "garbage")),
    ProtocolError,
  );
  assertEquals(await client.response(line(server.port, "get b")), "b");
  assertEquals(server.accepted, 2);
  assertEquals(client.sessions, 2);
});

Deno.test("Client drops the connection when the consumer finishes with a ProtocolError (any NetError)", async () => {
  await using server = textServer();
  await using client = lineClient(() => {
    const consumer = new LineReply();
    consumer.finishOnGarbage = true;
    return consumer;
  });
  await assertRejects(
    () => client.response(line(server.port, "garbage")),
    ProtocolError,
    'Not a reply: "%%% not a reply"',
  );
  assertEquals(await client.response(line(server.port, "get b")), "b");
  assertEquals(server.accepted, 2);
});

/** Writes half of its request, then fails. */
class HalfWritten extends LineReply {
  override startRequest(): void {
    this.transport!.write(encoder.encode("get "));
    throw new Error("Cannot encode the key");
  }
}

Deno.test("Client drops the connection of a consumer that failed to start: its request may be half written", async () => {
  await using server = textServer();
  let half = true;
  await using client = lineClient(() =>
    half ? new HalfWritten() : new LineReply()
  );
  await assertRejects(
    () => client.response(line(server.port, "get a")),
    Error,
    "Cannot encode the key",
  );
  half = false;
  // On the old connection this would read "get get b" and answer it.
  assertEquals(await client.response(line(server.port, "get b")), "b");
  assertEquals(server.accepted, 2);
});

/** A client whose commands have their own result types, and no casts. */
class TextClient extends Client {
  #port: number;
  constructor(port: number) {
    super({ consumerFactory: () => new LineReply(), poolSize: 1 });
    this.#port = port;
  }
  get(key: string): Promise<string> {
    return this.response(
      new Request<string>(...command(this.#port, `get ${key}`)),
    );
  }
  incr(): Promise<number> {
    return this.response(new Incr(this.#port));
  }
}

/** A request type of its own: its result type comes with the class. */
class Incr extends Request<number> {
  constructor(port: number) {
    super(...command(port, "incr"));
  }
}

function command(
  port: number,
  text: string,
): ConstructorParameters<typeof Request> {
  return [{ port }, { data: `${text}\r\n` }];
}

Deno.test("Client.response() resolves with the result type its Request carries: a get is a string, an incr a number", async () => {
  await using server = textServer();
  await using client = new TextClient(server.port);
  // Type-level checks: `deno check` fails if response() lost the type.
  const value: string = await client.get("a");
  const count: number = await client.incr();
  const viaResponse: number = await client.response(new Incr(server.port));
  // @ts-expect-error: a Request<number> does not resolve with a string.
  const wrong: string = await client.response(new Incr(server.port));
  const untyped: unknown = await client.response(
    new Request(...command(server.port, "get b")),
  );
  assertEquals([value, count, viaResponse, wrong, untyped], [
    "a",
    1,
    1,
    1,
    "b",
  ]);
});

Deno.test("Client counts requests in flight, connections in use and idle, and its closed promise settles once closed", async () => {
  await using server = textServer();
  const client = new Client({
    consumerFactory: () => new LineReply(),
    poolSize: 2,
  });
  let closed = false;
  client.closed.then(() => closed = true);
  const replies = ["a", "b", "c"].map((key) =>
    client.response(line(server.port, `get ${key}`))
  );
  assertEquals(client.requestsInFlight, 3);
  assertEquals(await Promise.all(replies), ["a", "b", "c"]);
  assertEquals(
    [
      client.requestsInFlight,
      client.connectionsInUse,
      client.idleConnections,
      client.sessions,
      client.requestsProcessed,
    ],
    [0, 0, 2, 2, 3],
  );
  assertEquals(client.isClosing(), false);
  await client.close();
  await client.closed;
  assertEquals([closed, client.isClosing(), client.idleConnections], [
    true,
    true,
    0,
  ]);
});

Deno.test("Client is no ConnectionProducer: it has no closeConnections(), connections set, concurrentConnections nor newConnection()", () => {
  const client = new Client({ consumerFactory: () => new LineReply() });
  for (
    const name of [
      "closeConnections",
      "connections",
      "concurrentConnections",
      "newConnection",
      "forgetConnection",
    ]
  ) {
    assertEquals(name in client, false, name);
  }
});

Deno.test("Client refuses bad transport options and a bad onError where they are given", () => {
  const consumerFactory = () => new LineReply();
  assertThrows(
    () => new Client({ consumerFactory, readSize: 0 }),
    RangeError,
    'Cannot use readSize "0"',
  );
  assertThrows(
    () =>
      new Client({ consumerFactory, writeBufferLimits: { low: 8, high: 4 } }),
    RangeError,
    "exceeds high",
  );
  assertThrows(
    // @ts-expect-error: a wrong type on purpose
    () => new Client({ consumerFactory, noDelay: "yes" }),
    TypeError,
    "noDelay",
  );
  assertThrows(
    // @ts-expect-error: a wrong type on purpose
    () => new Client({ consumerFactory, onError: "log" }),
    TypeError,
    'Cannot use onError "log"',
  );
  // A handler is taken as it is.
  new Client({ consumerFactory, onError: () => {} });
});

Deno.test("DatagramClient refuses a bad onError where it is given", () => {
  assertThrows(
    // @ts-expect-error: a wrong type on purpose
    () => new DatagramClient({ port: 9, onError: 1 }),
    TypeError,
    'Cannot use onError "1": it must be a function',
  );
  new DatagramClient({ port: 9, onError: () => {} });
});

Deno.test("Client drops the pool of an address once its connections are gone, and makes a new one for the next request", async () => {
  await using first = textServer();
  await using second = textServer();
  await using third = textServer();
  const servers = [first, second, third];
  await using client = new Client({
    consumerFactory: () => new LineReply(),
    idleTimeout: 50,
  });
  for (const server of servers) {
    assertEquals(await client.response(line(server.port, "get a")), "a");
  }
  assertEquals(client.connectionPools.size, 3);
  // Each idle connection closes after 50 ms, and its pool goes with it.
  await waitFor(() => client.connectionPools.size === 0);
  assertEquals(client.idleConnections, 0);
  assertEquals(await client.response(line(first.port, "get b")), "b");
  assertEquals(client.connectionPools.size, 1);
  assertEquals(client.sessions, 4);
});

Deno.test("Client keeps no pool for refused addresses: 20 refused ports leave the pool map empty", async () => {
  const ports: number[] = [];
  for (let i = 0; i < 20; i++) {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    ports.push(listener.addr.port);
    listener.close();
  }
  await using client = new Client({
    consumerFactory: () => new LineReply(),
    reconnect: false,
  });
  for (const port of ports) {
    await assertRejects(() => client.response(line(port, "get a")));
  }
  await waitFor(() => client.connectionPools.size === 0);
});

Deno.test("Request takes a handler for each consumer event, named and typed as ConsumerEvents has them, and refuses other names", () => {
  const seen: string[] = [];
  const events: Required<RequestEvents> = {
    preRequest: (consumer: ProtocolConsumer) => seen.push(typeof consumer),
    postRequest: (_consumer, _result, error) => seen.push(String(error)),
    dataReceived: (_consumer, data: Uint8Array) => seen.push(`${data.length}`),
    dataProcessed: (_consumer, data: Uint8Array) => seen.push(`${data.length}`),
  };
  assertEquals(new Request({ port: 1 }, { events }).events, events);
  assertThrows(
    // @ts-expect-error: not an event of a consumer
    () => new Request({ port: 1 }, { events: { connectionMade: () => {} } }),
    TypeError,
    "a request's events are preRequest, postRequest, dataReceived, " +
      "dataProcessed",
  );
});
