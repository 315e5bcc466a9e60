// Copyright 2026 the pulsar for Deno authors. MIT license.
// The baseline: an echo server on raw Deno sockets, a conn.read()/conn.write()
// loop with a 64 KiB buffer (or READ_SIZE bytes: the idle-memory floor is
// measured with a tiny one). It finds pulsar's "\r\n\r\n" framing in what
// it reads (as the module's server must) and writes every byte back.
// Usage: deno run --allow-net bench/servers/raw_echo.ts PORT [READ_SIZE]
const SEPARATOR = [13, 10, 13, 10];

/** Scans a chunk for separators; returns how many end in it and the state. */
function scan(buf: Uint8Array, n: number, matched: number): [number, number] {
  let messages = 0;
  let i = 0;
  while (i < n) {
    if (matched === 0) {
      const next = buf.indexOf(13, i);
      if (next < 0 || next >= n) break;
      i = next;
    }
    matched = buf[i] === SEPARATOR[matched]
      ? matched + 1
      : buf[i] === 13
      ? 1
      : 0;
    if (matched === 4) {
      messages++;
      matched = 0;
    }
    i++;
  }
  return [messages, matched];
}

async function serve(conn: Deno.TcpConn): Promise<void> {
  conn.setNoDelay(true);
  const buf = new Uint8Array(readSize);
  let matched = 0;
  try {
    while (true) {
      const n = await conn.read(buf);
      if (n === null) break;
      [, matched] = scan(buf, n, matched);
      let written = 0;
      while (written < n) written += await conn.write(buf.subarray(written, n));
    }
  } catch {
    // Reset by the peer: nothing to do.
  } finally {
    try {
      conn.close();
    } catch {
      // Already closed.
    }
  }
}

const readSize = Number(Deno.args[1] ?? 65536);
const listener = Deno.listen({
  hostname: "127.0.0.1",
  port: Number(Deno.args[0] ?? 0),
});
console.log(`listening on 127.0.0.1:${listener.addr.port}`);
for await (const conn of listener) serve(conn);
