// Copyright 2026 the pulsar for Deno authors. MIT license.
// Regressions of issue 13 in the factories and producers: bad options
// refused where given (#7), huge timeouts (#6), sockets leaked on error paths
// (#8), throwing callbacks (#10), listen failures as typed errors (#11).
import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertRejects,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import process from "node:process";
import {
  AddrInUseError,
  type ErrorReport,
  ListenError,
  NetError,
  TimeoutError,
} from "../errors.ts";
import { ConnectionProducer } from "../producers/connection_producer.ts";
import { DatagramServer } from "../producers/datagram_server.ts";
import { Producer } from "../producers/producer.ts";
import { Server, type ServerOptions } from "../producers/server.ts";
import { DatagramProtocol } from "../protocols/datagram_protocol.ts";
import { Protocol } from "../protocols/protocol.ts";
import { ProtocolConsumer } from "../protocols/protocol_consumer.ts";
import { connect, type ConnectOptions } from "../transports/connect.ts";
import { listen, type ListenOptions } from "../transports/listen.ts";
import type { SocketTransport } from "../transports/socket_transport.ts";
import {
  listenDatagram,
  type ListenDatagramOptions,
} from "../transports/listen_datagram.ts";
import { echo, EchoConsumer } from "./_fixtures.ts";
import { bounded, certs, decoder, encoder } from "./_helpers.ts";

const echoFactory = () => new EchoConsumer();

/**
 * Reads `conn` until end of stream, for at most `ms` milliseconds: the bytes
 * read, or "open" if the peer neither closed nor reset it in time (the
 * connection is then closed here, so nothing leaks).
 */
async function readToEnd(
  conn: Deno.Conn,
  ms = 5000,
): Promise<string | "open"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<"open">((resolve) => {
    timer = setTimeout(() => resolve("open"), ms);
  });
  const reading = (async () => {
    const buf = new Uint8Array(64 * 1024);
    let text = "";
    try {
      while (true) {
        const n = await conn.read(buf);
        if (n === null) return text;
        text += decoder.decode(buf.subarray(0, n));
      }
    } catch (error) {
      if (error instanceof Deno.errors.ConnectionReset) return text;
      if (error instanceof Deno.errors.BadResource) return "open";
      throw error;
    }
  })();
  const result = await Promise.race([reading, expired]);
  clearTimeout(timer);
  if (result === "open") {
    conn.close();
    await reading;
  }
  return result;
}

/** A TCP port nobody listens on right now. */
function freeTcpPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  return port;
}

/** A UDP port nobody is bound to right now. */
function freeUdpPort(): number {
  const socket = Deno.listenDatagram({
    hostname: "127.0.0.1",
    port: 0,
    transport: "udp",
  });
  const port = (socket.addr as Deno.NetAddr).port;
  socket.close();
  return port;
}

/** Asserts `attempt` throws `Type` with a message quoting `name` and `value`. */
function assertRefused(
  attempt: () => unknown,
  Type: typeof TypeError | typeof RangeError,
  mention: string,
): void {
  const error = assertThrows(attempt, Type);
  assertStringIncludes(error.message, mention);
}

// ---------------------------------------------------------------- #7

Deno.test("Server refuses readSize 0 and writeBufferLimits low above high at construction, instead of starting and hanging", () => {
  assertRefused(
    () =>
      new Server({
        consumerFactory: echoFactory,
        maxConnections: 2,
        readSize: 0,
      }),
    RangeError,
    'readSize "0"',
  );
  assertRefused(
    () =>
      new Server({
        consumerFactory: echoFactory,
        maxConnections: 2,
        writeBufferLimits: { high: 10, low: 20 },
      }),
    RangeError,
    'low "20"',
  );
});

