// Copyright 2026 the pulsar for Deno authors. MIT license.
// StreamProtocol, openConnection() and listenStreams(): a transport as web
// streams, with its own flow control and half-close, used with @std/streams.
import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertLessOrEqual,
  assertRejects,
  assertThrows,
} from "@std/assert";
import { DelimiterStream } from "@std/streams/delimiter-stream";
import { TextLineStream } from "@std/streams/text-line-stream";
import {
  ConnectionClosedError,
  ConnectionRefusedError,
  type ErrorReport,
} from "../errors.ts";
import { connect } from "../transports/connect.ts";
import {
  listenStreams,
  openConnection,
} from "../transports/open_connection.ts";
import { StreamProtocol } from "../transports/stream_protocol.ts";
import {
  certs,
  concat,
  decoder,
  encoder,
  pattern,
  readAll,
  startResetPeer,
  waitFor,
} from "./_helpers.ts";

/** An echo server on listenStreams: the readable piped to the writable. */
function echoServer() {
  return listenStreams(
    ({ readable, writable }) => readable.pipeTo(writable),
    { port: 0 },
  );
}

Deno.test("StreamProtocol with TextLineStream: lines split across writes come out whole, and the readable ends at end of stream", async () => {
  await using server = echoServer();
  const client = await openConnection({ port: server.port });
  const lines = client.readable
    .pipeThrough(new TextDecoderStream())
    .pipeThrough<string>(new TextLineStream());
  const writer = client.writable.getWriter();
  for (const part of ["fir", "st\nsec", "ond\r\nthi", "rd\n", "last"]) {
    await writer.write(encoder.encode(part));
  }
  await writer.close();
  const got: string[] = await Array.fromAsync(lines);
  assertEquals(got, ["first", "second", "third", "last"]);
  await client.transport!.closed;
});

Deno.test("StreamProtocol with DelimiterStream: pulsar's echo framing over a socket, the separator split between reads", async () => {
  const messages: string[] = [];
  const served = Promise.withResolvers<void>();
  await using server = listenStreams(async ({ readable, writable }) => {
    const framed: ReadableStream<Uint8Array> = readable.pipeThrough(
      new DelimiterStream(encoder.encode("\r\n\r\n")),
    );
    const writer = writable.getWriter();
    for await (const message of framed) {
      messages.push(decoder.decode(message));
      await writer.write(encoder.encode(`${message.length}\n`));
    }
    await writer.close();
    served.resolve();
  }, { port: 0 });
  const client = await openConnection({ port: server.port });
  const writer = client.writable.getWriter();
  await writer.write(encoder.encode("hello\r\n"));
  await writer.write(encoder.encode("\r\nworld\r"));
  await writer.write(encoder.encode("\n\r\n!"));
  await writer.close();
  assertEquals(await new Response(client.readable).text(), "5\n5\n1\n");
  await served.promise;
  assertEquals(messages, ["hello", "world", "!"]);
  await client.transport!.closed;
});

Deno.test("StreamProtocol as a proxy: pipeTo between two connections carries 8 MiB both ways byte for byte, and end of stream through", async () => {
  await using origin = echoServer();
  await using proxy = listenStreams(async (client) => {
    const upstream = await openConnection({ port: origin.port });
    await Promise.all([
      client.readable.pipeTo(upstream.writable),
      upstream.readable.pipeTo(client.writable),
    ]);
  }, { port: 0 });
  const client = await openConnection({ port: proxy.port });
  const data = pattern(8 * 1024 * 1024);
  const [, echoed] = await Promise.all([
    (async () => {
      const writer = client.writable.getWriter();
      for (let offset = 0; offset < data.length; offset += 100_000) {
        await writer.write(data.slice(offset, offset + 100_000));
      }
      await writer.close();
    })(),
    new Response(client.readable).bytes(),
  ]);
  assertEquals(echoed.length, data.length);
  assertEquals(echoed, data);
  await client.transport!.closed;
});

