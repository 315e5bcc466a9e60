// Copyright 2026 the pulsar for Deno authors. MIT license.
// The transports' API of issue 14: connectionMade on a fully built
// transport, errors reported to onError, and `await using`.

import {
  assert,
  assertEquals,
  assertMatch,
  assertRejects,
  assertStrictEquals,
  assertThrows,
} from "@std/assert";
import type { ErrorHandler, ErrorReport } from "../errors.ts";
import { connect } from "../transports/connect.ts";
import { DatagramTransport } from "../transports/datagram_transport.ts";
import { listen } from "../transports/listen.ts";
import { listenDatagram } from "../transports/listen_datagram.ts";
import {
  checkSocketTransportOptions,
  SocketTransport,
} from "../transports/socket_transport.ts";
import { DatagramProtocol } from "../protocols/datagram_protocol.ts";
import { Protocol } from "../protocols/protocol.ts";
import { decoder, encoder, readAll, Recorder } from "./_helpers.ts";
import { rawConns } from "./_transport_pair.ts";

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

/** An `onError` that keeps its reports, and says when one arrives. */
function collect(): {
  reports: ErrorReport[];
  onError: ErrorHandler;
  next(): Promise<ErrorReport>;
} {
  const reports: ErrorReport[] = [];
  let waiting: PromiseWithResolvers<ErrorReport> | undefined;
  return {
    reports,
    onError(report) {
      reports.push(report);
      waiting?.resolve(report);
      waiting = undefined;
    },
    next() {
      waiting = Promise.withResolvers();
      return waiting.promise;
    },
  };
}

Deno.test("SocketTransport reports a throwing pauseWriting and resumeWriting to onError, with the peer's address, and keeps going", async () => {
  const { reports, onError } = collect();
  const paused = new Error("pauseWriting broke");
  const resumed = new Error("resumeWriting broke");
  class Throwing extends Protocol {
    override pauseWriting(): void {
      throw paused;
    }
    override resumeWriting(): void {
      throw resumed;
    }
  }
  await using listener = listen(() => new Protocol(), { port: 0 });
  const [transport] = await connect(() => new Throwing(), {
    port: listener.port,
    writeBufferLimits: { high: 16 },
    onError,
  });
  transport.write(new Uint8Array(1024));
  assertEquals(reports.length, 1);
  assertEquals(reports[0], {
    error: paused,
    source: "pauseWriting",
    address: transport.remoteAddr,
  });
  // The buffer drains (the peer reads), and the transport stays open.
  transport.close();
  await transport.closed;
  assertEquals(reports.slice(1), [
    { error: resumed, source: "resumeWriting", address: transport.remoteAddr },
  ]);
});

Deno.test("SocketTransport reports a throwing connectionLost to onError and still settles closed", async () => {
  const { reports, onError } = collect();
  const lost = new Error("connectionLost broke");
  class Throwing extends Protocol {
    override connectionLost(): void {
      throw lost;
    }
  }
  await using listener = listen(() => new Protocol(), { port: 0 });
  const [transport] = await connect(() => new Throwing(), {
    port: listener.port,
    onError,
  });
  transport.close();
  await transport.closed;
  assertEquals(reports, [
    { error: lost, source: "connectionLost", address: transport.remoteAddr },
  ]);
});

Deno.test("listen() gives onError to its transports: an accepted connection's throwing connectionLost is reported with the peer's address", async () => {
  const { onError, next } = collect();
  const lost = new Error("server connectionLost broke");
  class Throwing extends Protocol {
    override connectionLost(): void {
      throw lost;
    }
  }
  await using listener = listen(() => new Throwing(), { port: 0, onError });
  const reported = next();
  const [client] = await connect(() => new Protocol(), {
    port: listener.port,
  });
  client.close();
  const report = await reported;
  await client.closed;
  assertStrictEquals(report.error, lost);
  assertEquals(report.source, "connectionLost");
  assertEquals(report.address, client.localAddr);
});

Deno.test("DatagramTransport reports a throwing errorReceived to onError, with its remoteAddr or its local address, and stays open", async () => {
  const broke = new Error("errorReceived broke");
  class Throwing extends DatagramProtocol {
    override errorReceived(): void {
      throw broke;
    }
  }
  const [peer] = listenDatagram(() => new DatagramProtocol());
  for (const remoteAddr of [undefined, peer.localAddr as Deno.NetAddr]) {
    const { onError, next } = collect();
    const [transport] = listenDatagram(() => new Throwing(), {
      remoteAddr,
      onError,
    });
    const reported = next();
    // Over 65,507 bytes: the send fails and reaches errorReceived.
    transport.sendto(new Uint8Array(70_000), peer.localAddr as Deno.NetAddr);
    assertEquals(await reported, {
      error: broke,
      source: "errorReceived",
      address: remoteAddr ?? transport.localAddr,
    });
    assert(!transport.isClosing());
    transport.close();
    await transport.closed;
  }
  peer.close();
  await peer.closed;
});

Deno.test("DatagramTransport built directly reports a throwing connectionLost to its onError", async () => {
  const { reports, onError } = collect();
  const lost = new Error("connectionLost broke");
  class Throwing extends DatagramProtocol {
    override connectionLost(): void {
      throw lost;
    }
  }
  const socket = udpSocket();
  const transport = new DatagramTransport(socket, new Throwing(), { onError });
  transport.close();
  await transport.closed;
  assertEquals(reports, [
    { error: lost, source: "connectionLost", address: socket.addr },
  ]);
});

