// Copyright 2026 the pulsar for Deno authors. MIT license.
import {
  assert,
  assertEquals,
  assertGreater,
  assertInstanceOf,
  assertLess,
  assertThrows,
} from "@std/assert";
import { ConnectionClosedError, type ErrorReport } from "../errors.ts";
import { connect } from "../transports/connect.ts";
import { transportPair } from "./_transport_pair.ts";
import { listen } from "../transports/listen.ts";
import {
  decoder,
  encoder,
  pattern,
  readAll,
  Recorder,
  startResetPeer,
  waitFor,
} from "./_helpers.ts";

/** A raw listener and a transport connected to it, with the raw peer. */
const rawPair = () => transportPair(() => new Recorder());

Deno.test("SocketTransport calls connectionMade, dataReceived, eofReceived, then connectionLost once", async () => {
  const { listener, peer, transport, protocol } = await rawPair();
  await peer.write(encoder.encode("one"));
  await protocol.receivedAtLeast(3);
  await peer.write(encoder.encode("two"));
  await protocol.receivedAtLeast(6);
  peer.close();
  await transport.closed;
  transport.close();
  transport.abort();
  await transport.closed;
  assertEquals(protocol.calls, [
    "connectionMade",
    "dataReceived",
    "eofReceived",
    "connectionLost",
  ]);
  assertEquals(protocol.text, "onetwo");
  assertEquals(protocol.lostWith, undefined);
  assert(transport.isClosing());
  listener.close();
});

Deno.test("SocketTransport.write() delivers 8 MiB intact to a slow reader, pausing then resuming the protocol", async () => {
  const { listener, peer, transport, protocol } = await rawPair();
  const data = pattern(8 * 1024 * 1024);
  const started = performance.now();
  // One write larger than the buffer limit, then many small ones behind it.
  transport.write(data.subarray(0, 4 * 1024 * 1024));
  for (let offset = 4 * 1024 * 1024; offset < data.length; offset += 1000) {
    transport.write(
      data.subarray(offset, Math.min(offset + 1000, data.length)),
    );
  }
  assertGreater(transport.getWriteBufferSize(), 64 * 1024);
  assertEquals(protocol.calls, ["connectionMade", "pauseWriting"]);
  transport.close();

  const received = new Uint8Array(data.length);
  let size = 0;
  const buf = new Uint8Array(16 * 1024);
  let reads = 0;
  while (true) {
    const n = await peer.read(buf);
    if (n === null) break;
    received.set(buf.subarray(0, n), size);
    size += n;
    // Read slowly: yield to timers every few reads.
    if (++reads % 32 === 0) await new Promise((r) => setTimeout(r, 1));
  }
  const elapsed = performance.now() - started;
  await transport.closed;
  assertEquals(size, data.length);
  assertEquals(received, data);
  assertEquals(transport.getWriteBufferSize(), 0);
  assertEquals(protocol.calls, [
    "connectionMade",
    "pauseWriting",
    "resumeWriting",
    "connectionLost",
  ]);
  console.log(`8 MiB to a slow reader in ${elapsed.toFixed(0)} ms`);
  peer.close();
  listener.close();
});

Deno.test("SocketTransport.writeEof() half-closes: the peer reads end of stream and can still answer", async () => {
  const { listener, peer, transport, protocol } = await rawPair();
  protocol.keepOpenOnEof = true;
  transport.write(encoder.encode("request"));
  transport.writeEof();
  assertThrows(
    () => transport.write(encoder.encode("late")),
    ConnectionClosedError,
    "its writing side is closed",
  );
  assertEquals(decoder.decode(await readAll(peer)), "request");
  await peer.write(encoder.encode("answer"));
  peer.closeWrite();
  await transport.closed;
  assertEquals(protocol.text, "answer");
  assertEquals(protocol.calls, [
    "connectionMade",
    "dataReceived",
    "eofReceived",
    "connectionLost",
  ]);
  peer.close();
  listener.close();
});

Deno.test("SocketTransport keeps writing after eofReceived() returns true", async () => {
  const { listener, peer, transport, protocol } = await rawPair();
  protocol.keepOpenOnEof = true;
  await peer.write(encoder.encode("question"));
  peer.closeWrite();
  await waitFor(() => protocol.calls.includes("eofReceived"));
  assert(!transport.isClosing());
  assert(!transport.isReading());
  transport.write(encoder.encode("reply after eof"));
  transport.close();
  assertEquals(decoder.decode(await readAll(peer)), "reply after eof");
  await transport.closed;
  assertEquals(protocol.text, "question");
  peer.close();
  listener.close();
});

