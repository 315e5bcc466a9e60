// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * The in-memory keyspace of the Redis server and its commands, with Redis
 * 7.0's replies and error messages.
 *
 * @module
 */

import {
  asciiBytes,
  type Bytes,
  INT64_MAX,
  INT64_MIN,
  keep,
  keyOf,
  latin1,
  lowerAscii,
  parseInt64,
} from "./bytes.ts";
import { ListValue } from "./list_value.ts";
import type { ReplyBuffer } from "./reply_buffer.ts";

/** A stored value: a string or a list. */
type Value = Bytes | ListValue;

/**
 * A command's handler: reads its arguments, writes its reply, and may ask
 * the connection to close after it.
 */
type Handler = (
  store: RedisStore,
  args: Uint8Array[],
  out: ReplyBuffer,
) => After | void;

/** A command: its arity as Redis counts it (negative: at least), its handler. */
interface Command {
  arity: number;
  run: Handler;
}

/** A command with its lower-case name. */
interface NamedCommand extends Command {
  name: string;
  bytes: Uint8Array;
}

const WRONGTYPE =
  "WRONGTYPE Operation against a key holding the wrong kind of value";
const NOT_INTEGER = "ERR value is not an integer or out of range";
const SYNTAX = "ERR syntax error";
const OVERFLOW = "ERR increment or decrement would overflow";

/** What `CONFIG GET` knows: the settings of an in-memory server. */
const CONFIG: ReadonlyArray<readonly [string, string]> = [
  ["save", ""],
  ["appendonly", "no"],
  ["databases", "1"],
];

/** What the command asks the connection to do after its reply. */
export type After = "close" | undefined;

/**
 * The keyspace (strings and lists, with expiry) and the commands on it.
 * `execute()` runs one command and writes its reply, Redis 7.0's byte for
 * byte: `PING`, `ECHO`, `SET` (`EX`, `PX`, `EXAT`, `PXAT`, `NX`, `XX`,
 * `GET`, `KEEPTTL`), `GET`, `DEL`, `EXISTS`, `INCR`, `INCRBY`, `MGET`,
 * `MSET`, `LPUSH`, `RPUSH`, `LPOP`, `LRANGE`, `TTL`, `PTTL`, `DBSIZE`,
 * `FLUSHALL`, `FLUSHDB`, `CONFIG GET`, `QUIT`; any other command gets
 * Redis's unknown command error. Keys are binary-safe. An expired key is
 * dropped when a command touches it (and `DBSIZE` counts none).
 *
 * @example
 * ```ts
 * import { RedisStore } from "./store.ts";
 * import { ReplyBuffer } from "./reply_buffer.ts";
 * import { assertEquals } from "@std/assert";
 *
 * const store = new RedisStore();
 * const out = new ReplyBuffer();
 * const command = (...words: string[]) =>
 *   store.execute(words.map((w) => new TextEncoder().encode(w)), out);
 * command("SET", "counter", "41");
 * command("INCR", "counter");
 * command("GET", "nothing");
 * const replies = out.take().map((b) => new TextDecoder().decode(b)).join("");
 * assertEquals(replies, "+OK\r\n:42\r\n$-1\r\n");
 * ```
 */
export class RedisStore {
  #data = new Map<string, Value>();
  /** Each expiring key's deadline (ms since the epoch). */
  #expires = new Map<string, number>();

  /** The number of keys, expired ones included until they are touched. */
  get size(): number {
    return this.#data.size;
  }

  /**
   * Runs one command.
   *
   * @param args The command's name and arguments (at least the name).
   * @param out Where its reply goes.
   * @returns `"close"` if the connection should close after the reply
   * (`QUIT`).
   */
  execute(args: Uint8Array[], out: ReplyBuffer): After {
    const command = findCommand(args[0]);
    if (command === undefined) {
      out.error(unknownCommand(args));
      return undefined;
    }
    const arity = command.arity;
    if (
      (arity > 0 && args.length !== arity) ||
      (arity < 0 && args.length < -arity)
    ) {
      out.error(arityError(command.name));
      return undefined;
    }
    return command.run(this, args, out) ?? undefined;
  }

