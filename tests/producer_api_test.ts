// Copyright 2026 the pulsar for Deno authors. MIT license.
// The public face of producers and protocols (issue 14): what each class
// holds, where user code that throws is reported, disposal, idle peers.
import {
  assert,
  assertEquals,
  assertFalse,
  assertInstanceOf,
  assertRejects,
  assertThrows,
} from "@std/assert";
import { Client } from "../clients/client.ts";
import { Request } from "../clients/request.ts";
import type { ErrorReport } from "../errors.ts";
import { DatagramServer } from "../producers/datagram_server.ts";
import { DatagramProtocol } from "../protocols/datagram_protocol.ts";
import { DelimitedConsumer } from "../protocols/delimited_consumer.ts";
import { EventHandler, ManyTimesEvent } from "../protocols/events.ts";
import { Connection } from "../protocols/connection.ts";
import { ProtocolConsumer } from "../protocols/protocol_consumer.ts";
import { ConnectionProducer } from "../producers/connection_producer.ts";
import { Producer } from "../producers/producer.ts";
import { Server } from "../producers/server.ts";
import { connect } from "../transports/connect.ts";

/** Answers each read with "ok" and finishes. */
class Ok extends ProtocolConsumer {
  override dataReceived(_data: Uint8Array): void {
    this.transport!.write(new TextEncoder().encode("ok"));
    this.finished();
  }
}

Deno.test("Producer holds what servers and clients share; maxConnections is a Server option only", () => {
  const producer = new Producer({ idleTimeout: 5 });
  assertEquals(producer.idleTimeout, 5);
  assertFalse("maxConnections" in producer);
  assertFalse("maxConnections" in new ConnectionProducer());
  assertFalse("newConnection" in producer);
  const server = new Server({
    consumerFactory: () => new Ok(),
    maxConnections: 3,
  });
  assertEquals(server.maxConnections, 3);
  assertThrows(
    () => new Server({ consumerFactory: () => new Ok(), maxConnections: -1 }),
    RangeError,
    'maxConnections "-1"',
  );
});

Deno.test("ConnectionProducer numbers and tracks the connections it makes", () => {
  const producer = new ConnectionProducer();
  const first = producer.newConnection();
  const second = producer.newConnection();
  assertEquals([first.session, second.session], [1, 2]);
  assertEquals(producer.concurrentConnections, 2);
  first.connectionLost();
  assertEquals([...producer.connections], [second]);
  second.connectionLost();
  assertEquals(producer.sessions, 2);
});

Deno.test("Producer's hooks are exactly the events of a connection and of a consumer", () => {
  const connection = new Connection();
  const consumer = new Ok();
  const expected = [
    ...connection.eventNames.oneTime,
    ...connection.eventNames.manyTimes,
    ...consumer.eventNames.oneTime,
    ...consumer.eventNames.manyTimes,
  ];
  assertEquals(
    [...new Producer().eventNames.manyTimes].sort(),
    expected.sort(),
  );
  const server = new Server({ consumerFactory: () => new Ok() });
  assertEquals([...server.eventNames.oneTime], ["start", "stop"]);
  assertEquals([...server.eventNames.manyTimes].sort(), expected.sort());
});

/** A server answering "ok" whose `onError` collects reports. */
async function reportingServer(
  consumerFactory: () => ProtocolConsumer = () => new Ok(),
): Promise<
  { server: Server; reports: ErrorReport[]; next: () => Promise<ErrorReport> }
> {
  const reports: ErrorReport[] = [];
  let waiter: PromiseWithResolvers<ErrorReport> | undefined;
  const server = new Server({
    consumerFactory,
    onError: (report) => {
      reports.push(report);
      waiter?.resolve(report);
    },
  });
  await server.start();
  const next = () => {
    waiter = Promise.withResolvers();
    return waiter.promise;
  };
  return { server, reports, next };
}

/** Writes `text` and reads the two-byte answer ("" at end of stream). */
async function ask(conn: Deno.Conn, text: string): Promise<string> {
  await conn.write(new TextEncoder().encode(text));
  let answer = "";
  const buf = new Uint8Array(16);
  for (let n: number | null = 0; answer.length < 2 && n !== null;) {
    n = await conn.read(buf);
    answer += new TextDecoder().decode(buf.subarray(0, n ?? 0));
  }
  return answer;
}

/** Reads until end of stream or reset; true once the peer closed. */
async function closedByPeer(conn: Deno.Conn): Promise<boolean> {
  const buf = new Uint8Array(64);
  try {
    while ((await conn.read(buf)) !== null);
  } catch (error) {
    assertInstanceOf(error, Deno.errors.ConnectionReset);
  }
  return true;
}

