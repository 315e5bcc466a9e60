// Copyright 2026 the pulsar for Deno authors. MIT license.
// Regressions of `DatagramClient` (issue 13, defect 5): replies go to the
// request they answer and come from the server's host and port; a cancelled
// request's late reply is dropped; a failed send rejects its request; options
// are checked where they are given. Real UDP loopback sockets throughout.

import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertMatch,
  assertRejects,
  assertThrows,
} from "@std/assert";
import { DatagramClient } from "../clients/datagram_client.ts";
import { NetError, TimeoutError } from "../errors.ts";
import { DatagramServer } from "../producers/datagram_server.ts";
import { DatagramProtocol } from "../protocols/datagram_protocol.ts";
import { decoder, encoder } from "./_helpers.ts";

/**
 * A UDP server that answers each datagram with its own bytes after the delay
 * its text asks for ("late" 300 ms, "next" 600 ms, "slow" 200 ms, "lost"
 * never, anything else at once). Its timers are awaited by `settled()`, so
 * none outlives a test.
 */
class DelayingEcho extends DatagramProtocol {
  static delays: Record<string, number> = { late: 300, next: 600, slow: 200 };
  received: string[] = [];
  #timers = new Set<Promise<void>>();

  override datagramReceived(data: Uint8Array, addr: Deno.NetAddr): void {
    const text = decoder.decode(data);
    this.received.push(text);
    if (text === "lost") return;
    const delay = DelayingEcho.delays[text] ?? 0;
    const copy = data.slice();
    const done = new Promise<void>((resolve) =>
      setTimeout(() => {
        if (!this.transport!.isClosing()) this.transport!.sendto(copy, addr);
        resolve();
      }, delay)
    );
    this.#timers.add(done);
  }

