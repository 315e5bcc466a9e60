// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * Pulsar's echo protocol: a message is any bytes followed by `\r\n\r\n`; the
 * server writes the whole message back, separator included; the payload
 * `QUIT` makes the server close the connection after echoing it.
 *
 * @module
 */

import {
  Client,
  type ClientOptions,
  DEFAULT_MAX_MESSAGE_SIZE,
  DelimitedConsumer,
  type DelimitedConsumerOptions,
  DelimiterFinder,
  formatAddress,
  ProtocolConsumer,
  ProtocolError,
  Request,
  type RequestAddress,
  type TlsClientOptions,
} from "@pulsar/net";

/** The end of every echo message. */
export const SEPARATOR: Uint8Array = new TextEncoder().encode("\r\n\r\n");
const QUIT = new TextEncoder().encode("QUIT\r\n\r\n");

/**
 * The server side: echoes each message, separator included, writing its
 * bytes as they arrive (no message is held in memory); closes the connection
 * after `QUIT`. The result is the message's length. A message longer than
 * `maxSize` is a `ProtocolError` that closes the connection.
 */
export class EchoServerConsumer extends ProtocolConsumer<undefined, number> {
  #finder = new DelimiterFinder(SEPARATOR);
  #maxSize: number;
  #size = 0;
  /** The parts of the message while it is short enough to be `QUIT`. */
  #head: Uint8Array[] | undefined;

  /**
   * @param options `maxSize` of a message (default 16 MiB).
   */
  constructor(options: DelimitedConsumerOptions = {}) {
    super();
    this.#maxSize = options.maxSize ?? DEFAULT_MAX_MESSAGE_SIZE;
  }

  /** Part of a message echoed, the rest awaited: the peer's silence counts. */
  override get waitingForRequest(): boolean {
    return this.#size > 0 && !this.hasFinished;
  }

  override dataReceived(data: Uint8Array): Uint8Array | void {
    const end = this.#finder.find(data);
    const part = end < 0 || end === data.length ? data : data.subarray(0, end);
    const size = this.#size + part.length;
    if (size > this.#maxSize) {
      throw new ProtocolError(
        `Message from ${formatAddress(this.remoteAddr)} exceeds the maximum ` +
          `size of ${this.#maxSize} bytes`,
      );
    }
    this.#size = size;
    const transport = this.transport!;
    transport.write(part);
    if (size <= QUIT.length) (this.#head ??= []).push(part);
    if (end < 0) return;
    if (size === QUIT.length && isQuit(this.#head!)) transport.close();
    this.finished(size);
    if (end < data.length) return data.subarray(end);
  }
}

/** The client side: the result is the echoed payload, without separator. */
export class EchoClientConsumer extends DelimitedConsumer<Request, Uint8Array> {
  /**
   * @param options `maxSize` of a message (default 16 MiB).
   */
  constructor(options?: DelimitedConsumerOptions) {
    super(SEPARATOR, options);
  }

  override messageReceived(message: Uint8Array): Uint8Array {
    return message.subarray(0, message.length - SEPARATOR.length);
  }
}

/** Options of an `EchoClient`: a `Client`'s, with TLS. */
export interface EchoClientOptions
  extends Omit<ClientOptions, "consumerFactory"> {
  /** TLS: `true` for the default roots, or options. */
  tls?: boolean | TlsClientOptions;
  /** The largest reply accepted. */
  maxSize?: number;
}

/** A pooled echo client for one server. */
export class EchoClient extends Client {
  #address: RequestAddress;
  #tls: boolean | TlsClientOptions | undefined;

  /**
   * @param address The echo server: a host and port, or a Unix socket path.
   * @param options Pool size, timeouts, TLS and transport options.
   */
  constructor(address: RequestAddress, options: EchoClientOptions = {}) {
    const { maxSize } = options;
    super({
      ...options,
      consumerFactory: () => new EchoClientConsumer({ maxSize }),
    });
    this.#address = address;
    this.#tls = options.tls;
  }

  /**
   * Sends `message` (a string is sent as UTF-8) and resolves with the echo.
   */
  override request(
    message: Uint8Array | string,
    options: { timeout?: number; signal?: AbortSignal } = {},
  ): Promise<Uint8Array> {
    const payload = typeof message === "string"
      ? new TextEncoder().encode(message)
      : message;
    const data = new Uint8Array(payload.length + SEPARATOR.length);
    data.set(payload);
    data.set(SEPARATOR, payload.length);
    return this.response(
      new Request<Uint8Array>(this.#address, {
        data,
        tls: this.#tls,
        timeout: options.timeout,
        signal: options.signal,
      }),
    );
  }
}

/** Whether the parts of an 8-byte message spell `QUIT\r\n\r\n`. */
function isQuit(parts: Uint8Array[]): boolean {
  let i = 0;
  for (const part of parts) {
    for (const byte of part) if (byte !== QUIT[i++]) return false;
  }
  return true;
}
