// Copyright 2026 the pulsar for Deno authors. MIT license.
import { assertEquals, assertThrows } from "@std/assert";
import { ProtocolError } from "@pulsar/net";
import { RequestReader } from "./request_reader.ts";
import { encodeCommand } from "./resp.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Every command in `parts`, as text. */
function readAll(
  parts: Uint8Array[],
  reader = new RequestReader(),
): string[][] {
  const commands: string[][] = [];
  for (const part of parts) {
    reader.push(part);
    for (let args = reader.read(); args !== undefined; args = reader.read()) {
      commands.push(args.map((arg) => decoder.decode(arg)));
    }
  }
  return commands;
}

const STREAM = Uint8Array.from([
  ...encodeCommand(["SET", "key", "a\r\nb"]),
  ...encoder.encode("\r\n*0\r\n*-1\r\n"),
  ...encoder.encode("GET  key\r\n"),
  ...encoder.encode(`ECHO "x\\x41\\n" 'it\\'s' ""\n`),
  ...encodeCommand(["PING"]),
  ...encoder.encode("PING\n"),
]);
const COMMANDS = [
  ["SET", "key", "a\r\nb"],
  ["GET", "key"],
  ["ECHO", "xA\n", "it's", ""],
  ["PING"],
  ["PING"],
];

Deno.test("RequestReader reads arrays and inline commands, skipping empty ones", () => {
  assertEquals(readAll([STREAM]), COMMANDS);
});

Deno.test("RequestReader reads the same commands wherever the stream is cut, in two or in bytes", () => {
  for (let cut = 0; cut <= STREAM.length; cut++) {
    assertEquals(
      readAll([STREAM.subarray(0, cut), STREAM.subarray(cut)]),
      COMMANDS,
      `cut at ${cut}`,
    );
  }
  const bytes = Array.from(STREAM, (_, i) => STREAM.subarray(i, i + 1));
  assertEquals(readAll(bytes), COMMANDS);
});

Deno.test("RequestReader hands on the bytes after a command with take()", () => {
  const reader = new RequestReader();
  reader.push(STREAM);
  assertEquals(reader.read()!.length, 3);
  const rest = reader.take();
  // A new reader (or this one) reads the rest the same.
  assertEquals(readAll([rest]), COMMANDS.slice(1));
  assertEquals(reader.partial, false);
});

Deno.test("RequestReader reads bytes pushed between two reads after those before them", () => {
  const reader = new RequestReader();
  reader.push(encoder.encode("PING\r\nECHO a\r\n"));
  assertEquals(decoder.decode(reader.read()![0]), "PING");
  reader.push(encodeCommand(["GET", "k"]));
  assertEquals(
    [reader.read(), reader.read()].map((args) => args!.length),
    [2, 2],
  );
  assertEquals(reader.read(), undefined);
});

Deno.test("RequestReader skips 100,000 empty commands in one chunk", () => {
  const empty = "\r\n*0\r\n".repeat(50_000);
  assertEquals(readAll([encoder.encode(empty + "PING\r\n")]), [["PING"]]);
});

Deno.test("RequestReader says partial while a command is half read", () => {
  const reader = new RequestReader();
  assertEquals(reader.partial, false);
  reader.push(encoder.encode("*1\r\n$4\r\nPI"));
  assertEquals(reader.read(), undefined);
  assertEquals(reader.partial, true);
  reader.push(encoder.encode("NG\r\n"));
  assertEquals(reader.read()!.length, 1);
  assertEquals(reader.partial, false);
});

Deno.test("RequestReader throws Redis's protocol errors, limits included", () => {
  const cases: [string, string, number?][] = [
    ["*3\r\n", "invalid multibulk length", 2],
    ["*1\r\n$6\r\n", "invalid bulk length", 2],
    ["*1\r\n$-2\r\n", "invalid bulk length"],
    ["*1\r\n+OK\r\n", "expected '$', got '+'"],
    ["*1\r\n\r\n", "expected '$', got '\r'"],
    ["a 'b\r\n", "unbalanced quotes in request"],
    ["a 'b'c\r\n", "unbalanced quotes in request"],
  ];
  for (const [text, message, limit] of cases) {
    const reader = new RequestReader({ maxArguments: limit, maxBulkLength: 5 });
    reader.push(encoder.encode(text));
    assertThrows(
      () => reader.read(),
      ProtocolError,
      `Protocol error: ${message}`,
    );
  }
});
