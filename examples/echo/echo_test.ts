// Copyright 2026 the pulsar for Deno authors. MIT license.
// The echo example's own tests: its consumers and client in process, its
// server and client scripts as a user runs them.
import { assertEquals, assertMatch } from "@std/assert";
import { Server } from "@pulsar/net";
import { EchoClient, EchoServerConsumer } from "./echo.ts";
import { runExample, startExample } from "../_testing.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Starts an echo server on a free port. */
async function startServer(maxSize?: number): Promise<Server> {
  const server = new Server({
    consumerFactory: () => new EchoServerConsumer({ maxSize }),
  });
  await server.start();
  return server;
}

/** Bytes that show corruption and reordering. */
function pattern(size: number): Uint8Array {
  return Uint8Array.from({ length: size }, (_, i) => (i * 7 + (i >> 11)) % 251);
}

/** Reads `size` bytes from `conn`, or up to its end if `size` is omitted. */
async function read(conn: Deno.Conn, size = Infinity): Promise<string> {
  let text = "";
  const buf = new Uint8Array(64 * 1024);
  while (text.length < size) {
    const want = Math.min(buf.length, size - text.length);
    const n = await conn.read(buf.subarray(0, want));
    if (n === null) break;
    text += decoder.decode(buf.subarray(0, n));
  }
  return text;
}

/** Writes `text` in `parts` on `conn`, 10 ms apart. */
async function writeInParts(conn: Deno.Conn, parts: string[]): Promise<void> {
  for (const part of parts) {
    await conn.write(encoder.encode(part));
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

Deno.test("EchoClient.request() gets 'ciao luca' back", async () => {
  await using server = await startServer();
  await using client = new EchoClient({ port: server.port });
  assertEquals(decoder.decode(await client.request("ciao luca")), "ciao luca");
});

Deno.test("EchoClient.request() gets 8192 bytes back intact", async () => {
  await using server = await startServer();
  await using client = new EchoClient({ port: server.port });
  const data = pattern(8192);
  assertEquals(await client.request(data), data);
});

Deno.test("EchoClient.request() gives three concurrent requests their own answers", async () => {
  await using server = await startServer();
  await using client = new EchoClient({ port: server.port });
  const replies = await Promise.all(
    ["first", "second", "third"].map((m) => client.request(m)),
  );
  assertEquals(replies.map((r) => decoder.decode(r)), [
    "first",
    "second",
    "third",
  ]);
  assertEquals(client.requestsProcessed, 3);
});

Deno.test("EchoClient.request() works again after QUIT closed the connection", async () => {
  await using server = await startServer();
  await using client = new EchoClient({ port: server.port });
  assertEquals(decoder.decode(await client.request("QUIT")), "QUIT");
  assertEquals(decoder.decode(await client.request("again")), "again");
  assertEquals(server.requestsProcessed, 2);
});

Deno.test("EchoClient.request() echoes 32 MiB through the echo Server without deadlock", async () => {
  // The server streams the echo while the client is still writing: the
  // client's connection must read while its write is pending.
  const SIZE = 32 * 1024 * 1024;
  await using server = await startServer(2 * SIZE);
  await using client = new EchoClient({ port: server.port }, {
    maxSize: 2 * SIZE,
  });
  const payload = pattern(SIZE);
  const reply = await client.request(payload, { timeout: 15000 });
  assertEquals(reply.length, SIZE);
  assertEquals(reply, payload);
});

Deno.test("EchoServerConsumer closes the connection after a QUIT split across reads, and only after QUIT", async () => {
  await using server = await startServer();
  using conn = await Deno.connect({ port: server.port });
  await conn.write(encoder.encode("QUITS\r\n\r\n"));
  assertEquals(await read(conn, 9), "QUITS\r\n\r\n");
  await conn.write(encoder.encode("QUI\r\n\r\n"));
  assertEquals(await read(conn, 7), "QUI\r\n\r\n");
  await writeInParts(conn, ["QU", "IT\r", "\n\r\n"]);
  assertEquals(await read(conn), "QUIT\r\n\r\n");
});

Deno.test("examples/echo/server.ts speaks pulsar's echo protocol to a plain Deno client", async () => {
  const server = await startExample("echo/server.ts");
  let stopped;
  try {
    const conn = await Deno.connect({ port: server.port });
    // One message.
    await conn.write(encoder.encode("ciao luca\r\n\r\n"));
    assertEquals(await read(conn, 13), "ciao luca\r\n\r\n");
    // A separator split across writes.
    await writeInParts(conn, ["split", "\r\n", "\r", "\n"]);
    assertEquals(await read(conn, 9), "split\r\n\r\n");
    // Several messages in one write, answered in order.
    await conn.write(encoder.encode("one\r\n\r\ntwo\r\n\r\n"));
    assertEquals(await read(conn, 14), "one\r\n\r\ntwo\r\n\r\n");
    // QUIT is echoed, then the server closes the connection.
    await conn.write(encoder.encode("QUIT\r\n\r\n"));
    assertEquals(await read(conn), "QUIT\r\n\r\n");
    conn.close();
    // A new connection still works.
    const again = await Deno.connect({ port: server.port });
    await again.write(encoder.encode("again\r\n\r\n"));
    assertEquals(await read(again, 9), "again\r\n\r\n");
    again.close();
  } finally {
    stopped = await server.stop("SIGINT");
  }
  assertEquals(stopped.code, 0);
  assertMatch(stopped.stdout, /Echo server stopped after 6 requests/);
});

Deno.test("examples/echo/server.ts --workers 2 serves from two workers and stops cleanly on SIGTERM", async () => {
  const server = await startExample("echo/server.ts", ["--workers", "2"]);
  let stopped;
  try {
    const conns = await Promise.all(
      Array.from({ length: 16 }, () => Deno.connect({ port: server.port })),
    );
    for (const [i, conn] of conns.entries()) {
      await conn.write(encoder.encode(`m${i}\r\n\r\n`));
    }
    for (const [i, conn] of conns.entries()) {
      const wire = `m${i}\r\n\r\n`;
      assertEquals(await read(conn, wire.length), wire);
      conn.close();
    }
  } finally {
    stopped = await server.stop("SIGTERM");
  }
  assertEquals(stopped.code, 0);
  assertMatch(stopped.stdout, /listening on 127\.0\.0\.1:\d+ with 2 workers/);
  assertMatch(stopped.stdout, /Echo server stopped after 16 requests/);
});

Deno.test("examples/echo/client.ts prints the echo of each message it is given", async () => {
  await using server = await startServer();
  const { code, stdout, stderr } = await runExample("echo/client.ts", [
    "--port",
    String(server.port),
    "ciao luca",
    "QUIT",
  ]);
  assertEquals(code, 0, stderr);
  assertEquals(stdout, "ciao luca\nQUIT\n");
  assertEquals(server.requestsProcessed, 2);
});
