// Copyright 2026 the pulsar for Deno authors. MIT license.
// What the factories (connect(), listen(), listenDatagram()) may do to a
// transport that its users may not: start it at once, and learn when it
// has closed without a promise per transport.

/** What `connectionMade` threw, if it threw. */
export type Thrown = { error: unknown } | undefined;

/** The transport operations only the factories use, set by `Transport`. */
export interface TransportInternals {
  /** See `startNow`. */
  start(transport: object): Thrown;
  /** See `onClosed`. */
  setOnClosed(transport: object, hook: (transport: never) => void): void;
}

let internals: TransportInternals | undefined;

/**
 * Called once by `Transport`'s static block: how to reach its private
 * members. One function for all transports, not a closure per transport.
 */
export function setTransportInternals(value: TransportInternals): void {
  internals = value;
}

/**
 * Starts `transport` now, rather than in the microtask its constructor
 * queued: calls its protocol's `connectionMade`, then starts reading.
 * `connect()`, `listen()` and `listenDatagram()` call it right after
 * building a transport, so they know at once whether `connectionMade`
 * threw: a transport aborts itself then, which a caller cannot tell from a
 * protocol that closed the transport on purpose.
 *
 * @returns What `connectionMade` threw (the transport is then aborted with
 * it), or `undefined`, also when the transport had already started.
 */
export function startNow(transport: object): Thrown {
  return internals!.start(transport);
}

/**
 * Has `hook(transport)` called once the transport has closed, right before
 * `closed` settles: what `listen()` uses to forget a transport, with one
 * hook for all its transports instead of a promise reaction each.
 */
export function onClosed<T extends object>(
  transport: T,
  hook: (transport: T) => void,
): void {
  internals!.setOnClosed(transport, hook as (transport: never) => void);
}
