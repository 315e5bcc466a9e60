// Copyright 2026 the pulsar for Deno authors. MIT license.
// The example servers run as subprocesses and are driven by plain Deno
// sockets, so the wire format is checked independently of the module.
import { assert, assertEquals, assertMatch } from "@std/assert";
import { decoder, encoder, readAll } from "./_helpers.ts";

const root = new URL("../", import.meta.url);

/** The same import map as this test run, when it runs offline. */
function importMapFlags(): string[] {
  // Offline, std resolves to the npm package deno-std.
  const offline = import.meta.resolve("@std/cli/parse-args").includes(
    "deno-std",
  );
  if (!offline) return [];
  const map = new URL("import_map.offline.json", root).pathname;
  return [`--import-map=${map}`, "--no-lock"];
}

/** Starts an example server on a free port; returns it and its port. */
async function startExample(script: string): Promise<{
  child: Deno.ChildProcess;
  port: number;
  output: () => Promise<string>;
}> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net",
      "--allow-read",
      "--unstable-net",
      ...importMapFlags(),
      new URL(script, root).pathname,
      "--port",
      "0",
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`${script} exited early: ${text}`);
    text += value;
  }
  const match = text.match(/listening on 127\.0\.0\.1:(\d+)/);
  assert(match, `unexpected first line: ${text}`);
  const output = async () => {
    while (true) {
      const { value, done } = await reader.read();
      if (done) return text;
      text += value;
    }
  };
  return { child, port: Number(match![1]), output };
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
  const { child, port, output } = await startExample("examples/echo/server.ts");
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
    child.kill("SIGINT");
  }
  const status = await child.status;
  assertEquals(status.code, 0);
  assertMatch(await output(), /Echo server stopped after 6 requests/);
});

Deno.test("examples/echoudp/server.ts echoes datagrams to a plain Deno socket and stops on SIGTERM", async () => {
  const { child, port, output } = await startExample(
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
    child.kill("SIGTERM");
  }
  assertEquals((await child.status).code, 0);
  assertMatch(await output(), /UDP echo server stopped/);
});
