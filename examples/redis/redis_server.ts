// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * A Redis (RESP2) server on the module's `Server`: one `ProtocolConsumer`
 * per command, an in-memory store, Redis 7.0's replies.
 *
 * @module
 */

import {
  Connection,
  type ConnectionOptions,
  ProtocolConsumer,
  ProtocolError,
  Server,
  type ServerOptions,
} from "@pulsar/net";
import { checkLimit } from "./options.ts";
import { ReplyBuffer } from "./reply_buffer.ts";
import { RequestReader, type RequestReaderOptions } from "./request_reader.ts";
import { RedisStore } from "./store.ts";

/** Replies collected past this many bytes are written at once. */
const FLUSH_AT = 64 * 1024;

/** Options of a `RedisServer`: a `Server`'s, with Redis's limits. */
export interface RedisServerOptions
  extends Omit<ServerOptions, "consumerFactory" | "connectionFactory"> {
  /**
   * The longest bulk string a request may declare, in bytes (Redis's
   * `proto-max-bulk-len`): a longer one is a protocol error, refused before
   * anything is allocated for it.
   *
   * @default {536870912}
   */
  maxBulkLength?: number;
  /**
   * The most arguments a command may declare: more is a protocol error,
   * refused before anything is allocated for them.
   *
   * @default {1048576}
   */
  maxArguments?: number;
  /**
   * Idle timeout of each connection in milliseconds; 0 or `Infinity` for
   * none, as Redis's own `timeout 0`.
   *
   * @default {0}
   */
  idleTimeout?: number;
  /** The keyspace to serve (a new, empty one by default). */
  store?: RedisStore;
}

/**
 * A connection of the Redis server: what its consumers share, the parser of
 * its requests and the replies not written yet.
 */
export class RedisConnection extends Connection {
  /** Reads the commands, across chunks and consumers. */
  readonly reader: RequestReader;
  /** The replies to the commands of the current read, not written yet. */
  readonly replies: ReplyBuffer = new ReplyBuffer();
  /** The keyspace. */
  readonly store: RedisStore;

  /**
   * @param options The connection's options, from the server.
   * @param store The keyspace.
   * @param limits The request limits.
   */
  constructor(
    options: ConnectionOptions,
    store: RedisStore,
    limits: RequestReaderOptions,
  ) {
    super(options);
    this.store = store;
    this.reader = new RequestReader(limits);
  }

  /** Writes the replies collected, unless the connection is closing. */
  flush(): void {
    const transport = this.transport;
    if (transport === undefined || transport.isClosing()) return;
    this.replies.writeTo(transport);
  }
}

/**
 * One command: reads it (from as many reads as it takes), runs it and
 * collects its reply, then finishes and returns the bytes after it, which
 * are the next command's. The replies to the commands of one read go out in
 * one write, once the read's last whole command has run (or sooner, past
 * 64 KiB: then the connection's backpressure holds the rest of the read
 * while the peer does not read). A broken request
 * gets Redis's protocol error reply and closes the connection. The result
 * is the command's arguments.
 */
export class RedisServerConsumer
  extends ProtocolConsumer<undefined, Uint8Array[]> {
  /** Part of a command read, the rest awaited: the peer's silence counts. */
  override get waitingForRequest(): boolean {
    const connection = this.connection as RedisConnection | undefined;
    return connection?.reader.partial ?? false;
  }

  /**
   * Reads the command, runs it once whole.
   *
   * @param data The bytes read.
   * @returns The bytes after the command, once it ran.
   */
  override dataReceived(data: Uint8Array): Uint8Array | void {
    const connection = this.connection as RedisConnection;
    const reader = connection.reader;
    reader.push(data);
    let args: Uint8Array[] | undefined;
    try {
      args = reader.read();
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      // As Redis: the error as a reply, then the connection closes.
      connection.replies.error(`ERR ${error.message}`);
      connection.flush();
      connection.close();
      this.finished(undefined, error);
      return;
    }
    if (args === undefined) {
      // The rest of this command is still to come: answer those before it.
      connection.flush();
      return;
    }
    const after = connection.store.execute(args, connection.replies);
    this.finished(args);
    if (after === "close") {
      connection.flush();
      connection.close();
      return;
    }
    const rest = reader.take();
    if (rest.length === 0) {
      connection.flush();
      return;
    }
    // Many replies collected (large ones, or a long pipeline): write them
    // now. If that fills the write buffer, the connection holds the rest
    // until the peer reads, so a peer that sends without reading cannot
    // make this server buffer without bound.
    if (connection.replies.length >= FLUSH_AT) connection.flush();
    return rest;
  }
}

/**
 * A Redis server: RESP2 requests (arrays of bulk strings and inline
 * commands, pipelined or not), an in-memory keyspace, and Redis 7.0's
 * replies and error messages for the commands `RedisStore` knows. It is a
 * `Server`: `start()`, `port`, `close()`, `await using`, its events and
 * counters.
 *
 * @example
 * ```ts
 * import { RedisServer } from "./redis_server.ts";
 * import { assertEquals } from "@std/assert";
 *
 * await using server = new RedisServer({ port: 0 });
 * await server.start();
 * using conn = await Deno.connect({ port: server.port });
 * await conn.write(new TextEncoder().encode("SET greeting hi\r\nGET greeting\r\n"));
 * const reply = new Uint8Array(13);
 * let read = 0;
 * while (read < reply.length) read += (await conn.read(reply.subarray(read)))!;
 * assertEquals(new TextDecoder().decode(reply), "+OK\r\n$2\r\nhi\r\n");
 * ```
 */
export class RedisServer extends Server {
  /** The keyspace served. */
  readonly store: RedisStore;

  /**
   * Builds the server; `start()` makes it listen.
   *
   * @param options The address, Redis's limits, the store, and `Server`'s
   * options.
   * @throws {RangeError} If `maxBulkLength` or `maxArguments` is not an
   * integer of 1 or more, or a `Server` option is out of range.
   * @throws {TypeError} If an option has the wrong type.
   */
  constructor(options: RedisServerOptions = {}) {
    const limits: RequestReaderOptions = {
      maxBulkLength: checkLimit(
        "maxBulkLength",
        options.maxBulkLength,
        undefined,
        1,
      ),
      maxArguments: checkLimit(
        "maxArguments",
        options.maxArguments,
        undefined,
        1,
      ),
    };
    if (options.store !== undefined && !(options.store instanceof RedisStore)) {
      throw new TypeError(
        `Cannot use store "${String(options.store)}": it must be a RedisStore`,
      );
    }
    const store = options.store ?? new RedisStore();
    super({
      name: "redis",
      ...options,
      idleTimeout: options.idleTimeout ?? 0,
      consumerFactory: () => new RedisServerConsumer(),
      connectionFactory: (connectionOptions) =>
        new RedisConnection(connectionOptions, store, limits),
    });
    this.store = store;
  }
}
