// Copyright 2026 the pulsar for Deno authors. MIT license.
import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertRejects,
} from "@std/assert";
import {
  ConnectionClosedError,
  type ErrorHandler,
  type ErrorReport,
  ProtocolError,
} from "../errors.ts";
import { Connection } from "../protocols/connection.ts";
import { ProtocolConsumer } from "../protocols/protocol_consumer.ts";
import { listen, type SocketListener } from "../transports/listen.ts";
import { concat, decoder, encoder, readAll, waitFor } from "./_helpers.ts";

const SEPARATOR = encoder.encode("\r\n\r\n");

/** Echoes each message ending with "\r\n\r\n", upper-cased. */
class ShoutConsumer extends ProtocolConsumer<undefined, string> {
  #buffer: Uint8Array[] = [];
  // Until its separator arrives it only waits for the peer.
  override get waitingForRequest(): boolean {
    return true;
  }
  override dataReceived(data: Uint8Array): Uint8Array | void {
    this.#buffer.push(data);
    const all = concat(this.#buffer);
    const end = indexOf(all, SEPARATOR);
    if (end < 0) return;
    const message = decoder.decode(all.subarray(0, end));
    this.transport!.write(encoder.encode(message.toUpperCase() + "\r\n\r\n"));
    this.finished(message);
    return all.subarray(end + SEPARATOR.length);
  }
}

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) {
      if (haystack[i + j] !== needle[j]) continue outer;
    }
    return i;
  }
  return -1;
}

/**
 * A listener whose connections run `consumerFactory`; records every
 * connection and consumer.
 */
function serve<C extends ProtocolConsumer>(
  consumerFactory: () => C,
  timeout = 0,
  onError?: ErrorHandler,
): {
  listener: SocketListener<Connection>;
  connections: Connection[];
  consumers: C[];
} {
  const connections: Connection[] = [];
  const consumers: C[] = [];
  const listener = listen(() => {
    const connection = new Connection({
      consumerFactory: () => {
        const consumer = consumerFactory();
        consumers.push(consumer);
        return consumer;
      },
      session: connections.length + 1,
      idleTimeout: timeout,
      producer: { buildConsumer: (factory) => factory(), onError },
    });
    connections.push(connection);
    return connection;
  }, { port: 0 });
  return { listener, connections, consumers };
}

async function rawClient(listener: SocketListener): Promise<Deno.TcpConn> {
  return await Deno.connect({
    hostname: "127.0.0.1",
    port: listener.port,
  });
}

/** Reads from `conn` until `size` bytes have arrived. */
async function readBytes(conn: Deno.Conn, size: number): Promise<string> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const buf = new Uint8Array(64 * 1024);
  while (total < size) {
    const n = await conn.read(buf);
    if (n === null) break;
    chunks.push(buf.slice(0, n));
    total += n;
  }
  return decoder.decode(concat(chunks));
}

Deno.test("Connection serves pipelined requests arriving in one chunk with successive consumers, in order", async () => {
  const { listener, connections, consumers } = serve(() => new ShoutConsumer());
  await using _ = listener;
  const conn = await rawClient(listener);
  await conn.write(encoder.encode("one\r\n\r\ntwo\r\n\r\nthree\r\n\r\n"));
  const expected = "ONE\r\n\r\nTWO\r\n\r\nTHREE\r\n\r\n";
  assertEquals(await readBytes(conn, expected.length), expected);
  assertEquals(consumers.length, 3);
  assertEquals(
    await Promise.all(consumers.map((c) => c.onFinished)),
    ["one", "two", "three"],
  );
  const [connection] = connections;
  assertEquals(connection.processed, 3);
  assertEquals(connection.currentConsumer, undefined);
  assertEquals(connection.session, 1);
  conn.close();
  await connection.closed;
});

Deno.test("Connection hands a consumer a separator split across reads", async () => {
  const { listener, connections } = serve(() => new ShoutConsumer());
  await using _ = listener;
  const conn = await rawClient(listener);
  for (const part of ["hel", "lo\r", "\n", "\r", "\nrest"]) {
    await conn.write(encoder.encode(part));
    await new Promise((r) => setTimeout(r, 10));
  }
  assertEquals(await readBytes(conn, 9), "HELLO\r\n\r\n");
  // "rest" went to a second consumer, still waiting for its separator.
  await waitFor(() => connections[0].currentConsumer !== undefined);
  assertEquals(connections[0].processed, 1);
  await conn.write(encoder.encode("!\r\n\r\n"));
  assertEquals(await readBytes(conn, 9), "REST!\r\n\r\n");
  conn.close();
  await connections[0].closed;
});

Deno.test("Connection fails an unfinished consumer with ConnectionClosedError when the peer closes", async () => {
  const { listener, connections, consumers } = serve(() => new ShoutConsumer());
  await using _ = listener;
  const conn = await rawClient(listener);
  await conn.write(encoder.encode("half a message"));
  await waitFor(() => consumers.length === 1);
  const finished = consumers[0].onFinished;
  conn.close();
  const error = await assertRejects(
    () => finished,
    ConnectionClosedError,
    "closed before the exchange finished",
  );
  assertEquals(error.cause, undefined);
  await connections[0].closed;
  assertEquals(connections[0].processed, 1);
});

