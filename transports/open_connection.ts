// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * `openConnection()` and `listenStreams()`: asyncio's `open_connection()`
 * and `start_server()`, with web streams.
 *
 * @module
 */

import { ConnectionClosedError } from "../errors.ts";
import { reportError } from "../internal/report.ts";
import { checkFunction, checkObject } from "../internal/validate.ts";
import { asError } from "./_errors.ts";
import { connect, type ConnectOptions } from "./connect.ts";
import { listen, type ListenOptions, type SocketListener } from "./listen.ts";
import {
  StreamProtocol,
  type StreamProtocolOptions,
} from "./stream_protocol.ts";

/**
 * Options of `openConnection()`: those of `connect()` and of a
 * `StreamProtocol`.
 *
 * @example Connect with a small readable queue
 * ```ts
 * import {
 *   listenStreams,
 *   openConnection,
 *   type OpenConnectionOptions,
 * } from "@pulsar/net/transports";
 *
 * await using server = listenStreams(
 *   ({ readable, writable }) => readable.pipeTo(writable),
 *   { port: 0 },
 * );
 * const options: OpenConnectionOptions = {
 *   port: server.port,
 *   readableHighWaterMark: 1024,
 * };
 * const { transport } = await openConnection(options);
 * transport!.close();
 * await transport!.closed;
 * ```
 */
export interface OpenConnectionOptions
  extends ConnectOptions, StreamProtocolOptions {}

/**
 * Options of `listenStreams()`: those of `listen()` (but `onTransport`,
 * which it uses) and of a `StreamProtocol`.
 *
 * @example Listen on a Unix socket
 * ```ts
 * import {
 *   listenStreams,
 *   type ListenStreamsOptions,
 * } from "@pulsar/net/transports";
 *
 * const path = await Deno.makeTempFile() + ".sock";
 * const options: ListenStreamsOptions = { path };
 * await using server = listenStreams(() => {}, options);
 * ```
 */
export interface ListenStreamsOptions
  extends Omit<ListenOptions, "onTransport">, StreamProtocolOptions {}

/**
 * What `listenStreams()` calls with each accepted connection's streams.
 * What it throws, or the promise it returns rejects with, is reported to
 * `onError` (source `"handler"`) and aborts that connection; but a
 * `ConnectionClosedError` once the connection is closing (the peer reset it,
 * the listener was disposed) is its end, not a fault, and is not reported.
 */
export type StreamHandler = (streams: StreamProtocol) => void | Promise<void>;

/**
 * Opens a connection and gives it as web streams: asyncio's
 * `open_connection()`. The result is the connection's `StreamProtocol`:
 * `readable`, `writable` (with the transport's flow control and
 * half-close; see `StreamProtocol`) and `transport`.
 *
 * @param options The address (`hostname` and `port`, or `path`), `tls`,
 * `connectTimeout`, `signal`, transport options and `readableHighWaterMark`.
 * @returns The connected streams.
 * @throws {ConnectionRefusedError} If nobody listens at the address.
 * @throws {TimeoutError} If `connectTimeout` elapses first.
 * @throws {TlsError} If the TLS handshake fails.
 * @throws {TypeError} If an option has the wrong type.
 * @throws {RangeError} If a number is out of range. Every option is checked
 * before connecting.
 *
 * @example A proxy: two connections piped into each other with `pipeTo`
 * ```ts
 * import { listenStreams, openConnection } from "@pulsar/net/transports";
 * import { assertEquals } from "@std/assert";
 *
 * // The origin echoes; the proxy pipes each client to a new origin
 * // connection and back. End of stream travels through both pipes.
 * await using origin = listenStreams(
 *   ({ readable, writable }) => readable.pipeTo(writable),
 *   { port: 0 },
 * );
 * await using proxy = listenStreams(async (client) => {
 *   const upstream = await openConnection({ port: origin.port });
 *   await Promise.all([
 *     client.readable.pipeTo(upstream.writable),
 *     upstream.readable.pipeTo(client.writable),
 *   ]);
 * }, { port: 0 });
 *
 * const client = await openConnection({ port: proxy.port });
 * const writer = client.writable.getWriter();
 * await writer.write(new TextEncoder().encode("through the proxy"));
 * await writer.close();
 * const reply = await new Response(client.readable).text();
 * assertEquals(reply, "through the proxy");
 * await client.transport!.closed;
 * ```
 */
export async function openConnection(
  options: OpenConnectionOptions,
): Promise<StreamProtocol> {
  checkObject("options", options);
  // Built first, so a bad readableHighWaterMark is refused before connecting.
  const protocol = new StreamProtocol(options);
  await connect(() => protocol, options);
  return protocol;
}

/**
 * Listens and calls `handler` with the streams of each accepted connection:
 * asyncio's `start_server()`. Returning (or settling) does not close the
 * connection: closing the writable ends the server's side, and the
 * connection closes once both sides are done.
 *
 * @param handler Called with each connection's `StreamProtocol`.
 * @param options The address (`hostname` and `port`, or `path`), `tls`,
 * `backlog`, transport options and `readableHighWaterMark`.
 * @returns The listener, already accepting.
 * @throws {AddrInUseError} If the address is taken.
 * @throws {ListenError} If it cannot listen for another reason.
 * @throws {TypeError} If `handler` is not a function or an option has the
 * wrong type.
 * @throws {RangeError} If a number is out of range. Options are checked
 * before the socket is opened.
 *
 * @example Split what clients send at a delimiter, with `@std/streams`
 * ```ts
 * import { listenStreams, openConnection } from "@pulsar/net/transports";
 * import { DelimiterStream } from "@std/streams/delimiter-stream";
 * import { assertEquals } from "@std/assert";
 *
 * const received: string[] = [];
 * const done = Promise.withResolvers<void>();
 * await using server = listenStreams(async ({ readable, writable }) => {
 *   const messages: ReadableStream<Uint8Array> = readable.pipeThrough(
 *     new DelimiterStream(new TextEncoder().encode("\r\n\r\n")),
 *   );
 *   for await (const message of messages) {
 *     received.push(new TextDecoder().decode(message));
 *   }
 *   await writable.close();
 *   done.resolve();
 * }, { port: 0 });
 *
 * const client = await openConnection({ port: server.port });
 * const writer = client.writable.getWriter();
 * await writer.write(new TextEncoder().encode("one\r\n\r\ntw"));
 * await writer.write(new TextEncoder().encode("o\r\n\r\nthree"));
 * await writer.close();
 * await done.promise;
 * assertEquals(received, ["one", "two", "three"]);
 * await client.transport!.closed;
 * ```
 */
export function listenStreams(
  handler: StreamHandler,
  options: ListenStreamsOptions = {},
): SocketListener<StreamProtocol> {
  checkFunction("handler", handler);
  checkObject("options", options);
  // Checks readableHighWaterMark before the socket is opened.
  new StreamProtocol(options);
  const { readableHighWaterMark } = options;
  const onError = options.onError;
  return listen(() => new StreamProtocol({ readableHighWaterMark }), {
    ...options,
    onTransport: (transport) => {
      const fail = (error: unknown) => {
        // Failing because the connection closed (the peer reset it, the
        // listener was disposed) is the connection's end, not a fault.
        if (transport.isClosing() && error instanceof ConnectionClosedError) {
          return;
        }
        reportError(onError, {
          error,
          source: "handler",
          address: transport.remoteAddr,
        });
        transport.abort(asError(error));
      };
      try {
        const result = handler(transport.protocol as StreamProtocol);
        if (result instanceof Promise) result.catch(fail);
      } catch (error) {
        fail(error);
      }
    },
  });
}
