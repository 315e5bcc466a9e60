// Copyright 2026 the pulsar for Deno authors. MIT license.
// The baseline of the streams rows: each connection's conn.readable piped to
// its conn.writable, Deno's own web streams over a socket.
// Usage: deno run --allow-net bench/servers/raw_streams_echo.ts PORT
const listener = Deno.listen({
  hostname: "127.0.0.1",
  port: Number(Deno.args[0] ?? 0),
});
console.log(`listening on 127.0.0.1:${listener.addr.port}`);
for await (const conn of listener) {
  conn.setNoDelay(true);
  // Deno closes the connection when its readable ends; a reset rejects.
  conn.readable.pipeTo(conn.writable).catch(() => {});
}
