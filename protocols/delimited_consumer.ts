// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * `DelimitedConsumer`: a consumer for messages that end with a delimiter.
 *
 * @module
 */

import { ProtocolError } from "../errors.ts";
import { formatAddress } from "../transports/format_address.ts";
import { DelimiterFinder } from "./delimiter_finder.ts";
import { ProtocolConsumer } from "./protocol_consumer.ts";

/** Options of a `DelimitedConsumer`. */
export interface DelimitedConsumerOptions {
  /**
   * The most bytes a message may have, delimiter included. A peer that sends
   * more without a delimiter breaks the protocol: the connection closes with
   * a `ProtocolError`.
   *
   * @default {16777216}
   */
  maxSize?: number;
}

/** The default maximum message size: 16 MiB. */
export const DEFAULT_MAX_MESSAGE_SIZE = 16 * 1024 * 1024;

/**
 * A consumer whose message is every byte up to and including a delimiter,
 * such as `\r\n\r\n`. It finds the delimiter even when it arrives split
 * across reads, hands the whole message to `messageReceived()`, finishes with
 * what that returns, and passes the bytes after the delimiter on to the next
 * consumer (pipelining). A message longer than `maxSize` is a
 * `ProtocolError` that closes the connection. On a server, a peer that stops
 * sending mid-message is closed by the idle timeout (`waitingForRequest`).
 *
 * @typeParam Req The request type (client side).
 * @typeParam Res The result of `messageReceived()`.
 *
 * @example A line server that answers with each line's length
 * ```ts
 * import { Server } from "@pulsar/net/producers";
 * import { DelimitedConsumer } from "@pulsar/net/protocols";
 * import { assertEquals } from "@std/assert";
 *
 * class LineLength extends DelimitedConsumer<undefined, number> {
 *   constructor() {
 *     super(new Uint8Array([10]), { maxSize: 1024 }); // "\n"
 *   }
 *   override messageReceived(message: Uint8Array): number {
 *     const length = message.length - 1;
 *     this.transport!.write(new TextEncoder().encode(`${length}\n`));
 *     return length;
 *   }
 * }
 *
 * await using server = new Server({ consumerFactory: () => new LineLength() });
 * await server.start();
 * using conn = await Deno.connect({ port: server.port });
 * // Sent in two parts: the consumer joins them.
 * await conn.write(new TextEncoder().encode("hel"));
 * await conn.write(new TextEncoder().encode("lo\n"));
 * const reply = new Uint8Array(2);
 * await conn.read(reply);
 * assertEquals(new TextDecoder().decode(reply), "5\n");
 * ```
 */
export abstract class DelimitedConsumer<Req = unknown, Res = unknown>
  extends ProtocolConsumer<Req, Res> {
  #finder: DelimiterFinder;
  #maxSize: number;
  #chunks: Uint8Array[] | undefined;
  #size = 0;

  /**
   * Builds the consumer.
   *
   * @param delimiter The bytes that end a message; not empty.
   * @param options `maxSize`.
   * @throws {RangeError} If the delimiter is empty, or `maxSize` is smaller
   * than the delimiter.
   */
  constructor(delimiter: Uint8Array, options: DelimitedConsumerOptions = {}) {
    super();
    const { maxSize = DEFAULT_MAX_MESSAGE_SIZE } = options;
    this.#finder = new DelimiterFinder(delimiter);
    this.#maxSize = checkMaxSize(maxSize, delimiter);
  }

  /** The most bytes a message may have, delimiter included. */
  get maxSize(): number {
    return this.#maxSize;
  }

  /**
   * On the server side (a consumer started with no request): true while it
   * holds part of a message and awaits the rest, so the connection's idle
   * timeout closes a peer that stalls mid-message. A client's consumer
   * (started with a request) never is: a partial response is a request in
   * flight.
   */
  override get waitingForRequest(): boolean {
    return this.#chunks !== undefined && !this.hasFinished &&
      this.request === undefined;
  }

  /**
   * Collects bytes until the delimiter, then calls `messageReceived()` and
   * finishes with its result.
   *
   * @param data The bytes read.
   * @returns The bytes after the delimiter, once finished.
   * @throws {ProtocolError} If the message exceeds `maxSize`.
   */
  override dataReceived(data: Uint8Array): Uint8Array | void {
    const end = this.#finder.find(data);
    const size = this.#size + (end < 0 ? data.length : end);
    if (size > this.#maxSize) throw tooLong(this, this.#maxSize);
    if (end < 0) {
      (this.#chunks ??= []).push(data);
      this.#size = size;
      return;
    }
    let message = end === data.length ? data : data.subarray(0, end);
    if (this.#chunks !== undefined) {
      this.#chunks.push(message);
      message = join(this.#chunks, size);
      this.#chunks = undefined;
      this.#size = 0;
    }
    this.finished(this.messageReceived(message));
    if (end < data.length) return data.subarray(end);
  }

  /**
   * Handles one whole message; its result finishes the consumer. A server
   * writes its answer here; a client decodes the response.
   *
   * @param message The message, delimiter included.
   * @returns The consumer's result.
   */
  abstract messageReceived(message: Uint8Array): Res;
}

/** Checks a maximum message size against its delimiter. */
function checkMaxSize(maxSize: number, delimiter: Uint8Array): number {
  if (!(maxSize >= delimiter.length)) {
    throw new RangeError(
      `Cannot use maxSize "${maxSize}": it must be at least the ` +
        `delimiter's length, ${delimiter.length}`,
    );
  }
  return maxSize;
}

/** The error for a message longer than `maxSize`. */
function tooLong(
  consumer: ProtocolConsumer,
  maxSize: number,
): ProtocolError {
  return new ProtocolError(
    `Message from ${formatAddress(consumer.remoteAddr)} exceeds the maximum ` +
      `size of ${maxSize} bytes`,
  );
}

/** Joins `chunks`, `size` bytes in all. */
function join(chunks: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}
