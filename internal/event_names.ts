// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * The names of the events of connections and consumers, as values. Each
 * event map type (`ConnectionEvents`, `ConsumerEvents`) is the one
 * declaration of its events; these lists are checked against it, so a name
 * added to, removed from or misspelt in either is a compile error. A
 * producer's hooks, and a request's handlers, are these names.
 *
 * @module
 */

import type {
  ConnectionEvents,
  ConnectionOneTimeEvents,
} from "../protocols/connection.ts";
import type { EventName, EventNames } from "../protocols/events.ts";
import type {
  ConsumerEvents,
  ConsumerOneTimeEvents,
} from "../protocols/protocol_consumer.ts";

/** The events of `E` that `N` does not list: `never` when it lists all. */
type Unlisted<
  E,
  N extends { oneTime: readonly string[]; manyTimes: readonly string[] },
> = Exclude<EventName<E>, N["oneTime"][number] | N["manyTimes"][number]>;

/** `N` if it lists every event of `E`; otherwise a type `N` cannot have. */
type Complete<
  E,
  N extends { oneTime: readonly string[]; manyTimes: readonly string[] },
> = [Unlisted<E, N>] extends [never] ? N : { unlisted: Unlisted<E, N> };

const connection = {
  oneTime: ["connectionMade", "connectionLost"],
  manyTimes: [],
} as const satisfies EventNames<ConnectionEvents, ConnectionOneTimeEvents>;

/** The names of a connection's events, by kind. */
export const CONNECTION_EVENTS: Complete<ConnectionEvents, typeof connection> =
  connection;

const consumer = {
  oneTime: ["preRequest", "postRequest"],
  manyTimes: ["dataReceived", "dataProcessed"],
} as const satisfies EventNames<ConsumerEvents, ConsumerOneTimeEvents>;

/** The names of a consumer's events, by kind. */
export const CONSUMER_EVENTS: Complete<ConsumerEvents, typeof consumer> =
  consumer;
