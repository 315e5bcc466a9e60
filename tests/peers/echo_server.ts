// Copyright 2026 the pulsar for Deno authors. MIT license.
// The tests' echo server (tests/_fixtures.ts) in a process of its own,
// except that a message starting with "slow:" is answered after 2 s: a test
// can then kill it with requests in flight. Prints the address it listens
// on.
//
//   deno run --allow-net --allow-read tests/peers/echo_server.ts PORT
import { EchoConsumer, startEchoServer } from "../_fixtures.ts";

const SLOW = new TextEncoder().encode("slow:");

class SlowEcho extends EchoConsumer {
  override dataReceived(data: Uint8Array): Uint8Array | void {
    if (!SLOW.every((byte, i) => data[i] === byte)) {
      return super.dataReceived(data);
    }
    setTimeout(() => {
      if (!this.transport?.isClosing()) super.dataReceived(data);
    }, 2000);
  }
}

const server = await startEchoServer({
  consumerFactory: () => new SlowEcho(),
  port: Number(Deno.args[0] ?? 0),
});
console.log(`listening on 127.0.0.1:${server.port}`);
