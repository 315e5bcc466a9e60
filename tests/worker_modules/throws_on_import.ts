// Copyright 2026 the pulsar for Deno authors. MIT license.
// A worker module that fails while it is imported.
throw new Error("this module cannot be loaded");
