// Copyright 2026 the pulsar for Deno authors. MIT license.
// Telling "connectionMade threw" from "connectionMade closed the transport".

/** What `connectionMade` threw, if it threw. */
export type Thrown = { error: unknown } | undefined;

/**
 * Runs `start`, which builds a transport for `protocol` (and so calls its
 * `connectionMade`), and reports what `connectionMade` threw. A transport
 * catches that error and aborts itself, which a caller cannot tell from a
 * protocol that closed the transport on purpose; `connect()` and
 * `listenDatagram()` must fail with the error instead of handing back a
 * closed transport.
 *
 * The protocol's own `connectionMade` runs as is, on the protocol itself:
 * only for the duration of `start` is a wrapper set on the instance.
 */
export function startWatching<T>(
  protocol: { connectionMade(transport: never): void },
  start: () => T,
): [T, Thrown] {
  let thrown: Thrown;
  const target = protocol as Record<string, unknown>;
  const own = Object.hasOwn(target, "connectionMade");
  const original = target.connectionMade as (transport: unknown) => void;
  let watching = false;
  try {
    target.connectionMade = function (this: unknown, transport: unknown) {
      try {
        return original.call(this, transport);
      } catch (error) {
        thrown = { error };
        throw error;
      }
    };
    watching = true;
  } catch {
    // A frozen protocol: start it unwatched.
  }
  try {
    const result = start();
    return [result, thrown];
  } finally {
    if (watching) {
      if (own) target.connectionMade = original;
      else delete target.connectionMade;
    }
  }
}