Deno.test("listen() reports a throwing onTransport to onError with the peer's address, and aborts only that connection", async () => {
  const { reports, onError } = collect();
  const broke = new Error("onTransport broke");
  let calls = 0;
  await using listener = listen(() => new Protocol(), {
    port: 0,
    onError,
    onTransport() {
      if (++calls === 1) throw broke;
    },
  });
  const first = await Deno.connect({ port: listener.port });
  try {
    // Aborted: the first client reads end of stream (or a reset).
    await readAll(first).catch(() => new Uint8Array());
  } finally {
    first.close();
  }
  assertEquals(reports, [
    { error: broke, source: "onTransport", address: first.localAddr },
  ]);
  // The listener goes on.
  const [second] = await connect(() => new Protocol(), {
    port: listener.port,
  });
  second.close();
  await second.closed;
  assertEquals(reports.length, 1);
});

Deno.test("listen() reports a throwing protocol factory to onError with the peer's address, and closes only that connection", async () => {
  const { reports, onError } = collect();
  const broke = new Error("factory broke");
  let calls = 0;
  await using listener = listen(() => {
    if (++calls === 1) throw broke;
    return new Protocol();
  }, { port: 0, onError });
  const first = await Deno.connect({ port: listener.port });
  try {
    assertEquals((await readAll(first)).length, 0);
  } finally {
    first.close();
  }
  assertEquals(reports, [
    { error: broke, source: "protocolFactory", address: first.localAddr },
  ]);
  const [second] = await connect(() => new Protocol(), {
    port: listener.port,
  });
  second.close();
  await second.closed;
});

Deno.test("onError that is not a function is refused by every transport entry point, before a socket is opened or taken", async () => {
  const bad = { onError: "log" as unknown as ErrorHandler };
  const message = 'Cannot use onError "log" (a string): it must be a function';
  assertThrows(() => checkSocketTransportOptions(bad), TypeError, message);
  assertThrows(
    () => listen(() => new Protocol(), { port: 0, ...bad }),
    TypeError,
    message,
  );
  assertThrows(
    () => listenDatagram(() => new DatagramProtocol(), bad),
    TypeError,
    message,
  );
  await assertRejects(
    () => connect(() => new Protocol(), { port: 1, ...bad }),
    TypeError,
    message,
  );
  using conns = await rawConns();
  assertThrows(
    () => new SocketTransport(conns.accepted, new Protocol(), bad),
    TypeError,
    message,
  );
  conns.accepted.close();
  const socket = udpSocket();
  try {
    assertThrows(
      () => new DatagramTransport(socket, new DatagramProtocol(), bad),
      TypeError,
      message,
    );
  } finally {
    // Refused before it was taken: still the caller's to close.
    socket.close();
  }
});

Deno.test("SocketTransport without onError prints one console.error line naming the callback and the peer", async () => {
  // A child Deno, so that its standard error can be read as a user sees it.
  const script = `
    import { connect, listen } from ${
    JSON.stringify(new URL("../transports/mod.ts", import.meta.url).href)
  };
    import { Protocol } from ${
    JSON.stringify(new URL("../protocols/mod.ts", import.meta.url).href)
  };
    class Throwing extends Protocol {
      pauseWriting() { throw new Error("pauseWriting broke"); }
    }
    await using listener = listen(() => new Protocol(), { port: 0 });
    const [transport] = await connect(() => new Throwing(), {
      port: listener.port,
      writeBufferLimits: { high: 16 },
    });
    transport.write(new Uint8Array(1024));
    transport.close();
    await transport.closed;
    console.log(String(transport.remoteAddr.port));
  `;
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      "--no-lock",
      `--import-map=${
        new URL("../import_map.offline.json", import.meta.url).pathname
      }`,
      script,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = decoder.decode(output.stderr);
  assert(output.success, stderr);
  const port = decoder.decode(output.stdout).trim();
  const lines = stderr.split("\n").filter((line) =>
    line.startsWith("@pulsar/net:")
  );
  assertEquals(lines.length, 1, stderr);
  assertMatch(
    lines[0],
    new RegExp(
      `^@pulsar/net: pauseWriting failed \\(127\\.0\\.0\\.1:${port}\\): Error: pauseWriting broke$`,
    ),
  );
});

Deno.test("SocketTransport with await using flushes what it wrote, closes, and has called connectionLost when the block ends", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const protocol = new Recorder();
  {
    await using transport = (await connect(() => protocol, {
      port: listener.addr.port,
    }))[0];
    transport.write(encoder.encode("bye"));
  }
  assertEquals(protocol.calls, ["connectionMade", "connectionLost"]);
  assertEquals(protocol.lostWith, undefined);
  using peer = await listener.accept();
  assertEquals(decoder.decode(await readAll(peer)), "bye");
});

Deno.test("DatagramTransport with await using closes its socket and has called connectionLost when the block ends", async () => {
  let port: number;
  let lost = false;
  class Watcher extends DatagramProtocol {
    override connectionLost(): void {
      lost = true;
    }
  }
  {
    await using transport = listenDatagram(() => new Watcher())[0];
    port = (transport.localAddr as Deno.NetAddr).port;
  }
  assert(lost);
  // The port is free again.
  const again = Deno.listenDatagram({
    hostname: "127.0.0.1",
    port,
    transport: "udp",
  });
  again.close();
});
