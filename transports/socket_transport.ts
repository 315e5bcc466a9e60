// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * The stream transport over a `Deno.Conn`: TCP, Unix or TLS.
 *
 * @module
 */

import { ConnectionClosedError, type ErrorHandler } from "../errors.ts";
import {
  checkBoolean,
  checkBytes,
  checkFunction,
  checkInteger,
  checkObject,
} from "../internal/validate.ts";
import { formatAddress } from "./format_address.ts";
import { asError, ioError, isClosedByUs } from "./_errors.ts";
import type { ProtocolInterface } from "./protocol_interface.ts";
import { Transport } from "./transport.ts";

/**
 * The write-buffer limits of a transport, in bytes.
 *
 * @example Pause the protocol above 1 KiB buffered
 * ```ts
 * import {
 *   connect,
 *   listen,
 *   type WriteBufferLimits,
 * } from "@pulsar/net/transports";
 * import { Protocol } from "@pulsar/net/protocols";
 * import { assertEquals } from "@std/assert";
 *
 * const limits: WriteBufferLimits = { high: 1024 };
 * await using server = listen(() => new Protocol(), { port: 0 });
 * await using transport = (await connect(() => new Protocol(), {
 *   port: server.port,
 *   writeBufferLimits: limits,
 * }))[0];
 * // low defaults to a quarter of high.
 * assertEquals(transport.getWriteBufferLimits(), { high: 1024, low: 256 });
 * ```
 */
export interface WriteBufferLimits {
  /**
   * Above this many buffered bytes the protocol's `pauseWriting()` is called.
   * An integer, 0 or more.
   *
   * The default is the default `readSize`, so that echoing one bulk read
   * does not by itself pause a protocol (asyncio's 64 KiB would: Deno
   * reports what the socket took only after the write returns).
   *
   * @default {262144, or 4 × low when only low is given (asyncio's rule)}
   */
  high?: number;
  /**
   * At or below this many buffered bytes, after a pause, the protocol's
   * `resumeWriting()` is called. An integer from 0 to `high`.
   *
   * @default {high / 4, rounded down}
   */
  low?: number;
}

/**
 * Options of a `SocketTransport`, which `connect()` and `listen()` take too.
 *
 * @example Receive what a protocol callback threw
 * ```ts
 * import { connect, listen } from "@pulsar/net/transports";
 * import type { ErrorReport } from "@pulsar/net/errors";
 * import { Protocol } from "@pulsar/net/protocols";
 * import { assertEquals } from "@std/assert";
 *
 * class Careless extends Protocol {
 *   override connectionLost(): void {
 *     throw new Error("cleanup failed");
 *   }
 * }
 *
 * const reports: ErrorReport[] = [];
 * await using server = listen(() => new Protocol(), { port: 0 });
 * const [transport] = await connect(() => new Careless(), {
 *   port: server.port,
 *   readSize: 16 * 1024,
 *   onError: (report) => reports.push(report),
 * });
 * transport.close();
 * await transport.closed;
 * assertEquals(reports.map((report) => report.source), ["connectionLost"]);
 * ```
 */
export interface SocketTransportOptions {
  /**
   * Sets TCP_NODELAY (no Nagle delay) on TCP connections. TLS connections
   * made by `connect()` get it on their TCP socket; accepted TLS connections
   * cannot (Deno has no such call for them).
   *
   * @default {true}
   */
  noDelay?: boolean;
  /**
   * Turns on TCP keep-alive probes (not a server's idle timeout).
   *
   * @default {false}
   */
  tcpKeepAlive?: boolean;
  /**
   * The most bytes one read may return: an integer from 1 to
   * `MAX_READ_SIZE` (16 MiB). Reads start at 1 KiB and grow fourfold while
   * they fill their buffer (a bulk transfer) up to this size; a read that
   * does not fill its buffer makes the next one small again, so an idle
   * connection holds about 1 KiB of read buffer whatever this size.
   *
   * @default {262144}
   */
  readSize?: number;
  /** The initial write-buffer limits. */
  writeBufferLimits?: WriteBufferLimits;
  /**
   * Receives what a protocol callback threw when there is no caller to
   * throw to: `dataReceived`, `eofReceived` (both also abort the
   * transport), `pauseWriting`, `resumeWriting`, `connectionLost` (and, for
   * `listen()`, `connectionMade`, `onTransport`, the protocol factory and
   * failed accepts), with the callback's name as `source` and the peer's
   * address.
   *
   * @default {one console.error line per error}
   */
  onError?: ErrorHandler;
}

