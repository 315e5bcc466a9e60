// Copyright 2026 the pulsar for Deno authors. MIT license.
// A worker module whose createServer() returns something else.
export function createServer(): { port: number } {
  return { port: 1 };
}
