// Copyright 2026 the pulsar for Deno authors. MIT license.
// Pulsar's own echo tests, over the module's Server and EchoClient.
import { assertEquals, assertInstanceOf, assertRejects } from "@std/assert";
import { DatagramClient } from "../clients/datagram_client.ts";
import { ConnectionRefusedError } from "../errors.ts";
import { DatagramServer } from "../producers/datagram_server.ts";
import { EchoClient } from "../examples/echo/echo.ts";
import { EchoDatagramProtocol } from "../examples/echoudp/server.ts";
import { certs, decoder, pattern, startEchoServer } from "./_helpers.ts";

Deno.test("EchoClient.request() gets 'ciao luca' back", async () => {
  await using server = await startEchoServer();
  await using client = new EchoClient({ port: server.port });
  assertEquals(decoder.decode(await client.request("ciao luca")), "ciao luca");
});

Deno.test("EchoClient.request() gets 8192 bytes back intact", async () => {
  await using server = await startEchoServer();
  await using client = new EchoClient({ port: server.port });
  const data = pattern(8192);
  assertEquals(await client.request(data), data);
});

Deno.test("EchoClient.request() gives three concurrent requests their own answers", async () => {
  await using server = await startEchoServer();
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
  await using server = await startEchoServer();
  await using client = new EchoClient({ port: server.port });
  assertEquals(decoder.decode(await client.request("QUIT")), "QUIT");
  assertEquals(decoder.decode(await client.request("again")), "again");
  assertEquals(server.requestsProcessed, 2);
});

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

Deno.test("DatagramClient.request() gets a ping and 8192 bytes back from the UDP echo server", async () => {
  await using server = new DatagramServer({
    protocolFactory: () => new EchoDatagramProtocol(),
  });
  await server.start();
  await using client = new DatagramClient({
    port: server.localAddr.port,
    timeout: 2000,
  });
  assertEquals(decoder.decode(await client.request("ping")), "ping");
  const data = pattern(8192);
  assertEquals(await client.request(data), data);
});
