// Copyright 2026 the pulsar for Deno authors. MIT license.
// What the factories (connect(), listen(), listenDatagram()) may do to a
// transport that its users may not: start it at once.

/** What `connectionMade` threw, if it threw. */
export type Thrown = { error: unknown } | undefined;

/** How to start each transport, registered by its constructor. */
const starters = new WeakMap<object, () => Thrown>();

/** Called by the `Transport` constructor: how to start `transport`. */
export function registerStart(transport: object, start: () => Thrown): void {
  starters.set(transport, start);
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
  return starters.get(transport)?.();
}
