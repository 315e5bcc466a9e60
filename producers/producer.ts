// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * `Producer`: what builds connections and consumers, and carries the hooks.
 *
 * @module
 */

import type { ErrorHandler, ErrorReport } from "../errors.ts";
import { CONNECTION_EVENTS, CONSUMER_EVENTS } from "../internal/event_names.ts";
import { reportError as reportTo } from "../internal/report.ts";
import {
  Connection,
  type ConnectionEvents,
  type ConnectionOptions,
} from "../protocols/connection.ts";
import {
  EventHandler,
  type EventName,
  type EventNames,
} from "../protocols/events.ts";
import type {
  ConsumerEvents,
  ConsumerFactory,
  ProtocolConsumer,
} from "../protocols/protocol_consumer.ts";
import type { ProducerInterface } from "../protocols/producer_interface.ts";
import {
  checkDuration,
  checkFunction,
  checkObject,
} from "../internal/validate.ts";

/**
 * The hooks of a producer, all many-times, each reaching every connection or
 * consumer it creates: the events of a connection (owner: the connection)
 * and of a consumer (owner: the consumer).
 */
export type ProducerEvents = ConnectionEvents & ConsumerEvents;

/** The hooks every producer has: every connection and consumer event. */
const PRODUCER_HOOKS: readonly EventName<ProducerEvents>[] = [
  ...CONNECTION_EVENTS.oneTime,
  ...CONNECTION_EVENTS.manyTimes,
  ...CONSUMER_EVENTS.oneTime,
  ...CONSUMER_EVENTS.manyTimes,
];

/** Builds a connection from the producer's options. */
export type ConnectionFactory = (options: ConnectionOptions) => Connection;

/** Options of a `Producer`. */
export interface ProducerOptions {
  /**
   * Builds each connection.
   *
   * @default {(options) => new Connection(options)}
   */
  connectionFactory?: ConnectionFactory;
  /**
   * The idle timeout of each connection, in milliseconds; 0 or `Infinity`
   * for none.
   *
   * @default {0}
   */
  idleTimeout?: number;
  /**
   * Receives the errors of user code that has no caller: handlers of its
   * events and hooks (source `event <name>`), and on its connections the
   * consumer factory and consumers' `dataReceived` and `connectionLost`
   * (each costs its connection only), with the peer's address. Without
   * it, each is one `console.error` line.
   */
  onError?: ErrorHandler;
}

/**
 * What servers and clients share: it builds connections and consumers and
 * carries the hooks that reach them: a connection it builds (with
 * `connectionFactory`) gets its idle timeout and hooks, and
 * `buildConsumer()` copies its many-times handlers onto each consumer.
 * Tracking the connections is a server's business (`ConnectionProducer`).
 *
 * @typeParam E The event map, the producer hooks included.
 * @typeParam OneTime The names of its one-time events.
 *
 * @example Hooks reach the consumers a producer builds
 * ```ts
 * import { Producer } from "@pulsar/net/producers";
 * import { ProtocolConsumer } from "@pulsar/net/protocols";
 * import { assertEquals } from "@std/assert";
 *
 * class Noop extends ProtocolConsumer {
 *   override dataReceived(_data: Uint8Array): void {
 *     this.finished("ok");
 *   }
 * }
 * const producer = new Producer();
 * const seen: unknown[] = [];
 * producer.bindEvent("postRequest", (_consumer, result) => seen.push(result));
 * const consumer = producer.buildConsumer(() => new Noop());
 * consumer.dataReceived(new Uint8Array(1));
 * assertEquals(seen, ["ok"]);
 * ```
 */
export class Producer<
  E extends ProducerEvents & { [K in keyof E]: readonly [unknown, unknown] } =
    ProducerEvents,
  OneTime extends EventName<E> = never,
> extends EventHandler<E, OneTime> implements ProducerInterface {
  /** Builds each connection. */
  readonly connectionFactory: ConnectionFactory;
  /**
   * The idle timeout of each connection, in milliseconds; 0 or `Infinity`
   * for none.
   */
  readonly idleTimeout: number;
  /** Receives the errors of user code that has no caller, if set. */
  readonly onError: ErrorHandler | undefined;

  /**
   * Builds a producer.
   *
   * @param options `connectionFactory`, `idleTimeout`, `onError`.
   * @param names The events of a subclass, beyond the hooks (which every
   * producer has).
   * @throws {TypeError} If an option has the wrong type.
   * @throws {RangeError} If `idleTimeout` is `NaN` or negative.
   */
  constructor(
    options: ProducerOptions = {},
    names?: EventNames<E, OneTime>,
  ) {
    super(withHooks(names) as unknown as EventNames<E, OneTime>);
    checkObject("options", options);
    this.idleTimeout = options.idleTimeout === undefined
      ? 0
      : checkDuration("idleTimeout", options.idleTimeout);
    this.connectionFactory = options.connectionFactory === undefined
      ? newConnection
      : checkFunction<ConnectionFactory>(
        "connectionFactory",
        options.connectionFactory,
      );
    this.onError = options.onError === undefined
      ? undefined
      : checkFunction<ErrorHandler>("onError", options.onError);
  }

  /**
   * Builds a consumer with `factory` and copies this producer's many-times
   * handlers onto it.
   *
   * @typeParam C The consumer type.
   * @param factory The consumer factory.
   * @returns The consumer.
   */
  buildConsumer<C extends ProtocolConsumer>(factory: ConsumerFactory<C>): C {
    const consumer = factory();
    consumer.copyManyTimesEvents(this);
    return consumer;
  }

  /**
   * Builds a connection with `connectionFactory`, this producer's idle
   * timeout, and its many-times handlers copied on: what servers and
   * clients both do before handing it to a transport.
   *
   * @param session The connection's number.
   * @param consumerFactory Builds the consumer for each request read
   * (server side).
   * @returns The connection.
   */
  protected buildConnection(
    session: number,
    consumerFactory?: ConsumerFactory,
  ): Connection {
    const connection = this.connectionFactory({
      session,
      consumerFactory,
      producer: this,
      idleTimeout: this.idleTimeout,
    });
    connection.copyManyTimesEvents(this);
    return connection;
  }

  /**
   * Reports an error that has no caller to `onError`, or as one
   * `console.error` line without it.
   *
   * @param report What failed, and where.
   */
  protected override reportError(report: ErrorReport): void {
    reportTo(this.onError, report);
  }

  /**
   * Whether a connection may serve another request after `response`. True by
   * default; override to close connections after certain responses.
   *
   * @param _connection The connection.
   * @param _response The response just produced.
   * @returns Whether to reuse the connection.
   */
  canReuseConnection(_connection: Connection, _response: unknown): boolean {
    return true;
  }
}

/** The default connection factory. */
function newConnection(options: ConnectionOptions): Connection {
  return new Connection(options);
}

/** Event names, whatever the events. */
interface Names {
  readonly oneTime: readonly string[];
  readonly manyTimes: readonly string[];
}

/**
 * A producer's event names: its own and the hooks. Built once per names
 * object (a subclass passes a constant), not once per producer.
 */
const namesWithHooks = new WeakMap<Names, Names>();
const NO_NAMES: Names = { oneTime: [], manyTimes: [] };

function withHooks(names: Names | undefined): Names {
  const own = names ?? NO_NAMES;
  let merged = namesWithHooks.get(own);
  if (merged === undefined) {
    merged = {
      oneTime: own.oneTime,
      manyTimes: [...PRODUCER_HOOKS, ...own.manyTimes],
    };
    namesWithHooks.set(own, merged);
  }
  return merged;
}
