// Copyright 2026 the pulsar for Deno authors. MIT license.
import { assertEquals } from "@std/assert";
import { ReplyBuffer } from "./reply_buffer.ts";

const decoder = new TextDecoder();
const text = (parts: Uint8Array[]) =>
  parts.map((part) => decoder.decode(part)).join("");

Deno.test("ReplyBuffer keeps each buffer's replies apart when two write in turns", () => {
  const a = new ReplyBuffer();
  const b = new ReplyBuffer();
  a.simple("a1");
  b.simple("b1");
  a.integer(2);
  const taken: Uint8Array[] = [];
  b.writeTo({ write: (bytes) => taken.push(bytes) });
  a.simple("a3");
  b.integer(2);
  assertEquals(text(a.take()), "+a1\r\n:2\r\n+a3\r\n");
  assertEquals(text(taken), "+b1\r\n");
  assertEquals(text(b.take()), ":2\r\n");
  assertEquals(a.length + b.length, 0);
});

Deno.test("ReplyBuffer never changes bytes it handed out, across full arenas", () => {
  const buffers = [new ReplyBuffer(), new ReplyBuffer(), new ReplyBuffer()];
  const handed: [Uint8Array[], string][] = [];
  const expected = ["", "", ""];
  for (let i = 0; i < 30_000; i++) {
    const which = i % 3;
    const buffer = buffers[which];
    const value = "v".repeat(i % 200);
    buffer.bulk(value);
    expected[which] += `$${value.length}\r\n${value}\r\n`;
    if (i % 7 === 0) {
      const parts: Uint8Array[] = [];
      buffer.writeTo({ write: (bytes) => parts.push(bytes) });
      handed.push([parts, expected[which]]);
      expected[which] = "";
    }
  }
  for (const buffer of buffers) buffer.take();
  // Each write got exactly what was collected before it, and still has it.
  for (const [parts, wanted] of handed) assertEquals(text(parts), wanted);
});

Deno.test("ReplyBuffer passes a large bulk string on without a copy, in order", () => {
  const buffer = new ReplyBuffer();
  const large = new Uint8Array(20_000).fill(120);
  buffer.simple("OK");
  buffer.bulk(large);
  buffer.nil();
  const parts = buffer.take();
  assertEquals(parts.some((part) => part === large), true);
  assertEquals(
    text(parts),
    `+OK\r\n$20000\r\n${"x".repeat(20_000)}\r\n$-1\r\n`,
  );
});
