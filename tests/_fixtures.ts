// Copyright 2026 the pulsar for Deno authors. MIT license.
// The tests' own protocol, built on the module's public API: a message is
// any bytes up to "\r\n\r\n"; the server writes each whole message back.
// (examples/ has its own tests; tests never import examples.)

import {
  Client,
  type ClientOptions,
  DelimitedConsumer,
  Request,
  type RequestAddress,
  type RequestOptions,
  Server,
  type ServerOptions,
} from "../mod.ts";
import { Connection } from "../protocols/connection.ts";
import { connect } from "../transports/connect.ts";
import { closeQuietly, concat, decoder, encoder } from "./_helpers.ts";

/** The end of every message. */
export const SEPARATOR: Uint8Array = encoder.encode("\r\n\r\n");

/**
 * The server side: writes each message back, separator included. Its result
 * is the message's length.
 */
export class EchoConsumer extends DelimitedConsumer<undefined, number> {
  constructor(maxSize?: number) {
    super(SEPARATOR, { maxSize });
  }

  override messageReceived(message: Uint8Array): number {
    this.transport!.write(message);
    return message.length;
  }
}

/** The client side: its result is the reply without the separator. */
export class ReplyConsumer extends DelimitedConsumer<Request, Uint8Array> {
  constructor(maxSize?: number) {
    super(SEPARATOR, { maxSize });
  }

  override messageReceived(reply: Uint8Array): Uint8Array {
    return reply.slice(0, -SEPARATOR.length);
  }
}

/** A request for `message` (a string is sent as UTF-8) and the separator. */
export function echoRequest(
  address: RequestAddress,
  message: Uint8Array | string,
  options: Omit<RequestOptions, "data"> = {},
): Request<Uint8Array> {
  const bytes = typeof message === "string" ? encoder.encode(message) : message;
  return new Request(address, { ...options, data: concat([bytes, SEPARATOR]) });
}

/** A pooled client for one echo server. */
export class TestClient extends Client {
  #address: RequestAddress;

  constructor(
    address: RequestAddress,
    options: Omit<ClientOptions, "consumerFactory"> = {},
  ) {
    super({ ...options, consumerFactory: () => new ReplyConsumer() });
    this.#address = address;
  }

  /** Sends `message` and resolves with the echo, separator removed. */
  override request(
    message: Uint8Array | string,
    options: Omit<RequestOptions, "data"> = {},
  ): Promise<Uint8Array> {
    return this.response(echoRequest(this.#address, message, options));
  }
}

/** Starts an echo server on a free port, with `options`. */
export async function startEchoServer(
  options: Partial<ServerOptions> = {},
): Promise<Server> {
  const server = new Server({
    consumerFactory: () => new EchoConsumer(),
    ...options,
  });
  await server.start();
  return server;
}

/**
 * An echo consumer that answers after 0 to 200 ms (one message per read, as
 * a client sending one request at a time writes it).
 */
export class DelayedEchoConsumer extends EchoConsumer {
  #timer: ReturnType<typeof setTimeout> | undefined;

  override dataReceived(data: Uint8Array): Uint8Array | void {
    const copy = data.slice();
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (!this.transport?.isClosing()) super.dataReceived(copy);
    }, Math.random() * 200);
  }

  override connectionLost(error?: Error): void {
    clearTimeout(this.#timer);
    super.connectionLost(error);
  }
}

/**
 * Sends one echo message over a raw connection and reads back as many bytes
 * (fewer if the server closes first).
 */
export async function echo(conn: Deno.Conn, message: string): Promise<string> {
  const wire = `${message}\r\n\r\n`;
  await conn.write(encoder.encode(wire));
  const buf = new Uint8Array(wire.length);
  let got = 0;
  while (got < wire.length) {
    const n = await conn.read(buf.subarray(got));
    if (n === null) break;
    got += n;
  }
  return decoder.decode(buf.subarray(0, got));
}

/**
 * A listener on 127.0.0.1 that accepts every connection and keeps it in
 * `peers` (for a test to close) until disposed.
 */
export function keepingListener(): {
  port: number;
  peers: Deno.Conn[];
  [Symbol.asyncDispose](): Promise<void>;
} {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const peers: Deno.Conn[] = [];
  const accepting = (async () => {
    try {
      for await (const conn of listener) peers.push(conn);
    } catch {
      // Closed.
    }
  })();
  return {
    port: listener.addr.port,
    peers,
    async [Symbol.asyncDispose]() {
      listener.close();
      await accepting;
      for (const peer of peers) {
        closeQuietly(peer);
      }
    },
  };
}

/** A `ConnectionPool`'s `connect`: a plain `Connection` to `port`. */
export async function connectTo(
  port: number,
  signal?: AbortSignal,
): Promise<Connection> {
  const [, connection] = await connect(() => new Connection(), {
    port,
    signal,
  });
  return connection;
}

/** A port on 127.0.0.1 nothing listens on: connects to it are refused. */
export function refusedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  return port;
}
