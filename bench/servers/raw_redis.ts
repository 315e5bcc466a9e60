// Copyright 2026 the pulsar for Deno authors. MIT license.
// The baseline of the Redis server benchmark: the example's own request
// reader, store and replies (examples/redis/), on raw Deno sockets instead of
// @pulsar/net: a conn.read()/conn.write() loop per connection, every command
// of a read run, their replies written at once. What it costs above
// redis-server is Deno's; what the example costs above it is the module's.
// Usage: deno run --allow-net bench/servers/raw_redis.ts PORT
import { ReplyBuffer } from "../../examples/redis/reply_buffer.ts";
import { RequestReader } from "../../examples/redis/request_reader.ts";
import { RedisStore } from "../../examples/redis/store.ts";

const store = new RedisStore();

async function serve(conn: Deno.TcpConn): Promise<void> {
  conn.setNoDelay(true);
  const reader = new RequestReader();
  const replies = new ReplyBuffer();
  const out: Uint8Array[] = [];
  const sink = { write: (bytes: Uint8Array) => out.push(bytes) };
  let buffer = new Uint8Array(16 * 1024);
  try {
    while (true) {
      // The reader keeps views of what it buffers: a new buffer then.
      if (reader.partial) buffer = new Uint8Array(16 * 1024);
      const n = await conn.read(buffer);
      if (n === null) break;
      reader.push(buffer.subarray(0, n));
      let close = false;
      for (let args = reader.read(); args !== undefined; args = reader.read()) {
        if (store.execute(args, replies) === "close") {
          close = true;
          break;
        }
      }
      replies.writeTo(sink);
      for (const part of out) {
        let written = 0;
        while (written < part.length) {
          written += await conn.write(part.subarray(written));
        }
      }
      out.length = 0;
      if (close) break;
    }
  } catch {
    // A protocol error or a reset: the connection ends.
  } finally {
    try {
      conn.close();
    } catch {
      // Already closed.
    }
  }
}

const listener = Deno.listen({
  hostname: "127.0.0.1",
  port: Number(Deno.args[0] ?? 0),
});
console.log(`Raw Redis server listening on 127.0.0.1:${listener.addr.port}`);
for await (const conn of listener) serve(conn);
