// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * `RedisClient`: a pipelining Redis (RESP2) client on the module's `Client`.
 *
 * @module
 */

import {
  Client,
  type ClientOptions,
  ProtocolConsumer,
  Request,
  type RequestAddress,
  type TlsClientOptions,
} from "@pulsar/net";
import {
  encodeCommand,
  RedisError,
  type RespArgument,
  RespParser,
  type RespParserOptions,
  RespScanner,
  type RespValue,
} from "./resp.ts";
import { checkOptions, describe } from "./options.ts";

export { RedisError, type RespArgument, type RespValue };

/** Options of a `RedisClient`: a `Client`'s, with TLS and reply limits. */
export interface RedisClientOptions
  extends Omit<ClientOptions, "consumerFactory"> {
  /**
   * The most connections to the server. Redis runs commands one at a time
   * on one thread, so a second connection adds no server capacity; one
   * connection carrying many pipelined commands costs the fewest reads and
   * writes on both sides.
   *
   * @default {1}
   */
  poolSize?: number;
  /**
   * The most commands in flight on one connection. Commands are written
   * without waiting for the replies before them, and Redis answers in
   * order. 256 keeps a busy client at a few reads and writes per hundred
   * commands, while a failure (a timed-out command closes its connection)
   * costs at most 256 commands; beyond it, commands wait their turn.
   *
   * @default {256}
   */
  pipelining?: number;
  /** TLS: `true` for the default roots, or options. */
  tls?: boolean | TlsClientOptions;
  /**
   * The longest bulk string accepted in a reply, in bytes; a longer one is
   * a `ProtocolError` that closes the connection.
   *
   * @default {536870912}
   */
  maxBulkLength?: number;
  /**
   * The most elements an array reply may have; more is a `ProtocolError`
   * that closes the connection.
   *
   * @default {1048576}
   */
  maxArrayLength?: number;
  /**
   * Whether a bulk string in a reply is copied out of the buffer it was
   * read into. A read buffer is 16 KiB or more and holds many replies; a
   * view of it keeps all of it in memory for as long as the value is kept.
   * With copies, a kept value holds at most twice its size (one that fills
   * half its read buffer or more is not copied). `false` gives views: no
   * copy, which saves Deno's allocation of a buffer per value (about 0.5 µs
   * per bulk string here, a third of this client's CPU time on a pipelined
   * GET), for code that decodes or uses a value at once instead of keeping
   * it.
   *
   * @default {true}
   */
  copyBulk?: boolean;
}

/** Options of one command. */
export interface CommandOptions {
  /**
   * Milliseconds before the command fails with `TimeoutError`; 0 for the
   * client's `timeout`. A command that times out closes its connection
   * (its reply may still come): the commands in flight with it fail with
   * `ConnectionClosedError`.
   *
   * @default {0}
   */
  timeout?: number;
  /** Aborts the command; it rejects with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * Reads one reply. A reply that arrived whole in one chunk (the common case,
 * pipelined replies included) is parsed straight from it by the client's
 * `RespScanner`; only one cut by the chunk's end gets a `RespParser`, which
 * buffers until the rest arrives. Bulk strings are copied or not as
 * `copyBulk` says. The command is written by the default `startRequest()`:
 * the commands of one turn, encoded one after another in `encodeCommand()`'s
 * buffer, are adjacent, and the corked transport joins them without a copy.
 */
class ReplyConsumer extends ProtocolConsumer<Request<RespValue>, RespValue> {
  #scanner: RespScanner;
  #limits: RespParserOptions;
  #copy: boolean;
  #parser: RespParser | undefined;

  constructor(scanner: RespScanner, limits: RespParserOptions, copy: boolean) {
    super();
    this.#scanner = scanner;
    this.#limits = limits;
    this.#copy = copy;
  }

  override dataReceived(data: Uint8Array): Uint8Array | void {
    let parser = this.#parser;
    if (parser === undefined) {
      const scanner = this.#scanner;
      const value = scanner.scan(data, 0);
      if (value !== undefined) {
        this.#finish(value);
        const end = scanner.end;
        return end < data.length ? data.subarray(end) : undefined;
      }
      parser = this.#parser = new RespParser(this.#limits);
    }
    parser.push(data);
    // Bytes that are no reply throw a ProtocolError: the command fails with
    // it, and the connection, out of step, closes.
    const value = parser.read();
    if (value === undefined) return;
    this.#finish(value);
    return parser.take();
  }