/** The default high-water mark: one read of the default size. */
const DEFAULT_HIGH = 256 * 1024;
/**
 * The default `readSize`: bulk reads this large cost about a third less CPU
 * per byte than 64 KiB ones. A connection reads this much only once reads
 * have filled smaller windows (see `readLoop`).
 */
const DEFAULT_READ_SIZE = DEFAULT_HIGH;
/**
 * The window of a connection's first read, and of every read after one that
 * did not fill its window: what an idle connection waits on. Small, since
 * each pending read pins its buffer for as long as the peer is silent.
 * Reads of up to this many bytes are carved from slabs of this size.
 */
const SMALL = 1024;
/** A small slab with less room than this is replaced by a new one. */
const MIN_ROOM = 256;
/** How much larger each read is than the last one, while reads fill. */
const GROWTH = 4;
/** Queued writes smaller than this are joined into one socket write. */
const COALESCE = 64 * 1024;
/**
 * The most microtask turns the read loop waits for a pending flush before
 * reading again: a bound no peer can stretch, so reading never waits on a
 * write (see `readLoop`).
 */
const FLUSH_TURNS = 4;

/**
 * The largest `readSize` accepted: 16 MiB. A bulk transfer's reads each
 * take a slab of up to `readSize` bytes, so a larger value only costs memory
 * (and a huge one fails to allocate).
 *
 * @example The largest read size is accepted, one byte more is not
 * ```ts
 * import {
 *   checkSocketTransportOptions,
 *   MAX_READ_SIZE,
 * } from "@pulsar/net/transports";
 * import { assertThrows } from "@std/assert";
 *
 * checkSocketTransportOptions({ readSize: MAX_READ_SIZE });
 * assertThrows(
 *   () => checkSocketTransportOptions({ readSize: MAX_READ_SIZE + 1 }),
 *   RangeError,
 * );
 * ```
 */
export const MAX_READ_SIZE: number = 16 * 1024 * 1024;

/** Transport options with their defaults applied; all checked. */
interface ResolvedOptions {
  noDelay: boolean;
  tcpKeepAlive: boolean;
  readSize: number;
  limits: Required<WriteBufferLimits> | undefined;
  onError: ErrorHandler | undefined;
}

/**
 * Checks write-buffer limits and applies their defaults.
 *
 * @param name How the limits are named in messages.
 */
function resolveLimits(
  name: string,
  value: unknown,
): Required<WriteBufferLimits> {
  const limits = checkObject<WriteBufferLimits>(name, value);
  const low = limits.low === undefined
    ? undefined
    : checkInteger(`${name}.low`, limits.low, 0);
  const high = limits.high === undefined
    ? low === undefined ? DEFAULT_HIGH : 4 * low
    : checkInteger(`${name}.high`, limits.high, 0);
  const resolvedLow = low ?? Math.floor(high / 4);
  if (resolvedLow > high) {
    throw new RangeError(
      `Cannot use ${name}: low "${resolvedLow}" exceeds high "${high}"`,
    );
  }
  return { high, low: resolvedLow };
}

function resolveOptions(value: unknown): ResolvedOptions {
  // Runs for every accepted connection: plain checks, no closure per option.
  const options = checkObject<SocketTransportOptions>("options", value);
  const { noDelay, tcpKeepAlive, readSize, writeBufferLimits, onError } =
    options;
  return {
    noDelay: noDelay === undefined ? true : checkBoolean("noDelay", noDelay),
    tcpKeepAlive: tcpKeepAlive === undefined
      ? false
      : checkBoolean("tcpKeepAlive", tcpKeepAlive),
    readSize: readSize === undefined
      ? DEFAULT_READ_SIZE
      : checkInteger("readSize", readSize, 1, MAX_READ_SIZE),
    limits: writeBufferLimits === undefined
      ? undefined
      : resolveLimits("writeBufferLimits", writeBufferLimits),
    onError: onError === undefined
      ? undefined
      : checkFunction<ErrorHandler>("onError", onError),
  };
}

