// Copyright 2026 the pulsar for Deno authors. MIT license.
// The Redis server example against the real thing: the same redis-cli
// sessions sent to it and to the real redis-server must print the same;
// redis-benchmark must run on it without an error; garbage, truncated and
// hostile frames must cost only their own connection.
import {
  assert,
  assertEquals,
  assertMatch,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import type { ErrorReport } from "@pulsar/net";
import { startExample } from "../_testing.ts";
import { startRealRedis } from "./_real_redis.ts";
import { RedisServer, type RedisServerOptions } from "./redis_server.ts";
import {
  encodeCommand,
  RedisError,
  RespParser,
  type RespValue,
} from "./resp.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A RedisServer on a free port, with the errors it reported. */
async function startServer(
  options: RedisServerOptions = {},
): Promise<RedisServer & { errors: ErrorReport[] }> {
  const errors: ErrorReport[] = [];
  const server = new RedisServer({
    port: 0,
    onError: (report) => errors.push(report),
    ...options,
  });
  await server.start();
  return Object.assign(server, { errors });
}

/** Runs `redis-cli -p port ...args` with `input` on stdin: what it printed. */
async function redisCli(
  port: number,
  args: string[],
  input?: string,
): Promise<string> {
  const child = new Deno.Command("redis-cli", {
    args: ["-p", String(port), ...args],
    stdin: input === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (input !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(encoder.encode(input));
    await writer.close();
  }
  const { stdout, stderr } = await child.output();
  return decoder.decode(stdout) + decoder.decode(stderr);
}

/** Sends `data`, half-closes, and reads every byte until the server closes. */
async function exchange(port: number, data: Uint8Array): Promise<Uint8Array> {
  using conn = await Deno.connect({ port });
  await conn.write(data);
  await conn.closeWrite();
  return await readAll(conn);
}

async function readAll(conn: Deno.Conn): Promise<Uint8Array> {
  const parts: number[] = [];
  const buffer = new Uint8Array(64 * 1024);
  while (true) {
    const n = await conn.read(buffer);
    if (n === null) return Uint8Array.from(parts);
    for (let i = 0; i < n; i++) parts.push(buffer[i]);
  }
}

/** Reads exactly `size` bytes (fewer if the stream ends first). */
async function readExactly(conn: Deno.Conn, size: number): Promise<string> {
  const buffer = new Uint8Array(size);
  let filled = 0;
  while (filled < size) {
    const n = await conn.read(buffer.subarray(filled));
    if (n === null) break;
    filled += n;
  }
  return decoder.decode(buffer.subarray(0, filled));
}

/** Every whole RESP reply in `bytes`; throws if a reply is malformed. */
function replies(bytes: Uint8Array): RespValue[] {
  const parser = new RespParser();
  parser.push(bytes);
  const values: RespValue[] = [];
  for (let value = parser.read(); value !== undefined; value = parser.read()) {
    values.push(value);
  }
  return values;
}

/** Replies with each error as `{ error: message }`, for comparison. */
function plain(values: RespValue[]): unknown[] {
  return values.map((value) =>
    value instanceof RedisError ? { error: value.message } : value
  );
}

/** PING on a new connection answers PONG. */
async function assertServing(port: number): Promise<void> {
  const reply = await exchange(port, encodeCommand(["PING"]));
  assertEquals(decoder.decode(reply), "+PONG\r\n");
}

/** A small deterministic generator, so a failure can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x80000000;
  };
}

// ---------------------------------------------------------------------------
// redis-cli: the same session printed by both servers

/**
 * One redis-cli session, one command a line, covering every command and its
 * errors. Nothing in it depends on timing (TTLs are whole seconds far from
 * a boundary).
 */
const SESSION = [
  "FLUSHALL",
  "PING",
  "PING hello",
  'PING "two words"',
  "PING a b",
  "ping",
  "ECHO",
  "ECHO x",
  "ECHO ''",
  'ECHO "tab\\there"',
  "SET k v",
  "GET k",
  "GET missing",
  "GET",
  "GET a b",
  "SET k",
  "SET k v EX 0",
  "SET k v EX -1",
  "SET k v EX abc",
  "SET k v EX",
  "SET k v PX 10 EX 10",
  "SET k v NX XX",
  "SET k v FOO",
  "SET k v EX 9999999999999999",
  "SET k v EX 9223372036854775",
  "SET k v PX 9223372036854775807",
  "SET k v KEEPTTL EX 1",
  "SET k v EX 1 EX 100",
  "TTL k",
  "SET k w KEEPTTL",
  "TTL k",
  "SET k w",
  "TTL k",
  "SET k v2 GET",
  "SET k v3 NX",
  "SET k v3 NX GET",
  "SET new v XX",
  "SET new v XX GET",
  "SET new v NX",
  "SET gone v PXAT 1",
  "EXISTS gone",
  "SET k 10",
  "INCR k",
  "INCRBY k 5",
  "INCRBY k -20",
  "INCRBY k x",
  "INCRBY k 1.5",
  "INCRBY k 9223372036854775807",
  "INCRBY k 99999999999999999999",
  "INCR counter",
  "INCR",
  "INCRBY counter",
  "SET big 9223372036854775807",
  "INCR big",
  "SET small -9223372036854775808",
  "INCRBY small -1",
  "INCRBY small 1",
  "SET s 010",
  "INCR s",
  "SET s -0",
  "INCR s",
  "SET s ' 1'",
  "INCR s",
  "SET s +1",
  "INCR s",
  "SET s ''",
  "INCR s",
  "SET s 123456789012345678901",
  "INCR s",
  "LPUSH L a b c",
  "RPUSH L d e",
  "LRANGE L 0 -1",
  "LRANGE L 1 -2",
  "LRANGE L -2 -1",
  "LRANGE L -100 100",
  "LRANGE L 3 1",
  "LRANGE L 9 10",
  "LRANGE L x 1",
  "LRANGE L 0",
  "LRANGE nolist 0 -1",
  "GET L",
  "INCR L",
  "SET L v GET",
  "LPUSH k x",
  "RPUSH k x",
  "LPOP k",
  "LRANGE k 0 -1",
  "LPOP L",
  "LPOP L 0",
  "LPOP L -1",
  "LPOP L x",
  "LPOP L 2",
  "LPOP L 1 2",
  "LPOP L 10",
  "EXISTS L",
  "LPOP nolist",
  "LPOP nolist 2",
  "LPOP nolist 0",
  "LPUSH",
  "RPUSH L",
  "MSET a 1 b 2",
  "MSET a",
  "MSET a 1 b",
  "MGET a b L nokey",
  "MGET",
  "DEL a b nokey b",
  "DEL",
  "EXISTS k k nokey",
  "EXISTS",
  "RPUSH R 1 2 3",
  "DBSIZE",
  "DBSIZE x",
  "TTL R",
  "TTL nokey",
  "PTTL R",
  "PTTL nokey",
  "TTL",
  "CONFIG GET save",
  "CONFIG GET appendonly",
  "config get SAVE",
  "CONFIG GET",
  "CONFIG GET no-such-setting",
  "CONFIG FOO",
  "CONFIG",
  "FLUSHALL x",
  "FLUSHALL SYNC",
  "DBSIZE",
  "SET x 1",
  "FLUSHALL ASYNC",
  "FLUSHDB",
  "EXISTS x",
  "FOO",
  "FOO a b",
  'FOO "a\\nb" c',
  "NOSUCHCOMMAND " + "x".repeat(200),
  'SET bin "\\x00\\xff\\r\\n"',
  "GET bin",
  "SET " + "long".repeat(100) + " value",
  "GET " + "long".repeat(100),
  "PING",
].join("\n") + "\n";

Deno.test("RedisServer prints the same redis-cli session as the real redis-server, typed and raw", async () => {
  await using real = await startRealRedis();
  await using server = await startServer();
  for (const mode of [["--no-raw"], ["--raw"]]) {
    const expected = await redisCli(real.port, mode, SESSION);
    const actual = await redisCli(server.port, mode, SESSION);
    // The session ran: every command printed something.
    assertStringIncludes(expected, "ERR wrong number of arguments for 'get'");
    assertEquals(actual, expected);
  }
  assertEquals(server.errors, []);
});

Deno.test("RedisServer gives the exact redis-cli output for each command", async () => {
  await using server = await startServer();
  const cli = (...args: string[]) =>
    redisCli(server.port, ["--no-raw", ...args]);
  assertEquals(await cli("PING"), "PONG\n");
  assertEquals(await cli("ECHO", "hi"), '"hi"\n');
  assertEquals(await cli("SET", "k", "v", "EX", "100"), "OK\n");
  assertEquals(await cli("TTL", "k"), "(integer) 100\n");
  assertEquals(await cli("GET", "k"), '"v"\n');
  assertEquals(await cli("GET", "nokey"), "(nil)\n");
  assertEquals(await cli("SET", "p", "v", "PX", "100000"), "OK\n");
  assertEquals(await cli("INCR", "n"), "(integer) 1\n");
  assertEquals(await cli("INCRBY", "n", "41"), "(integer) 42\n");
  assertEquals(await cli("MSET", "a", "1", "b", "2"), "OK\n");
  assertEquals(await cli("MGET", "a", "b", "c"), '1) "1"\n2) "2"\n3) (nil)\n');
  assertEquals(await cli("EXISTS", "a", "c"), "(integer) 1\n");
  assertEquals(await cli("DEL", "a", "b", "c"), "(integer) 2\n");
  assertEquals(await cli("LPUSH", "l", "b", "a"), "(integer) 2\n");
  assertEquals(await cli("RPUSH", "l", "c"), "(integer) 3\n");
  assertEquals(await cli("LRANGE", "l", "0", "-1"), '1) "a"\n2) "b"\n3) "c"\n');
  assertEquals(await cli("LPOP", "l"), '"a"\n');
  assertEquals(await cli("LPOP", "l", "5"), '1) "b"\n2) "c"\n');
  assertEquals(await cli("DBSIZE"), "(integer) 3\n");
  assertEquals(
    await cli("GET", "n", "x"),
    "(error) ERR wrong number of arguments for 'get' command\n",
  );
  assertEquals(
    await cli("LPUSH", "k", "x"),
    "(error) WRONGTYPE Operation against a key holding the wrong kind of value\n",
  );
  assertEquals(
    await cli("INCR", "k"),
    "(error) ERR value is not an integer or out of range\n",
  );
  assertEquals(
    await cli("FOO", "a", "b"),
    "(error) ERR unknown command 'FOO', with args beginning with: 'a' 'b' \n",
  );
  assertEquals(await cli("FLUSHALL"), "OK\n");
  assertEquals(await cli("DBSIZE"), "(integer) 0\n");
  // The real server lists several settings in an order of its own.
  assertEquals(
    await cli("CONFIG", "GET", "save", "append*"),
    '1) "save"\n2) ""\n3) "appendonly"\n4) "no"\n',
  );
  assertEquals(server.errors, []);
});

Deno.test("RedisServer drops a key once its PX time has passed, for GET, EXISTS and DBSIZE", async () => {
  await using server = await startServer();
  const cli = (...args: string[]) =>
    redisCli(server.port, ["--no-raw", ...args]);
  assertEquals(await cli("SET", "a", "v", "PX", "50"), "OK\n");
  assertEquals(await cli("SET", "b", "v", "PX", "50"), "OK\n");
  assertEquals(await cli("SET", "c", "v", "PX", "50"), "OK\n");
  assertEquals(await cli("SET", "d", "v"), "OK\n");
  await new Promise((resolve) => setTimeout(resolve, 120));
  assertEquals(await cli("GET", "a"), "(nil)\n");
  assertEquals(await cli("EXISTS", "b"), "(integer) 0\n");
  assertEquals(await cli("DBSIZE"), "(integer) 1\n");
  assertEquals(server.store.size, 1);
});

// ---------------------------------------------------------------------------
// redis-benchmark

for (const pipeline of [1, 16]) {
  Deno.test(`RedisServer runs redis-benchmark -t ping,set,get,incr,lpush,lrange -n 20000 -P ${pipeline} without an error`, async () => {
    await using server = await startServer();
    const { code, stdout, stderr } = await new Deno.Command("redis-benchmark", {
      args: [
        "-p",
        String(server.port),
        "-t",
        "ping,set,get,incr,lpush,lrange",
        "-n",
        "20000",
        "-P",
        String(pipeline),
        "-q",
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const out = decoder.decode(stdout);
    const err = decoder.decode(stderr);
    assertEquals(code, 0, err);
    assert(!/error|warning/i.test(out + err), out + err);
    const tests = [
      "PING_INLINE",
      "PING_MBULK",
      "SET",
      "GET",
      "INCR",
      "LPUSH",
      "LRANGE_100",
      "LRANGE_300",
      "LRANGE_500",
      "LRANGE_600",
    ];
    for (const test of tests) {
      assertMatch(
        out,
        new RegExp(`${test}[^\\n]*: [\\d.]+ requests per second`),
      );
    }
    // What it did is in the store: its counter, its list, its key.
    assertEquals(
      await redisCli(server.port, ["GET", "counter:__rand_int__"]),
      "20000\n",
    );
    assertMatch(
      await redisCli(server.port, ["GET", "key:__rand_int__"]),
      /^[^\n]{3}\n$/, // -d 3: three random bytes
    );
    assertEquals(server.errors, []);
  });
}

// ---------------------------------------------------------------------------
// Pipelining, framing

Deno.test("RedisServer answers 1,000 pipelined commands of one write in order", async () => {
  await using server = await startServer();
  const commands: Uint8Array[] = [];
  for (let i = 0; i < 1000; i++) {
    commands.push(
      i % 2 === 0 ? encodeCommand(["INCR", "n"]) : encoder.encode("INCR n\r\n"),
    );
  }
  const data = new Uint8Array(commands.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const command of commands) {
    data.set(command, at);
    at += command.length;
  }
  const values = replies(await exchange(server.port, data));
  assertEquals(values, Array.from({ length: 1000 }, (_, i) => i + 1));
});

/** A pipelined stream of every kind of request, and where each ends. */
function mixedStream(): { data: Uint8Array; ends: number[] } {
  const parts = [
    encodeCommand(["SET", "k", "v\r\n\0"]),
    encoder.encode("GET k\r\n"),
    encoder.encode("\r\n"), // an empty line: skipped, no reply
    encoder.encode("*0\r\n"), // an empty array: skipped, no reply
    encodeCommand(["RPUSH", "l", "a", "b", ""]),
    encoder.encode('ECHO "quoted \\x41"\n'),
    encodeCommand(["LRANGE", "l", "0", "-1"]),
    encodeCommand(["INCRBY", "n", "-7"]),
    encodeCommand(["NOPE", "x"]),
  ];
  const replying = [true, true, false, false, true, true, true, true, true];
  const data = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  const ends: number[] = [];
  let at = 0;
  parts.forEach((part, i) => {
    data.set(part, at);
    at += part.length;
    if (replying[i]) ends.push(at);
  });
  return { data, ends };
}

Deno.test("RedisServer answers a request stream cut at every byte as it answers it whole", async () => {
  await using server = await startServer();
  const { data, ends } = mixedStream();
  const whole = plain(replies(await exchange(server.port, data)));
  assertEquals(whole.length, ends.length);
  assertEquals(whole[0], "OK");
  assertEquals(whole[1], encoder.encode("v\r\n\0"));
  assertEquals(whole[3], encoder.encode("quoted A"));
  assertEquals(whole[6], {
    error: "ERR unknown command 'NOPE', with args beginning with: 'x' ",
  });
  for (let cut = 1; cut < data.length; cut++) {
    // In two writes, the second one after the first was read: the same.
    server.store.clear();
    using conn = await Deno.connect({ port: server.port });
    await conn.write(data.subarray(0, cut));
    const before = ends.filter((end) => end <= cut).length;
    // The replies to the commands wholly in the first part come first.
    let got = new Uint8Array(0);
    while (replies(got).length < before) {
      const buffer = new Uint8Array(4096);
      const n = await conn.read(buffer);
      if (n === null) {
        throw new Error(`Closed before the replies, cut at ${cut}`);
      }
      got = Uint8Array.from([...got, ...buffer.subarray(0, n)]);
    }
    await conn.write(data.subarray(cut));
    await conn.closeWrite();
    const all = Uint8Array.from([...got, ...await readAll(conn)]);
    assertEquals(plain(replies(all)), whole, `cut at ${cut}`);
  }
  assertEquals(server.errors, []);
});

Deno.test("RedisServer answers only the whole commands of a truncated stream, then closes at its end", async () => {
  await using server = await startServer();
  const { data, ends } = mixedStream();
  for (let cut = 0; cut < data.length; cut++) {
    server.store.clear();
    const values = replies(await exchange(server.port, data.subarray(0, cut)));
    assertEquals(values.length, ends.filter((end) => end <= cut).length);
  }
  await assertServing(server.port);
  assertEquals(server.errors, []);
});

Deno.test("RedisServer writes a 1 MiB value and an empty one back intact", async () => {
  await using server = await startServer();
  const big = Uint8Array.from({ length: 1 << 20 }, (_, i) => (i * 7) % 251);
  const data = Uint8Array.from([
    ...encodeCommand(["SET", "big", big]),
    ...encodeCommand(["SET", "empty", ""]),
    ...encodeCommand(["MGET", "big", "empty", "big"]),
  ]);
  const values = replies(await exchange(server.port, data));
  assertEquals(values, ["OK", "OK", [big, new Uint8Array(0), big]]);
});

Deno.test("RedisServer stops reading a peer that sends commands without reading the replies, and serves them all once it reads", async () => {
  await using server = await startServer();
  const items = Array.from({ length: 1000 }, (_, i) => `element-${i}`);
  const count = 2000;
  assertEquals(
    replies(
      await exchange(server.port, encodeCommand(["RPUSH", "l", ...items])),
    ),
    [1000],
  );
  const command = encodeCommand(["LRANGE", "l", "0", "-1"]);
  const data = new Uint8Array(command.length * count);
  for (let i = 0; i < count; i++) data.set(command, i * command.length);
  using conn = await Deno.connect({ port: server.port });
  await conn.write(data); // about 60 KiB of requests, 35 MB of replies
  // Wait until the server stops making progress: it waits for this peer.
  let processed = -1;
  for (let i = 0; i < 100 && processed !== server.requestsProcessed; i++) {
    processed = server.requestsProcessed;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert(processed < count, `it answered all ${processed} unread`);
  const [connection] = server.connections;
  const buffered = connection.transport!.getWriteBufferSize();
  // The write buffer's high mark (64 KiB), a flush, and one reply at most.
  assert(buffered < 256 * 1024, `${buffered} bytes buffered`);
  // Reading, it gets every reply.
  const reply = encoder.encode(
    `*1000\r\n${
      items.map((item) => `$${item.length}\r\n${item}\r\n`).join("")
    }`,
  );
  let total = 0;
  const buffer = new Uint8Array(256 * 1024);
  while (total < reply.length * count) {
    const n = await conn.read(buffer);
    if (n === null) break;
    total += n;
  }
  assertEquals(total, reply.length * count);
  assertEquals(server.requestsProcessed, count + 1);
});

Deno.test("RedisServer QUIT answers OK, closes, and ignores what follows", async () => {
  await using server = await startServer();
  const data = encoder.encode("SET a 1\r\nQUIT\r\nSET b 2\r\n");
  assertEquals(
    decoder.decode(await exchange(server.port, data)),
    "+OK\r\n+OK\r\n",
  );
  assertEquals(await redisCli(server.port, ["EXISTS", "a", "b"]), "1\n");
});

// ---------------------------------------------------------------------------
// Broken, hostile and garbage input

/** Redis's reply to each broken request; each closes the connection. */
const BROKEN: [string, string][] = [
  ["*2147483648\r\n", "invalid multibulk length"],
  ["*x\r\n", "invalid multibulk length"],
  ["*01\r\n$4\r\nPING\r\n", "invalid multibulk length"],
  ["*+1\r\n$4\r\nPING\r\n", "invalid multibulk length"],
  ["*1 \r\n$4\r\nPING\r\n", "invalid multibulk length"],
  ["*1\n$4\r\nPING\r\n", "invalid multibulk length"],
  ["*1\r\n$999999999999\r\n", "invalid bulk length"],
  ["*1\r\n$536870913\r\n", "invalid bulk length"],
  ["*1\r\n$x\r\n", "invalid bulk length"],
  ["*1\r\n$-1\r\n", "invalid bulk length"],
  ["*1\r\n$04\r\nPING\r\n", "invalid bulk length"],
  ["*1\r\n:5\r\n", "expected '$', got ':'"],
  ['ECHO "a\r\n', "unbalanced quotes in request"],
  ['echo "a"b\r\n', "unbalanced quotes in request"],
  [
    "*1\r\n$4\r\nPING\r\n*a\r\n*1\r\n$4\r\nPING\r\n",
    "invalid multibulk length",
  ],
];

Deno.test("RedisServer replies to each broken request with Redis's protocol error, as the real redis-server, and closes", async () => {
  await using real = await startRealRedis();
  await using server = await startServer();
  for (const [request, error] of BROKEN) {
    const data = encoder.encode(request);
    const expected = decoder.decode(await exchange(real.port, data));
    // Without the half-close: the server closes by itself.
    using conn = await Deno.connect({ port: server.port });
    await conn.write(data);
    const actual = decoder.decode(await readAll(conn));
    assertStringIncludes(actual, `-ERR Protocol error: ${error}\r\n`);
    assertEquals(actual, expected, request);
  }
  await assertServing(server.port);
  assertEquals(server.errors, []);
});

Deno.test("RedisServer refuses *1048577 and $999999999999 on their header, before any byte of their body", async () => {
  await using server = await startServer();
  for (
    const [header, error] of [
      ["*1048577\r\n", "invalid multibulk length"],
      ["*1\r\n$999999999999\r\n", "invalid bulk length"],
      ["*1\r\n$536870913\r\n", "invalid bulk length"],
    ]
  ) {
    // The connection stays open for writing: the reply comes from the
    // header alone, nothing waits for the body.
    using conn = await Deno.connect({ port: server.port });
    await conn.write(encoder.encode(header));
    assertEquals(
      decoder.decode(await readAll(conn)),
      `-ERR Protocol error: ${error}\r\n`,
    );
  }
  // At the limits, the header is accepted and the body awaited.
  using conn = await Deno.connect({ port: server.port });
  await conn.write(encoder.encode("*1048576\r\n"));
  await conn.write(encodeCommand(["PING"]).subarray(4)); // one argument
  await conn.closeWrite();
  assertEquals(decoder.decode(await readAll(conn)), "");
  await assertServing(server.port);
});

Deno.test("RedisServer caps bulk lengths and argument counts by its options", async () => {
  await using server = await startServer({ maxBulkLength: 5, maxArguments: 3 });
  const ok = encodeCommand(["SET", "k", "12345"]);
  assertEquals(decoder.decode(await exchange(server.port, ok)), "+OK\r\n");
  assertEquals(
    decoder.decode(
      await exchange(server.port, encodeCommand(["SET", "k", "123456"])),
    ),
    "-ERR Protocol error: invalid bulk length\r\n",
  );
  assertEquals(
    decoder.decode(
      await exchange(server.port, encodeCommand(["DEL", "a", "b", "c"])),
    ),
    "-ERR Protocol error: invalid multibulk length\r\n",
  );
});

Deno.test("RedisServer refuses an inline command or header over 64 KiB without a line end", async () => {
  await using server = await startServer();
  for (
    const [data, error] of [
      ["PING " + "x".repeat(70_000), "too big inline request"],
      ["*" + "1".repeat(70_000), "too big mbulk count string"],
      ["*1\r\n$" + "1".repeat(70_000), "too big bulk count string"],
    ]
  ) {
    using conn = await Deno.connect({ port: server.port });
    await conn.write(encoder.encode(data));
    assertEquals(
      decoder.decode(await readAll(conn)),
      `-ERR Protocol error: ${error}\r\n`,
    );
  }
  await assertServing(server.port);
});

Deno.test("RedisServer answers random garbage with error replies or a closed connection, and keeps serving others", async () => {
  await using server = await startServer();
  const next = random(9);
  // A client in the middle of a command all along: it is served after.
  using slow = await Deno.connect({ port: server.port });
  const slowCommand = encodeCommand(["SET", "slow", "done"]);
  await slow.write(slowCommand.subarray(0, 10));
  const valid = [
    ...encodeCommand(["SET", "key", "value"]),
    ...encodeCommand(["GET", "key"]),
  ];
  for (let round = 0; round < 200; round++) {
    const size = 1 + Math.floor(next() * 300);
    let bytes: number[];
    if (round % 2 === 0) {
      // Bytes of any value.
      bytes = Array.from({ length: size }, () => Math.floor(next() * 256));
    } else {
      // A valid stream with bytes changed: garbage that looks like RESP.
      bytes = [...valid];
      for (let i = 0; i < 1 + round % 5; i++) {
        bytes[Math.floor(next() * bytes.length)] =
          "*$\r\n-:0123456789x"[Math.floor(next() * 17)].charCodeAt(0);
      }
    }
    const reply = await exchange(server.port, Uint8Array.from(bytes));
    // Whatever came back is well-formed RESP: replies, errors among them;
    // a protocol error only as the last reply.
    const values = replies(reply);
    const protocolError = values.findIndex((value) =>
      value instanceof RedisError && value.message.startsWith("ERR Protocol")
    );
    assert(protocolError === -1 || protocolError === values.length - 1);
    if (round % 20 === 0) await assertServing(server.port);
  }
  await slow.write(slowCommand.subarray(10));
  assertEquals(await readExactly(slow, 5), "+OK\r\n");
  await assertServing(server.port);
  assertEquals(server.errors, []);
});

Deno.test("RedisServer with an idle timeout closes a peer silent mid-command, and keeps none open by default", async () => {
  await using server = await startServer({ idleTimeout: 100 });
  using stalled = await Deno.connect({ port: server.port });
  await stalled.write(encoder.encode("*2\r\n$4\r\nECHO\r\n$5\r\nhe"));
  // Closed by the server, well before this test gives up on it.
  const giveUp = setTimeout(() => stalled.close(), 5000);
  try {
    assertEquals(await readAll(stalled), new Uint8Array(0));
  } finally {
    clearTimeout(giveUp);
  }
  await using patient = await startServer();
  assertEquals(patient.idleTimeout, 0);
});

Deno.test("RedisServer refuses bad options where they are given", () => {
  for (const maxBulkLength of [0, -1, 1.5, NaN, Infinity]) {
    const error = assertThrows(
      () => new RedisServer({ maxBulkLength }),
      RangeError,
    );
    assertStringIncludes(error.message, `maxBulkLength "${maxBulkLength}"`);
  }
  assertThrows(
    () => new RedisServer({ maxArguments: "10" as unknown as number }),
    TypeError,
    'maxArguments "10"',
  );
  assertThrows(
    () => new RedisServer({ store: {} as never }),
    TypeError,
    "RedisStore",
  );
  assertThrows(() => new RedisServer({ port: -1 }), RangeError);
});

// ---------------------------------------------------------------------------
// The script

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.test(`examples/redis/server.ts serves redis-cli and stops cleanly on ${signal}`, async () => {
    const server = await startExample("redis/server.ts");
    assertEquals(await redisCli(server.port, ["SET", "a", "1"]), "OK\n");
    assertEquals(await redisCli(server.port, ["INCR", "a"]), "2\n");
    // A client connected at the signal does not hold the stop.
    using conn = await Deno.connect({ port: server.port });
    await conn.write(encoder.encode("PING\r\n"));
    assertEquals(await readExactly(conn, 7), "+PONG\r\n");
    const { code, stdout } = await server.stop(signal);
    assertEquals(code, 0);
    assertMatch(stdout, /Redis server stopped after 3 commands/);
    assertEquals(await readAll(conn), new Uint8Array(0));
  });
}