  #finish(value: RespValue): void {
    if (value instanceof RedisError) this.finished(undefined, value);
    else this.finished(this.#copy ? own(value) : value);
  }
}

/** The keys an address may have: `RequestAddress`'s, and `Deno.Addr`'s. */
const ADDRESS_KEYS = new Set(["hostname", "port", "path", "transport"]);

/**
 * Refuses an address with other keys: an option put in it by mistake would
 * be ignored.
 */
function checkAddressKeys(address: unknown): void {
  if (typeof address !== "object" || address === null) return; // Request's.
  const unknown = Object.keys(address).filter((key) => !ADDRESS_KEYS.has(key));
  if (unknown.length === 0) return;
  throw new TypeError(
    `Cannot use address key${unknown.length > 1 ? "s" : ""} ${
      unknown.map((key) => `"${key}"`).join(", ")
    }: an address has a hostname and port, or a path; options go in the ` +
      "second argument",
  );
}

/**
 * `value` with each bulk string that is a small view of a buffer copied.
 * Iterative, as the parsers are: a reply nested however deep (within the
 * array limits) takes no stack.
 */
function own(value: RespValue): RespValue {
  if (value instanceof Uint8Array) return ownBytes(value);
  if (!Array.isArray(value)) return value;
  // The arrays still to walk; made only for a reply with nested arrays.
  let nested: RespValue[][] | undefined;
  let array: RespValue[] | undefined = value;
  while (array !== undefined) {
    for (let i = 0; i < array.length; i++) {
      const item = array[i];
      if (item instanceof Uint8Array) array[i] = ownBytes(item);
      else if (Array.isArray(item)) (nested ??= []).push(item);
    }
    array = nested?.pop();
  }
  return value;
}

/** `bytes`, copied if it is a view of less than half of its buffer. */
function ownBytes(bytes: Uint8Array): Uint8Array {
  return bytes.byteLength * 2 < bytes.buffer.byteLength ? bytes.slice() : bytes;
}

/**
 * A Redis client: `command("SET", "key", "value")` sends a command and
 * resolves with its reply, a simple string as a `string`, an integer as a
 * `number` (a `bigint` beyond ±2^53−1), a bulk string as a `Uint8Array`
 * (binary-safe; decode it to get text) or `null`, an array as an array
 * (nested, elements of these types) or `null`. An error reply rejects with `RedisError` and keeps the
 * connection: the server answered, the stream is in step.
 *
 * Commands are pipelined: up to `pipelining` (256) are in flight on one
 * connection (`poolSize`, 1), written without waiting for the replies
 * before them; Redis answers in order, and each reply reaches its command.
 * The commands sent in one turn of the event loop are written together,
 * once its microtasks have run (`Client` holds a pipelined connection's
 * writes for the turn): one system call for a burst. A command aborted in
 * the turn it was sent is not written.
 *
 * What breaks the stream (the connection closing or reset, bytes that are
 * no RESP, a command that times out or is aborted, whose reply may still
 * come) closes the connection, and the commands in flight on it fail with
 * `ConnectionClosedError`: a reply never reaches another command. A server
 * that is restarting is reconnected to with backoff (`reconnect`).
 *
 * Connection state is not kept: with `poolSize` 1 the commands go in order
 * on one connection, so a `MULTI` ... `EXEC` sent together runs as one
 * transaction, but a reconnect between commands starts a fresh connection,
 * without a `SELECT` or `AUTH` sent before it. A blocking command (`BLPOP`)
 * holds up the commands behind it; `SUBSCRIBE`, whose replies never end,
 * needs a client of its own.
 *
 * @example Set and get a value on a real redis-server
 * ```ts
 * import { RedisClient } from "./client.ts";
 * import { startRealRedis } from "./_real_redis.ts";
 * import { assertEquals } from "@std/assert";
 *
 * await using redis = await startRealRedis();
 * await using client = new RedisClient({ port: redis.port });
 * assertEquals(await client.command("SET", "greeting", "ciao"), "OK");
 * const value = await client.command("GET", "greeting") as Uint8Array;
 * assertEquals(new TextDecoder().decode(value), "ciao");
 * assertEquals(await client.command("INCRBY", "visits", 5), 5);
 * assertEquals(await client.command("GET", "missing"), null);
 * ```
 *
 * @example An error reply rejects, and the connection stays
 * ```ts
 * import { RedisClient, RedisError } from "./client.ts";
 * import { startRealRedis } from "./_real_redis.ts";
 * import { assertEquals, assertRejects } from "@std/assert";
 *
 * await using redis = await startRealRedis();
 * await using client = new RedisClient({ port: redis.port });
 * await client.command("SET", "name", "luca");
 * await assertRejects(
 *   () => client.command("INCR", "name"),
 *   RedisError,
 *   "ERR value is not an integer",
 * );
 * assertEquals(await client.command("PING"), "PONG");
 * assertEquals(client.sessions, 1);
 * ```
 *
 * @example A thousand commands at once, pipelined on one connection
 * ```ts
 * import { RedisClient } from "./client.ts";
 * import { startRealRedis } from "./_real_redis.ts";
 * import { assertEquals } from "@std/assert";
 *
 * await using redis = await startRealRedis();
 * await using client = new RedisClient({ port: redis.port });
 * const replies = await Promise.all(
 *   Array.from({ length: 1000 }, () => client.command("INCR", "counter")),
 * );
 * assertEquals(replies, Array.from({ length: 1000 }, (_, i) => i + 1));
 * assertEquals(client.sessions, 1);
 * ```
 */
export class RedisClient extends Client {
  #address: RequestAddress;
  #tls: boolean | TlsClientOptions | undefined;

