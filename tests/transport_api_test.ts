// Copyright 2026 the pulsar for Deno authors. MIT license.
// The transports' API of issue 14: connectionMade on a fully built
// transport, errors reported to onError, and `await using`.

import { assert, assertEquals } from "@std/assert";
import { DatagramTransport } from "../transports/datagram_transport.ts";
import { listenDatagram } from "../transports/listen_datagram.ts";
import { SocketTransport } from "../transports/socket_transport.ts";
import { DatagramProtocol } from "../protocols/datagram_protocol.ts";
import { decoder, encoder, readAll, Recorder } from "./_helpers.ts";

/** A connected pair of raw TCP connections, and their listener. */
async function rawConns(): Promise<{
  client: Deno.TcpConn;
  accepted: Deno.TcpConn;
  [Symbol.dispose](): void;
}> {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const pending = listener.accept();
  const client = await Deno.connect({ port: listener.addr.port });
  const accepted = await pending;
  return {
    client,
    accepted,
    [Symbol.dispose]() {
      try {
        client.close();
      } catch {
        // Closed by the test.
      }
    },
  };
}

/** A UDP socket on a free loopback port. */
function udpSocket(): Deno.DatagramConn {
  return Deno.listenDatagram({
    hostname: "127.0.0.1",
    port: 0,
    transport: "udp",
  });
}

Deno.test("SocketTransport calls connectionMade once the object is built, so a subclass's fields are set", async () => {
  class Tagged extends SocketTransport {
    readonly tag: string;
    constructor(conn: Deno.Conn, protocol: Recorder) {
      super(conn, protocol);
      this.tag = "built";
    }
  }
  using conns = await rawConns();
  const protocol = new Recorder();
  let seen: string | undefined;
  protocol.connectionMade = (transport) => {
    seen = (transport as Tagged).tag;
    Recorder.prototype.connectionMade.call(protocol, transport);
  };
  const transport = new Tagged(conns.accepted, protocol);
  // Not from the constructor: the protocol has seen nothing yet.
  assertEquals(protocol.calls, []);
  await conns.client.write(encoder.encode("hi"));
  await protocol.receivedAtLeast(2);
  assertEquals(seen, "built");
  assertEquals(protocol.calls, ["connectionMade", "dataReceived"]);
  transport.close();
  await transport.closed;
});

Deno.test("SocketTransport closed before connectionMade ran still calls connectionMade, then connectionLost, and reads nothing", async () => {
  using conns = await rawConns();
  await conns.client.write(encoder.encode("never read"));
  const protocol = new Recorder();
  const transport = new SocketTransport(conns.accepted, protocol);
  transport.write(encoder.encode("flushed"));
  transport.close();
  await transport.closed;
  assertEquals(protocol.calls, ["connectionMade", "connectionLost"]);
  assertEquals(protocol.lostWith, undefined);
  assertEquals(decoder.decode(await readAll(conns.client)), "flushed");
});

Deno.test("DatagramTransport calls connectionMade once the object is built, so a subclass's fields are set", async () => {
  class Tagged extends DatagramTransport {
    readonly tag: string;
    constructor(conn: Deno.DatagramConn, protocol: DatagramProtocol) {
      super(conn, protocol);
      this.tag = "built";
    }
  }
  const seen = Promise.withResolvers<string>();
  class Probe extends DatagramProtocol {
    override connectionMade(transport: DatagramTransport): void {
      super.connectionMade(transport);
      seen.resolve((transport as Tagged).tag);
    }
  }
  const protocol = new Probe();
  const transport = new Tagged(udpSocket(), protocol);
  // Not from the constructor.
  assertEquals(protocol.transport, undefined);
  assertEquals(await seen.promise, "built");
  transport.close();
  await transport.closed;
});

Deno.test("listenDatagram() returns its transport after connectionMade ran", () => {
  const [transport, protocol] = listenDatagram(() => new DatagramProtocol());
  assert(protocol.transport === transport);
  transport.abort();
  return transport.closed;
});