Deno.test("StreamProtocol's readable pauses reading when its queue is full and resumes as it is read", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept();
  const client = await openConnection({
    port: listener.addr.port,
    readableHighWaterMark: 4096,
  });
  const peer = await accepted;
  const data = pattern(4 * 1024 * 1024);
  // More than the socket buffers hold: the write finishes only if the
  // client reads, and it reads only as its readable is read.
  const writing = (async () => {
    let written = 0;
    while (written < data.length) {
      written += await peer.write(data.subarray(written));
    }
  })();
  const transport = client.transport!;
  await waitFor(() => !transport.isReading());
  // Nothing reads the readable: reading stays paused.
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert(!transport.isReading(), "reading stayed paused");
  const reader = client.readable.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size < data.length) {
    const { value } = await reader.read();
    chunks.push(value!);
    size += value!.length;
  }
  await writing;
  assertEquals(concat(chunks), data);
  // No chunk was larger than what one read returns.
  assertLessOrEqual(Math.max(...chunks.map((c) => c.length)), 256 * 1024);
  peer.close();
  assertEquals(await reader.read(), { done: true, value: undefined });
  reader.releaseLock();
  await client.writable.close();
  await transport.closed;
});

Deno.test("StreamProtocol's writable waits while the transport's writing is paused, and goes on once the peer reads", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept();
  const [transport, client] = await connect(() => new StreamProtocol(), {
    port: listener.addr.port,
    writeBufferLimits: { high: 1024 },
  });
  const peer = await accepted;
  const writer = client.writable.getWriter();
  // Far more than the socket buffers take at once.
  const big = pattern(16 * 1024 * 1024);
  const written = writer.write(big);
  let settled = false;
  written.then(() => settled = true);
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert(!settled, "the write waits while writing is paused");
  assertEquals(writer.desiredSize, 0);
  const reading = readAll(peer);
  await written;
  await writer.close();
  assertEquals((await reading).length, big.length);
  peer.close();
  await transport.closed;
});

Deno.test("StreamProtocol half-close: closing the writable sends end of stream, the peer answers, the readable ends at the peer's end, then the connection closes", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept();
  const client = await openConnection({ port: listener.addr.port });
  const peer = await accepted;
  const writer = client.writable.getWriter();
  await writer.write(encoder.encode("question"));
  await writer.close();
  // The peer reads to the end of stream, then answers on the open half.
  assertEquals(decoder.decode(await readAll(peer)), "question");
  await peer.write(encoder.encode("answer"));
  await peer.closeWrite();
  assertEquals(await new Response(client.readable).text(), "answer");
  await client.transport!.closed;
  peer.close();
});

Deno.test("StreamProtocol half-close: the readable ends at the peer's end of stream without closing the socket; the writable still answers", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept();
  const client = await openConnection({ port: listener.addr.port });
  const peer = await accepted;
  await peer.write(encoder.encode("all I have"));
  await peer.closeWrite();
  assertEquals(await new Response(client.readable).text(), "all I have");
  assert(!client.transport!.isClosing(), "the socket stays open");
  const writer = client.writable.getWriter();
  await writer.write(encoder.encode("still here"));
  await writer.close();
  assertEquals(decoder.decode(await readAll(peer)), "still here");
  await client.transport!.closed;
  peer.close();
});

Deno.test("StreamProtocol errors are typed: a reset errors the readable and the writable with ConnectionClosedError, Deno's error as cause", async () => {
  const { port, done } = await startResetPeer(5);
  const client = await openConnection({ port });
  const writer = client.writable.getWriter();
  await writer.write(encoder.encode("hello"));
  const error = await assertRejects(
    () => new Response(client.readable).bytes(),
    ConnectionClosedError,
  );
  assertInstanceOf((error as Error).cause, Deno.errors.ConnectionReset);
  await assertRejects(
    () => writer.write(encoder.encode("more")),
    ConnectionClosedError,
  );
  await client.transport!.closed;
  await done;
});

Deno.test("StreamProtocol's writable refuses what is not a Uint8Array with TypeError, and writes after the connection closed with ConnectionClosedError", async () => {
  await using server = echoServer();
  const client = await openConnection({ port: server.port });
  const writer = client.writable.getWriter();
  await assertRejects(
    // deno-lint-ignore no-explicit-any
    () => writer.write("text" as any),
    TypeError,
    "takes Uint8Array chunks",
  );
  // The writable is errored by the refused write: the transport is not.
  client.transport!.close();
  await client.transport!.closed;
  const other = await openConnection({ port: server.port });
  other.transport!.close();
  await other.transport!.closed;
  await assertRejects(
    () => other.writable.getWriter().write(encoder.encode("late")),
    ConnectionClosedError,
  );
});