  /**
   * Builds a client; it connects on the first command.
   *
   * @param address The server: a host (default `127.0.0.1`) and port, or a
   * Unix socket path (`{ hostname, port }` or `{ path }`; a `Deno.NetAddr`
   * or `Deno.UnixAddr` too).
   * @param options The pool, pipelining, timeouts, TLS and reply limits, and
   * any other `Client` option.
   * @throws {TypeError} If an option has the wrong type, or the address has
   * another key (an option given in the address, say: `{ port,
   * maxBulkLength }`).
   * @throws {RangeError} If a number is out of range.
   */
  constructor(address: RequestAddress, options: RedisClientOptions = {}) {
    checkOptions(options);
    checkAddressKeys(address);
    const limits: RespParserOptions = {
      maxBulkLength: options.maxBulkLength,
      maxArrayLength: options.maxArrayLength,
    };
    // Checked now, not at the first reply. One scanner serves every reply:
    // it keeps no state between calls.
    const scanner = new RespScanner(limits);
    const copy = options.copyBulk ?? true;
    if (typeof copy !== "boolean") {
      throw new TypeError(
        `Cannot use copyBulk ${describe(copy)}: it must be a boolean`,
      );
    }
    super({
      ...options,
      poolSize: options.poolSize ?? 1,
      pipelining: options.pipelining ?? 256,
      consumerFactory: () => new ReplyConsumer(scanner, limits, copy),
    });
    // Checked now, not at the first command.
    new Request(address, { tls: options.tls });
    this.#address = address;
    this.#tls = options.tls;
  }

  /**
   * Sends a command and resolves with its reply.
   *
   * @example
   * ```ts
   * import { RedisClient } from "./client.ts";
   * import { startRealRedis } from "./_real_redis.ts";
   * import { assertEquals } from "@std/assert";
   *
   * await using redis = await startRealRedis();
   * await using client = new RedisClient({ port: redis.port });
   * await client.command("RPUSH", "list", "a", "b");
   * const items = await client.command("LRANGE", "list", 0, -1);
   * assertEquals(items, [new TextEncoder().encode("a"), new TextEncoder().encode("b")]);
   * ```
   *
   * @param args The command's name and arguments: strings (sent as UTF-8),
   * finite numbers (sent as their plain decimal text, never with an
   * exponent: an integer in full, `1e21` as `1000000000000000000000`, a
   * fraction with the fewest digits that read back as it, `1.5e-7` as
   * `0.00000015`), bigints or bytes.
   * @returns The reply.
   * @throws {RedisError} If the server answers with an error.
   * @throws {TypeError} If there is no argument, or one is of another type.
   * @throws {RangeError} If a number argument is not finite.
   * @throws {ConnectionRefusedError} If the server cannot be reached.
   * @throws {ConnectionClosedError} If the connection is lost before the
   * reply, or the client is closed.
   * @throws {TimeoutError} If the client's `timeout` elapses first.
   * @throws {ProtocolError} If the reply is not RESP2 or is over a limit.
   */
  command(...args: RespArgument[]): Promise<RespValue> {
    return this.request(args);
  }

  /**
   * Sends a command with its own timeout or signal, and resolves with its
   * reply.
   *
   * @example Give up on a slow command
   * ```ts
   * import { RedisClient } from "./client.ts";
   * import { startRealRedis } from "./_real_redis.ts";
   * import { assertEquals, assertRejects } from "@std/assert";
   * import { TimeoutError } from "@pulsar/net";
   *
   * await using redis = await startRealRedis();
   * await using client = new RedisClient({ port: redis.port });
   * await assertRejects(
   *   () => client.request(["BLPOP", "empty", 0], { timeout: 50 }),
   *   TimeoutError,
   * );
   * assertEquals(await client.command("PING"), "PONG");
   * ```
   *
   * @param args The command's name and arguments, as for `command()`.
   * @param options The command's `timeout` and `signal`.
   * @returns The reply.
   * @throws {RedisError} If the server answers with an error.
   * @throws {TypeError} If there is no argument, or one is of another type,
   * or `options` is not an object.
   * @throws {RangeError} If a number argument is not finite.
   * @throws {TimeoutError} If the timeout elapses first.
   * @throws {ConnectionClosedError} If the connection is lost before the
   * reply, or the client is closed.
   */
  override request(
    args: readonly RespArgument[],
    options: CommandOptions = {},
  ): Promise<RespValue> {
    let request: Request<RespValue>;
    try {
      if (!Array.isArray(args) || args.length === 0) {
        throw new TypeError(
          "Cannot send a command without arguments: give at least its name",
        );
      }
      checkOptions(options);
      request = new Request<RespValue>(this.#address, {
        data: encodeCommand(args),
        tls: this.#tls,
        timeout: options.timeout,
        signal: options.signal,
      });
    } catch (error) {
      return Promise.reject(error);
    }
    return this.response(request);
  }
}
