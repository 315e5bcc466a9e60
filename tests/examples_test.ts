// Copyright 2026 the pulsar for Deno authors. MIT license.
// The example servers run as subprocesses and are driven by plain Deno
// sockets, so the wire format is checked independently of the module.
import { assertEquals, assertMatch } from "@std/assert";
import {
  decoder,
  encoder,
  type Listening,
  readAll,
  startDeno,
} from "./_helpers.ts";

/** Starts an example server on a free port. */
function startExample(script: string): Promise<Listening> {
  return startDeno([
    new URL(`../${script}`, import.meta.url).pathname,
    "--port",
    "0",
  ]);
}

/** Reads until `size` bytes arrived. */
async function readBytes(conn: Deno.Conn, size: number): Promise<string> {
  const buf = new Uint8Array(size);
  let got = 0;
  while (got < size) {
    const n = await conn.read(buf.subarray(got));
    if (n === null) break;
    got += n;
  }
  return decoder.decode(buf.subarray(0, got));
}

Deno.test("examples/echo/server.ts speaks pulsar's echo protocol to a plain Deno client", async () => {
  const { port, output, stop } = await startExample("examples/echo/server.ts");
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    // One message.
    await conn.write(encoder.encode("ciao luca\r\n\r\n"));
    assertEquals(await readBytes(conn, 13), "ciao luca\r\n\r\n");
    // A separator split across writes.
    for (const part of ["split", "\r\n", "\r", "\n"]) {
      await conn.write(encoder.encode(part));
      await new Promise((r) => setTimeout(r, 10));
    }
    assertEquals(await readBytes(conn, 9), "split\r\n\r\n");
    // Several messages in one write, answered in order.
    await conn.write(encoder.encode("one\r\n\r\ntwo\r\n\r\n"));
    assertEquals(await readBytes(conn, 14), "one\r\n\r\ntwo\r\n\r\n");
    // QUIT is echoed, then the server closes the connection.
    await conn.write(encoder.encode("QUIT\r\n\r\n"));
    assertEquals(decoder.decode(await readAll(conn)), "QUIT\r\n\r\n");
    conn.close();
    // A new connection still works.
    const again = await Deno.connect({ hostname: "127.0.0.1", port });
    await again.write(encoder.encode("again\r\n\r\n"));
    assertEquals(await readBytes(again, 9), "again\r\n\r\n");
    again.close();
  } finally {
    assertEquals((await stop("SIGINT")).code, 0);
  }
  assertMatch(await output(), /Echo server stopped after 6 requests/);
});

Deno.test("examples/echoudp/server.ts echoes datagrams to a plain Deno socket and stops on SIGTERM", async () => {
  const { port, output, stop } = await startExample(
    "examples/echoudp/server.ts",
  );
  const socket = Deno.listenDatagram({
    hostname: "127.0.0.1",
    port: 0,
    transport: "udp",
  });
  try {
    const server = { transport: "udp" as const, hostname: "127.0.0.1", port };
    for (const size of [4, 8192]) {
      const payload = new Uint8Array(size).fill(size % 251);
      await socket.send(payload, server);
      const [reply] = await socket.receive();
      assertEquals(reply, payload);
    }
  } finally {
    socket.close();
    assertEquals((await stop("SIGTERM")).code, 0);
  }
  assertMatch(await output(), /UDP echo server stopped/);
});
