// Copyright 2026 the pulsar for Deno authors. MIT license.
import {
  assert,
  assertEquals,
  assertStrictEquals,
  assertThrows,
} from "@std/assert";
import { ProtocolError } from "../errors.ts";
import { ChunkReader } from "../protocols/chunk_reader.ts";
import { decoder, encoder } from "./_helpers.ts";

/** A message of the tests' protocol: `<length>\r\n<bytes>`, repeated. */
const STREAM = "5\r\nhello3\r\nabc0\r\n12\r\n\r\n\r\n\r\n\r\n\r\n\r\n1\r\n\n";

/** Parses STREAM's messages out of `parts`, however it is cut. */
function parse(parts: Uint8Array[]): string[] {
  const reader = new ChunkReader();
  const out: string[] = [];
  let size: number | undefined;
  for (const part of parts) {
    reader.push(part);
    while (true) {
      if (size === undefined) {
        const line = reader.readLine();
        if (line === undefined) break;
        size = Number(decoder.decode(line));
      }
      const body = reader.read(size);
      if (body === undefined) break;
      out.push(decoder.decode(body));
      size = undefined;
    }
  }
  assertEquals(reader.length, 0);
  return out;
}

const EXPECTED = ["hello", "abc", "", "\r\n".repeat(6), "\n"];

Deno.test("ChunkReader reads the same lines and bodies wherever the stream is cut in two", () => {
  const bytes = encoder.encode(STREAM);
  for (let cut = 0; cut <= bytes.length; cut++) {
    assertEquals(
      parse([bytes.subarray(0, cut), bytes.subarray(cut)]),
      EXPECTED,
      `cut at ${cut}`,
    );
  }
});

Deno.test("ChunkReader reads the same lines and bodies from one-byte chunks and random cuts", () => {
  const bytes = encoder.encode(STREAM);
  const single = Array.from(bytes, (_, i) => bytes.subarray(i, i + 1));
  assertEquals(parse(single), EXPECTED);
  for (let round = 0; round < 200; round++) {
    const parts: Uint8Array[] = [];
    for (let i = 0; i < bytes.length;) {
      const n = Math.floor(Math.random() * 6);
      parts.push(bytes.subarray(i, i + n));
      i += n;
    }
    assertEquals(parse(parts), EXPECTED);
  }
});

Deno.test("ChunkReader returns views of the chunk, not copies, when a read lies within one chunk", () => {
  const chunk = encoder.encode("PING\r\nrest");
  const reader = new ChunkReader();
  reader.push(chunk);
  const line = reader.readLine()!;
  assertStrictEquals(line.buffer, chunk.buffer);
  assertEquals(decoder.decode(line), "PING");
  const rest = reader.take();
  assertStrictEquals(rest.buffer, chunk.buffer);
  assertEquals(decoder.decode(rest), "rest");
  assertEquals(reader.take().length, 0);
});

Deno.test("ChunkReader finds a delimiter split across chunks after a partial match", () => {
  const reader = new ChunkReader({ delimiter: encoder.encode("\r\n\r\n") });
  for (const part of ["a\r\n\r", "x\r\n", "\r", "\n\r\n\r\n", "b"]) {
    reader.push(encoder.encode(part));
  }
  assertEquals(decoder.decode(reader.readLine()!), "a\r\n\rx");
  assertEquals(decoder.decode(reader.readLine()!), "");
  assertEquals(reader.readLine(), undefined);
  assertEquals(decoder.decode(reader.take()), "b");
});

Deno.test("ChunkReader.readLine() finds a line that arrived in a thousand chunks", () => {
  const reader = new ChunkReader({ maxLineLength: 1 << 20 });
  for (let i = 0; i < 1000; i++) {
    reader.push(new Uint8Array(1000).fill(120));
    assertEquals(reader.readLine(), undefined);
  }
  reader.push(encoder.encode("\r\nnext"));
  assertEquals(reader.readLine()!.length, 1_000_000);
  assertEquals(decoder.decode(reader.take()), "next");
});

