// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * Pulsar's echo protocol: a message is any bytes followed by `\r\n\r\n`; the
 * server writes the whole message back, separator included; the payload
 * `QUIT` makes the server close the connection after echoing it.
 *
 * @module
 */

import { Client, type ClientOptions } from "../../clients/client.ts";
import { Request, type RequestAddress } from "../../clients/request.ts";
import {
  DelimitedConsumer,
  type DelimitedConsumerOptions,
} from "../../protocols/delimited_consumer.ts";
import type { TlsClientOptions } from "../../transports/connect.ts";

/** The end of every echo message. */
export const SEPARATOR: Uint8Array = new TextEncoder().encode("\r\n\r\n");
const QUIT = new TextEncoder().encode("QUIT\r\n\r\n");

/** The server side: echoes each message whole; closes after `QUIT`. */
export class EchoServerConsumer
  extends DelimitedConsumer<undefined, Uint8Array> {
  /**
   * @param options `maxSize` of a message (default 16 MiB).
   */
  constructor(options?: DelimitedConsumerOptions) {
    super(SEPARATOR, options);
  }

  override messageReceived(message: Uint8Array): Uint8Array {
    const transport = this.transport!;
    transport.write(message);
    if (isQuit(message)) transport.close();
    return message;
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
export class EchoClient extends Client<Uint8Array> {
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
      new Request(this.#address, {
        data,
        tls: this.#tls,
        timeout: options.timeout,
        signal: options.signal,
      }),
    );
  }
}

function isQuit(message: Uint8Array): boolean {
  return message.length === QUIT.length &&
    message.every((b, i) => b === QUIT[i]);
}
