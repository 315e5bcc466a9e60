// Copyright 2026 the pulsar for Deno authors. MIT license.
// The module's web streams face as an echo server: listenStreams() with each
// connection's readable piped to its writable. Compared in the bench with
// raw_streams_echo.ts (Deno's own conn.readable piped to conn.writable).
// Usage: deno run --allow-net bench/servers/streams_echo.ts PORT
import { listenStreams } from "../../mod.ts";

const server = listenStreams(
  ({ readable, writable }) => readable.pipeTo(writable).catch(() => {}),
  { port: Number(Deno.args[0] ?? 0) },
);
console.log(`listening on 127.0.0.1:${server.port}`);
