// Copyright 2026 the pulsar for Deno authors. MIT license.
// The demo's own test: it runs as `deno task demo` runs it.
import { assertEquals, assertMatch } from "@std/assert";
import { runExample } from "./_testing.ts";

Deno.test("examples/demo.ts gets every echo right, then closes the server and the client", async () => {
  const { code, stdout, stderr } = await runExample("demo.ts");
  assertEquals(code, 0, stderr);
  assertMatch(stdout, /ping -> "ping"/);
  assertMatch(stdout, /1 MiB payload echoed intact/);
  assertMatch(stdout, /1000 requests, 100 at once over a pool of 10: 0 wrong/);
  assertMatch(stdout, /closed: server open connections 0, client idle 0/);
});