Deno.test("StreamProtocol: cancelling the readable drops what arrives, the peer is not held up, and the connection closes once the writable is closed", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept();
  const client = await openConnection({
    port: listener.addr.port,
    readableHighWaterMark: 1024,
  });
  const peer = await accepted;
  await client.readable.cancel();
  // 4 MiB more than any buffer: the write finishes only if the client
  // keeps reading (and dropping).
  const data = pattern(4 * 1024 * 1024);
  let written = 0;
  while (written < data.length) {
    written += await peer.write(data.subarray(written));
  }
  assert(!client.transport!.isClosing());
  await client.writable.close();
  await client.transport!.closed;
  peer.close();
});

Deno.test("StreamProtocol: aborting the writable aborts the transport with the reason; the readable errors with it", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept();
  const client = await openConnection({ port: listener.addr.port });
  const peer = await accepted;
  const reason = new Error("changed my mind");
  await client.writable.abort(reason);
  await client.transport!.closed;
  const error = await assertRejects(() => client.readable.getReader().read());
  assertEquals(error, reason);
  assertEquals(await peer.read(new Uint8Array(8)), null);
  peer.close();
});

Deno.test("openConnection() and listenStreams() refuse bad options before any socket; a refused connection is ConnectionRefusedError", async () => {
  for (const bad of [0, -1, 1.5, NaN]) {
    assertThrows(
      () => new StreamProtocol({ readableHighWaterMark: bad }),
      RangeError,
      "readableHighWaterMark",
    );
    await assertRejects(
      () => openConnection({ port: 1, readableHighWaterMark: bad }),
      RangeError,
      "readableHighWaterMark",
    );
    assertThrows(
      () => listenStreams(() => {}, { port: 0, readableHighWaterMark: bad }),
      RangeError,
      "readableHighWaterMark",
    );
  }
  assertThrows(
    // deno-lint-ignore no-explicit-any
    () => new StreamProtocol({ readableHighWaterMark: "10" as any }),
    TypeError,
  );
  // deno-lint-ignore no-explicit-any
  assertThrows(() => listenStreams("nope" as any, { port: 0 }), TypeError);
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  await assertRejects(() => openConnection({ port }), ConnectionRefusedError);
});

Deno.test("listenStreams() reports a handler that throws or rejects (source handler) and aborts only that connection", async () => {
  const reports: ErrorReport[] = [];
  let calls = 0;
  await using server = listenStreams(({ readable, writable }) => {
    calls++;
    if (calls === 1) throw new Error("sync failure");
    if (calls === 2) {
      return Promise.resolve().then(() => {
        throw new Error("async failure");
      });
    }
    return readable.pipeTo(writable);
  }, { port: 0, onError: (report) => reports.push(report) });
  for (let i = 0; i < 2; i++) {
    const client = await openConnection({ port: server.port });
    // The server aborted its side: the client reads end of stream.
    assertEquals((await new Response(client.readable).bytes()).length, 0);
    await client.writable.close();
    await client.transport!.closed;
  }
  assertEquals(reports.map((r) => [r.source, (r.error as Error).message]), [
    ["handler", "sync failure"],
    ["handler", "async failure"],
  ]);
  const client = await openConnection({ port: server.port });
  const writer = client.writable.getWriter();
  await writer.write(encoder.encode("fine"));
  await writer.close();
  assertEquals(await new Response(client.readable).text(), "fine");
  await client.transport!.closed;
});

Deno.test("StreamProtocol works over TLS and over a Unix socket, half-close included", async () => {
  const roundTrip = async (client: StreamProtocol) => {
    const writer = client.writable.getWriter();
    await writer.write(encoder.encode("secret\n"));
    await writer.close();
    assertEquals(await new Response(client.readable).text(), "secret\n");
    await client.transport!.closed;
  };
  {
    await using server = listenStreams(
      ({ readable, writable }) => readable.pipeTo(writable),
      { port: 0, tls: { cert: certs.cert, key: certs.key } },
    );
    await roundTrip(
      await openConnection({
        hostname: "localhost",
        port: server.port,
        tls: { caCerts: [certs.ca] },
      }),
    );
  }
  {
    const path = await Deno.makeTempFile({ suffix: ".sock" });
    await Deno.remove(path);
    await using _server = listenStreams(
      ({ readable, writable }) => readable.pipeTo(writable),
      { path },
    );
    await roundTrip(await openConnection({ path }));
  }
});