Deno.test("ChunkReader.readLine() throws a ProtocolError past maxLineLength without a delimiter", () => {
  const reader = new ChunkReader({ maxLineLength: 4 });
  reader.push(encoder.encode("abcd\r"));
  assertEquals(reader.readLine(), undefined); // 4 bytes and half a delimiter
  reader.push(encoder.encode("\nabcde"));
  assertEquals(decoder.decode(reader.readLine()!), "abcd");
  assertThrows(
    () => reader.readLine(),
    ProtocolError,
    "Cannot read a line: it is longer than the limit of 4 bytes",
  );
});

Deno.test("ChunkReader refuses bad options and sizes with typed errors naming them", () => {
  assertThrows(
    () => new ChunkReader({ delimiter: new Uint8Array(0) }),
    RangeError,
    "empty delimiter",
  );
  assertThrows(
    () => new ChunkReader({ delimiter: "\n" as unknown as Uint8Array }),
    TypeError,
    "Cannot use delimiter",
  );
  for (const bad of [NaN, -1, 1.5]) {
    assertThrows(
      () => new ChunkReader({ maxLineLength: bad }),
      RangeError,
      "maxLineLength",
    );
  }
  new ChunkReader({ maxLineLength: Infinity });
  const reader = new ChunkReader();
  for (const bad of [NaN, -1, 0.5, Infinity]) {
    assertThrows(() => reader.read(bad), RangeError, "size");
  }
  assertThrows(() => reader.read("1" as unknown as number), TypeError, "size");
  assertEquals(reader.read(0), new Uint8Array(0));
});

Deno.test("ChunkReader.read() copies a body spread over chunks and keeps the rest", () => {
  const reader = new ChunkReader();
  reader.push(encoder.encode("ab"));
  reader.push(encoder.encode("cd"));
  reader.push(encoder.encode("ef"));
  assertEquals(reader.read(7), undefined);
  assertEquals(decoder.decode(reader.read(3)!), "abc");
  assertEquals(reader.length, 3);
  assertEquals(decoder.decode(reader.read(2)!), "de");
  assertEquals(decoder.decode(reader.take()), "f");
});

Deno.test("ChunkReader.peek() shows the next byte without reading it, across chunks", () => {
  const reader = new ChunkReader();
  assertEquals(reader.peek(), -1);
  reader.push(encoder.encode("*"));
  reader.push(encoder.encode("1\r\n"));
  assertEquals(reader.peek(), 42);
  assertEquals(reader.length, 4);
  assertEquals(reader.read(1), encoder.encode("*"));
  assertEquals(reader.peek(), 49);
  reader.take();
  assertEquals(reader.peek(), -1);
});

Deno.test("ChunkReader.readLine() refuses a line longer than maxLineLength even when its delimiter came with it", () => {
  for (const parts of [["hello world\r\n"], ["hello world", "\r\n"]]) {
    const reader = new ChunkReader({ maxLineLength: 4 });
    for (const part of parts) reader.push(encoder.encode(part));
    assertThrows(
      () => reader.readLine(),
      ProtocolError,
      "longer than the limit of 4 bytes",
    );
  }
  const exact = new ChunkReader({ maxLineLength: 4 });
  exact.push(encoder.encode("four\r\n"));
  assertEquals(decoder.decode(exact.readLine()!), "four");
});

Deno.test("ChunkReader.readLine() resumes its search where it stopped: a line trickled in one-byte chunks is walked once", () => {
  // Counted, not timed: each chunk counts the reads of its length. A
  // search that walked the buffered chunks again on every call would read
  // each length on every later call (about 2,000,000 reads here).
  const reader = new ChunkReader();
  let reads = 0;
  for (let i = 0; i < 2000; i++) {
    const chunk = new Uint8Array([120]);
    Object.defineProperty(chunk, "length", {
      get: () => {
        reads++;
        return 1;
      },
    });
    reader.push(chunk);
    assertEquals(reader.readLine(), undefined);
  }
  assert(reads < 20 * 2000, `${reads} reads of a chunk's length`);
  reader.push(encoder.encode("\r\n"));
  assertEquals(reader.readLine()!.length, 2000);
});

Deno.test("ChunkReader.push() refuses what is not a Uint8Array", () => {
  const reader = new ChunkReader();
  assertThrows(
    () => reader.push("abc" as unknown as Uint8Array),
    TypeError,
    'Cannot use chunk "abc"',
  );
});