/**
 * Checks the transport options of `options` (`noDelay`, `tcpKeepAlive`,
 * `readSize`, `writeBufferLimits`, `onError`) without building a transport, so that
 * whatever takes them (a server, a client, `connect()`, `listen()`) can
 * refuse a bad one where it is given, before any socket exists. Other
 * properties of `options` are ignored.
 *
 * @param options The options to check.
 * @throws {TypeError} If `options` is not an object, or an option has the
 * wrong type (`noDelay: "yes"`, `writeBufferLimits: 5`, `onError: 1`).
 * @throws {RangeError} If `readSize` is not an integer from 1 to
 * `MAX_READ_SIZE`, a write-buffer limit is not an integer of 0 or more, or
 * `low` exceeds `high`.
 *
 * @example Refuse a bad read size before listening
 * ```ts
 * import { checkSocketTransportOptions } from "@pulsar/net/transports";
 * import { assertThrows } from "@std/assert";
 *
 * checkSocketTransportOptions({ readSize: 256 * 1024, noDelay: false });
 * assertThrows(
 *   () => checkSocketTransportOptions({ readSize: 0 }),
 *   RangeError,
 *   'Cannot use readSize "0"',
 * );
 * ```
 */
export function checkSocketTransportOptions(
  options: SocketTransportOptions,
): void {
  resolveOptions(options);
}

/**
 * A transport over a `Deno.Conn` (TCP, Unix or TLS), with asyncio's
 * semantics:
 *
 * - `write()` never blocks and never loses a byte: what the socket does not
 *   take at once is buffered and flushed in order. It takes ownership of the
 *   bytes: do not change them after the call.
 * - Reading goes on while writes are buffered: the transport never waits
 *   for its own writes before reading again, so two peers that both write
 *   more than the socket buffers hold cannot wait on each other.
 * - Flow control both ways: the protocol's `pauseWriting()` and
 *   `resumeWriting()` at the write-buffer limits; `pauseReading()` and
 *   `resumeReading()` stop and restart reading so a slow protocol pushes back
 *   on its peer. Reading pauses only when the protocol asks, as in asyncio
 *   (`Connection` does it from `pauseWriting()`): pausing it by itself
 *   whenever the buffer is full would stall two peers that both write and
 *   read.
 * - The protocol gets `connectionMade` once, `dataReceived` any number of
 *   times, `eofReceived` at most once, then `connectionLost` exactly once.
 * - Reads go into slabs (never `conn.readable`): each chunk handed to the
 *   protocol is a view that is never overwritten. Reads start small and
 *   grow while they fill (see `readSize`), so an idle connection waits on
 *   a small buffer.
 *
 * Its protocol's `connectionMade` is called once the transport is built,
 * before any data (see `Transport`). Most code gets one from `connect()` or
 * `listen()`, which call it before they hand the transport over; one built
 * directly calls it in a microtask, then starts reading.
 *
 * @example Echo a line over a direct transport
 * ```ts
 * import { SocketTransport } from "@pulsar/net/transports";
 * import { Protocol } from "@pulsar/net/protocols";
 * import { assertEquals } from "@std/assert";
 *
 * class Echo extends Protocol {
 *   override dataReceived(data: Uint8Array): void {
 *     this.transport!.write(data);
 *   }
 * }
 *
 * using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const client = await Deno.connect({ port: listener.addr.port });
 * const transport = new SocketTransport(await listener.accept(), new Echo());
 * await client.write(new TextEncoder().encode("hello"));
 * const buf = new Uint8Array(5);
 * await client.read(buf);
 * assertEquals(new TextDecoder().decode(buf), "hello");
 * client.close();
 * await transport.closed;
 * ```
 */
