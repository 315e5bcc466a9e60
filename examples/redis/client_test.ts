// Copyright 2026 the pulsar for Deno authors. MIT license.
// RedisClient against the real redis-server (started per test on a free
// loopback port, stopped after), and against small canned responders where
// the test needs to choose the bytes and their timing.
import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertRejects,
  assertThrows,
} from "@std/assert";
import {
  ConnectionClosedError,
  ConnectionRefusedError,
  ProtocolError,
  TimeoutError,
  TlsError,
} from "@pulsar/net";
import { RedisClient, RedisError, type RespValue } from "./client.ts";
import { encodeReply } from "./resp.ts";
import { freePort, startRealRedis } from "./_real_redis.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const bytes = (text: string) => encoder.encode(text);
const text = (value: RespValue) => decoder.decode(value as Uint8Array);

/** Bytes with every value, CR LF and NUL included, in an uneven pattern. */
function pattern(size: number): Uint8Array {
  return Uint8Array.from({ length: size }, (_, i) => (i * 7 + (i >> 11)) % 256);
}

/** Resolves after `ms` milliseconds. */
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * A canned responder: accepts connections, and for each reads the commands
 * (RESP arrays, counted by the client's own encoding) and answers with what
 * `answer` writes. Closes everything on dispose.
 */
function responder(
  answer: (conn: Deno.Conn, index: number) => Promise<void>,
): { port: number; [Symbol.asyncDispose](): Promise<void> } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  const serving: Promise<void>[] = [];
  const accepting = (async () => {
    let index = 0;
    for await (const conn of listener) {
      conns.add(conn);
      conn.setNoDelay(true);
      serving.push(
        answer(conn, index++).catch(() => {}).finally(() => {
          conns.delete(conn);
          try {
            conn.close();
          } catch {
            // Closed already.
          }
        }),
      );
    }
  })();
  return {
    port: listener.addr.port,
    async [Symbol.asyncDispose]() {
      listener.close();
      await accepting;
      for (const conn of conns) {
        try {
          conn.close();
        } catch {
          // Closed already.
        }
      }
      await Promise.all(serving);
    },
  };
}

/**
 * A responder that answers each `commands` it reads with `reply`, written
 * in two parts, 2 ms apart: its first `cut()` bytes, then the rest.
 */
function splitResponder(
  commands: Uint8Array,
  reply: Uint8Array,
  cut: () => number,
): { port: number; [Symbol.asyncDispose](): Promise<void> } {
  return responder(async (conn) => {
    while (await readBytes(conn, commands.length) === commands.length) {
      const at = cut();
      await conn.write(reply.subarray(0, at));
      await sleep(2);
      await conn.write(reply.subarray(at));
    }
  });
}

/** Reads from `conn` until `size` bytes arrived (or the end). */
async function readBytes(conn: Deno.Conn, size: number): Promise<number> {
  const buffer = new Uint8Array(64 * 1024);
  let got = 0;
  while (got < size) {
    const n = await conn.read(buffer);
    if (n === null) break;
    got += n;
  }
  return got;
}

Deno.test("RedisClient.command() resolves every reply type from the real redis-server", async () => {
  await using redis = await startRealRedis();
  await using client = new RedisClient({ port: redis.port });
  // Simple strings.
  assertEquals(await client.command("PING"), "PONG");
  assertEquals(await client.command("SET", "k", "v"), "OK");
  // Integers, negative included.
  assertEquals(await client.command("INCRBY", "n", -42), -42);
  assertEquals(await client.command("EXISTS", "k", "n", "none"), 2);
  // Beyond 2^53 a number would lose digits: a bigint, exact, both ways.
  const max = 9223372036854775807n;
  assertEquals(await client.command("INCRBY", "big", max - 1n), max - 1n);
  assertEquals(await client.command("INCR", "big"), max);
  await assertRejects(() => client.command("INCR", "big"), RedisError);
  // A bulk string, and the nil bulk string.
  assertEquals(await client.command("GET", "k"), bytes("v"));
  assertEquals(await client.command("GET", "none"), null);
  // Arrays: empty, of bulk strings with a nil among them, nested, nil.
  assertEquals(await client.command("LRANGE", "none", 0, -1), []);
  assertEquals(await client.command("MGET", "k", "none"), [bytes("v"), null]);
  const scan = await client.command("SCAN", 0, "MATCH", "k") as RespValue[];
  assertEquals(scan.length, 2);
  assertEquals(text(scan[0]), "0");
  assertEquals(scan[1], [bytes("k")]);
  assertEquals(await client.command("BLPOP", "none", "0.01"), null);
  // An error inside an array is an element (EXEC's replies); MULTI and
  // EXEC go in order on the one pipelined connection.
  const [multi, queued1, queued2, exec] = await Promise.all([
    client.command("MULTI"),
    client.command("SET", "t", "text"),
    client.command("INCR", "t"),
    client.command("EXEC"),
  ]);
  assertEquals([multi, queued1, queued2], ["OK", "QUEUED", "QUEUED"]);
  const results = exec as RespValue[];
  assertEquals(results[0], "OK");
  assertInstanceOf(results[1], RedisError);
  assertEquals(
    (results[1] as RedisError).message,
    "ERR value is not an integer or out of range",
  );
  assertEquals(client.sessions, 1);
});

