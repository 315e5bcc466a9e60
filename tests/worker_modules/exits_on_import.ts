// Copyright 2026 the pulsar for Deno authors. MIT license.
// A worker module that ends its worker while it is imported.
Deno.exit(2);