  settled(): Promise<unknown> {
    return Promise.all(this.#timers);
  }
}

async function delayingServer(): Promise<
  { server: DatagramServer; echo: DelayingEcho }
> {
  const echo = new DelayingEcho();
  const server = new DatagramServer({ protocolFactory: () => echo });
  await server.start();
  return { server, echo };
}

/** Waits `ms` milliseconds. */
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

Deno.test("DatagramClient drops a timed-out request's late reply instead of resolving the next request with it", async () => {
  const { server, echo } = await delayingServer();
  try {
    await using client = new DatagramClient({ port: server.localAddr.port });
    const late = client.request("late", { timeout: 100 });
    await assertRejects(() => late, TimeoutError);
    // "late" is answered at 300 ms, "next" at about 700 ms: the late reply
    // arrives first and must not be taken for the answer to "next".
    const next = await client.request("next", { timeout: 5000 });
    assertEquals(decoder.decode(next), "next");
    assertEquals(echo.received, ["late", "next"]);
    assertEquals(client.requestsInFlight, 0);
  } finally {
    await echo.settled();
    await server.close();
  }
});

Deno.test("DatagramClient drops an aborted request's late reply instead of resolving the next request with it", async () => {
  const { server, echo } = await delayingServer();
  try {
    await using client = new DatagramClient({ port: server.localAddr.port });
    const controller = new AbortController();
    const late = client.request("late", { signal: controller.signal });
    await sleep(50);
    controller.abort(new Error("changed my mind"));
    await assertRejects(() => late, Error, "changed my mind");
    const next = await client.request("next", { timeout: 5000 });
    assertEquals(decoder.decode(next), "next");
  } finally {
    await echo.settled();
    await server.close();
  }
});

Deno.test("DatagramClient answers the next request after a reply was lost", async () => {
  const { server, echo } = await delayingServer();
  try {
    await using client = new DatagramClient({
      port: server.localAddr.port,
      timeout: 100,
    });
    await assertRejects(() => client.request("lost"), TimeoutError);
    assertEquals(decoder.decode(await client.request("ping")), "ping");
    assertEquals(decoder.decode(await client.request("pong")), "pong");
  } finally {
    await echo.settled();
    await server.close();
  }
});

Deno.test("DatagramClient gives concurrent requests their own replies when a later one is answered first", async () => {
  const { server, echo } = await delayingServer();
  try {
    await using client = new DatagramClient({
      port: server.localAddr.port,
      timeout: 5000,
    });
    const slow = client.request("slow");
    const fast = client.request("fast");
    assertEquals(client.requestsInFlight, 2);
    assertEquals(decoder.decode(await fast), "fast");
    assertEquals(decoder.decode(await slow), "slow");
    // Many at once, more than the pool of sockets: each its own reply.
    const texts = Array.from({ length: 50 }, (_, i) => `message ${i}`);
    const replies = await Promise.all(texts.map((t) => client.request(t)));
    assertEquals(replies.map((r) => decoder.decode(r)), texts);
  } finally {
    await echo.settled();
    await server.close();
  }
});

Deno.test("DatagramClient ignores datagrams from another port and from another host with the server's port", async () => {
  const seen = Promise.withResolvers<Deno.NetAddr>();
  const go = Promise.withResolvers<void>();
  const answered = Promise.withResolvers<void>();
  class Held extends DatagramProtocol {
    override datagramReceived(data: Uint8Array, addr: Deno.NetAddr): void {
      seen.resolve(addr);
      go.promise.then(() => {
        this.transport!.sendto(data.slice(), addr);
        answered.resolve();
      });
    }
  }
  await using server = new DatagramServer({
    protocolFactory: () => new Held(),
  });
  await server.start();
  const port = server.localAddr.port;
  // Another local socket, and another host (127.0.0.2, Linux routes all of
  // 127/8 to loopback) with the server's own port.
  const otherPort = Deno.listenDatagram({
    hostname: "127.0.0.1",
    port: 0,
    transport: "udp",
  });
  const otherHost = Deno.listenDatagram({
    hostname: "127.0.0.2",
    port,
    transport: "udp",
  });
  try {
    await using client = new DatagramClient({ port, timeout: 5000 });
    const reply = client.request("real");
    const clientAddr = await seen.promise;
    await otherPort.send(encoder.encode("from another port"), clientAddr);
    await otherHost.send(encoder.encode("from another host"), clientAddr);
    await sleep(50);
    go.resolve();
    assertEquals(decoder.decode(await reply), "real");
    await answered.promise;
  } finally {
    go.resolve();
    otherPort.close();
    otherHost.close();
  }
});

Deno.test("DatagramClient rejects a 70,000-byte request with a RangeError naming the size instead of hanging", async () => {
  const { server, echo } = await delayingServer();
  await using client = new DatagramClient({ port: server.localAddr.port });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hung = new Promise<"hung">((resolve) =>
    timer = setTimeout(() => resolve("hung"), 3000)
  );
  try {
    const outcome = await Promise.race([
      client.request(new Uint8Array(70_000)).then(
        () => "resolved",
        (error: Error) => error,
      ),
      hung,
    ]);
    assertInstanceOf(outcome, RangeError);
    assertMatch((outcome as Error).message, /70000/);
    assertMatch((outcome as Error).message, /65507/);
    assertEquals(client.requestsInFlight, 0);
    // The largest datagram goes through.
    const largest = new Uint8Array(65_507).fill(120);
    assertEquals(await client.request(largest, { timeout: 5000 }), largest);
  } finally {
    clearTimeout(timer);
    await client.close();
    await echo.settled();
    await server.close();
  }
});

Deno.test("DatagramClient rejects a request whose send the OS refuses with a NetError instead of leaving it pending", async () => {
  // Deno refuses the send (no permission for the server's port) after the
  // socket was bound: the failure reaches the transport's errorReceived and
  // must reject the request at once, not when its 3 s timeout fires.
  const dir = await Deno.makeTempDir();
  try {
    const module = new URL("../clients/datagram_client.ts", import.meta.url);
    const script = `${dir}/refused.ts`;
    await Deno.writeTextFile(
      script,
      `import { DatagramClient } from "${module.href}";
const client = new DatagramClient({ port: 9, timeout: 3000 });
const started = performance.now();
try {
  await client.request("hello");
  console.log("resolved");
} catch (error) {
  console.log(JSON.stringify({
    name: error.name,
    cause: error.cause?.name,
    message: error.message,
    ms: performance.now() - started,
  }));
}
await client.close();
`,
    );
    const { stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--no-config",
        "--no-lock",
        "--no-prompt",
        "--unstable-net",
        "--allow-net=127.0.0.1:0",
        script,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const out = decoder.decode(stdout).trim();
    assert(out.startsWith("{"), `${out}\n${decoder.decode(stderr)}`);
    const result = JSON.parse(out);
    assertEquals(result.name, "NetError");
    assertEquals(result.cause, "NotCapable");
    assertMatch(result.message, /127\.0\.0\.1:9/);
    assert(result.ms < 2000, `rejected after ${result.ms} ms`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("DatagramClient refuses bad options where they are given, naming the option and the value", async () => {
  const cases: [Record<string, unknown>, typeof Error, RegExp][] = [
    [{ port: "8060" }, TypeError, /port "8060" \(a string\)/],
    [{ port: 0 }, RangeError, /port "0"/],
    [{ port: 65536 }, RangeError, /port "65536"/],
    [{ port: 1.5 }, RangeError, /port "1.5"/],
    [{}, TypeError, /port "undefined"/],
    [{ port: 8060, hostname: 127 }, TypeError, /hostname "127"/],
    [{ port: 8060, hostname: "" }, TypeError, /hostname ""/],
    [{ port: 8060, timeout: -1 }, RangeError, /timeout "-1"/],
    [{ port: 8060, timeout: NaN }, RangeError, /timeout "NaN"/],
    [{ port: 8060, timeout: "1" }, TypeError, /timeout "1" \(a string\)/],
    [{ port: 8060, poolSize: 0 }, RangeError, /poolSize "0"/],
  ];
  for (const [options, ErrorClass, message] of cases) {
    assertThrows(
      () =>
        new DatagramClient(
          options as unknown as ConstructorParameters<typeof DatagramClient>[0],
        ),
      ErrorClass,
      undefined,
      JSON.stringify(options),
    );
    try {
      new DatagramClient(
        options as unknown as ConstructorParameters<typeof DatagramClient>[0],
      );
    } catch (error) {
      assertMatch((error as Error).message, message);
    }
  }
  assertThrows(
    () =>
      new DatagramClient(
        undefined as unknown as ConstructorParameters<typeof DatagramClient>[0],
      ),
    TypeError,
  );
  // Per request, too; nothing is sent.
  await using client = new DatagramClient({ port: 9 });
  await assertRejects(
    () => client.request("x", { timeout: -5 }),
    RangeError,
    'timeout "-5"',
  );
  await assertRejects(
    () => client.request(42 as unknown as string),
    TypeError,
    "data",
  );
  assertEquals(client.requestsInFlight, 0);
});

Deno.test("DatagramClient with timeout Infinity waits for a slow reply", async () => {
  const { server, echo } = await delayingServer();
  try {
    await using client = new DatagramClient({
      port: server.localAddr.port,
      timeout: Infinity,
    });
    assertEquals(decoder.decode(await client.request("slow")), "slow");
    const reply = await client.request("slow", { timeout: 2 ** 31 });
    assertEquals(decoder.decode(reply), "slow");
  } finally {
    await echo.settled();
    await server.close();
  }
});

Deno.test("DatagramClient reaches a server by localhost and by ::1", async () => {
  await using v4 = new DatagramServer({
    protocolFactory: () => new DelayingEcho(),
  });
  await v4.start();
  await using byName = new DatagramClient({
    hostname: "localhost",
    port: v4.localAddr.port,
    timeout: 2000,
  });
  assertEquals(decoder.decode(await byName.request("by name")), "by name");
  await using v6 = new DatagramServer({
    protocolFactory: () => new DelayingEcho(),
    hostname: "::1",
  });
  await v6.start();
  await using byAddress = new DatagramClient({
    hostname: "0:0:0:0:0:0:0:1",
    port: v6.localAddr.port,
    timeout: 2000,
  });
  assertEquals(decoder.decode(await byAddress.request("by ::1")), "by ::1");
});

Deno.test("DatagramClient.close() rejects requests in flight and waiting, and closes every socket", async () => {
  const { server, echo } = await delayingServer();
  try {
    const client = new DatagramClient({
      port: server.localAddr.port,
      poolSize: 1,
    });
    const inFlight = assertRejects(
      () => client.request("lost"),
      NetError,
      "closed",
    );
    const waiting = assertRejects(
      () => client.request("ping"),
      NetError,
      "closed",
    );
    await sleep(20);
    assertEquals(client.requestsInFlight, 2);
    await client.close();
    await inFlight;
    await waiting;
    assertEquals(client.requestsInFlight, 0);
    await assertRejects(() => client.request("after"), NetError, "closed");
  } finally {
    await echo.settled();
    await server.close();
  }
});

Deno.test("DatagramClient with poolSize 1 serves a waiting request once the one ahead timed out, and sends nothing for an aborted signal", async () => {
  const { server, echo } = await delayingServer();
  try {
    await using client = new DatagramClient({
      port: server.localAddr.port,
      poolSize: 1,
    });
    const lost = client.request("lost", { timeout: 100 });
    const queued = client.request("queued", { timeout: 5000 });
    await assertRejects(() => lost, TimeoutError);
    assertEquals(decoder.decode(await queued), "queued");
    await assertRejects(
      () => client.request("never", { signal: AbortSignal.abort() }),
      DOMException,
    );
    // A request whose wait for a socket timed out was never sent either.
    const held = client.request("lost", { timeout: 300 });
    await assertRejects(
      () => client.request("never", { timeout: 50 }),
      TimeoutError,
    );
    await assertRejects(() => held, TimeoutError);
    assertEquals(decoder.decode(await client.request("last")), "last");
    assertEquals(echo.received, ["lost", "queued", "lost", "last"]);
  } finally {
    await echo.settled();
    await server.close();
  }
});