Deno.test("RedisClient round-trips binary values of 0, 1 and 1 MiB bytes", async () => {
  await using redis = await startRealRedis();
  await using client = new RedisClient({ port: redis.port });
  for (const size of [0, 1, 1024 * 1024]) {
    const value = pattern(size);
    assertEquals(await client.command("SET", `b${size}`, value), "OK");
    const got = await client.command("GET", `b${size}`) as Uint8Array;
    assertInstanceOf(got, Uint8Array);
    assertEquals(got.length, size);
    assertEquals(got, value, `${size} bytes`);
  }
  // Each byte value alone, CR, LF and NUL among them.
  const replies = await Promise.all(
    Array.from({ length: 256 }, async (_, byte) => {
      await client.command("SET", `byte${byte}`, Uint8Array.of(byte));
      return await client.command("GET", `byte${byte}`);
    }),
  );
  assertEquals(
    replies,
    Array.from({ length: 256 }, (_, b) => Uint8Array.of(b)),
  );
});

Deno.test("RedisClient gives a 1 MiB reply and the small ones pipelined around it each to its command", async () => {
  await using redis = await startRealRedis();
  await using client = new RedisClient({ port: redis.port });
  const large = pattern(1024 * 1024);
  await client.command("SET", "large", large);
  const replies = await Promise.all(
    Array.from(
      { length: 21 },
      (_, i) =>
        i % 10 === 5
          ? client.command("GET", "large")
          : client.command("ECHO", `small ${i}`),
    ),
  );
  replies.forEach((reply, i) => {
    if (i % 10 === 5) assertEquals(reply, large, `reply ${i}`);
    else assertEquals(text(reply), `small ${i}`);
  });
  assertEquals(client.sessions, 1);
});

Deno.test("RedisClient sends the next command on a new connection when the server closed the idle one", async () => {
  await using redis = await startRealRedis();
  await using client = new RedisClient({ port: redis.port });
  await using admin = new RedisClient({ port: redis.port });
  const id = await client.command("CLIENT", "ID");
  assertEquals(await admin.command("CLIENT", "KILL", "ID", id as number), 1);
  await sleep(50);
  assertEquals(await client.command("INCR", "n"), 1);
  assertEquals(client.sessions, 2);
  assertEquals(await client.command("GET", "n"), bytes("1"));
});

Deno.test("RedisClient copies small bulk strings out of the read buffer, and keeps large ones as read", async () => {
  await using redis = await startRealRedis();
  await using client = new RedisClient({ port: redis.port });
  await client.command("SET", "small", "abc");
  const small = await client.command("GET", "small") as Uint8Array;
  // Its own buffer: keeping it keeps 3 bytes, not the connection's slab.
  assertEquals(small.buffer.byteLength, 3);
  const large = pattern(1024 * 1024);
  await client.command("SET", "large", large);
  const got = await client.command("GET", "large") as Uint8Array;
  assert(got.byteLength * 2 >= got.buffer.byteLength);
  assertEquals(got, large);
  const list = [bytes("x"), bytes("yy")];
  await client.command("RPUSH", "list", ...list);
  const items = await client.command("LRANGE", "list", 0, -1) as Uint8Array[];
  assertEquals(items, list);
  assertEquals(items.map((item) => item.buffer.byteLength), [1, 2]);
});