Deno.test("Server refuses every bad option where it is given, naming the option and the value", () => {
  const cases: [Partial<ServerOptions>, typeof RangeError, string][] = [
    [{ maxConnections: 1.5 }, RangeError, 'maxConnections "1.5"'],
    [{ maxConnections: -1 }, RangeError, 'maxConnections "-1"'],
    [{ idleTimeout: NaN }, RangeError, 'idleTimeout "NaN"'],
    [{ idleTimeout: -5 }, RangeError, 'idleTimeout "-5"'],
    [{ idleTimeout: "5" as never }, TypeError, 'idleTimeout "5" (a string)'],
    [{ backlog: 0 }, RangeError, 'backlog "0"'],
    [{ backlog: 1.5 }, RangeError, 'backlog "1.5"'],
    [{ port: 65536 }, RangeError, 'port "65536"'],
    [{ port: -1 }, RangeError, 'port "-1"'],
    [{ port: "80" as never }, TypeError, 'port "80" (a string)'],
    [{ hostname: 127 as never }, TypeError, 'hostname "127"'],
    [{ path: 1 as never }, TypeError, 'path "1"'],
    [{ tls: "yes" as never }, TypeError, "tls"],
    [{ tls: { cert: 1, key: certs.key } as never }, TypeError, "tls.cert"],
    [{ consumerFactory: undefined }, TypeError, "consumerFactory"],
    [{ connectionFactory: "x" as never }, TypeError, "connectionFactory"],
    [{ name: 5 as never }, TypeError, 'name "5"'],
    [{ readSize: 2 ** 40 }, RangeError, "readSize"],
    [{ readSize: 1.5 }, RangeError, 'readSize "1.5"'],
    [{ noDelay: "yes" as never }, TypeError, "noDelay"],
    [{ tcpKeepAlive: 1 as never }, TypeError, "tcpKeepAlive"],
    [{ writeBufferLimits: { high: -1 } }, RangeError, 'high "-1"'],
  ];
  for (const [options, Type, mention] of cases) {
    assertRefused(
      () => new Server({ consumerFactory: echoFactory, ...options }),
      Type,
      mention,
    );
  }
  assertRefused(() => new Server(undefined as never), TypeError, "options");
});

Deno.test("Server.close() refuses a NaN or negative timeout instead of treating it as no limit", async () => {
  const server = new Server({ consumerFactory: echoFactory });
  await server.start();
  for (const timeout of [NaN, -1]) {
    const error = await assertRejects(
      () => server.close({ gracePeriod: timeout }),
      RangeError,
    );
    assertStringIncludes(error.message, `gracePeriod "${timeout}"`);
  }
  await server.close({ gracePeriod: 1000 });
});

Deno.test("Producer, ConnectionProducer and DatagramServer refuse bad options where given", () => {
  assertRefused(
    () => new Producer({ idleTimeout: NaN }),
    RangeError,
    "idleTimeout",
  );
  assertRefused(
    () => new Producer({ idleTimeout: -1 }),
    RangeError,
    "idleTimeout",
  );
  assertRefused(
    () => new Producer({ connectionFactory: 5 as never }),
    TypeError,
    "connectionFactory",
  );
  assertRefused(
    () => new ConnectionProducer({ idleTimeout: "1" as never }),
    TypeError,
    "idleTimeout",
  );
  assertRefused(
    () => new ConnectionProducer().newConnection("x" as never),
    TypeError,
    "consumerFactory",
  );
  const protocolFactory = () => new DatagramProtocol();
  assertRefused(
    () => new DatagramServer({ protocolFactory: undefined as never }),
    TypeError,
    "protocolFactory",
  );
  assertRefused(
    () => new DatagramServer({ protocolFactory, port: 70000 }),
    RangeError,
    'port "70000"',
  );
  assertRefused(
    () => new DatagramServer({ protocolFactory, hostname: 1 as never }),
    TypeError,
    "hostname",
  );
  assertRefused(
    () => new DatagramServer({ protocolFactory, name: {} as never }),
    TypeError,
    "name",
  );
});