Deno.test("Server onError receives a hook that threw, with its event and the peer's address; the connection keeps serving", async () => {
  const { server, next } = await reportingServer();
  await using _ = server;
  const failure = new Error("hook broke");
  server.bindEvent("postRequest", () => {
    throw failure;
  });
  using conn = await Deno.connect({ port: server.port });
  const reported = next();
  assertEquals(await ask(conn, "a"), "ok");
  const report = await reported;
  assert(report.error === failure);
  assertEquals(report.source, "event postRequest");
  assertEquals((report.address as Deno.NetAddr).port, conn.localAddr.port);
  assertEquals(await ask(conn, "b"), "ok");
});

Deno.test("Server onError receives what a consumer's dataReceived threw; only that connection is aborted", async () => {
  const failure = new Error("consumer broke");
  class Fragile extends Ok {
    override dataReceived(data: Uint8Array): void {
      if (data[0] === 0x21) throw failure; // "!"
      super.dataReceived(data);
    }
  }
  const { server, reports, next } = await reportingServer(() => new Fragile());
  await using _ = server;
  using good = await Deno.connect({ port: server.port });
  using bad = await Deno.connect({ port: server.port });
  assertEquals(await ask(good, "a"), "ok");
  const reported = next();
  await bad.write(new TextEncoder().encode("!"));
  const report = await reported;
  assert(report.error === failure);
  assertEquals(report.source, "dataReceived");
  assertEquals((report.address as Deno.NetAddr).port, bad.localAddr.port);
  assert(await closedByPeer(bad));
  assertEquals(await ask(good, "b"), "ok");
  assertEquals(reports.length, 1);
});

Deno.test("Server onError receives what a consumer's connectionLost threw", async () => {
  const failure = new Error("cleanup broke");
  class Waiting extends ProtocolConsumer {
    override dataReceived(): void {}
    override connectionLost(): void {
      throw failure;
    }
  }
  const { server, next } = await reportingServer(() => new Waiting());
  await using _ = server;
  const received = Promise.withResolvers<void>();
  server.bindEvent("dataReceived", () => received.resolve());
  const conn = await Deno.connect({ port: server.port });
  const port = conn.localAddr.port;
  await conn.write(new Uint8Array([1]));
  await received.promise;
  const reported = next();
  conn.close();
  const report = await reported;
  assert(report.error === failure);
  assertEquals(report.source, "connectionLost");
  assertEquals((report.address as Deno.NetAddr).port, port);
});

Deno.test("Server onError receives a consumer factory that threw, and keeps accepting", async () => {
  const failure = new Error("factory broke");
  let calls = 0;
  const { server, next } = await reportingServer(() => {
    if (++calls === 1) throw failure;
    return new Ok();
  });
  await using _ = server;
  using first = await Deno.connect({ port: server.port });
  const reported = next();
  await first.write(new Uint8Array([1]));
  const report = await reported;
  assert(report.error === failure);
  assertEquals(report.source, "consumerFactory");
  assert(await closedByPeer(first));
  using second = await Deno.connect({ port: server.port });
  assertEquals(await ask(second, "a"), "ok");
});

Deno.test("Server and DatagramServer refuse an onError that is not a function", () => {
  assertThrows(
    () => new Server({ consumerFactory: () => new Ok(), onError: 1 as never }),
    TypeError,
    "onError",
  );
  assertThrows(
    () =>
      new DatagramServer({
        protocolFactory: () => new DatagramProtocol(),
        onError: "x" as never,
      }),
    TypeError,
    "onError",
  );
});

Deno.test("DatagramServer onError receives a start handler that threw", async () => {
  const reports: ErrorReport[] = [];
  await using server = new DatagramServer({
    protocolFactory: () => new DatagramProtocol(),
    onError: (report) => reports.push(report),
  });
  const failure = new Error("start hook broke");
  server.bindEvent("start", () => {
    throw failure;
  });
  await server.start();
  assertEquals(reports, [{ error: failure, source: "event start" }]);
});

Deno.test("EventHandler sends a handler's failure to its overridable reportError, sync or async", async () => {
  type TickEvents = { tick: [owner: Ticker, data: number] };
  class Ticker extends EventHandler<TickEvents> {
    reports: ErrorReport[] = [];
    constructor() {
      super({ oneTime: [], manyTimes: ["tick"] });
    }
    protected override reportError(report: ErrorReport): void {
      this.reports.push(report);
    }
  }
  const ticker = new Ticker();
  const failure = new Error("sync");
  ticker.bindEvent("tick", () => {
    throw failure;
  });
  ticker.bindEvent("tick", () => Promise.reject(new Error("async")));
  assert(ticker.fireEvent("tick", 1) === failure);
  await new Promise((resolve) => setTimeout(resolve, 0));
  assertEquals(
    ticker.reports.map((r) => [r.source, (r.error as Error).message]),
    [
      ["event tick", "sync"],
      ["event tick", "async"],
    ],
  );
});

