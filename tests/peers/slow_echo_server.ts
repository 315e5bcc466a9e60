// Copyright 2026 the pulsar for Deno authors. MIT license.
// The module's echo server, except that a message starting with "slow:"
// is answered after 2 s: a test can then kill it with requests in flight.
// Prints the address it listens on.
//
//   deno run --allow-net tests/peers/slow_echo_server.ts PORT
import { Server } from "../../producers/server.ts";
import { EchoServerConsumer } from "../../examples/echo/echo.ts";

const SLOW = new TextEncoder().encode("slow:");

class SlowEcho extends EchoServerConsumer {
  override dataReceived(data: Uint8Array): Uint8Array | void {
    if (!SLOW.every((byte, i) => data[i] === byte)) {
      return super.dataReceived(data);
    }
    setTimeout(() => {
      if (!this.transport?.isClosing()) super.dataReceived(data);
    }, 2000);
  }
}

const server = new Server({
  consumerFactory: () => new SlowEcho(),
  port: Number(Deno.args[0] ?? 0),
});
await server.start();
console.log(`listening on 127.0.0.1:${server.port}`);
