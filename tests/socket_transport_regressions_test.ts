// Copyright 2026 the pulsar for Deno authors. MIT license.
// Regression tests for SocketTransport defects of issue 13: a deadlock on
// large writes, a rejection escaping on a reset mid-write, option checks,
// and a protocol whose connectionMade throws.

import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertThrows,
} from "@std/assert";
import { ConnectionClosedError, type ErrorReport } from "../errors.ts";
import { connect } from "../transports/connect.ts";
import { listen } from "../transports/listen.ts";
import {
  checkSocketTransportOptions,
  MAX_READ_SIZE,
  SocketTransport,
  type SocketTransportOptions,
} from "../transports/socket_transport.ts";
import { Protocol } from "../protocols/protocol.ts";
import {
  encoder,
  pattern,
  readAll,
  Recorder,
  startResetPeer,
} from "./_helpers.ts";
import { rawConns } from "./_transport_pair.ts";

/** Echoes every chunk it reads. */
class Echo extends Protocol {
  override dataReceived(data: Uint8Array): void {
    this.transport!.write(data);
  }
}

/**
 * Collects what it reads into one preallocated buffer, and resolves `full`
 * once `expected` bytes have arrived (or the connection is lost).
 */
class Collector extends Protocol {
  readonly bytes: Uint8Array;
  size = 0;
  readonly full = Promise.withResolvers<void>();
  lost: Error | undefined;

  constructor(expected: number) {
    super();
    this.bytes = new Uint8Array(expected);
  }

  override dataReceived(data: Uint8Array): void {
    this.bytes.set(data, this.size);
    this.size += data.length;
    if (this.size === this.bytes.length) this.full.resolve();
  }

  override connectionLost(error?: Error): void {
    this.lost = error;
    this.full.resolve();
  }
}

