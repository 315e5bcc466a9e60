// Copyright 2026 the pulsar for Deno authors. MIT license.
// Defects found by trying to break the module after issue 13 and 14 landed.
import { assertEquals, assertInstanceOf, assertRejects } from "@std/assert";
import { Client } from "../clients/client.ts";
import { DatagramClient } from "../clients/datagram_client.ts";
import { ConnectionPool } from "../clients/connection_pool.ts";
import { Request } from "../clients/request.ts";
import { TimeoutError } from "../errors.ts";
import { DatagramServer } from "../producers/datagram_server.ts";
import { Server } from "../producers/server.ts";
import { DatagramProtocol } from "../protocols/datagram_protocol.ts";
import { Connection } from "../protocols/connection.ts";
import { Protocol } from "../protocols/protocol.ts";
import { ProtocolConsumer } from "../protocols/protocol_consumer.ts";
import { connect } from "../transports/connect.ts";
import { listen } from "../transports/listen.ts";
import type { SocketTransport } from "../transports/socket_transport.ts";

const MiB = 1024 * 1024;

/** Answers any request with `size` bytes at once, then finishes. */
class Download extends ProtocolConsumer {
  constructor(readonly size: number) {
    super();
  }
  override dataReceived(): void {
    this.transport!.write(new Uint8Array(this.size).fill(7));
    this.finished();
  }
}

Deno.test("Server idleTimeout never cuts an answer a slow reader is still draining", async () => {
  const reports: unknown[] = [];
  await using server = new Server({
    consumerFactory: () => new Download(8 * MiB),
    idleTimeout: 200,
    onError: (report) => reports.push(report.error),
  });
  await server.start();
  using conn = await Deno.connect({ port: server.port });
  await conn.write(new TextEncoder().encode("GET"));
  const buf = new Uint8Array(128 * 1024);
  let total = 0;
  // 8 MiB at 128 KiB every 15 ms takes about a second: five idle timeouts.
  while (total < 8 * MiB) {
    const n = await conn.read(buf);
    if (n === null) break;
    total += n;
    await new Promise((resolve) => setTimeout(resolve, 15));
  }
  assertEquals(total, 8 * MiB);
  assertEquals(reports, []);
});

/** A consumer that answers "ok" to anything. */
class Ok extends ProtocolConsumer<Request, string> {
  override dataReceived(): void {
    this.finished("ok");
  }
}

Deno.test("Client whose consumerFactory throws fails that request and keeps the pool usable", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const serving = (async () => {
    for await (const conn of listener) {
      (async () => {
        const buf = new Uint8Array(64);
        while (await conn.read(buf) !== null) {
          await conn.write(new TextEncoder().encode("ok"));
        }
        conn.close();
      })();
    }
  })();
  let failNext = true;
  const client = new Client({
    poolSize: 1,
    timeout: 2000,
    consumerFactory: () => {
      if (failNext) {
        failNext = false;
        throw new Error("factory failed once");
      }
      return new Ok();
    },
  });
  const address = { port: listener.addr.port };
  await assertRejects(
    () => client.response(new Request<string>(address, { data: "a" })),
    Error,
    "factory failed once",
  );
  // Before the fix the connection stayed in use: this one timed out.
  assertEquals(
    await client.response(new Request<string>(address, { data: "b" })),
    "ok",
  );
  assertEquals(client.connectionsInUse, 0);
  await client.close();
  listener.close();
  await serving;
});

Deno.test("ConnectionPool acquireTimeout also bounds the connect opened for a waiter when a slot comes free", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let connects = 0;
  const pool = new ConnectionPool({
    poolSize: 1,
    acquireTimeout: 200,
    connect: async (signal) => {
      if (++connects === 2) {
        // The second connect is slow: it ends only when aborted.
        await new Promise((_, reject) => {
          signal?.addEventListener("abort", () => reject(signal.reason));
        });
      }
      const [, connection] = await connect(() => new Connection(), {
        port: listener.addr.port,
        signal,
      });
      return connection;
    },
  });
  const first = await pool.acquire();
  const waiting = pool.acquire();
  pool.release(first, { discard: true });
  const started = Date.now();
  const error = await waiting.then(() => undefined, (error) => error);
  assertInstanceOf(error, TimeoutError);
  // Before the fix it waited for ever (the connect was never aborted).
  assertEquals(Date.now() - started < 2000, true);
  await pool.close();
});

Deno.test("listen() reports to onError what a plain protocol's dataReceived and connectionMade threw", async () => {
  const reports: string[] = [];
  let throwOnMade = false;
  class Fragile extends Protocol {
    override connectionMade(transport: SocketTransport): void {
      super.connectionMade(transport);
      if (throwOnMade) throw new Error("made");
    }
    override dataReceived(): void {
      throw new Error("data");
    }
  }
  const got = Promise.withResolvers<void>();
  await using listener = listen(() => new Fragile(), {
    port: 0,
    onError: (report) => {
      reports.push(`${report.source}: ${(report.error as Error).message}`);
      if (reports.length === 2) got.resolve();
    },
  });
  {
    using conn = await Deno.connect({ port: listener.port });
    await conn.write(new Uint8Array([1]));
    // Before the fix nothing was reported: the peer saw a clean close.
    assertEquals(await conn.read(new Uint8Array(1)), null);
  }
  throwOnMade = true;
  {
    using conn = await Deno.connect({ port: listener.port });
    assertEquals(await conn.read(new Uint8Array(1)), null);
  }
  await got.promise;
  assertEquals(reports, ["dataReceived: data", "connectionMade: made"]);
});

Deno.test("DatagramServer.port gives the bound port, as Server.port does", async () => {
  await using server = new DatagramServer({
    protocolFactory: () => new DatagramProtocol(),
  });
  await server.start();
  assertEquals(server.port, server.localAddr.port);
  assertEquals(server.port > 0, true);
});

Deno.test("DatagramClient has isClosing() and a closed promise, as Client does", async () => {
  const client = new DatagramClient({ port: 9 });
  assertEquals(client.isClosing(), false);
  const closing = client.close();
  assertEquals(client.isClosing(), true);
  await closing;
  await client.closed;
});
