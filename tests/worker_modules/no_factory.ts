// Copyright 2026 the pulsar for Deno authors. MIT license.
// A worker module without a createServer export.
export function makeServer(): void {}