Deno.test("ManyTimesEvent reports a handler's failure to the onError it was built with", () => {
  const reports: ErrorReport[] = [];
  const event = new ManyTimesEvent<string, number>(
    "owner",
    "tick",
    (report) => reports.push(report),
  );
  const failure = new Error("x");
  event.bind(() => {
    throw failure;
  });
  event.fire(1);
  assertEquals(reports, [{ error: failure, source: "event tick" }]);
});

Deno.test("Connection closes and awaits closed at the end of an await using block", async () => {
  await using server = new Server({ consumerFactory: () => new Ok() });
  await server.start();
  const serverLost = Promise.withResolvers<void>();
  server.bindEvent("connectionLost", () => serverLost.resolve());
  let outside: Connection;
  {
    await using connection = (await connect(() => new Connection(), {
      port: server.port,
    }))[1];
    outside = connection;
    assertFalse(connection.isClosed);
  }
  assert(outside.isClosed);
  await serverLost.promise;
  {
    // Never connected: nothing to close, disposal settles at once.
    await using _idle = new Connection();
  }
});

/** A line consumer: answers each line with its length. */
class LineLength extends DelimitedConsumer<string, number> {
  constructor() {
    super(new Uint8Array([10]));
  }
  override startRequest(): void {}
  override messageReceived(message: Uint8Array): number {
    this.transport?.write(new TextEncoder().encode(`${message.length - 1}\n`));
    return message.length - 1;
  }
}

Deno.test("DelimitedConsumer waits for its request while it holds part of a message, on the server side only", () => {
  const server = new LineLength();
  assertFalse(server.waitingForRequest);
  server.dataReceived(new TextEncoder().encode("ab"));
  assert(server.waitingForRequest);
  server.dataReceived(new TextEncoder().encode("c\n"));
  assertFalse(server.waitingForRequest);
  const client = new LineLength();
  client.start("request");
  client.dataReceived(new TextEncoder().encode("ab"));
  assertFalse(client.waitingForRequest);
});

Deno.test("Server idleTimeout closes a peer that stalls mid-message of a DelimitedConsumer", async () => {
  await using server = new Server({
    consumerFactory: () => new LineLength(),
    idleTimeout: 100,
  });
  await server.start();
  using conn = await Deno.connect({ port: server.port });
  await conn.write(new TextEncoder().encode("abc\nhalf a li"));
  const answer = new Uint8Array(2);
  assertEquals(await conn.read(answer), 2);
  assertEquals(new TextDecoder().decode(answer), "3\n");
  const limit = Promise.withResolvers<boolean>();
  const timer = setTimeout(() => limit.resolve(false), 5000);
  const closed = await Promise.race([closedByPeer(conn), limit.promise]);
  clearTimeout(timer);
  assert(closed, "the stalled peer was not closed within 5 s");
});

Deno.test("Server.closed settles once close() has finished, stop fired", async () => {
  const server = new Server({ consumerFactory: () => new Ok() });
  await server.start();
  const order: string[] = [];
  server.bindEvent("stop", () => order.push("stop"));
  const closed = server.closed.then(() => order.push("closed"));
  using conn = await Deno.connect({ port: server.port });
  assertEquals(await ask(conn, "a"), "ok");
  await server.close({ gracePeriod: 1000 });
  await closed;
  assertEquals(order, ["stop", "closed"]);
  await server.closed;
});

Deno.test("Client onError receives a hook that threw on one of its consumers, with the server's address", async () => {
  await using server = new Server({ consumerFactory: () => new Ok() });
  await server.start();
  class Reply extends ProtocolConsumer<Request, string> {
    override dataReceived(data: Uint8Array): void {
      this.finished(new TextDecoder().decode(data));
    }
  }
  const reports: ErrorReport[] = [];
  await using client = new Client({
    consumerFactory: () => new Reply(),
    onError: (report) => reports.push(report),
  });
  const failure = new Error("client hook broke");
  client.bindEvent("postRequest", () => {
    throw failure;
  });
  const request = new Request<string>({ port: server.port }, { data: "a" });
  assertEquals(await client.response(request), "ok");
  assertEquals(reports.length, 1);
  assert(reports[0].error === failure);
  assertEquals(reports[0].source, "event postRequest");
  assertEquals((reports[0].address as Deno.NetAddr).port, server.port);
});

Deno.test("Client onError does not receive what its consumer's dataReceived threw: the request rejects with it, once", async () => {
  await using server = new Server({ consumerFactory: () => new Ok() });
  await server.start();
  const failure = new Error("bad reply");
  class Picky extends ProtocolConsumer<Request, string> {
    override dataReceived(): void {
      throw failure;
    }
  }
  const reports: ErrorReport[] = [];
  await using client = new Client({
    consumerFactory: () => new Picky(),
    onError: (report) => reports.push(report),
  });
  const request = new Request<string>({ port: server.port }, { data: "a" });
  const error = await assertRejects(() => client.response(request));
  assert(error === failure);
  assertEquals(reports, []);
});
