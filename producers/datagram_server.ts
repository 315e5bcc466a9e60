// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * `DatagramServer`: a UDP server driven by one datagram protocol.
 *
 * @module
 */

import type { ErrorHandler, ErrorReport } from "../errors.ts";
import { reportError as reportTo } from "../internal/report.ts";
import { EventHandler } from "../protocols/events.ts";
import type { DatagramProtocolInterface } from "../transports/protocol_interface.ts";
import type { DatagramTransport } from "../transports/datagram_transport.ts";
import { listenDatagram } from "../transports/listen_datagram.ts";
import { checkFunction, checkObject } from "../internal/validate.ts";
import { checkOptionalString, checkPort } from "../transports/_options.ts";

/** The events of a datagram server: one-time `start` and `stop`. */
export type DatagramServerEvents = {
  start: [owner: DatagramServer, data: DatagramServer];
  stop: [owner: DatagramServer, data: DatagramServer];
};

/** Options of a `DatagramServer`. */
export interface DatagramServerOptions {
  /** Builds the protocol that receives the datagrams. */
  protocolFactory: () => DatagramProtocolInterface;
  /**
   * The address to bind.
   *
   * @default {"127.0.0.1"}
   */
  hostname?: string;
  /**
   * The port to bind; 0 picks a free one.
   *
   * @default {0}
   */
  port?: number;
  /**
   * A name for messages.
   *
   * @default {"datagram server"}
   */
  name?: string;
  /**
   * Receives the errors of user code that has no caller: handlers of the
   * server's events (source `event <name>`) and, through
   * `listenDatagram()`, the protocol's callbacks. Without it, each is one
   * `console.error` line.
   */
  onError?: ErrorHandler;
}

/**
 * A UDP server: one socket, one protocol (from `protocolFactory`) that gets
 * every datagram and answers with `transport.sendto()`. Deno needs
 * `--unstable-net`.
 *
 * @example A UDP echo server
 * ```ts
 * import { DatagramServer } from "@pulsar/net/producers";
 * import { DatagramProtocol } from "@pulsar/net/protocols";
 * import { assertEquals } from "@std/assert";
 *
 * class Echo extends DatagramProtocol {
 *   override datagramReceived(data: Uint8Array, addr: Deno.NetAddr): void {
 *     this.transport!.sendto(data, addr);
 *   }
 * }
 * await using server = new DatagramServer({ protocolFactory: () => new Echo() });
 * await server.start();
 * const peer = Deno.listenDatagram({
 *   transport: "udp",
 *   hostname: "127.0.0.1",
 *   port: 0,
 * });
 * try {
 *   await peer.send(new TextEncoder().encode("ping"), server.localAddr);
 *   const [reply] = await peer.receive();
 *   assertEquals(new TextDecoder().decode(reply), "ping");
 * } finally {
 *   peer.close();
 * }
 * ```
 */
export class DatagramServer
  extends EventHandler<DatagramServerEvents, "start" | "stop"> {
  #options: DatagramServerOptions;
  #transport: DatagramTransport | undefined;
  #closing: Promise<void> | undefined;

  /**
   * Builds the server; `start()` binds it.
   *
   * @param options `protocolFactory`, the address, a `name` and `onError`.
   * @throws {TypeError} If `protocolFactory` or `onError` is not a function,
   * or another option has the wrong type.
   * @throws {RangeError} If `port` is not an integer from 0 to 65535.
   */
  constructor(options: DatagramServerOptions) {
    checkObject("options", options);
    checkFunction("protocolFactory", options.protocolFactory);
    checkOptionalString("hostname", options.hostname);
    if (options.port !== undefined) checkPort("port", options.port, 0);
    checkOptionalString("name", options.name);
    if (options.onError !== undefined) {
      checkFunction("onError", options.onError);
    }
    super({ oneTime: ["start", "stop"], manyTimes: [] });
    this.#options = options;
  }

  /** The server's name, for messages. */
  get name(): string {
    return this.#options.name ?? "datagram server";
  }

  /** The socket's transport, once started. */
  get transport(): DatagramTransport | undefined {
    return this.#transport;
  }

  /**
   * The bound address, once started.
   *
   * @throws {Error} If the server has not started.
   */
  get localAddr(): Deno.NetAddr {
    if (this.#transport === undefined) {
      throw new Error(`Cannot get the address of ${this.name}: not started`);
    }
    return this.#transport.localAddr as Deno.NetAddr;
  }

  /**
   * The bound port, once started (with port 0, the one picked).
   *
   * @throws {Error} If the server has not started.
   */
  get port(): number {
    return this.localAddr.port;
  }

  /**
   * Binds the socket and fires `start`. Idempotent.
   *
   * @returns A promise settled once bound; it rejects (`start()` never
   * throws), leaving no socket open.
   * @throws {AddrInUseError} If the address is taken.
   * @throws {ListenError} If it cannot bind for another reason; `cause` is
   * Deno's error.
   * @throws {Error} If the server was closed, or what `protocolFactory` or
   * the protocol's `connectionMade` threw.
   * @throws {TypeError} If Deno runs without `--unstable-net`.
   */
  start(): Promise<void> {
    if (this.#closing !== undefined) {
      return Promise.reject(
        new Error(`Cannot start ${this.name}: it was closed`),
      );
    }
    if (this.#transport === undefined) {
      const { protocolFactory, hostname, port, onError } = this.#options;
      try {
        [this.#transport] = listenDatagram(protocolFactory, {
          hostname,
          port,
          onError,
        });
      } catch (error) {
        return Promise.reject(error);
      }
      this.fireEvent("start", this);
    }
    return Promise.resolve();
  }

  /**
   * Closes the socket once pending sends are done, then fires `stop`.
   * Idempotent.
   *
   * @returns A promise settled once closed.
   */
  close(): Promise<void> {
    return this.#closing ??= (async () => {
      this.#transport?.close();
      await this.#transport?.closed;
      this.fireEvent("stop", this);
    })();
  }

  /**
   * Reports an error that has no caller to `onError`, or as one
   * `console.error` line without it.
   *
   * @param report What failed, and where.
   */
  protected override reportError(report: ErrorReport): void {
    reportTo(this.#options.onError, report);
  }

  /**
   * Closes the server, as `close()` does.
   *
   * @returns A promise settled once closed.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