Deno.test("listen() and listenDatagram() refuse bad options before opening a socket", () => {
  const factory = () => new Protocol();
  const cases: [ListenOptions, typeof RangeError, string][] = [
    [{ readSize: 0 }, RangeError, 'readSize "0"'],
    [{ readSize: 2 ** 40 }, RangeError, "readSize"],
    [{ writeBufferLimits: { high: 10, low: 20 } }, RangeError, 'low "20"'],
    [{ port: 1.5 }, RangeError, 'port "1.5"'],
    [{ backlog: -1 }, RangeError, 'backlog "-1"'],
    [{ onTransport: "x" as never }, TypeError, "onTransport"],
    [{ tls: { cert: certs.cert } as never }, TypeError, "tls.key"],
  ];
  for (const [options, Type, mention] of cases) {
    assertRefused(() => listen(factory, options), Type, mention);
  }
  assertRefused(() => listen(5 as never), TypeError, "protocolFactory");

  const datagram = () => new DatagramProtocol();
  const datagramCases: [ListenDatagramOptions, typeof RangeError, string][] = [
    [{ port: 1.5 }, RangeError, 'port "1.5"'],
    [{ hostname: 0 as never }, TypeError, "hostname"],
    [{ reuseAddress: "yes" as never }, TypeError, "reuseAddress"],
    [
      { remoteAddr: { hostname: "127.0.0.1", port: 0 } },
      RangeError,
      'remoteAddr.port "0"',
    ],
  ];
  for (const [options, Type, mention] of datagramCases) {
    assertRefused(() => listenDatagram(datagram, options), Type, mention);
  }
  assertRefused(
    () => listenDatagram(null as never),
    TypeError,
    "protocolFactory",
  );
});

Deno.test("DatagramTransport.sendto() refuses a string at the call", () => {
  const [transport] = listenDatagram(() => new DatagramProtocol());
  try {
    assertRefused(
      () =>
        transport.sendto(
          "hello" as never,
          transport.localAddr as Deno.NetAddr,
        ),
      TypeError,
      "data",
    );
  } finally {
    transport.close();
  }
  return transport.closed;
});

Deno.test("Server forgets a connection whose transport cannot be built: it keeps accepting at maxConnections and close() settles", async () => {
  // Options changed after construction reach new transports; a bad one must
  // cost those connections, never the server, and is reported.
  const reports: ErrorReport[] = [];
  const options: ServerOptions = {
    consumerFactory: echoFactory,
    maxConnections: 1,
    readSize: 1024,
    onError: (report) => reports.push(report),
  };
  const server = new Server(options);
  await server.start();
  try {
    options.readSize = 0;
    for (let i = 0; i < 3; i++) {
      const conn = await Deno.connect({ port: server.port });
      // Dropped by the server, not left waiting in the backlog.
      assertEquals(await readToEnd(conn), "");
      conn.close();
    }
    assertEquals(server.concurrentConnections, 0);
    assert(server.accepting);
    assertEquals(
      reports.map((r) => r.source),
      Array(3).fill("protocolFactory"),
    );
    for (const { error } of reports) {
      assertInstanceOf(error, RangeError);
      assertStringIncludes(
        (error as RangeError).message,
        'Cannot use readSize "0"',
      );
    }
    options.readSize = 1024;
    const conn = await Deno.connect({ port: server.port });
    assertEquals(await echo(conn, "still serving"), "still serving\r\n\r\n");
    conn.close();
  } finally {
    options.readSize = 1024;
    await bounded(server.close({ gracePeriod: 200 }), 5000, "Server.close()");
  }
});

Deno.test("connect() refuses a bad option before opening a connection", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  const factory = () => new Protocol();
  const cases: [ConnectOptions, typeof RangeError, string][] = [
    [{ port, readSize: 0 }, RangeError, 'readSize "0"'],
    [{ port, writeBufferLimits: { high: 1, low: 2 } }, RangeError, 'low "2"'],
    [{ port, connectTimeout: NaN }, RangeError, 'connectTimeout "NaN"'],
    [{ port, connectTimeout: -1 }, RangeError, 'connectTimeout "-1"'],
    [{ port: 0 }, RangeError, 'port "0"'],
    [{ port: 70000 }, RangeError, 'port "70000"'],
    [{ port, hostname: 1 as never }, TypeError, "hostname"],
    [{ port, signal: "x" as never }, TypeError, "signal"],
    [{ port, tls: "yes" as never }, TypeError, "tls"],
    [{ port, tls: { caCerts: certs.ca as never } }, TypeError, "caCerts"],
    [{ port, noDelay: 0 as never }, TypeError, "noDelay"],
  ];
  for (const [options, Type, mention] of cases) {
    const error = await assertRejects(() => connect(factory, options), Type);
    assertStringIncludes(error.message, mention);
  }
  await assertRejects(
    () => connect(undefined as never, { port }),
    TypeError,
    "protocolFactory",
  );
  // Nothing connected: the first connection the listener sees is this one.
  using probe = await Deno.connect({ port });
  using accepted = await listener.accept();
  assertEquals(
    (accepted.remoteAddr as Deno.NetAddr).port,
    (probe.localAddr as Deno.NetAddr).port,
  );
});

