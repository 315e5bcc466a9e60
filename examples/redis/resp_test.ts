// Copyright 2026 the pulsar for Deno authors. MIT license.
import { assertEquals, assertInstanceOf, assertThrows } from "@std/assert";
import { ProtocolError } from "@pulsar/net";
import {
  encodeCommand,
  encodeReply,
  RedisError,
  RespParser,
  type RespParserOptions,
  type RespValue,
} from "./resp.ts";

const encoder = new TextEncoder();
const bytes = (text: string) => encoder.encode(text);

/** Every reply type, nested, nil and empty included. */
const REPLIES: RespValue[] = [
  "OK",
  "",
  new RedisError("ERR unknown command 'FOO'"),
  0,
  -42,
  1234567890123,
  bytes(""),
  bytes("binary\r\n\0\xff"),
  null,
  [],
  [bytes("a"), 1, null, ["nested", [bytes("deep")]], new RedisError("E x")],
];
const STREAM = Uint8Array.from(
  REPLIES.flatMap((reply) => [...encodeReply(reply)]),
);

/** The value with each error as `{ error: message }`, for comparison. */
function plain(value: RespValue): unknown {
  if (value instanceof RedisError) return { error: value.message };
  return Array.isArray(value) ? value.map(plain) : value;
}

function parseAll(parts: Uint8Array[], options?: RespParserOptions) {
  const parser = new RespParser(options);
  const out: RespValue[] = [];
  for (const part of parts) {
    parser.push(part);
    for (let v = parser.read(); v !== undefined; v = parser.read()) out.push(v);
  }
  assertEquals(parser.partial, false);
  return out;
}

Deno.test("RespParser reads every reply type with the stream cut at every byte", () => {
  for (let cut = 0; cut <= STREAM.length; cut++) {
    assertEquals(
      parseAll([STREAM.subarray(0, cut), STREAM.subarray(cut)]).map(plain),
      REPLIES.map(plain),
      `cut at ${cut}`,
    );
  }
  const single = Array.from(STREAM, (_, i) => STREAM.subarray(i, i + 1));
  assertEquals(parseAll(single).map(plain), REPLIES.map(plain));
});

Deno.test("RespParser reads nil and empty arrays, and an error inside an array", () => {
  const [nil, empty, withError] = parseAll([
    bytes("*-1\r\n*0\r\n*1\r\n-ERR x\r\n"),
  ]);
  assertEquals(nil, null);
  assertEquals(empty, []);
  assertInstanceOf((withError as RespValue[])[0], RedisError);
});

Deno.test("RespParser reads inline commands only when asked to", () => {
  assertEquals(
    parseAll([bytes("PING\r\n\r\nSET  k\tv\r\n*1\r\n$4\r\nPING\r\n")], {
      inline: true,
    }),
    [[bytes("PING")], [bytes("SET"), bytes("k"), bytes("v")], [bytes("PING")]],
  );
  const parser = new RespParser();
  parser.push(bytes("PING\r\n"));
  assertThrows(() => parser.read(), ProtocolError, 'unexpected type byte "P"');
});

Deno.test("RespParser refuses lengths over its limits before allocating", () => {
  const bulk = new RespParser({ maxBulkLength: 10 });
  bulk.push(bytes("$11\r\n"));
  assertThrows(
    () => bulk.read(),
    ProtocolError,
    "bulk length 11 is over the limit of 10",
  );
  const array = new RespParser({ maxArrayLength: 2 });
  array.push(bytes("*3\r\n"));
  assertThrows(
    () => array.read(),
    ProtocolError,
    "array length 3 is over the limit of 2",
  );
  const huge = new RespParser();
  huge.push(bytes("$99999999999999999\r\n"));
  assertThrows(() => huge.read(), ProtocolError, "has no integer");
});

Deno.test("RespParser refuses garbage: bad integers, a bulk without CRLF, negative lengths", () => {
  for (
    const garbage of [
      ":\r\n",
      ":12a\r\n",
      "$-5\r\n",
      "$3\r\nabcde",
      "*x\r\n",
      "\r\n",
    ]
  ) {
    const parser = new RespParser();
    parser.push(bytes(garbage));
    assertThrows(() => parser.read(), ProtocolError, "Invalid RESP", garbage);
  }
});

Deno.test("encodeCommand() encodes strings, numbers and bytes, and refuses other types", () => {
  const parser = new RespParser();
  parser.push(encodeCommand(["SET", "clé", 12, bytes("\0\r\n")]));
  assertEquals(parser.read(), [
    bytes("SET"),
    bytes("clé"),
    bytes("12"),
    bytes("\0\r\n"),
  ]);
  const long = Array.from({ length: 12 }, (_, i) => "x".repeat(i * 10));
  parser.push(encodeCommand(long));
  assertEquals(parser.read(), long.map(bytes));
  assertThrows(
    () => encodeCommand(["GET", {} as unknown as string]),
    TypeError,
    "Cannot send argument 1 (object)",
  );
});
