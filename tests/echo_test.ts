// Copyright 2026 the pulsar for Deno authors. MIT license.
// Client tests over the module's Server and the echo example's EchoClient.
import { assertEquals, assertInstanceOf, assertRejects } from "@std/assert";
import { ConnectionRefusedError } from "../errors.ts";
import { EchoClient } from "../examples/echo/echo.ts";
import { certs, decoder, pattern, startEchoServer } from "./_helpers.ts";

Deno.test("EchoClient.request() to a refused port fails with ConnectionRefusedError, and leaves no pool behind", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  await using client = new EchoClient({ port });
  for (let i = 0; i < 2; i++) {
    const error = await assertRejects(
      () => client.request("hello"),
      ConnectionRefusedError,
      `Cannot connect to 127.0.0.1:${port}: connection refused`,
    );
    assertInstanceOf(error.cause, Deno.errors.ConnectionRefused);
  }
  assertEquals(client.connectionPools.size, 0);
  assertEquals(client.sessions, 0);
  assertEquals(client.connectionsInUse, 0);
  assertEquals(client.idleConnections, 0);
});

Deno.test("EchoClient echoes over TLS", async () => {
  await using server = await startEchoServer({
    tls: { cert: certs.cert, key: certs.key },
  });
  await using client = new EchoClient({
    hostname: "localhost",
    port: server.port,
  }, { tls: { caCerts: [certs.ca] } });
  assertEquals(decoder.decode(await client.request("secret")), "secret");
  const data = pattern(100_000);
  assertEquals(await client.request(data), data);
});

Deno.test("EchoClient echoes over a Unix socket", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/echo.sock`;
    await using _server = await startEchoServer({ path });
    await using client = new EchoClient({ path });
    assertEquals(decoder.decode(await client.request("unix")), "unix");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