Deno.test("Connection closes a silent connection after its idle timeout", async () => {
  const { listener, connections } = serve(() => new ShoutConsumer(), 50);
  await using _ = listener;
  const conn = await rawClient(listener);
  const started = performance.now();
  // The server closes: the client reads end of stream.
  assertEquals((await readAll(conn)).length, 0);
  const elapsed = performance.now() - started;
  await connections[0].closed;
  assert(elapsed >= 45, `closed after ${elapsed} ms`);
  conn.close();
});

Deno.test("Connection re-arms its idle timeout on every read while its consumer waits for the rest of a request", async () => {
  const { listener, connections } = serve(() => new ShoutConsumer(), 150);
  await using _ = listener;
  const conn = await rawClient(listener);
  for (let i = 0; i < 12; i++) {
    await new Promise((r) => setTimeout(r, 25));
    await conn.write(encoder.encode("."));
  }
  // 300 ms in, past two timeouts, still open.
  assert(!connections[0].isClosed);
  assertEquals((await readAll(conn)).length, 0);
  await connections[0].closed;
  conn.close();
});

Deno.test("Connection aborts with ProtocolError, reported to onError, when a consumer returns bytes before it finished", async () => {
  class Sloppy extends ProtocolConsumer {
    override dataReceived(data: Uint8Array): Uint8Array {
      return data.subarray(1);
    }
  }
  const reports: ErrorReport[] = [];
  const { listener, connections } = serve(
    () => new Sloppy(),
    0,
    (report) => reports.push(report),
  );
  await using _ = listener;
  const conn = await rawClient(listener);
  const lost = Promise.withResolvers<Error | undefined>();
  await waitFor(() => connections.length === 1);
  connections[0].bindEvent(
    "connectionLost",
    (_c, error) => lost.resolve(error),
  );
  await conn.write(encoder.encode("abc"));
  const error = await lost.promise;
  assertInstanceOf(error, ProtocolError);
  assertEquals(
    error!.message,
    "Consumer Sloppy returned 2 bytes before it finished",
  );
  assertEquals(reports.map((r) => [r.source, r.error]), [
    ["dataReceived", error],
  ]);
  conn.close();
});

Deno.test("Connection.upgrade() sends the bytes after the upgrade to the new protocol's consumers", async () => {
  class Reverse extends ProtocolConsumer {
    override dataReceived(data: Uint8Array): void {
      this.transport!.write(data.slice().reverse());
      this.finished();
    }
  }
  class Upgrading extends ShoutConsumer {
    override dataReceived(data: Uint8Array): Uint8Array | void {
      const rest = super.dataReceived(data);
      if (this.hasFinished) {
        (this.connection as Connection).upgrade(() => new Reverse());
      }
      return rest;
    }
  }
  const { listener, connections } = serve(() => new Upgrading());
  await using _ = listener;
  const conn = await rawClient(listener);
  await conn.write(encoder.encode("upgrade\r\n\r\nabc"));
  assertEquals(await readBytes(conn, 14), "UPGRADE\r\n\r\ncba");
  conn.close();
  await connections[0].closed;
});

Deno.test("Connection fires connectionMade and connectionLost once each, with the transport and the error", async () => {
  const seen: string[] = [];
  const { listener } = serve(() => new ShoutConsumer());
  await using _ = listener;
  const connection = new Connection({
    consumerFactory: () => new ShoutConsumer(),
  });
  connection.bindEvent("connectionMade", (c, transport) => {
    seen.push(`made ${c === connection} ${transport === connection.transport}`);
  });
  connection.bindEvent(
    "connectionLost",
    (_c, error) => seen.push(`lost ${error}`),
  );
  const { connect } = await import("../transports/connect.ts");
  await connect(() => connection, { port: listener.port });
  connection.close();
  connection.close();
  await connection.closed;
  assertEquals(seen, ["made true true", "lost undefined"]);
  assert(connection.isClosed);
});

Deno.test("Connection stops reading while its transport's writing is paused, and resumes when it drains", async () => {
  const REPLY = 256 * 1024;
  class Big extends ProtocolConsumer {
    override dataReceived(data: Uint8Array): Uint8Array {
      this.transport!.write(new Uint8Array(REPLY).fill(data[0]));
      this.finished();
      return data.subarray(1);
    }
  }
  const { listener, connections } = serve(() => new Big());
  await using _ = listener;
  const conn = await rawClient(listener);
  const requests = 64;
  // 64 one-byte requests, each answered with 256 KiB nobody reads yet.
  await conn.write(new Uint8Array(requests).fill(7));
  await waitFor(() => connections[0]?.transport?.isReading() === false);
  const transport = connections[0].transport!;
  const paused = connections[0].processed;
  assert(paused < requests, `processed ${paused} of ${requests} while paused`);
  // Now read everything: every reply arrives once the buffer drains.
  let total = 0;
  const buf = new Uint8Array(256 * 1024);
  while (total < requests * REPLY) {
    const n = await conn.read(buf);
    if (n === null) break;
    total += n;
  }
  assertEquals(total, requests * REPLY);
  assertEquals(connections[0].processed, requests);
  assert(transport.isReading());
  conn.close();
  await connections[0].closed;
});
