// Copyright 2026 the pulsar for Deno authors. MIT license.
// A worker module whose createServer() throws.
export function createServer(): never {
  throw new Error("no server today");
}
