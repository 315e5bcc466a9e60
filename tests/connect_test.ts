// Copyright 2026 the pulsar for Deno authors. MIT license.
import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertRejects,
} from "@std/assert";
import { ConnectionRefusedError, TimeoutError, TlsError } from "../errors.ts";
import { connect } from "../transports/connect.ts";
import { listen } from "../transports/listen.ts";
import { certs, encoder, Recorder } from "./_helpers.ts";

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  return port;
}

Deno.test("connect() to a refused port rejects with ConnectionRefusedError naming the address", async () => {
  const port = freePort();
  const error = await assertRejects(
    () => connect(() => new Recorder(), { port }),
    ConnectionRefusedError,
    `Cannot connect to 127.0.0.1:${port}: connection refused`,
  ) as ConnectionRefusedError;
  assertEquals(error.address, `127.0.0.1:${port}`);
  assertInstanceOf(error.cause, Deno.errors.ConnectionRefused);
});

Deno.test("connect() to a missing Unix socket rejects with ConnectionRefusedError naming the path", async () => {
  const path = `${await Deno.makeTempDir()}/missing.sock`;
  const error = await assertRejects(
    () => connect(() => new Recorder(), { path }),
    ConnectionRefusedError,
    `Cannot connect to ${path}: no such socket file`,
  ) as ConnectionRefusedError;
  assertInstanceOf(error.cause, Deno.errors.NotFound);
  await Deno.remove(path.slice(0, -"/missing.sock".length));
});

Deno.test("connect() times out with TimeoutError when the handshake never completes", async () => {
  // A plain TCP listener that never answers: the TLS handshake hangs.
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept();
  const port = listener.addr.port;
  await assertRejects(
    () =>
      connect(() => new Recorder(), { port, tls: true, connectTimeout: 100 }),
    TimeoutError,
    `Cannot connect to 127.0.0.1:${port}: timed out after 100 ms`,
  );
  (await accepted).close();
});

Deno.test("connect() rejects with the signal's reason when aborted", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept();
  const controller = new AbortController();
  const reason = new Error("user gave up");
  const attempt = connect(() => new Recorder(), {
    port: listener.addr.port,
    tls: true,
    signal: controller.signal,
  });
  setTimeout(() => controller.abort(reason), 20);
  const error = await assertRejects(() => attempt);
  assertEquals(error, reason);
  (await accepted).close();
});

Deno.test("connect() rejects at once with an already-aborted signal", async () => {
  const reason = new Error("already");
  await assertRejects(
    () =>
      connect(() => new Recorder(), {
        port: 1,
        signal: AbortSignal.abort(reason),
      }),
    Error,
    "already",
  );
});

Deno.test("connect() requires a port or a path", async () => {
  await assertRejects(
    () => connect(() => new Recorder(), {}),
    TypeError,
    "give a port or a Unix socket path",
  );
});

Deno.test("connect() and listen() speak TLS with a certificate from a trusted CA", async () => {
  await using server = listen(() => {
    const echo = new Recorder();
    echo.dataReceived = (data) => echo.transport!.write(data);
    return echo;
  }, { port: 0, tls: { cert: certs.cert, key: certs.key } });
  for (const hostname of ["localhost", "127.0.0.1"]) {
    const [transport, protocol] = await connect(() => new Recorder(), {
      hostname,
      port: server.port,
      tls: { caCerts: [certs.ca] },
    });
    transport.write(encoder.encode("secret"));
    await protocol.receivedAtLeast(6);
    assertEquals(protocol.text, "secret");
    transport.close();
    await transport.closed;
    assertEquals(protocol.lostWith, undefined);
  }
});

Deno.test("connect() rejects with TlsError when the server's CA is unknown", async () => {
  await using server = listen(() => new Recorder(), {
    port: 0,
    tls: { cert: certs.cert, key: certs.key },
  });
  const error = await assertRejects(
    () =>
      connect(() => new Recorder(), {
        hostname: "localhost",
        port: server.port,
        tls: true,
      }),
    TlsError,
    `TLS handshake with localhost:${server.port} failed`,
  ) as TlsError;
  assert(error.message.includes("UnknownIssuer"), error.message);
  assertInstanceOf(error.cause, Deno.errors.InvalidData);
});

Deno.test("connect() times out with TimeoutError when the listen backlog is full", async () => {
  // With a backlog of 1 and nobody accepting, the kernel drops further SYNs,
  // so the TCP connect itself hangs.
  using listener = Deno.listen({
    hostname: "127.0.0.1",
    port: 0,
    tcpBacklog: 1,
  });
  const port = listener.addr.port;
  let timedOut: unknown;
  for (let i = 0; i < 8 && timedOut === undefined; i++) {
    try {
      const [transport] = await connect(() => new Recorder(), {
        port,
        connectTimeout: 100,
      });
      // Accepted by the kernel into the backlog; it stays queued there.
      transport.abort();
      await transport.closed;
    } catch (error) {
      timedOut = error;
    }
  }
  assertInstanceOf(timedOut, TimeoutError);
  assertEquals(
    (timedOut as TimeoutError).message,
    `Cannot connect to 127.0.0.1:${port}: timed out after 100 ms`,
  );
});
