// Copyright 2026 the pulsar for Deno authors. MIT license.
// The UDP echo example's own tests: its protocol in process, its server and
// client scripts as a user runs them.
import { assertEquals, assertMatch } from "@std/assert";
import { DatagramClient, DatagramServer } from "@pulsar/net";
import { EchoDatagramProtocol } from "./server.ts";
import { runExample, startExample } from "../_testing.ts";

/** Starts a UDP echo server on a free port. */
async function startServer(): Promise<DatagramServer> {
  const server = new DatagramServer({
    protocolFactory: () => new EchoDatagramProtocol(),
  });
  await server.start();
  return server;
}

Deno.test("DatagramClient.request() gets a ping and 8192 bytes back from the UDP echo server", async () => {
  await using server = await startServer();
  await using client = new DatagramClient({
    port: server.localAddr.port,
    timeout: 2000,
  });
  assertEquals(new TextDecoder().decode(await client.request("ping")), "ping");
  const data = Uint8Array.from({ length: 8192 }, (_, i) => i % 251);
  assertEquals(await client.request(data), data);
});

Deno.test("examples/echoudp/server.ts echoes datagrams to a plain Deno socket and stops on SIGTERM", async () => {
  const server = await startExample("echoudp/server.ts");
  const socket = Deno.listenDatagram({
    hostname: "127.0.0.1",
    port: 0,
    transport: "udp",
  });
  let stopped;
  try {
    const to = {
      transport: "udp" as const,
      hostname: "127.0.0.1",
      port: server.port,
    };
    for (const size of [4, 8192]) {
      const payload = new Uint8Array(size).fill(size % 251);
      await socket.send(payload, to);
      const [reply] = await socket.receive();
      assertEquals(reply, payload);
    }
  } finally {
    socket.close();
    stopped = await server.stop("SIGTERM");
  }
  assertEquals(stopped.code, 0);
  assertMatch(stopped.stdout, /UDP echo server stopped/);
});

Deno.test("examples/echoudp/client.ts prints the echo of each message it is given", async () => {
  await using server = await startServer();
  const { code, stdout, stderr } = await runExample("echoudp/client.ts", [
    "--port",
    String(server.localAddr.port),
    "ping",
    "pong",
  ]);
  assertEquals(code, 0, stderr);
  assertEquals(stdout, "ping\npong\n");
});