// ---------------------------------------------------------------- #6

/** Answers each message after 300 ms. */
class Slow300 extends ProtocolConsumer {
  #timer: ReturnType<typeof setTimeout> | undefined;
  override dataReceived(data: Uint8Array): void {
    const copy = data.slice();
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.transport?.isClosing()) return;
      this.transport!.write(copy);
      this.finished();
    }, 300);
  }
  override connectionLost(error?: Error): void {
    clearTimeout(this.#timer);
    super.connectionLost(error);
  }
}

/** Waits until a request has reached a consumer of `server`. */
async function untilInFlight(server: Server): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if ([...server.connections][0]?.currentConsumer !== undefined) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error("No request reached the server within 5 s");
}

for (const timeout of [Infinity, 2 ** 31]) {
  Deno.test(`Server.close({ gracePeriod: ${timeout} }) lets a 300 ms request finish instead of cutting it`, async () => {
    const server = new Server({ consumerFactory: () => new Slow300() });
    await server.start();
    const conn = await Deno.connect({ port: server.port });
    try {
      await conn.write(encoder.encode("slow"));
      await untilInFlight(server);
      const closing = server.close({ gracePeriod: timeout });
      assertEquals(await readToEnd(conn), "slow");
      await closing;
    } finally {
      conn.close();
      await server.close();
    }
  });
}

Deno.test("Server idleTimeout Infinity means no idle timeout, with no timer overflowing", async () => {
  let warnings = 0;
  const onWarning = () => warnings++;
  process.on("warning", onWarning);
  const server = new Server({ consumerFactory: echoFactory, idleTimeout: 0 });
  const forever = new Server({
    consumerFactory: echoFactory,
    idleTimeout: Infinity,
  });
  try {
    await server.start();
    await forever.start();
    const a = await Deno.connect({ port: server.port });
    const b = await Deno.connect({ port: forever.port });
    await new Promise((resolve) => setTimeout(resolve, 300));
    assertEquals(await echo(a, "zero"), "zero\r\n\r\n");
    assertEquals(await echo(b, "infinity"), "infinity\r\n\r\n");
    a.close();
    b.close();
    assertEquals(warnings, 0);
  } finally {
    process.off("warning", onWarning);
    await server.close();
    await forever.close();
  }
});

// ---------------------------------------------------------------- #8

Deno.test("connect() whose protocol factory throws rejects with that error and closes the connection", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const attempt = connect(() => {
    throw new Error("factory failed");
  }, { port: listener.addr.port });
  const accepted = await listener.accept();
  await assertRejects(() => attempt, Error, "factory failed");
  assertEquals(await readToEnd(accepted), "");
  accepted.close();
});

Deno.test("connect() rejects with the error connectionMade threw, leaving nothing open", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let lost = false;
  class Failing extends Protocol {
    override connectionMade(): void {
      throw new Error("connectionMade failed");
    }
    override connectionLost(): void {
      lost = true;
    }
  }
  const attempt = connect(() => new Failing(), { port: listener.addr.port });
  const accepted = await listener.accept();
  await assertRejects(() => attempt, Error, "connectionMade failed");
  assert(lost);
  assertEquals(await readToEnd(accepted), "");
  accepted.close();
});

Deno.test("connect() resolves when connectionMade closes the transport itself, without throwing", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  class SayAndGo extends Protocol {
    override connectionMade(transport: SocketTransport): void {
      super.connectionMade(transport);
      transport.write(encoder.encode("bye"));
      transport.close();
    }
  }
  const attempt = connect(() => new SayAndGo(), { port: listener.addr.port });
  const accepted = await listener.accept();
  const [transport] = await attempt;
  assertEquals(await readToEnd(accepted), "bye");
  accepted.close();
  await transport.closed;
});