export class SocketTransport extends Transport<ProtocolInterface> {
  #conn: Deno.Conn;
  #readSize: number;
  /** `SMALL`, or `readSize` if smaller: a probe read, and a small slab. */
  #small: number;
  #high = DEFAULT_HIGH;
  #low = DEFAULT_HIGH / 4;

  #eofReceived = false;
  #eofWritten = false;

  /** Set by `pauseReading()`; the read loop waits while it is. */
  #readPaused = false;
  /** What the paused read loop waits on: settled by resume, close, abort. */
  #readResumed: PromiseWithResolvers<void> | undefined;

  /**
   * The read slab: reads go into views of it that are never overwritten
   * (see `readLoop`); made at the first read.
   */
  #slab: ArrayBuffer | undefined;
  /** Where the next read goes in `#slab`. */
  #offset = 0;
  /** The size of the next read. */
  #want: number;

  /** The writes behind the one in flight; made on first use. */
  #queue: Uint8Array[] | undefined;
  #bufferSize = 0;
  #flushing: Promise<void> | undefined;
  #writePaused = false;
  /** `cork()` calls not yet matched by `uncork()`: writes are held. */
  #corks = 0;

  /**
   * Builds the transport. Its protocol's `connectionMade(this)` is called
   * once it is built, in a microtask, then it starts reading.
   *
   * @param conn The connection to drive; this transport owns it.
   * @param protocol The protocol to drive.
   * @param options Socket options, read size and write-buffer limits
   * (see `checkSocketTransportOptions`).
   * @throws {TypeError} If an option has the wrong type.
   * @throws {RangeError} If an option is out of range. The options are
   * checked before anything else: when they are refused, `conn` is left
   * open and still the caller's to close.
   */
  constructor(
    conn: Deno.Conn,
    protocol: ProtocolInterface,
    options: SocketTransportOptions = {},
  ) {
    const resolved = resolveOptions(options);
    super(conn, protocol, resolved.onError);
    this.#conn = conn;
    this.#readSize = resolved.readSize;
    this.#small = this.#want = resolved.readSize < SMALL
      ? resolved.readSize
      : SMALL;
    if (resolved.limits !== undefined) {
      this.#high = resolved.limits.high;
      this.#low = resolved.limits.low;
    }
    if ("setNoDelay" in conn) {
      const tcp = conn as Deno.TcpConn;
      try {
        if (resolved.noDelay) tcp.setNoDelay(true);
        if (resolved.tcpKeepAlive) tcp.setKeepAlive(true);
      } catch {
        // A socket the peer already reset: the first read reports it, after
        // connectionMade, as the protocol expects.
      }
    }
  }

  /** The peer's address as text, for messages (built only when needed). */
  get #peer(): string {
    return formatAddress(this.#conn.remoteAddr);
  }

  /** The underlying Deno connection. */
  get conn(): Deno.Conn {
    return this.#conn;
  }

  /** The local address. */
  get localAddr(): Deno.Addr {
    return this.#conn.localAddr;
  }

  /** The peer's address. */
  get remoteAddr(): Deno.Addr {
    return this.#conn.remoteAddr;
  }

  /**
   * Optional information by name: `conn`, `localAddr`, `remoteAddr`,
   * `peername` (the peer's address as text).
   *
   * @param name The information's name.
   * @param fallback What to return when there is no such information.
   * @returns The information, or `fallback`.
   */
  override getExtraInfo(name: string, fallback?: unknown): unknown {
    if (name === "peername") return this.#peer;
    return super.getExtraInfo(name, fallback);
  }

  /**
   * Whether the transport is reading (not paused by `pauseReading()`).
   *
   * @returns True while reading.
   */
  isReading(): boolean {
    return !this.#readPaused && !this.isClosing() && !this.#eofReceived;
  }

  /**
   * Stops delivering data to the protocol until `resumeReading()`. No read is
   * issued meanwhile, so the peer is pushed back by TCP flow control.
   */
  pauseReading(): void {
    this.#readPaused = true;
  }

  /** Resumes delivering data after `pauseReading()`. */
  resumeReading(): void {
    this.#readPaused = false;
    this.#wakeReader();
  }

