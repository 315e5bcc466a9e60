// Copyright 2026 the pulsar for Deno authors. MIT license.
// A worker module that blocks its worker for 1.5 s while it is imported.
const end = Date.now() + 1500;
while (Date.now() < end) { /* blocked */ }
export function createServer(): never {
  throw new Error("not reached in the test: the worker is deemed hung");
}
