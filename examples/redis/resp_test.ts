// Copyright 2026 the pulsar for Deno authors. MIT license.
import { assertEquals, assertInstanceOf, assertThrows } from "@std/assert";
import { ProtocolError } from "@pulsar/net";
import {
  encodeCommand,
  encodeReply,
  RedisError,
  RespParser,
  type RespParserOptions,
  RespScanner,
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
  9007199254740991,
  -9007199254740991,
  9007199254740992n,
  9223372036854775807n,
  -9223372036854775808n,
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

Deno.test("RespParser reads 64-bit integers beyond 2^53 as bigints, exactly", () => {
  assertEquals(
    parseAll([bytes(":9223372036854775807\r\n:-9007199254740993\r\n")]),
    [9223372036854775807n, -9007199254740993n],
  );
  assertEquals(parseAll([bytes(":0000000000000001\r\n:-0\r\n")]), [1, 0]);
  const parser = new RespParser();
  parser.push(bytes(":12345678901234567890\r\n"));
  assertThrows(() => parser.read(), ProtocolError, "has no integer");
});

Deno.test("RespParser and RespScanner refuse bad options with TypeError or RangeError", () => {
  for (
    const make of [
      (o: unknown) => new RespParser(o as RespParserOptions),
      (o: unknown) => new RespScanner(o as RespParserOptions),
    ]
  ) {
    assertThrows(() => make(null), TypeError, 'Cannot use options "null"');
    assertThrows(
      () => make({ maxBulkLength: -1 }),
      RangeError,
      'Cannot use maxBulkLength "-1": it must be an integer of 0 or more',
    );
    assertThrows(
      () => make({ maxArrayLength: NaN }),
      RangeError,
      'Cannot use maxArrayLength "NaN"',
    );
    assertThrows(
      () => make({ maxBulkLength: "1" }),
      TypeError,
      'Cannot use maxBulkLength "1" (a string): it must be an integer',
    );
  }
  assertThrows(
    () => new RespParser({ inline: 1 as unknown as boolean }),
    TypeError,
    'Cannot use inline "1": it must be a boolean',
  );
});

Deno.test("RespScanner reads each whole value of a buffer as RespParser does, and nothing from a cut one", () => {
  // Whole: the values one after another, as RespParser reads them.
  const scanner = new RespScanner();
  const scanned: RespValue[] = [];
  for (let at = 0; at < STREAM.length; at = scanner.end) {
    const value = scanner.scan(STREAM, at);
    if (value === undefined) throw new Error(`nothing at ${at}`);
    scanned.push(value);
  }
  assertEquals(scanned.map(plain), REPLIES.map(plain));
  // Cut anywhere inside a value: undefined, whatever came before.
  for (const reply of REPLIES) {
    const whole = encodeReply(reply);
    for (let cut = 0; cut < whole.length; cut++) {
      assertEquals(scanner.scan(whole.subarray(0, cut)), undefined, `${cut}`);
    }
    assertEquals(plain(scanner.scan(whole)!), plain(reply));
    assertEquals(scanner.end, whole.length);
  }
});

Deno.test("RespScanner leaves garbage, values over the limits, inline commands and deep nesting to RespParser", () => {
  const scanner = new RespScanner({ maxBulkLength: 3, maxArrayLength: 2 });
  for (
    const left of [
      ":\r\n",
      ":12a\r\n",
      "$-5\r\n",
      "$3\r\nabcde",
      "*x\r\n",
      "\r\n",
      "PING\r\n",
      "$4\r\nabcd\r\n",
      "*3\r\n:1\r\n:2\r\n:3\r\n",
      ":12345678901234567890\r\n",
      "*1\r\n".repeat(17) + ":1\r\n",
    ]
  ) {
    assertEquals(scanner.scan(bytes(left)), undefined, left);
  }
  // Sixteen levels are read whole; a lone CR inside a simple string is text.
  const deep = new RespScanner().scan(bytes("*1\r\n".repeat(16) + ":1\r\n"));
  let level = deep;
  for (let i = 0; i < 16; i++) level = (level as RespValue[])[0];
  assertEquals(level, 1);
  assertEquals(new RespScanner().scan(bytes("+a\rb\r\n")), "a\rb");
});

Deno.test("encodeCommand() writes text as TextEncoder does: ASCII, accents, emoji, lone surrogates, long strings", () => {
  const samples = [
    "",
    "plain ascii",
    "clé été",
    "日本語",
    "emoji 😀 pair",
    "lone \ud800 high",
    "lone \udc00 low",
    "end high \ud83d",
    "\u007f\u0080\u07ff\u0800\uffff",
    "x".repeat(127),
    "y".repeat(128),
    "é".repeat(200),
    "z".repeat(5000) + "😀",
  ];
  const parser = new RespParser();
  parser.push(encodeCommand(samples));
  assertEquals(parser.read(), samples.map(bytes));
  parser.push(encodeCommand([12.5, -3, 2n ** 64n, bytes("\0")]));
  assertEquals(parser.read(), [
    bytes("12.5"),
    bytes("-3"),
    bytes("18446744073709551616"),
    bytes("\0"),
  ]);
  assertThrows(
    () => encodeCommand(["SET", "k", NaN]),
    RangeError,
    'Cannot send argument 2 "NaN": a number must be finite',
  );
  assertThrows(
    () => encodeCommand(["SET", "k", -Infinity]),
    RangeError,
    "a number must be finite",
  );
  assertThrows(
    () => encodeCommand(["SET", "k", true as unknown as string]),
    TypeError,
    "Cannot send argument 2 (boolean): it must be a string, a number, a bigint or a Uint8Array",
  );
});

Deno.test("encodeCommand() never hands out the same bytes twice: 20,000 commands kept, across buffers, all intact", () => {
  const commands = Array.from(
    { length: 20_000 },
    (_, i) => ["SET", `key:${i}`, "v".repeat(i % 300), i % 7 ? "é" : "e"],
  );
  const encoded = commands.map((args) => encodeCommand(args));
  const parser = new RespParser();
  for (let i = 0; i < commands.length; i++) {
    parser.push(encoded[i]);
    assertEquals(parser.read(), commands[i].map(bytes), `command ${i}`);
  }
  // A large one has a buffer of its own.
  const large = encodeCommand(["SET", "k", "x".repeat(100_000)]);
  assertEquals(large.byteLength, large.buffer.byteLength);
});

Deno.test("encodeReply() writes bigints as integers", () => {
  assertEquals(
    new TextDecoder().decode(encodeReply([2n ** 63n - 1n, 1])),
    "*2\r\n:9223372036854775807\r\n:1\r\n",
  );
});