  /** The value of `key`, unless missing or expired (then dropped). */
  lookup(key: string): Value | undefined {
    const value = this.#data.get(key);
    if (value === undefined || this.#expires.size === 0) return value;
    const at = this.#expires.get(key);
    if (at !== undefined && at <= Date.now()) {
      this.#data.delete(key);
      this.#expires.delete(key);
      return undefined;
    }
    return value;
  }

  /** Sets `key`, dropping its expiry unless `keepTtl`. */
  store(key: string, value: Value, keepTtl = false): void {
    this.#data.set(key, value);
    if (!keepTtl && this.#expires.size > 0) this.#expires.delete(key);
  }

  /** Deletes `key`; whether it existed (and had not expired). */
  delete(key: string): boolean {
    const existed = this.lookup(key) !== undefined;
    this.#data.delete(key);
    this.#expires.delete(key);
    return existed;
  }

  /** Sets when `key` expires (ms since the epoch). */
  expire(key: string, at: number): void {
    this.#expires.set(key, at);
  }

  /** When `key` expires, if it does. */
  expiresAt(key: string): number | undefined {
    return this.#expires.get(key);
  }

  /** Drops every key. */
  clear(): void {
    this.#data.clear();
    this.#expires.clear();
  }

  /** Drops every expired key; the number of keys left. */
  purge(): number {
    const now = Date.now();
    for (const [key, at] of this.#expires) {
      if (at <= now) {
        this.#data.delete(key);
        this.#expires.delete(key);
      }
    }
    return this.#data.size;
  }
}

// ---------------------------------------------------------------------------
// Commands

const QUIT: Command = {
  arity: -1,
  run: (_store, _args, out) => {
    out.simple("OK");
    return "close";
  },
};

const COMMANDS: [string, Command][] = [
  ["ping", {
    arity: -1,
    run(_store, args, out) {
      if (args.length > 2) out.error(arityError("ping"));
      else if (args.length === 2) out.bulk(args[1]);
      else out.simple("PONG");
    },
  }],
  ["echo", { arity: 2, run: (_store, args, out) => out.bulk(args[1]) }],
  ["get", {
    arity: 2,
    run(store, args, out) {
      const value = store.lookup(keyOf(args[1]));
      if (value === undefined) out.nil();
      else if (value instanceof ListValue) out.error(WRONGTYPE);
      else out.bulk(value);
    },
  }],
  ["set", { arity: -3, run: set }],
  ["del", {
    arity: -2,
    run(store, args, out) {
      let deleted = 0;
      for (let i = 1; i < args.length; i++) {
        if (store.delete(keyOf(args[i]))) deleted++;
      }
      out.integer(deleted);
    },
  }],
  ["exists", {
    arity: -2,
    run(store, args, out) {
      let found = 0;
      for (let i = 1; i < args.length; i++) {
        if (store.lookup(keyOf(args[i])) !== undefined) found++;
      }
      out.integer(found);
    },
  }],
  ["incr", {
    arity: 2,
    run: (store, args, out) => incrBy(store, args, 1, out),
  }],
  ["incrby", {
    arity: 3,
    run(store, args, out) {
      const by = parseInt64(args[2]);
      if (by === undefined) out.error(NOT_INTEGER);
      else incrBy(store, args, by, out);
    },
  }],
  ["mget", {
    arity: -2,
    run(store, args, out) {
      out.array(args.length - 1);
      for (let i = 1; i < args.length; i++) {
        const value = store.lookup(keyOf(args[i]));
        if (value === undefined || value instanceof ListValue) out.nil();
        else out.bulk(value);
      }
    },
  }],
  ["mset", {
    arity: -3,
    run(store, args, out) {
      if (args.length % 2 === 0) {
        out.error(arityError("mset"));
        return;
      }
      for (let i = 1; i < args.length; i += 2) {
        store.store(keyOf(args[i]), keep(args[i + 1]));
      }
      out.simple("OK");
    },
  }],
  ["lpush", {
    arity: -3,
    run: (store, args, out) => push(store, args, true, out),
  }],
  ["rpush", {
    arity: -3,
    run: (store, args, out) => push(store, args, false, out),
  }],
  ["lpop", { arity: -2, run: lpop }],
  ["lrange", { arity: 4, run: lrange }],
  ["ttl", {
    arity: 2,
    run: (store, args, out) => ttl(store, args, false, out),
  }],
  ["pttl", {
    arity: 2,
    run: (store, args, out) => ttl(store, args, true, out),
  }],
  ["dbsize", {
    arity: 1,
    run: (store, _args, out) => out.integer(store.purge()),
  }],
  ["flushall", { arity: -1, run: flush }],
  ["flushdb", { arity: -1, run: flush }],
  ["config", { arity: -2, run: config }],
  ["quit", QUIT],
];

/** The commands by name length and first letter (case-folded). */
const TABLE: NamedCommand[][] = [];
for (const [name, command] of COMMANDS) {
  const bytes = asciiBytes(name);
  (TABLE[bucket(bytes)] ??= []).push({ ...command, name, bytes });
}

function bucket(name: Uint8Array): number {
  return name.length * 32 + (name[0] & 31);
}

/** The command named by `name`, in any case; no string is made. */
function findCommand(name: Uint8Array): NamedCommand | undefined {
  if (name.length === 0 || name.length > 8) return undefined;
  const candidates = TABLE[bucket(name)];
  if (candidates === undefined) return undefined;
  search: for (const command of candidates) {
    const bytes = command.bytes;
    for (let i = 0; i < bytes.length; i++) {
      const c = name[i];
      if ((c >= 65 && c <= 90 ? c | 0x20 : c) !== bytes[i]) continue search;
    }
    return command;
  }
  return undefined;
}

function arityError(name: string): string {
  return `ERR wrong number of arguments for '${name}' command`;
}

/**
 * SET key value [NX | XX] [GET] [EX s | PX ms | EXAT s | PXAT ms | KEEPTTL],
 * with Redis's order of checks: options, then the expire time, then GET's
 * type check, then NX/XX.
 */
function set(store: RedisStore, args: Uint8Array[], out: ReplyBuffer): void {
  let nx = false;
  let xx = false;
  let get = false;
  let keepTtl = false;
  let unit = ""; // "ex", "px", "exat" or "pxat"
  let expire: Uint8Array | undefined;
  for (let i = 3; i < args.length; i++) {
    const option = lowerAscii(args[i]);
    const hasNext = i + 1 < args.length;
    if (option === "nx" && !xx) nx = true;
    else if (option === "xx" && !nx) xx = true;
    else if (option === "get") get = true;
    else if (option === "keepttl" && unit === "") keepTtl = true;
    else if (
      (option === "ex" || option === "px" || option === "exat" ||
        option === "pxat") &&
      !keepTtl && (unit === "" || unit === option) && hasNext
    ) {
      unit = option;
      expire = args[++i];
    } else {
      out.error(SYNTAX);
      return;
    }
  }
  let at: number | undefined;
  if (expire !== undefined) {
    const n = parseInt64(expire);
    if (n === undefined) {
      out.error(NOT_INTEGER);
      return;
    }
    let ms = BigInt(n);
    const seconds = unit === "ex" || unit === "exat";
    if (ms <= 0n || (seconds && ms > INT64_MAX / 1000n)) {
      out.error("ERR invalid expire time in 'set' command");
      return;
    }
    if (seconds) ms *= 1000n;
    if (unit === "ex" || unit === "px") ms += BigInt(Date.now());
    if (ms > INT64_MAX) {
      out.error("ERR invalid expire time in 'set' command");
      return;
    }
    at = Number(ms);
  }
  const key = keyOf(args[1]);
  const old = store.lookup(key);
  if (get) {
    if (old instanceof ListValue) {
      out.error(WRONGTYPE);
      return;
    }
    if (old === undefined) out.nil();
    else out.bulk(old);
  }
  if ((nx && old !== undefined) || (xx && old === undefined)) {
    if (!get) out.nil();
    return;
  }
  store.store(key, keep(args[2]), keepTtl);
  if (at !== undefined) {
    if (at <= Date.now()) store.delete(key);
    else store.expire(key, at);
  }
  if (!get) out.simple("OK");
}

function incrBy(
  store: RedisStore,
  args: Uint8Array[],
  by: number | bigint,
  out: ReplyBuffer,
): void {
  const key = keyOf(args[1]);
  const old = store.lookup(key);
  if (old instanceof ListValue) {
    out.error(WRONGTYPE);
    return;
  }
  const value = old === undefined ? 0 : parseInt64(old);
  if (value === undefined) {
    out.error(NOT_INTEGER);
    return;
  }
  let result: number | bigint;
  if (typeof value === "number" && typeof by === "number") {
    result = value + by; // both below 2^53: exact, and far from overflow
  } else {
    const sum = BigInt(value) + BigInt(by);
    if (sum > INT64_MAX || sum < INT64_MIN) {
      out.error(OVERFLOW);
      return;
    }
    result = sum;
  }
  store.store(key, String(result), true);
  out.integer(result);
}

function push(
  store: RedisStore,
  args: Uint8Array[],
  front: boolean,
  out: ReplyBuffer,
): void {
  const key = keyOf(args[1]);
  let list = store.lookup(key);
  if (list !== undefined && !(list instanceof ListValue)) {
    out.error(WRONGTYPE);
    return;
  }
  if (list === undefined) {
    list = new ListValue();
    store.store(key, list);
  }
  for (let i = 2; i < args.length; i++) {
    if (front) list.pushFront(keep(args[i]));
    else list.pushBack(keep(args[i]));
  }
  out.integer(list.length);
}

function lpop(store: RedisStore, args: Uint8Array[], out: ReplyBuffer): void {
  if (args.length > 3) {
    out.error(arityError("lpop"));
    return;
  }
  let count = -1;
  if (args.length === 3) {
    const n = parseInt64(args[2]);
    if (n === undefined || n < 0) {
      out.error("ERR value is out of range, must be positive");
      return;
    }
    count = Number(n);
  }
  const key = keyOf(args[1]);
  const list = store.lookup(key);
  if (list === undefined) {
    if (count < 0) out.nil();
    else out.array(-1);
    return;
  }
  if (!(list instanceof ListValue)) {
    out.error(WRONGTYPE);
    return;
  }
  if (count < 0) {
    out.bulk(list.popFront()!);
  } else {
    const n = Math.min(count, list.length);
    out.array(n);
    for (let i = 0; i < n; i++) out.bulk(list.popFront()!);
  }
  if (list.length === 0) store.delete(key);
}

function lrange(store: RedisStore, args: Uint8Array[], out: ReplyBuffer): void {
  const first = parseInt64(args[2]);
  const last = parseInt64(args[3]);
  if (first === undefined || last === undefined) {
    out.error(NOT_INTEGER);
    return;
  }
  const list = store.lookup(keyOf(args[1]));
  if (list === undefined) {
    out.array(0);
    return;
  }
  if (!(list instanceof ListValue)) {
    out.error(WRONGTYPE);
    return;
  }
  const length = list.length;
  let start = Number(first);
  let end = Number(last);
  if (start < 0) start += length;
  if (end < 0) end += length;
  if (start < 0) start = 0;
  if (start > end || start >= length) {
    out.array(0);
    return;
  }
  if (end >= length) end = length - 1;
  out.array(end - start + 1);
  for (let i = start; i <= end; i++) out.bulk(list.at(i));
}

function ttl(
  store: RedisStore,
  args: Uint8Array[],
  ms: boolean,
  out: ReplyBuffer,
): void {
  const key = keyOf(args[1]);
  if (store.lookup(key) === undefined) {
    out.integer(-2);
    return;
  }
  const at = store.expiresAt(key);
  if (at === undefined) {
    out.integer(-1);
    return;
  }
  const left = Math.max(0, at - Date.now());
  out.integer(ms ? left : Math.floor((left + 500) / 1000));
}

function flush(store: RedisStore, args: Uint8Array[], out: ReplyBuffer): void {
  const mode = args.length === 2 ? lowerAscii(args[1]) : "sync";
  if (args.length > 2 || (mode !== "sync" && mode !== "async")) {
    out.error(SYNTAX);
    return;
  }
  store.clear();
  out.simple("OK");
}

/** CONFIG GET pattern [pattern ...]: the settings whose names match. */
function config(
  _store: RedisStore,
  args: Uint8Array[],
  out: ReplyBuffer,
): void {
  const sub = lowerAscii(args[1]);
  if (sub !== "get") {
    out.error(
      `ERR unknown subcommand '${latin1(args[1], 128)}'. Try CONFIG HELP.`,
    );
    return;
  }
  if (args.length < 3) {
    out.error(arityError("config|get"));
    return;
  }
  const found = new Map<string, string>();
  for (let i = 2; i < args.length; i++) {
    const pattern = latin1(args[i]);
    if (!/[*?[]/.test(pattern)) {
      // An exact name answers with the name as given.
      const entry = CONFIG.find(([name]) => name === pattern.toLowerCase());
      if (entry !== undefined) found.set(pattern, entry[1]);
      continue;
    }
    const match = globToRegExp(pattern);
    for (const [name, value] of CONFIG) {
      if (match.test(name)) found.set(name, value);
    }
  }
  out.array(found.size * 2);
  for (const [name, value] of found) {
    out.bulk(name);
    out.bulk(value);
  }
}

/** A glob (`*`, `?`, `[...]`) as a case-insensitive regular expression. */
function globToRegExp(glob: string): RegExp {
  let source = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === "*") source += ".*";
    else if (c === "?") source += ".";
    else if (c === "[") {
      const end = glob.indexOf("]", i + 1);
      if (end < 0) source += "\\[";
      else {
        let set = glob.slice(i + 1, end).replace(/[\\\]]/g, "\\$&");
        if (set.startsWith("^")) set = "^" + set.slice(1);
        source += `[${set}]`;
        i = end;
      }
    } else if (c === "\\" && i + 1 < glob.length) {
      source += glob[++i].replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    } else source += c.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${source}$`, "is");
}

// ---------------------------------------------------------------------------
// Bytes and text

/** The error Redis 7.0 replies to an unknown command, arguments quoted. */
function unknownCommand(args: Uint8Array[]): string {
  let quoted = "";
  for (let i = 1; i < args.length && quoted.length < 128; i++) {
    quoted += `'${latin1(args[i], 128 - quoted.length)}' `;
  }
  return `ERR unknown command '${
    latin1(args[0], 128)
  }', with args beginning with: ${quoted}`;
}