Deno.test("RedisClient with copyBulk false gives views of the read buffer, intact", async () => {
  await using redis = await startRealRedis();
  await using client = new RedisClient({ port: redis.port }, {
    copyBulk: false,
  });
  await client.command("MSET", "a", "abc", "b", "de");
  const [a, b] = await Promise.all([
    client.command("GET", "a"),
    client.command("GET", "b"),
  ]) as Uint8Array[];
  assertEquals([a, b], [bytes("abc"), bytes("de")]);
  // Views of one buffer, larger than both.
  assert(a.buffer === b.buffer && a.buffer.byteLength >= 1024);
  // Later reads never overwrite them.
  await Promise.all(
    Array.from({ length: 1000 }, (_, i) => client.command("SET", `k${i}`, i)),
  );
  assertEquals([a, b], [bytes("abc"), bytes("de")]);
  assertThrows(
    () =>
      new RedisClient({ port: redis.port }, {
        copyBulk: "no" as unknown as boolean,
      }),
    TypeError,
    'Cannot use copyBulk "no" (a string): it must be a boolean',
  );
});

Deno.test("RedisClient (copyBulk default) resolves a reply nested 200,000 arrays deep, copying the bulk string at its bottom, without overflowing the stack", async () => {
  // Deep enough to overflow a recursive walk; 5,000 fits one read (the
  // scanner's path), 200,000 is cut over many (the parser's).
  for (const depth of [5_000, 200_000]) {
    await using server = responder(async (conn) => {
      await readBytes(conn, 1);
      await conn.write(bytes("*1\r\n".repeat(depth) + "$3\r\nabc\r\n"));
      await sleep(100);
    });
    await using client = new RedisClient({ port: server.port }, {
      reconnect: false,
    });
    let value = await client.command("PING");
    let levels = 0;
    while (Array.isArray(value)) {
      assertEquals(value.length, 1);
      value = value[0];
      levels++;
    }
    assertEquals(levels, depth);
    assertEquals(value, bytes("abc"));
    // Copied out of the read buffer.
    assertEquals((value as Uint8Array).buffer.byteLength, 3);
  }
});

Deno.test("RedisClient rejects an error reply with RedisError and keeps the connection", async () => {
  await using redis = await startRealRedis();
  await using client = new RedisClient({ port: redis.port });
  await assertRejects(
    () => client.command("NOSUCHCOMMAND", "x"),
    RedisError,
    "ERR unknown command 'NOSUCHCOMMAND'",
  );
  await client.command("RPUSH", "list", "a");
  const error = await assertRejects(
    () => client.command("GET", "list"),
    RedisError,
  );
  assertEquals(error.name, "RedisError");
  assert(error.message.startsWith("WRONGTYPE"), error.message);
  assertEquals(await client.command("PING"), "PONG");
  // Error replies among pipelined commands: each reaches its own command,
  // in order, on the same connection.
  const settled = await Promise.allSettled(
    Array.from(
      { length: 100 },
      (_, i) =>
        i % 3 === 0
          ? client.command("INCR", "list")
          : client.command("INCR", `n${i}`),
    ),
  );
  settled.forEach((outcome, i) => {
    if (i % 3 === 0) {
      assertEquals(outcome.status, "rejected", `command ${i}`);
      assertInstanceOf((outcome as PromiseRejectedResult).reason, RedisError);
    } else {
      assertEquals(outcome, { status: "fulfilled", value: 1 }, `command ${i}`);
    }
  });
  assertEquals(client.sessions, 1);
  assertEquals(client.requestsProcessed, 104);
});

Deno.test("RedisClient pipelines 1,000 concurrent commands on one connection, each reply to its command", async () => {
  await using redis = await startRealRedis();
  await using client = new RedisClient({ port: redis.port });
  await Promise.all(
    Array.from({ length: 1000 }, (_, i) => client.command("SET", `k${i}`, i)),
  );
  const values = await Promise.all(
    Array.from({ length: 1000 }, (_, i) => client.command("GET", `k${i}`)),
  );
  assertEquals(
    values.map(text),
    Array.from({ length: 1000 }, (_, i) => String(i)),
  );
  const counts = await Promise.all(
    Array.from({ length: 1000 }, () => client.command("INCR", "counter")),
  );
  assertEquals(counts, Array.from({ length: 1000 }, (_, i) => i + 1));
  assertEquals(client.sessions, 1);
  assertEquals(client.requestsProcessed, 3000);
});

