// Copyright 2026 the pulsar for Deno authors. MIT license.
// How SocketTransport sizes its reads (small probes, growth while reads
// fill, release of a large slab once the transfer stops) and writes views
// of one buffer.
import {
  assert,
  assertEquals,
  assertGreater,
  assertLessOrEqual,
} from "@std/assert";
import { transportPair } from "./_transport_pair.ts";
import { Protocol } from "../protocols/protocol.ts";
import { concat, pattern, readAll, waitFor } from "./_helpers.ts";

/** Keeps every chunk it is given, as given (views, not copies). */
class Keeper extends Protocol {
  chunks: Uint8Array[] = [];
  received = 0;
  override dataReceived(data: Uint8Array): void {
    this.chunks.push(data);
    this.received += data.length;
  }
}

/** A raw listener and a transport with a `Keeper`, with the raw peer. */
const pair = (options: { readSize?: number } = {}) =>
  transportPair(() => new Keeper(), options);

async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  let written = 0;
  while (written < data.length) {
    written += await conn.write(data.subarray(written));
  }
}

Deno.test("SocketTransport reads a bulk transfer in reads that grow from 1 KiB to readSize, and no chunk is overwritten", async () => {
  const { listener, peer, transport, protocol: keeper } = await pair();
  const data = pattern(8 * 1024 * 1024);
  // The transport is slower than the writer here, so reads fill.
  await Promise.all([
    writeAll(peer, data),
    waitFor(() => keeper.received === data.length, 20_000),
  ]);
  const sizes = keeper.chunks.map((chunk) => chunk.length);
  assertLessOrEqual(sizes[0], 1024);
  assertLessOrEqual(Math.max(...sizes), 256 * 1024);
  // Most bytes arrived in reads larger than the old 64 KiB default.
  const large = sizes.filter((size) => size > 64 * 1024)
    .reduce((a, b) => a + b, 0);
  assertGreater(large, data.length / 2);
  // Every chunk is still what was read: no later read reused its memory.
  assertEquals(concat(keeper.chunks), data);
  peer.close();
  await transport.closed;
  listener.close();
});

Deno.test("SocketTransport drops its large read slab once a transfer stops: the read after a pause is a small probe", async () => {
  const { listener, peer, transport, protocol: keeper } = await pair();
  await writeAll(peer, pattern(4 * 1024 * 1024));
  await waitFor(() => keeper.received === 4 * 1024 * 1024, 20_000);
  assert(
    keeper.chunks.some((chunk) => chunk.buffer.byteLength >= 256 * 1024),
    "a bulk read used a large slab",
  );
  // Idle now: the pending read waits in a small slab. Its chunk shows it.
  const before = keeper.chunks.length;
  await writeAll(peer, new Uint8Array(100).fill(7));
  await waitFor(() => keeper.chunks.length > before);
  const after = keeper.chunks[before];
  assertEquals(after.length, 100);
  assertLessOrEqual(after.buffer.byteLength, 2048);
  peer.close();
  await transport.closed;
  listener.close();
});

Deno.test("SocketTransport honours a readSize smaller than its first read, down to 1 byte", async () => {
  for (const readSize of [1, 100, 3000]) {
    const { listener, peer, transport, protocol: keeper } = await pair({
      readSize,
    });
    const data = pattern(20_000);
    await writeAll(peer, data);
    await waitFor(() => keeper.received === data.length);
    assertLessOrEqual(
      Math.max(...keeper.chunks.map((chunk) => chunk.length)),
      readSize,
    );
    assertEquals(concat(keeper.chunks), data);
    peer.close();
    await transport.closed;
    listener.close();
  }
});

Deno.test("SocketTransport.write() of consecutive views of one buffer, and of views out of order, sends every byte in the order written", async () => {
  const { listener, peer, transport } = await pair();
  const buffer = pattern(300_000);
  const expected: Uint8Array[] = [];
  const write = (data: Uint8Array) => {
    transport.write(data);
    expected.push(data.slice());
  };
  // Consecutive views (joined while a write is in flight), then a view
  // before them, one of another buffer, and the next consecutive ones.
  write(buffer.subarray(0, 1000));
  write(buffer.subarray(1000, 5000));
  write(buffer.subarray(5000, 200_000));
  write(buffer.subarray(100, 200));
  write(pattern(50));
  write(buffer.subarray(200_000, 250_000));
  write(buffer.subarray(250_000, 300_000));
  // An empty view between two consecutive ones changes nothing.
  write(buffer.subarray(0, 0));
  transport.close();
  assertEquals(await readAll(peer), concat(expected));
  await transport.closed;
  peer.close();
  listener.close();
});

Deno.test("SocketTransport's default write-buffer limits hold one default read: a 256 KiB write does not pause the protocol, one byte more does", async () => {
  const { listener, peer, transport, protocol: keeper } = await pair();
  const paused: number[] = [];
  keeper.pauseWriting = () => paused.push(transport.getWriteBufferSize());
  assertEquals(transport.getWriteBufferLimits(), {
    high: 256 * 1024,
    low: 64 * 1024,
  });
  transport.write(pattern(256 * 1024));
  assertEquals(paused, []);
  transport.write(new Uint8Array(1));
  assertEquals(paused, [256 * 1024 + 1]);
  transport.close();
  assertEquals((await readAll(peer)).length, 256 * 1024 + 1);
  await transport.closed;
  peer.close();
  listener.close();
});
