// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * `ProducerInterface`: what a connection and its consumers need of the
 * producer (server or client) that made them.
 *
 * @module
 */

import type {
  ConsumerConnection,
  ConsumerFactory,
  ProtocolConsumer,
} from "./protocol_consumer.ts";

/**
 * What builds consumers for a connection: a producer (server or client). It
 * copies its many-times event handlers onto each consumer it builds.
 */
export interface ProducerInterface {
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