Deno.test("DatagramServer.start() whose factory throws rejects and frees its UDP port", async () => {
  const port = freeUdpPort();
  const server = new DatagramServer({
    protocolFactory: () => {
      throw new Error("factory failed");
    },
    port,
  });
  let started: Promise<void> | undefined;
  try {
    started = server.start();
  } catch (error) {
    throw new Error("start() threw synchronously", { cause: error });
  }
  await assertRejects(() => started!, Error, "factory failed");
  // The port is free again: the socket was closed.
  const again = Deno.listenDatagram({
    hostname: "127.0.0.1",
    port,
    transport: "udp",
  });
  again.close();
  await server.close();
});

Deno.test("listenDatagram() throws what connectionMade threw and frees its UDP port", () => {
  const port = freeUdpPort();
  class Failing extends DatagramProtocol {
    override connectionMade(): void {
      throw new Error("connectionMade failed");
    }
  }
  assertThrows(
    () => listenDatagram(() => new Failing(), { port }),
    Error,
    "connectionMade failed",
  );
  const again = Deno.listenDatagram({
    hostname: "127.0.0.1",
    port,
    transport: "udp",
  });
  again.close();
});

// ---------------------------------------------------------------- #10

Deno.test("listen() onTransport that throws costs its connection, not the process, and the listener keeps serving", async () => {
  class Echo extends Protocol {
    override dataReceived(data: Uint8Array): void {
      this.transport!.write(data);
    }
  }
  let calls = 0;
  const reports: ErrorReport[] = [];
  await using listener = listen(() => new Echo(), {
    onTransport: () => {
      if (++calls === 1) throw new Error("onTransport failed");
    },
    onError: (report) => reports.push(report),
  });
  const first = await Deno.connect({ port: listener.port });
  assertEquals(await readToEnd(first), "");
  first.close();
  const second = await Deno.connect({ port: listener.port });
  await second.write(encoder.encode("ping"));
  const buf = new Uint8Array(4);
  assertEquals(await second.read(buf), 4);
  assertEquals(decoder.decode(buf), "ping");
  second.close();
  assertEquals(calls, 2);
  assertEquals(reports.length, 1);
  assertEquals(reports[0].source, "onTransport");
  assertEquals((reports[0].error as Error).message, "onTransport failed");
});

// ---------------------------------------------------------------- #11

Deno.test("Server.start() on a port in use rejects with AddrInUseError naming the address, Deno's error as cause", async () => {
  using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = taken.addr.port;
  const server = new Server({ consumerFactory: echoFactory, port });
  let started: Promise<void> | undefined;
  try {
    started = server.start();
  } catch (error) {
    throw new Error("start() threw synchronously", { cause: error });
  }
  const error = await assertRejects(() => started!, AddrInUseError);
  assertInstanceOf(error, ListenError);
  assertInstanceOf(error, NetError);
  assertEquals(
    error.message,
    `Cannot listen on 127.0.0.1:${port}: address in use`,
  );
  assertEquals(error.address, `127.0.0.1:${port}`);
  assertInstanceOf(error.cause, Deno.errors.AddrInUse);
  await server.close();
});

Deno.test("DatagramServer.start() on a port in use rejects with AddrInUseError naming the address", async () => {
  const taken = Deno.listenDatagram({
    hostname: "127.0.0.1",
    port: 0,
    transport: "udp",
  });
  const port = (taken.addr as Deno.NetAddr).port;
  const server = new DatagramServer({
    protocolFactory: () => new DatagramProtocol(),
    port,
  });
  try {
    let started: Promise<void> | undefined;
    try {
      started = server.start();
    } catch (error) {
      throw new Error("start() threw synchronously", { cause: error });
    }
    const error = await assertRejects(
      () => started!,
      AddrInUseError,
      `Cannot listen on 127.0.0.1:${port}: address in use`,
    );
    assertInstanceOf(error.cause, Deno.errors.AddrInUse);
  } finally {
    taken.close();
    await server.close();
  }
});