Deno.test("RedisClient spreads commands over poolSize connections, each pipelined", async () => {
  await using redis = await startRealRedis();
  await using client = new RedisClient({ port: redis.port }, {
    poolSize: 4,
    pipelining: 8,
  });
  const replies = await Promise.all(
    Array.from({ length: 200 }, (_, i) => client.command("ECHO", `m${i}`)),
  );
  assertEquals(
    replies.map(text),
    Array.from({ length: 200 }, (_, i) => `m${i}`),
  );
  assertEquals(client.sessions, 4);
  const clients = await client.command("CLIENT", "LIST") as Uint8Array;
  assertEquals(text(clients).trim().split("\n").length, 4);
});

Deno.test("RedisClient reaches redis-server over a Unix socket", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/redis.sock`;
  try {
    await using redis = await startRealRedis(undefined, { unixSocket: path });
    await using client = new RedisClient({ path });
    assertEquals(await client.command("SET", "k", "unix"), "OK");
    assertEquals(text(await client.command("GET", "k")), "unix");
    // The same server over TCP sees the value.
    await using tcp = new RedisClient({ port: redis.port });
    assertEquals(text(await tcp.command("GET", "k")), "unix");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("RedisClient reaches redis-server over TLS, checking its certificate", async () => {
  const certs = new URL("../../tests/certs/", import.meta.url).pathname;
  await using redis = await startRealRedis(undefined, {
    tls: {
      certFile: `${certs}server.pem`,
      keyFile: `${certs}server.key`,
      caFile: `${certs}ca.pem`,
    },
  });
  const ca = await Deno.readTextFile(`${certs}ca.pem`);
  await using client = new RedisClient({ port: redis.tlsPort! }, {
    tls: { caCerts: [ca] },
  });
  assertEquals(await client.command("SET", "k", "tls"), "OK");
  const replies = await Promise.all(
    Array.from({ length: 100 }, () => client.command("GET", "k")),
  );
  assertEquals(replies.map(text), Array(100).fill("tls"));
  assertEquals(client.sessions, 1);
  // Without the CA, the server's certificate is refused.
  await using untrusting = new RedisClient({ port: redis.tlsPort! }, {
    tls: true,
    reconnect: false,
  });
  await assertRejects(() => untrusting.command("PING"), TlsError);
});

Deno.test("RedisClient fails with typed errors while redis-server is down, and recovers once it is back on the same port", async () => {
  const port = freePort();
  let redis = await startRealRedis(port);
  try {
    await using client = new RedisClient({ port }, {
      reconnect: { maxAttempts: 2, minTimeout: 10, maxTimeout: 20 },
    });
    assertEquals(await client.command("SET", "k", "before"), "OK");
    // A command in flight when the server stops (BLPOP waits for it), and
    // pipelined ones behind it.
    const inFlight = [
      client.command("BLPOP", "queue", 0),
      client.command("GET", "k"),
    ];
    const outcomes = Promise.allSettled(inFlight);
    await sleep(50);
    await redis.stop();
    for (const outcome of await outcomes) {
      assertEquals(outcome.status, "rejected");
      assertInstanceOf(
        (outcome as PromiseRejectedResult).reason,
        ConnectionClosedError,
      );
    }
    // Down: refused (or closed, if the pool still held the old connection).
    for (let i = 0; i < 3; i++) {
      const error = await assertRejects(() => client.command("PING"));
      assert(
        error instanceof ConnectionRefusedError ||
          error instanceof ConnectionClosedError,
        String(error),
      );
    }
    // Back on the same port (no persistence: the data is gone).
    redis = await startRealRedis(port);
    assertEquals(await client.command("PING"), "PONG");
    assertEquals(await client.command("GET", "k"), null);
    const counts = await Promise.all(
      Array.from({ length: 100 }, () => client.command("INCR", "after")),
    );
    assertEquals(counts, Array.from({ length: 100 }, (_, i) => i + 1));
  } finally {
    await redis.stop();
  }
});

Deno.test("RedisClient reads replies split at every byte boundary, two pipelined replies at once", async () => {
  const first: RespValue = [
    "OK",
    -7,
    bytes("hello\r\nworld"),
    null,
    [bytes(""), [12345678901]],
    [],
  ];
  const second: RespValue = bytes("second");
  const reply = Uint8Array.from([
    ...encodeReply(first),
    ...encodeReply(second),
  ]);
  // The two commands the client sends, as it encodes them.
  const commands = bytes("*1\r\n$5\r\nFIRST\r\n*1\r\n$6\r\nSECOND\r\n");
  let cut = 1;
  await using server = splitResponder(commands, reply, () => cut);
  await using client = new RedisClient({ port: server.port });
  for (; cut < reply.length; cut++) {
    const [a, b] = await Promise.all([
      client.command("FIRST"),
      client.command("SECOND"),
    ]);
    assertEquals(a, first, `cut at ${cut}`);
    assertEquals(b, second, `cut at ${cut}`);
  }
  assertEquals(client.sessions, 1);
});

Deno.test("RedisClient reads an error reply split at every byte boundary, and keeps the connection", async () => {
  const reply = bytes("-ERR split\r\n:1\r\n");
  const commands = bytes("*1\r\n$3\r\nBAD\r\n*1\r\n$4\r\nGOOD\r\n");
  let cut = 1;
  await using server = splitResponder(commands, reply, () => cut);
  await using client = new RedisClient({ port: server.port });
  for (; cut < reply.length; cut++) {
    const [bad, good] = await Promise.allSettled([
      client.command("BAD"),
      client.command("GOOD"),
    ]);
    assertEquals(bad.status, "rejected", `cut at ${cut}`);
    assertInstanceOf((bad as PromiseRejectedResult).reason, RedisError);
    assertEquals(good, { status: "fulfilled", value: 1 }, `cut at ${cut}`);
  }
  assertEquals(client.sessions, 1);
});

Deno.test("RedisClient refuses bad arguments with TypeError or RangeError, sending nothing", async () => {
  await using redis = await startRealRedis();
  await using client = new RedisClient({ port: redis.port });
  await assertRejects(
    () => client.command(),
    TypeError,
    "Cannot send a command without arguments",
  );
  await assertRejects(
    () => client.command("SET", "k", {} as unknown as string),
    TypeError,
    "Cannot send argument 2 (object)",
  );
  await assertRejects(
    () => client.command("SET", "k", null as unknown as string),
    TypeError,
    "Cannot send argument 2",
  );
  await assertRejects(
    () => client.command("INCRBY", "k", NaN),
    RangeError,
    'Cannot send argument 2 "NaN": a number must be finite',
  );
  await assertRejects(
    () => client.command("INCRBY", "k", Infinity),
    RangeError,
    "a number must be finite",
  );
  await assertRejects(
    () => client.request("PING" as unknown as string[]),
    TypeError,
    "Cannot send a command without arguments",
  );
  await assertRejects(
    () => client.request(["PING"], { timeout: -1 }),
    RangeError,
    'Cannot use timeout "-1"',
  );
  await assertRejects(
    () => client.request(["PING"], { signal: "no" as unknown as AbortSignal }),
    TypeError,
    "Cannot use signal",
  );
  // Nothing was sent: no key, one connection, and it still serves.
  assertEquals(await client.command("EXISTS", "k"), 0);
  assertEquals(client.sessions, 1);
});

Deno.test("RedisClient refuses bad options where they are given", () => {
  assertThrows(() => new RedisClient({ port: 0 }), RangeError, "address.port");
  assertThrows(
    () => new RedisClient({ port: 6379 }, { poolSize: 0 }),
    RangeError,
    'Cannot use poolSize "0"',
  );
  assertThrows(
    () => new RedisClient({ port: 6379 }, { pipelining: 1.5 }),
    RangeError,
    'Cannot use pipelining "1.5"',
  );
  assertThrows(
    () => new RedisClient({ port: 6379 }, { maxBulkLength: -1 }),
    RangeError,
    'Cannot use maxBulkLength "-1"',
  );
  assertThrows(
    () =>
      new RedisClient({ port: 6379 }, {
        maxArrayLength: "10" as unknown as number,
      }),
    TypeError,
    'Cannot use maxArrayLength "10" (a string)',
  );
  assertThrows(
    () => new RedisClient({ port: 6379 }, null as unknown as object),
    TypeError,
    "Cannot use options",
  );
  assertThrows(
    () => new RedisClient({ port: 6379 }, { tls: 1 as unknown as boolean }),
    TypeError,
    "Cannot use tls",
  );
});

Deno.test("RedisClient sends a number argument as its plain decimal text, never with an exponent: integers in full, fractions with the fewest digits", async () => {
  await using redis = await startRealRedis();
  await using client = new RedisClient({ port: redis.port });
  const cases: [number, string][] = [
    [1e21, "1000000000000000000000"],
    [-1e21, "-1000000000000000000000"],
    [2 ** 64, "18446744073709551616"],
    [2 ** 53 + 2, "9007199254740994"],
    [-0, "0"],
    [42, "42"],
    [0.5, "0.5"],
    [1.5e-7, "0.00000015"],
    [-2e-10, "-0.0000000002"],
  ];
  for (const [number, sent] of cases) {
    assertEquals(await client.command("SET", "n", number), "OK");
    assertEquals(text(await client.command("GET", "n")), sent);
  }
  // Also in a command with non-ASCII text (its other encoder).
  await client.command("MSET", "é", "ü", "n", 1e21);
  assertEquals(text(await client.command("GET", "n")), cases[0][1]);
  // An integer past 2^53 is usable as one (its reply is a bigint).
  assertEquals(await client.command("INCRBY", "big", 2 ** 60), 2n ** 60n);
});

Deno.test("RedisClient refuses an option given in the address, and command options that are not an object, with a TypeError naming them", async () => {
  assertThrows(
    () =>
      new RedisClient(
        { port: 6379, maxBulkLength: 5 } as unknown as { port: number },
      ),
    TypeError,
    'Cannot use address key "maxBulkLength": an address has a hostname and ' +
      "port, or a path; options go in the second argument",
  );
  assertThrows(
    () =>
      new RedisClient(
        { path: "/tmp/x", timeout: 1, tls: true } as unknown as {
          path: string;
        },
      ),
    TypeError,
    'Cannot use address keys "timeout", "tls"',
  );
  // A Deno.NetAddr is an address.
  await using redis = await startRealRedis();
  await using client = new RedisClient({
    transport: "tcp",
    hostname: "127.0.0.1",
    port: redis.port,
  } as Deno.NetAddr);
  await assertRejects(
    () => client.request(["PING"], null as unknown as object),
    TypeError,
    'Cannot use options "null": it must be an object',
  );
  await assertRejects(
    () => client.request(["PING"], 5 as unknown as object),
    TypeError,
    'Cannot use options "5"',
  );
  assertEquals(await client.command("PING"), "PONG");
  assertEquals(client.sessions, 1);
});

Deno.test("RedisClient closes the connection on a reply over its limits, and the next command gets a new one", async () => {
  await using redis = await startRealRedis();
  await using client = new RedisClient({ port: redis.port }, {
    maxBulkLength: 10,
    maxArrayLength: 2,
  });
  await client.command("SET", "long", "x".repeat(11));
  await assertRejects(
    () => client.command("GET", "long"),
    ProtocolError,
    "bulk length 11 is over the limit of 10 bytes",
  );
  await client.command("RPUSH", "list", "a", "b", "c");
  await assertRejects(
    () => client.command("LRANGE", "list", 0, -1),
    ProtocolError,
    "array length 3 is over the limit of 2 elements",
  );
  assertEquals(await client.command("LRANGE", "list", 0, 1), [
    bytes("a"),
    bytes("b"),
  ]);
  assertEquals(client.sessions, 3);
});

Deno.test("RedisClient: a command that times out fails alone with TimeoutError; those pipelined with it fail with ConnectionClosedError", async () => {
  await using redis = await startRealRedis();
  await using client = new RedisClient({ port: redis.port });
  const blocked = client.request(["BLPOP", "queue", 0], { timeout: 100 });
  const behind = [client.command("PING"), client.command("GET", "k")];
  await assertRejects(() => blocked, TimeoutError, "timed out after 100 ms");
  for (const command of behind) {
    const error = await assertRejects(() => command, ConnectionClosedError);
    assertInstanceOf(error.cause, TimeoutError);
  }
  // A new connection serves the next commands.
  assertEquals(await client.command("PING"), "PONG");
  assertEquals(client.sessions, 2);
});

Deno.test("RedisClient: an aborted command rejects with the reason, and an already aborted one is never sent", async () => {
  await using redis = await startRealRedis();
  await using client = new RedisClient({ port: redis.port });
  const never = AbortSignal.abort(new Error("not wanted"));
  await assertRejects(
    () => client.request(["INCR", "never"], { signal: never }),
    Error,
    "not wanted",
  );
  // Aborted in the turn it was sent: it never reaches the server, and the
  // commands sent with it fail with the abort as the cause.
  assertEquals(await client.command("PING"), "PONG");
  const soon = new AbortController();
  const aborted = client.request(["INCR", "soon"], { signal: soon.signal });
  const sentWith = client.command("INCR", "with");
  soon.abort(new Error("changed my mind"));
  await assertRejects(() => aborted, Error, "changed my mind");
  await assertRejects(() => sentWith, ConnectionClosedError);
  assertEquals(await client.command("MGET", "soon", "with"), [null, null]);
  const controller = new AbortController();
  const blocked = client.request(["BLPOP", "queue", 0], {
    signal: controller.signal,
  });
  const behind = client.command("INCR", "behind");
  await sleep(20);
  controller.abort(new Error("stop waiting"));
  await assertRejects(() => blocked, Error, "stop waiting");
  const error = await assertRejects(() => behind, ConnectionClosedError);
  assertEquals((error.cause as Error).message, "stop waiting");
  assertEquals(await client.command("GET", "never"), null);
});

Deno.test("RedisClient never gives a timed-out command's late reply to another command", async () => {
  // Each connection answers its n-th command with :n, the first one late.
  await using server = responder(async (conn) => {
    const buffer = new Uint8Array(4096);
    let answered = 0;
    for (let n; (n = await conn.read(buffer)) !== null;) {
      const count = decoder.decode(buffer.subarray(0, n)).split("*1\r\n")
        .length - 1;
      if (answered === 0) await sleep(200);
      let out = "";
      for (let i = 0; i < count; i++) out += `:${++answered}\r\n`;
      await conn.write(bytes(out));
    }
  });
  await using client = new RedisClient({ port: server.port });
  const slow = client.request(["FIRST"], { timeout: 50 });
  const behind = client.command("SECOND");
  await assertRejects(() => slow, TimeoutError);
  await assertRejects(() => behind, ConnectionClosedError);
  // The late ":1" and ":2" went nowhere; a new connection answers afresh.
  await sleep(250);
  assertEquals(await client.command("THIRD"), 1);
  assertEquals(client.sessions, 2);
});

Deno.test("RedisClient fails a reply that is not RESP with ProtocolError, and the commands behind it with ConnectionClosedError", async () => {
  await using server = responder(async (conn) => {
    await readBytes(conn, 1);
    await conn.write(bytes("HTTP/1.1 400 Bad Request\r\n\r\n"));
    await sleep(100);
  });
  await using client = new RedisClient({ port: server.port });
  const first = client.command("PING");
  const second = client.command("PING");
  await assertRejects(() => first, ProtocolError, 'unexpected type byte "H"');
  const error = await assertRejects(() => second, ConnectionClosedError);
  assertInstanceOf(error.cause, ProtocolError);
});

Deno.test("RedisClient.close() fails the commands in flight with ConnectionClosedError and refuses new ones", async () => {
  await using redis = await startRealRedis();
  const client = new RedisClient({ port: redis.port });
  assertEquals(await client.command("PING"), "PONG");
  const blocked = client.command("BLPOP", "queue", 0);
  await sleep(20);
  await client.close();
  await assertRejects(() => blocked, ConnectionClosedError);
  await assertRejects(
    () => client.command("PING"),
    ConnectionClosedError,
    "is closed",
  );
  assertEquals(client.connectionsInUse + client.idleConnections, 0);
});
