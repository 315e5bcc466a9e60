// Copyright 2026 the pulsar for Deno authors. MIT license.
// Pulsar's echo server on Node's net module: buffers until "\r\n\r\n" and
// writes each message back whole.
// Usage: node bench/servers/node_echo.mjs PORT
import net from "node:net";

const SEPARATOR = Buffer.from("\r\n\r\n");
const server = net.createServer({ noDelay: true }, (socket) => {
  let pending = Buffer.alloc(0);
  socket.on("data", (chunk) => {
    const data = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    let start = 0;
    let end;
    while ((end = data.indexOf(SEPARATOR, start)) >= 0) {
      socket.write(data.subarray(start, end + 4));
      start = end + 4;
    }
    pending = start < data.length ? data.subarray(start) : Buffer.alloc(0);
  });
  socket.on("error", () => {});
});
server.listen(Number(process.argv[2] ?? 0), "127.0.0.1", () => {
  console.log(`listening on 127.0.0.1:${server.address().port}`);
});