/** Resolves `promise`, or rejects with a message after `ms`. */
async function within<T>(
  promise: Promise<T>,
  ms: number,
  what: string,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what}: not done after ${ms} ms`)),
      ms,
    );
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

for (const mib of [16, 64]) {
  Deno.test(`SocketTransport echoes one ${mib} MiB write intact through a listen()ed echo protocol without deadlock`, async () => {
    const data = pattern(mib * 1024 * 1024);
    await using server = listen(() => new Echo(), { port: 0 });
    const [transport, client] = await connect(
      () => new Collector(data.length),
      { port: server.port },
    );
    try {
      transport.write(data);
      await within(client.full.promise, 30_000, `${mib} MiB echo`);
      assertEquals(client.lost, undefined);
      assertEquals(client.size, data.length);
      assert(client.bytes.every((byte, i) => byte === data[i]));
    } finally {
      transport.abort();
      await transport.closed;
    }
  });
}

Deno.test("SocketTransport writes 32 MiB in both directions at once without deadlock", async () => {
  const size = 32 * 1024 * 1024;
  const fromClient = pattern(size);
  const fromServer = fromClient.slice().reverse();
  let serverSide: Collector | undefined;
  await using server = listen(() => {
    serverSide = new Collector(size);
    return serverSide;
  }, {
    port: 0,
    onTransport: (transport) => transport.write(fromServer),
  });
  const [transport, client] = await connect(() => new Collector(size), {
    port: server.port,
  });
  try {
    transport.write(fromClient);
    await within(client.full.promise, 30_000, "client side");
    while (serverSide === undefined) await new Promise((r) => setTimeout(r));
    await within(serverSide.full.promise, 30_000, "server side");
    assertEquals(client.lost, undefined);
    assertEquals(serverSide.lost, undefined);
    assertEquals(client.size, size);
    assertEquals(serverSide.size, size);
    assert(client.bytes.every((byte, i) => byte === fromServer[i]));
    assert(serverSide.bytes.every((byte, i) => byte === fromClient[i]));
  } finally {
    transport.abort();
    await transport.closed;
  }
});

/** Bad transport options, each with the error it must raise. */
const BAD_OPTIONS: [
  string,
  unknown,
  typeof TypeError | typeof RangeError,
  string,
][] = [
  ["readSize 0", { readSize: 0 }, RangeError, 'readSize "0"'],
  ["readSize NaN", { readSize: NaN }, RangeError, 'readSize "NaN"'],
  ["readSize 1.5", { readSize: 1.5 }, RangeError, 'readSize "1.5"'],
  ["readSize -1", { readSize: -1 }, RangeError, 'readSize "-1"'],
  [
    "readSize Infinity",
    { readSize: Infinity },
    RangeError,
    'readSize "Infinity"',
  ],
  [
    "readSize 2 ** 40",
    { readSize: 2 ** 40 },
    RangeError,
    `readSize "${2 ** 40}": it must be an integer from 1 to ${MAX_READ_SIZE}`,
  ],
  [
    "readSize over MAX_READ_SIZE",
    { readSize: MAX_READ_SIZE + 1 },
    RangeError,
    `readSize "${MAX_READ_SIZE + 1}"`,
  ],
  [
    "readSize as a string",
    { readSize: "65536" },
    TypeError,
    'readSize "65536" (a string)',
  ],
  [
    "writeBufferLimits low above high",
    { writeBufferLimits: { high: 10, low: 20 } },
    RangeError,
    'Cannot use writeBufferLimits: low "20" exceeds high "10"',
  ],
  [
    "writeBufferLimits.high NaN",
    { writeBufferLimits: { high: NaN } },
    RangeError,
    'writeBufferLimits.high "NaN"',
  ],
  [
    "writeBufferLimits.high negative",
    { writeBufferLimits: { high: -1 } },
    RangeError,
    'writeBufferLimits.high "-1"',
  ],
  [
    "writeBufferLimits.low negative",
    { writeBufferLimits: { low: -5 } },
    RangeError,
    'writeBufferLimits.low "-5"',
  ],
  [
    "writeBufferLimits.low 2.5",
    { writeBufferLimits: { low: 2.5 } },
    RangeError,
    'writeBufferLimits.low "2.5"',
  ],
  [
    "writeBufferLimits.high as a string",
    { writeBufferLimits: { high: "big" } },
    TypeError,
    'writeBufferLimits.high "big" (a string)',
  ],
  [
    "writeBufferLimits as a number",
    { writeBufferLimits: 5 },
    TypeError,
    'writeBufferLimits "5"',
  ],
  [
    "writeBufferLimits null",
    { writeBufferLimits: null },
    TypeError,
    'writeBufferLimits "null"',
  ],
  ["noDelay as a string", { noDelay: "yes" }, TypeError, 'noDelay "yes"'],
  ["noDelay as a number", { noDelay: 1 }, TypeError, 'noDelay "1"'],
  [
    "tcpKeepAlive as a string",
    { tcpKeepAlive: "true" },
    TypeError,
    'tcpKeepAlive "true" (a string)',
  ],
  ["options null", null, TypeError, 'options "null"'],
  ["options a number", 42, TypeError, 'options "42"'],
];

Deno.test("checkSocketTransportOptions() refuses each bad transport option with an error naming the option and the value", () => {
  for (const [what, options, ErrorType, message] of BAD_OPTIONS) {
    const error = assertThrows(
      () => checkSocketTransportOptions(options as SocketTransportOptions),
      ErrorType,
      message,
      what,
    );
    assert(error.message.startsWith("Cannot use "), what);
  }
});

Deno.test("checkSocketTransportOptions() accepts good options and ignores options that are not the transport's", () => {
  checkSocketTransportOptions({});
  checkSocketTransportOptions({
    noDelay: false,
    tcpKeepAlive: true,
    readSize: MAX_READ_SIZE,
    writeBufferLimits: { high: 0 },
  });
  checkSocketTransportOptions({ readSize: 1, writeBufferLimits: { low: 10 } });
  checkSocketTransportOptions({
    writeBufferLimits: { high: 100, low: 100 },
    port: "not checked here",
  } as SocketTransportOptions);
});

Deno.test("SocketTransport constructor refuses each bad option before it takes the connection", async () => {
  for (const [what, options, ErrorType, message] of BAD_OPTIONS) {
    using conns = await rawConns();
    const protocol = new Recorder();
    assertThrows(
      () =>
        new SocketTransport(
          conns.accepted,
          protocol,
          options as SocketTransportOptions,
        ),
      ErrorType,
      message,
      what,
    );
    assertEquals(protocol.calls, [], what);
    // Still the caller's, and still open.
    await conns.accepted.write(encoder.encode("x"));
    conns.accepted.close();
  }
});

Deno.test("SocketTransport uses the write-buffer limits it is given, with asyncio's defaults", async () => {
  using conns = await rawConns();
  const transport = new SocketTransport(conns.accepted, new Recorder(), {
    writeBufferLimits: { low: 1000 },
  });
  assertEquals(transport.getWriteBufferLimits(), { high: 4000, low: 1000 });
  transport.setWriteBufferLimits({ high: 2000 });
  assertEquals(transport.getWriteBufferLimits(), { high: 2000, low: 500 });
  assertThrows(
    () => transport.setWriteBufferLimits({ high: -1 }),
    RangeError,
    'Cannot use limits.high "-1"',
  );
  assertThrows(
    () => transport.setWriteBufferLimits({ high: "1" as unknown as number }),
    TypeError,
    'Cannot use limits.high "1" (a string)',
  );
  assertThrows(
    () =>
      transport.setWriteBufferLimits(undefined as unknown as { high: number }),
    TypeError,
    'Cannot use limits "undefined"',
  );
  assertEquals(transport.getWriteBufferLimits(), { high: 2000, low: 500 });
  transport.close();
  await transport.closed;
});

Deno.test("SocketTransport.write() throws a TypeError at the call for data that is not a Uint8Array", async () => {
  using conns = await rawConns();
  const protocol = new Recorder();
  const transport = new SocketTransport(conns.accepted, protocol);
  const bad: [unknown, string][] = [
    ["hello", '"hello" (a string)'],
    [new ArrayBuffer(4), "an object (ArrayBuffer)"],
    [new Uint16Array(2), "an object (Uint16Array)"],
    [[1, 2, 3], "an object (Array)"],
    [undefined, '"undefined"'],
  ];
  for (const [data, shown] of bad) {
    assertThrows(
      () => transport.write(data as Uint8Array),
      TypeError,
      `Cannot use data ${shown}: it must be a Uint8Array`,
    );
  }
  // The connection is unharmed.
  assertEquals(transport.getWriteBufferSize(), 0);
  assert(!transport.isClosing());
  transport.write(encoder.encode("still fine"));
  transport.close();
  assertEquals(
    new TextDecoder().decode(await readAll(conns.client)),
    "still fine",
  );
  await transport.closed;
  assertEquals(protocol.lostWith, undefined);
});

Deno.test("SocketTransport reads with the largest readSize allowed", async () => {
  using conns = await rawConns();
  const protocol = new Recorder();
  const transport = new SocketTransport(conns.accepted, protocol, {
    readSize: MAX_READ_SIZE,
  });
  const data = pattern(4 * 1024 * 1024);
  let written = 0;
  while (written < data.length) {
    written += await conns.client.write(data.subarray(written));
  }
  conns.client.closeWrite();
  await within(transport.closed, 10_000, "closed");
  assertEquals(protocol.received, data);
});

/** Records unhandled rejections while it is in use. */
function watchUnhandled(): { reasons: unknown[]; [Symbol.dispose](): void } {
  const reasons: unknown[] = [];
  const listener = (event: PromiseRejectionEvent) => reasons.push(event.reason);
  globalThis.addEventListener("unhandledrejection", listener);
  return {
    reasons,
    [Symbol.dispose]: () =>
      globalThis.removeEventListener("unhandledrejection", listener),
  };
}

Deno.test("SocketTransport settles closed with ConnectionClosedError and lets no rejection escape when the peer resets during a large write", async () => {
  using unhandled = watchUnhandled();
  // Timing decides where the reset lands (mid-write, on a pending read,
  // between ops): attempts with different peers, sizes and delays make each
  // likely. A Deno peer closing with unread data sends FIN then RST (the
  // pending write fails: "broken pipe"); the Python peer sends RST alone
  // (a pending read fails: "reset by peer").
  const causes = new Set<string>();
  for (let attempt = 0; attempt < 8; attempt++) {
    const echoing = attempt % 2 === 1;
    const protocol = new Recorder();
    if (echoing) {
      // Reading and writing at once when the reset comes.
      protocol.dataReceived = (data) => protocol.transport!.write(data);
    }
    if (attempt < 4) {
      using conns = await rawConns();
      const transport = new SocketTransport(conns.accepted, protocol);
      transport.write(pattern(64 * 1024 * 1024));
      if (echoing) await conns.client.write(new Uint8Array(256 * 1024));
      await conns.client.read(new Uint8Array(1024));
      await new Promise((r) => setTimeout(r, attempt % 3));
      conns.client.close();
      await within(transport.closed, 10_000, "closed");
    } else {
      const size = (attempt < 6 ? 1 : 64) * 1024 * 1024;
      const peer = await startResetPeer(1 + attempt * 1000);
      const [transport] = await connect(() => protocol, { port: peer.port });
      transport.write(pattern(size));
      await within(transport.closed, 10_000, "closed");
      await peer.done;
    }
    const lost = protocol.lostWith!;
    assertInstanceOf(lost, ConnectionClosedError);
    assert(
      lost.cause instanceof Deno.errors.ConnectionReset ||
        lost.cause instanceof Deno.errors.BrokenPipe,
      `cause: ${lost.cause}`,
    );
    causes.add((lost.cause as Error).name);
    assertEquals(protocol.calls.at(-1), "connectionLost");
  }
  // Let any stray rejection surface before looking.
  await new Promise((r) => setTimeout(r, 10));
  assertEquals(unhandled.reasons, []);
  console.log(`Causes seen: ${[...causes].join(", ")}`);
});

Deno.test("SocketTransport whose protocol's connectionMade throws closes its socket and settles closed", async () => {
  using conns = await rawConns();
  const failure = new Error("no thanks");
  const protocol = new Recorder();
  let made = false;
  protocol.connectionMade = (transport) => {
    made = true;
    // What it wrote first is dropped with the connection.
    transport.write(encoder.encode("dropped"));
    throw failure;
  };
  const transport = new SocketTransport(conns.accepted, protocol);
  // Called once the transport is built, not from its constructor.
  assert(!made);
  await within(transport.closed, 5000, "closed");
  assert(made);
  assert(transport.isClosing());
  assert(!transport.isReading());
  assertEquals(protocol.lostWith, failure);
  assertEquals(protocol.calls, ["connectionLost"]);
  // The socket is closed: the peer reads end of stream, and the resource
  // sanitizer finds nothing open.
  assertEquals((await readAll(conns.client)).length, 0);
});

Deno.test("SocketTransport whose protocol's connectionMade throws a non-Error passes an Error to connectionLost", async () => {
  using conns = await rawConns();
  const protocol = new Recorder();
  protocol.connectionMade = () => {
    throw "a string";
  };
  const transport = new SocketTransport(conns.accepted, protocol);
  await within(transport.closed, 5000, "closed");
  assertInstanceOf(protocol.lostWith, Error);
  assertEquals(protocol.lostWith!.message, "a string");
  assertEquals((await readAll(conns.client)).length, 0);
});

Deno.test("SocketTransport built by listen() for a protocol whose connectionMade throws closes the accepted socket", async () => {
  const reports: ErrorReport[] = [];
  await using server = listen(() => {
    const protocol = new Recorder();
    protocol.connectionMade = () => {
      throw new Error("refused by the protocol");
    };
    return protocol;
  }, { port: 0, onError: (report) => reports.push(report) });
  const client = await Deno.connect({ port: server.port });
  try {
    assertEquals((await readAll(client)).length, 0);
    assertEquals(server.transports.size, 0);
    assertEquals(reports.map((r) => r.source), ["connectionMade"]);
    assertEquals(
      (reports[0].error as Error).message,
      "refused by the protocol",
    );
  } finally {
    client.close();
  }
});

Deno.test("SocketTransport that pauses reading, writes and closes in dataReceived still closes and calls connectionLost", async () => {
  class PauseWriteClose extends Protocol {
    lost = Promise.withResolvers<void>();
    override dataReceived(data: Uint8Array): void {
      this.transport!.pauseReading();
      this.transport!.write(data);
      this.transport!.close();
    }
    override connectionLost(): void {
      this.lost.resolve();
    }
  }
  const protocol = new PauseWriteClose();
  await using listener = listen(() => protocol, { port: 0 });
  using peer = await Deno.connect({ port: listener.port });
  await peer.write(encoder.encode("ping"));
  // The answer is flushed, then the socket closes: the peer reads it, then
  // end of stream.
  assertEquals(new TextDecoder().decode(await readAll(peer)), "ping");
  await within(protocol.lost.promise, 5000, "connectionLost");
});
