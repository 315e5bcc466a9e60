// Copyright 2026 the pulsar for Deno authors. MIT license.
// Keys of the methods by which Client and ConnectionPool cooperate; not
// exported from the package, so users cannot call them.

/**
 * Key of `ConnectionPool`'s `acquire()` for a caller whose `tryAcquire()`
 * has just found no connection ready (in the same turn, with no options):
 * it opens a connection or waits, without checking and searching again.
 */
export const kAcquireAfterTry: unique symbol = Symbol("pulsar.acquireAfterTry");
