// Copyright 2026 the pulsar for Deno authors. MIT license.
// UDP echo on Node's dgram module.
// Usage: node bench/servers/node_echo_udp.mjs PORT
import dgram from "node:dgram";

const socket = dgram.createSocket("udp4");
socket.on(
  "message",
  (msg, rinfo) => socket.send(msg, rinfo.port, rinfo.address),
);
socket.bind(Number(process.argv[2] ?? 0), "127.0.0.1", () => {
  console.log(`listening on 127.0.0.1:${socket.address().port}`);
});