Deno.test("SocketTransport closes when eofReceived() returns nothing", async () => {
  const { listener, peer, transport, protocol } = await rawPair();
  peer.closeWrite();
  await transport.closed;
  assertEquals(protocol.calls, [
    "connectionMade",
    "eofReceived",
    "connectionLost",
  ]);
  assertEquals((await readAll(peer)).length, 0);
  peer.close();
  listener.close();
});

Deno.test("SocketTransport.abort() drops buffered data and passes its reason to connectionLost", async () => {
  const { listener, peer, transport, protocol } = await rawPair();
  const size = 16 * 1024 * 1024;
  transport.write(new Uint8Array(size));
  assertGreater(transport.getWriteBufferSize(), 0);
  const reason = new Error("stop now");
  transport.abort(reason);
  assertEquals(transport.getWriteBufferSize(), 0);
  await transport.closed;
  assertEquals(protocol.lostWith, reason);
  let received = 0;
  try {
    received = (await readAll(peer)).length;
  } catch (error) {
    // A reset is fine too: the point is that the buffer was dropped.
    assertInstanceOf(error, Deno.errors.ConnectionReset);
  }
  assertLess(received, size);
  peer.close();
  listener.close();
});

Deno.test("SocketTransport.close() flushes buffered writes before closing", async () => {
  const { listener, peer, transport } = await rawPair();
  const data = pattern(3 * 1024 * 1024);
  transport.write(data);
  transport.close();
  assertThrows(
    () => transport.write(encoder.encode("x")),
    ConnectionClosedError,
    "it is closing",
  );
  assertEquals(await readAll(peer), data);
  await transport.closed;
  peer.close();
  listener.close();
});

Deno.test("SocketTransport reports a peer reset mid-stream as ConnectionClosedError with Deno's error as cause", async () => {
  const peer = await startResetPeer(5, "partial");
  const [transport, protocol] = await connect(() => new Recorder(), {
    port: peer.port,
  });
  transport.write(encoder.encode("hello"));
  await transport.closed;
  await peer.done;
  const lost = protocol.lostWith;
  assertInstanceOf(lost, ConnectionClosedError);
  assertInstanceOf(lost!.cause, Deno.errors.ConnectionReset);
  assertEquals(
    lost!.message,
    `Connection to 127.0.0.1:${peer.port} lost: reset by peer`,
  );
  assertEquals(protocol.calls.at(-1), "connectionLost");
  assert(!protocol.calls.includes("eofReceived"));
});

Deno.test("SocketTransport.pauseReading() stops delivering data until resumeReading()", async () => {
  const { listener, peer, transport, protocol } = await rawPair();
  transport.pauseReading();
  assert(!transport.isReading());
  await peer.write(encoder.encode("held"));
  await new Promise((r) => setTimeout(r, 30));
  assertEquals(protocol.received.length, 0);
  transport.resumeReading();
  assert(transport.isReading());
  await protocol.receivedAtLeast(4);
  assertEquals(protocol.text, "held");
  transport.close();
  await transport.closed;
  peer.close();
  listener.close();
});

Deno.test("SocketTransport aborts with the error thrown by the protocol's dataReceived()", async () => {
  const failure = new Error("bad bytes");
  class Failing extends Recorder {
    override dataReceived(): void {
      throw failure;
    }
  }
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept();
  const reports: ErrorReport[] = [];
  const [transport, protocol] = await connect(() => new Failing(), {
    port: listener.addr.port,
    onError: (report) => reports.push(report),
  });
  const peer = await accepted;
  await peer.write(encoder.encode("x"));
  await transport.closed;
  assertEquals(protocol.lostWith, failure);
  assertEquals(reports.map((r) => [r.source, r.error]), [
    ["dataReceived", failure],
  ]);
  peer.close();
  listener.close();
});

Deno.test("SocketTransport.setWriteBufferLimits() rejects a low mark above the high mark", async () => {
  const { listener, peer, transport } = await rawPair();
  assertThrows(
    () => transport.setWriteBufferLimits({ high: 10, low: 20 }),
    RangeError,
    'low "20" exceeds high "10"',
  );
  transport.setWriteBufferLimits({ high: 1000 });
  assertEquals(transport.getWriteBufferLimits(), { high: 1000, low: 250 });
  transport.close();
  await transport.closed;
  peer.close();
  listener.close();
});

Deno.test("SocketTransport works over a Unix socket", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/echo.sock`;
  try {
    await using _server = listen(() => {
      const echo = new Recorder();
      echo.dataReceived = (data) => echo.transport!.write(data);
      return echo;
    }, { path });
    const [transport, protocol] = await connect(() => new Recorder(), {
      path,
    });
    transport.write(encoder.encode("over unix"));
    await protocol.receivedAtLeast(9);
    assertEquals(protocol.text, "over unix");
    assertEquals(transport.getExtraInfo("peername"), path);
    transport.close();
    await transport.closed;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
