// Copyright 2026 the pulsar for Deno authors. MIT license.
// SocketTransport.cork() and uncork(): writes held, then sent together.
import { assertEquals } from "@std/assert";
import { transportPair } from "./_transport_pair.ts";
import { decoder, encoder, pattern, readAll, Recorder } from "./_helpers.ts";

/** A raw listener and a transport connected to it, with the raw peer. */
const rawPair = () => transportPair(() => new Recorder());

/**
 * The peer's next read, as text, or `undefined` if nothing came within
 * `ms`. A read still pending then is left to the next call.
 */
function readerOf(peer: Deno.Conn) {
  const buf = new Uint8Array(1 << 16);
  let pending: Promise<number | null> | undefined;
  return async (ms: number): Promise<string | null | undefined> => {
    pending ??= peer.read(buf);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const quiet = new Promise<"quiet">((resolve) => {
      timer = setTimeout(() => resolve("quiet"), ms);
    });
    const n = await Promise.race([pending, quiet]);
    clearTimeout(timer);
    if (n === "quiet") return undefined;
    pending = undefined;
    return n === null ? null : decoder.decode(buf.subarray(0, n));
  };
}

Deno.test("SocketTransport.cork() holds writes until uncork(), which sends them in one socket write", async () => {
  const { listener, peer, transport } = await rawPair();
  const read = readerOf(peer);
  transport.cork();
  transport.write(encoder.encode("one "));
  transport.write(encoder.encode("two "));
  transport.write(encoder.encode("three"));
  assertEquals(transport.getWriteBufferSize(), 13);
  assertEquals(await read(50), undefined);
  transport.uncork();
  // One socket write: the peer's first read has all of it.
  assertEquals(await read(5000), "one two three");
  assertEquals(transport.getWriteBufferSize(), 0);
  // Uncorked: a write goes out at once.
  transport.write(encoder.encode("four"));
  assertEquals(await read(5000), "four");
  transport.close();
  await transport.closed;
  peer.close();
  listener.close();
});

Deno.test("SocketTransport.cork() calls nest; an uncork() with no cork() does nothing", async () => {
  const { listener, peer, transport } = await rawPair();
  const read = readerOf(peer);
  transport.uncork(); // Nothing to match: ignored, not counted.
  transport.cork();
  transport.cork();
  transport.write(encoder.encode("held"));
  transport.uncork();
  assertEquals(await read(50), undefined);
  transport.uncork();
  assertEquals(await read(5000), "held");
  transport.uncork();
  transport.write(encoder.encode("free"));
  assertEquals(await read(5000), "free");
  transport.close();
  await transport.closed;
  peer.close();
  listener.close();
});

Deno.test("SocketTransport.cork() holds writes queued behind a flush in progress until uncork()", async () => {
  const { listener, peer, transport } = await rawPair();
  // More than the socket buffers take: the flush stays in progress until
  // the peer reads.
  const big = pattern(8 * 1024 * 1024);
  transport.write(big);
  transport.cork();
  transport.write(encoder.encode("tail"));
  const buf = new Uint8Array(1 << 16);
  let got = 0;
  while (got < big.length) {
    const n = await peer.read(
      buf.subarray(0, Math.min(buf.length, big.length - got)),
    );
    if (n === null) throw new Error("Closed early");
    got += n;
  }
  const read = readerOf(peer);
  assertEquals(await read(50), undefined);
  assertEquals(transport.getWriteBufferSize(), 4);
  transport.uncork();
  assertEquals(await read(5000), "tail");
  transport.close();
  await transport.closed;
  peer.close();
  listener.close();
});

Deno.test("SocketTransport.close() while corked sends the held writes, then closes", async () => {
  const { listener, peer, transport, protocol } = await rawPair();
  transport.cork();
  transport.write(encoder.encode("last "));
  transport.write(encoder.encode("words"));
  transport.close();
  assertEquals(decoder.decode(await readAll(peer)), "last words");
  await transport.closed;
  assertEquals(protocol.lostWith, undefined);
  transport.uncork(); // After close: nothing to do.
  peer.close();
  listener.close();
});

Deno.test("SocketTransport.writeEof() while corked sends the held writes, then half-closes; the peer can still answer", async () => {
  const { listener, peer, transport, protocol } = await rawPair();
  transport.cork();
  transport.write(encoder.encode("question"));
  transport.writeEof();
  assertEquals(decoder.decode(await readAll(peer)), "question");
  await peer.write(encoder.encode("answer"));
  await protocol.receivedAtLeast(6);
  assertEquals(protocol.text, "answer");
  peer.close();
  await transport.closed;
  listener.close();
});

Deno.test("SocketTransport.abort() while corked drops the held writes", async () => {
  const { listener, peer, transport } = await rawPair();
  transport.cork();
  transport.write(encoder.encode("never sent"));
  transport.abort();
  assertEquals(transport.getWriteBufferSize(), 0);
  await transport.closed;
  assertEquals((await readAll(peer)).length, 0);
  peer.close();
  listener.close();
});

for (const end of ["close", "writeEof"] as const) {
  Deno.test(`SocketTransport.cork() after ${end}() holds nothing back: every byte written before reaches the peer`, async () => {
    const { listener, peer, transport } = await rawPair();
    // More than the socket takes at once, so a write is still in flight.
    const big = pattern(8 * 1024 * 1024);
    transport.write(big);
    transport.write(encoder.encode("tail"));
    transport[end]();
    transport.cork();
    const got = await readAll(peer);
    assertEquals(got.length, big.length + 4);
    assertEquals(decoder.decode(got.subarray(big.length)), "tail");
    transport.close();
    await transport.closed;
    peer.close();
    listener.close();
  });
}
