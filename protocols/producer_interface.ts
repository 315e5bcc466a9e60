// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * `ProducerInterface`: what a connection and its consumers need of the
 * producer (server or client) that made them.
 *
 * @module
 */

import type { ErrorHandler } from "../errors.ts";
import type {
  ConsumerConnection,
  ConsumerFactory,
  ProtocolConsumer,
} from "./protocol_consumer.ts";

/**
 * What builds consumers for a connection: a producer (server or client). It
 * copies its many-times event handlers onto each consumer it builds, and
 * receives the errors of their user code.
 */
export interface ProducerInterface {
  /**
   * Receives the errors of user code that has no caller, on the
   * connections and consumers of this producer: event handlers, consumer
   * factories, consumers' `dataReceived` and `connectionLost`. Without it,
   * each is one `console.error` line.
   */
  readonly onError?: ErrorHandler | undefined;
  /**
   * Builds a consumer with `factory`, copying the producer's hooks onto it.
   *
   * @param factory The factory to call.
   * @returns The new consumer.
   */
  buildConsumer<C extends ProtocolConsumer>(factory: ConsumerFactory<C>): C;
  /**
   * Called by a connection this producer made, once it is lost, before its
   * `connectionLost` event fires.
   *
   * @param connection The connection lost.
   */
  forgetConnection?(connection: ConsumerConnection): void;
}
