// Copyright 2026 the pulsar for Deno authors. MIT license.
// The UDP baseline: a receive()/send() loop over one reused buffer.
// Usage: deno run --allow-net --unstable-net bench/servers/raw_echo_udp.ts PORT
const conn = Deno.listenDatagram({
  hostname: "127.0.0.1",
  port: Number(Deno.args[0] ?? 0),
  transport: "udp",
});
console.log(`listening on 127.0.0.1:${(conn.addr as Deno.NetAddr).port}`);
const buf = new Uint8Array(65507);
while (true) {
  const [data, addr] = await conn.receive(buf);
  await conn.send(data, addr);
}
