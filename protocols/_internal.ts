// Copyright 2026 the pulsar for Deno authors. MIT license.
// Keys of the methods by which Connection and ProtocolConsumer cooperate;
// not exported from the package, so users cannot call them.

/** `consumer[kAttach](connection)`: the consumer now runs on `connection`. */
export const kAttach: unique symbol = Symbol("pulsar.attach");

/** `connection[kFinished](consumer)`: `consumer` has finished. */
export const kFinished: unique symbol = Symbol("pulsar.finished");

/**
 * `connection[kReport](report)`: a consumer reports an error without a
 * caller through its connection (which adds the peer's address and reaches
 * its producer's `onError`).
 */
export const kReport: unique symbol = Symbol("pulsar.report");

/**
 * `consumer[kReceived](n)`: its connection handed `n` bytes to the
 * consumer's `dataReceived`.
 */
export const kReceived: unique symbol = Symbol("pulsar.received");

/**
 * `consumer[kWatch](watcher)`: once the consumer has finished (after its
 * connection learnt it), it calls `watcher.consumerFinished(consumer,
 * result, error)`, synchronously: how a client settles a request without a
 * promise per consumer.
 */
export const kWatch: unique symbol = Symbol("pulsar.watch");

/** What `kWatch` takes: called once, when the consumer has finished. */
export interface FinishWatcher {
  /** The consumer finished with `result`, or with `error` if not undefined. */
  consumerFinished(consumer: unknown, result: unknown, error: unknown): void;
}

/**
 * `connection[kCork]()`: the connection's writes are held until the end of
 * the current microtask turn, so a client's requests pipelined in one turn
 * go to the socket in one write.
 */
export const kCork: unique symbol = Symbol("pulsar.cork");

/**
 * `connection[kCorked]`: whether the connection's writes are held until the
 * end of this turn (what was written in it has not reached the socket).
 */
export const kCorked: unique symbol = Symbol("pulsar.corked");

/**
 * Key of `Connection`'s method that sets the one watcher it tells once it
 * has closed (its pool): no promise and closure per pooled connection.
 */
export const kWatchClosed: unique symbol = Symbol("pulsar.watchClosed");

/** What a connection tells once it has closed (`kWatchClosed`). */
export interface ClosedWatcher {
  connectionClosed(connection: unknown): void;
}
