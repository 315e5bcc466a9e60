// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * `ConnectionProducer`: a producer that keeps track of its connections (the
 * server side).
 *
 * @module
 */

import type { Connection } from "../protocols/connection.ts";
import type { EventName } from "../protocols/events.ts";
import type { ConsumerFactory } from "../protocols/protocol_consumer.ts";
import { checkFunction } from "../internal/validate.ts";
import { Producer, type ProducerEvents } from "./producer.ts";

/**
 * A producer that numbers and tracks the connections it creates, as a
 * server does: `sessions` counts them, `connections` holds the live ones,
 * `requestsProcessed` counts the consumers they have finished, and
 * `closeConnections()` closes them all.
 *
 * @typeParam E The event map, the producer hooks included.
 * @typeParam OneTime The names of its one-time events.
 *
 * @example Count connections and requests
 * ```ts
 * import { ConnectionProducer } from "@pulsar/net/producers";
 * import { assertEquals } from "@std/assert";
 *
 * const producer = new ConnectionProducer();
 * const connection = producer.newConnection();
 * assertEquals(connection.session, 1);
 * assertEquals(producer.sessions, 1);
 * assertEquals(producer.concurrentConnections, 1);
 * connection.connectionLost();
 * assertEquals(producer.concurrentConnections, 0);
 * ```
 */
export class ConnectionProducer<
  E extends ProducerEvents & { [K in keyof E]: readonly [unknown, unknown] } =
    ProducerEvents,
  OneTime extends EventName<E> = never,
> extends Producer<E, OneTime> {
  #sessions = 0;
  #connections = new Set<Connection>();
  /** Requests finished by connections already closed. */
  #processedByClosed = 0;

  /** The number of connections created so far. */
  get sessions(): number {
    return this.#sessions;
  }

  /** The live connections. */
  get connections(): ReadonlySet<Connection> {
    return this.#connections;
  }

  /** The number of live connections. */
  get concurrentConnections(): number {
    return this.#connections.size;
  }

  /** The number of requests (consumers) finished on its connections. */
  get requestsProcessed(): number {
    let total = this.#processedByClosed;
    for (const connection of this.#connections) total += connection.processed;
    return total;
  }

  /**
   * Creates a connection numbered with the next session, with this
   * producer's idle timeout and hooks; it is tracked until lost.
   *
   * @param consumerFactory The factory of the connection's consumers.
   * @returns The connection, ready to be given to a transport.
   * @throws {TypeError} If `consumerFactory` is given and not a function.
   */
  newConnection(consumerFactory?: ConsumerFactory): Connection {
    if (consumerFactory !== undefined) {
      checkFunction("consumerFactory", consumerFactory);
    }
    const connection = this.buildConnection(++this.#sessions, consumerFactory);
    this.#connections.add(connection);
    return connection;
  }

  /**
   * Closes every live connection (flushing their writes) and waits for them.
   *
   * @returns A promise settled once all are closed.
   */
  async closeConnections(): Promise<void> {
    const closing = [...this.#connections].map((connection) => {
      connection.close();
      return connection.closed;
    });
    await Promise.all(closing);
  }

  /**
   * Stops tracking a connection: called by the connection once lost (so the
   * counters are up to date when its `connectionLost` event fires), or for
   * one that never connected. Subclasses extend it to react (a server
   * resumes accepting).
   *
   * @param connection The connection.
   */
  forgetConnection(connection: Connection): void {
    if (!this.#connections.delete(connection)) return;
    this.#processedByClosed += connection.processed;
  }
}