Deno.test("listen() and listenDatagram() on a port in use throw AddrInUseError at once, like Deno.listen", () => {
  using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = taken.addr.port;
  assertThrows(
    () => listen(() => new Protocol(), { port }),
    AddrInUseError,
    `Cannot listen on 127.0.0.1:${port}: address in use`,
  );
  const udp = Deno.listenDatagram({
    hostname: "127.0.0.1",
    port: 0,
    transport: "udp",
  });
  try {
    const udpPort = (udp.addr as Deno.NetAddr).port;
    assertThrows(
      () => listenDatagram(() => new DatagramProtocol(), { port: udpPort }),
      AddrInUseError,
      `Cannot listen on 127.0.0.1:${udpPort}: address in use`,
    );
  } finally {
    udp.close();
  }
});

Deno.test("Server.start() rejects with ListenError for a non-local address, a directory, an over-long path and a bad PEM", async () => {
  const dir = await Deno.makeTempDir();
  const cases: [Partial<ServerOptions>, string, unknown][] = [
    [
      { hostname: "192.0.2.1", port: freeTcpPort() },
      "address not available",
      Deno.errors.AddrNotAvailable,
    ],
    [{ path: dir }, "is a directory", Deno.errors.AddrInUse],
    [{ path: `${dir}/${"x".repeat(120)}.sock` }, "longer than", TypeError],
    [
      { tls: { cert: "not a certificate", key: certs.key } },
      "invalid TLS certificate or key",
      Deno.errors.InvalidData,
    ],
  ];
  try {
    for (const [options, reason, Cause] of cases) {
      const server = new Server({ consumerFactory: echoFactory, ...options });
      const error = await assertRejects(() => server.start(), ListenError);
      assertStringIncludes(error.message, "Cannot listen on ");
      assertStringIncludes(error.message, reason);
      assertStringIncludes(
        error.message,
        options.path ?? options.hostname ?? "127.0.0.1",
      );
      assertInstanceOf(error.cause, Cause as typeof Error);
      await server.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("TLS over a Unix socket is refused with a TypeError at the call", async () => {
  const path = "/tmp/pulsar-h2-tls-unix.sock";
  await assertRejects(
    () => connect(() => new Protocol(), { path, tls: true }),
    TypeError,
    "Unix socket",
  );
  assertThrows(
    () =>
      listen(() => new Protocol(), {
        path,
        tls: { cert: certs.cert, key: certs.key },
      }),
    TypeError,
    "Unix socket",
  );
  assertThrows(
    () =>
      new Server({
        consumerFactory: echoFactory,
        path,
        tls: { cert: certs.cert, key: certs.key },
      }),
    TypeError,
    "Unix socket",
  );
});

// ---------------------------------------------------------------- accept

Deno.test("listen() accepts at once after connections reset in the backlog, with no retry pause", async () => {
  class Echo extends Protocol {
    override dataReceived(data: Uint8Array): void {
      this.transport!.write(data);
    }
  }
  await using listener = listen(() => new Echo());
  listener.pauseAccepting();
  // Let the pending accept take one connection, then queue resets behind it.
  const script = new URL("./peers/reset_client.py", import.meta.url).pathname;
  const resets = 10;
  for (let i = 0; i < resets; i++) {
    const status = await new Deno.Command("python3", {
      args: [script, String(listener.port), "x", "0"],
    }).output();
    assert(status.success);
  }
  await new Promise((resolve) => setTimeout(resolve, 50));
  const start = Date.now();
  listener.resumeAccepting();
  const conn = await Deno.connect({ port: listener.port });
  await conn.write(encoder.encode("ping"));
  const buf = new Uint8Array(4);
  assertEquals(await conn.read(buf), 4);
  const elapsed = Date.now() - start;
  conn.close();
  // Each reset used to cost a 100 ms pause: 1 s for ten.
  assert(elapsed < 600, `served after ${elapsed} ms`);
});

// ---------------------------------------------------------------- timeout

Deno.test("Server.close({ gracePeriod: 0 }) aborts an in-flight request at once with TimeoutError", async () => {
  let lostWith: Error | undefined;
  const server = new Server({ consumerFactory: () => new Slow300() });
  server.bindEvent("connectionLost", (_connection, error) => {
    lostWith = error;
  });
  await server.start();
  const conn = await Deno.connect({ port: server.port });
  await conn.write(encoder.encode("slow"));
  await untilInFlight(server);
  await server.close({ gracePeriod: 0 });
  assertEquals(await readToEnd(conn), "");
  conn.close();
  assertInstanceOf(lostWith, TimeoutError);
});