  /** Lets a paused read loop go on, to read again or to see it must stop. */
  #wakeReader(): void {
    this.#readResumed?.resolve();
    this.#readResumed = undefined;
  }

  /** Waits while reading is paused, unless closing (nothing would wake it). */
  async #whilePaused(): Promise<void> {
    while (this.#readPaused && !this.isClosing()) {
      this.#readResumed ??= Promise.withResolvers();
      await this.#readResumed.promise;
    }
  }

  /**
   * Sets the write-buffer limits at which the protocol's `pauseWriting()`
   * and `resumeWriting()` are called.
   *
   * @param limits `high` (default 262144, or 4 × `low` when only `low` is
   * given) and `low` (default `high / 4`).
   * @throws {TypeError} If `limits` is not an object or a limit not a number.
   * @throws {RangeError} If a limit is not an integer of 0 or more, or `low`
   * exceeds `high`.
   */
  setWriteBufferLimits(limits: WriteBufferLimits): void {
    const { high, low } = resolveLimits("limits", limits);
    this.#high = high;
    this.#low = low;
    this.#checkHigh();
    this.#checkLow();
  }

  /**
   * The write-buffer limits in force.
   *
   * @returns `{ high, low }` in bytes.
   */
  getWriteBufferLimits(): Required<WriteBufferLimits> {
    return { high: this.#high, low: this.#low };
  }

  /**
   * The bytes written but not yet taken by the socket.
   *
   * @returns The count of buffered bytes.
   */
  getWriteBufferSize(): number {
    return this.#bufferSize;
  }

  /**
   * Writes `data` without blocking: what the socket does not take at once is
   * buffered and flushed in order. The transport owns `data` from now on: do
   * not change it.
   *
   * @param data The bytes to write.
   * @throws {TypeError} If `data` is not a `Uint8Array`.
   * @throws {ConnectionClosedError} If the transport is closing or its
   * writing side was closed with `writeEof()`.
   */
  write(data: Uint8Array): void {
    checkBytes("data", data);
    if (this.isClosing() || this.#eofWritten) {
      const why = this.isClosing()
        ? "it is closing"
        : "its writing side is closed";
      throw new ConnectionClosedError(
        `Cannot write to ${this.#peer}: ${why}`,
      );
    }
    if (data.length === 0) return;
    this.#bufferSize += data.length;
    if (this.#flushing === undefined && this.#corks === 0) {
      this.#flushing = this.#flush(data);
    } else this.#enqueue(data);
    this.#checkHigh();
  }

  /**
   * Holds writes in the buffer until the matching `uncork()`, so that many
   * small writes (pipelined requests, a request written in parts) go to the
   * socket together, in one write of up to 64 KiB, rather than one each
   * (Node's `socket.cork()`). Calls nest: the writes go out once every
   * `cork()` has had its `uncork()`. `close()` and `writeEof()` send what
   * is held without waiting; `abort()` drops it. Once closing or after
   * `writeEof()`, `cork()` does nothing: what was written still all goes
   * out. The usual pattern holds the writes of one microtask turn:
   * `transport.cork(); queueMicrotask(() => transport.uncork());`.
   */
  cork(): void {
    if (this.isClosing() || this.#eofWritten) return;
    this.#corks++;
  }

  /**
   * Ends one `cork()`: after the last, the held writes go to the socket. An
   * `uncork()` with no `cork()` to match does nothing.
   */
  uncork(): void {
    if (this.#corks === 0 || --this.#corks > 0) return;
    this.#flushHeld();
  }

  /** Starts flushing the writes held by `cork()`, if none is in progress. */
  #flushHeld(): void {
    if (this.#flushing !== undefined || this.isFinished()) return;
    const held = this.#takeQueued();
    if (held !== undefined) this.#flushing = this.#flush(held);
  }

  /**
   * Whether `writeEof()` is supported: true for TCP, Unix and TLS.
   *
   * @returns True.
   */
  canWriteEof(): boolean {
    return true;
  }

  /**
   * Closes the writing side once the buffer is flushed (half-close): the
   * peer reads end of stream and may still answer. If the peer has already
   * closed its side too, the transport then closes.
   */
  writeEof(): void {
    if (this.isClosing() || this.#eofWritten) return;
    this.#eofWritten = true;
    // Writes held by cork() go out first.
    this.#corks = 0;
    this.#flushHeld();
    if (this.#flushing === undefined) this.#shutdownWrite();
  }

  /** Closes the transport after flushing buffered writes. Idempotent. */
  close(): void {
    if (!this.markClosing()) return;
    this.#wakeReader();
    // Writes held by cork() go out first.
    this.#corks = 0;
    this.#flushHeld();
    if (this.#flushing === undefined) this.finish(undefined);
  }

  /**
   * Closes the transport at once, dropping buffered writes.
   *
   * @param reason The error passed to the protocol's `connectionLost`.
   */
  abort(reason?: Error): void {
    this.#queue = undefined;
    this.#bufferSize = 0;
    this.markClosing();
    this.#wakeReader();
    this.finish(reason, this.#flushing);
  }

  /**
   * The read loop, started once `connectionMade` has returned; never
   * rejects (anything unexpected aborts).
   *
   * Reads go into slabs: each chunk handed on is a view no later read
   * overwrites. Small reads are carved from a small slab; a read that fills
   * its window makes the next one GROWTH times larger (up to readSize) in a
   * slab of its own: a bulk transfer. A read that does not fill its window
   * (the peer's bytes are all in) makes the next one a small probe in a
   * small slab again: an idle connection never waits on a large buffer, and
   * a large slab lives only as long as the views into it that the protocol
   * keeps.
   *
   * @returns A promise that settles when the loop ends.
   */
  protected async readLoop(): Promise<void> {
    // Few locals: an idle connection keeps this frame while it waits.
    try {
      while (true) {
        if (this.#readPaused) await this.#whilePaused();
        if (this.isClosing()) return;
        const window = this.#nextWindow();
        let n: number | null;
        try {
          n = await this.#conn.read(window);
        } catch (error) {
          if (!this.isFinished()) this.abort(ioError(error, this.#peer));
          return;
        }
        // Paused while the read was pending: hold the chunk until resumed.
        if (this.#readPaused) await this.#whilePaused();
        if (this.isClosing()) return;
        if (n === null) return this.#onEof();
        if (!this.#deliver(window, n)) return;
        // Let the answer to what was just read go out before reading
        // again, but never wait on the peer for it: two peers that both
        // wait for their own writes before reading can wait on each other
        // forever. Deno's write op is eager, so a write the socket takes at
        // once has finished its flush within two microtask turns; waiting
        // at most FLUSH_TURNS turns (which no peer can hold up) keeps the
        // order a full wait gave. Each next read then goes out after this
        // turn's answers, when the peer's next request is more often
        // already there, which measured cheaper at 256 connections than
        // reading at once.
        for (
          let turn = 0;
          turn < FLUSH_TURNS && this.#flushing !== undefined;
          turn++
        ) {
          await undefined;
        }
      }
    } catch (error) {
      if (!this.isFinished()) this.abort(asError(error));
    }
  }

  /** The buffer of the next read, from the current slab or a new one. */
  #nextWindow(): Uint8Array {
    const want = this.#want;
    let slab = this.#slab;
    let offset = this.#offset;
    let room = slab === undefined ? 0 : slab.byteLength - offset;
    if (want > SMALL) {
      // A large window always has a slab of its own: the last one was
      // filled (so the window grew) or was small.
      slab = this.#slab = new ArrayBuffer(want);
      offset = this.#offset = 0;
      room = want;
    } else if (room < MIN_ROOM || slab!.byteLength > SMALL) {
      slab = this.#slab = new ArrayBuffer(this.#small);
      offset = this.#offset = 0;
      room = this.#small;
    }
    return new Uint8Array(slab!, offset, want < room ? want : room);
  }

  /**
   * Sizes the next read from how this one went, and hands the `n` bytes
   * read into `window` to the protocol.
   *
   * @returns False if the protocol threw (the transport is aborted).
   */
  #deliver(window: Uint8Array, n: number): boolean {
    const length = window.length;
    const want = this.#want;
    if (n < length) {
      this.#want = this.#small;
    } else if (length === want && want < this.#readSize) {
      this.#want = want * GROWTH < this.#readSize
        ? want * GROWTH
        : this.#readSize;
    }
    const chunk = n === length
      ? window
      : new Uint8Array(window.buffer, window.byteOffset, n);
    this.#offset += n;
    try {
      this.protocol.dataReceived(chunk);
    } catch (error) {
      this.report("dataReceived", error);
      this.abort(asError(error));
      return false;
    }
    return true;
  }

  #onEof(): void {
    this.#eofReceived = true;
    let keepOpen: boolean | void;
    try {
      keepOpen = this.protocol.eofReceived();
    } catch (error) {
      this.report("eofReceived", error);
      this.abort(asError(error));
      return;
    }
    // Both sides closed: nothing more can happen on this connection.
    if (!keepOpen || (this.#eofWritten && this.#flushing === undefined)) {
      this.close();
    }
  }

  /** Writes `first`, then the queue; never rejects (failures abort). */
  async #flush(first: Uint8Array): Promise<void> {
    let chunk: Uint8Array | undefined = first;
    try {
      while (chunk !== undefined) {
        let written = 0;
        while (written < chunk.length) {
          const n: number = await this.#conn.write(
            written === 0 ? chunk : chunk.subarray(written),
          );
          written += n;
          this.#bufferSize -= n;
        }
        if (this.isFinished()) return;
        this.#checkLow();
        // Corked: what was queued meanwhile waits for uncork().
        chunk = this.#corks === 0 ? this.#takeQueued() : undefined;
      }
    } catch (error) {
      this.#flushing = undefined;
      if (!this.isFinished() || !isClosedByUs(error)) {
        this.abort(ioError(error, this.#peer));
      }
      return;
    }
    this.#flushing = undefined;
    try {
      if (this.isClosing()) this.finish(undefined);
      else if (this.#eofWritten) this.#shutdownWrite();
    } catch (error) {
      if (!this.isFinished()) this.abort(asError(error));
    }
  }

  /**
   * Queues `data` behind the write in flight. A view that continues the
   * last queued one in the same buffer (an echo of consecutive chunks of
   * one read slab) extends it instead, without copying: one socket write
   * for both.
   */
  #enqueue(data: Uint8Array): void {
    const queue = this.#queue ??= [];
    const last = queue.length === 0 ? undefined : queue[queue.length - 1];
    if (
      last !== undefined && last.buffer === data.buffer &&
      last.byteOffset + last.length === data.byteOffset
    ) {
      queue[queue.length - 1] = new Uint8Array(
        last.buffer,
        last.byteOffset,
        last.length + data.length,
      );
    } else {
      queue.push(data);
    }
  }

  /** The next bytes to write: small queued chunks are joined into one. */
  #takeQueued(): Uint8Array | undefined {
    const queue = this.#queue;
    if (queue === undefined) return undefined;
    if (queue.length <= 1 || queue[0].length >= COALESCE) return queue.shift();
    let count = 0;
    let total = 0;
    while (
      count < queue.length && total + queue[count].length <= COALESCE
    ) {
      total += queue[count++].length;
    }
    if (count <= 1) return queue.shift();
    const joined = new Uint8Array(total);
    let offset = 0;
    for (let i = 0; i < count; i++) {
      joined.set(queue[i], offset);
      offset += queue[i].length;
    }
    queue.splice(0, count);
    return joined;
  }

  #shutdownWrite(): void {
    try {
      this.#conn.closeWrite();
    } catch (error) {
      this.abort(ioError(error, this.#peer));
      return;
    }
    if (this.#eofReceived) this.close();
  }

  #checkHigh(): void {
    if (this.#writePaused || this.#bufferSize <= this.#high) return;
    this.#writePaused = true;
    try {
      this.protocol.pauseWriting();
    } catch (error) {
      this.report("pauseWriting", error);
    }
  }

  #checkLow(): void {
    if (!this.#writePaused || this.#bufferSize > this.#low) return;
    this.#writePaused = false;
    try {
      this.protocol.resumeWriting();
    } catch (error) {
      this.report("resumeWriting", error);
    }
  }
}
