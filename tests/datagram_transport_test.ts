// Copyright 2026 the pulsar for Deno authors. MIT license.
import { assertEquals, assertInstanceOf, assertThrows } from "@std/assert";
import { ConnectionClosedError } from "../errors.ts";
import { DatagramProtocol } from "../protocols/datagram_protocol.ts";
import { listenDatagram } from "../transports/listen_datagram.ts";
import { pattern } from "./_helpers.ts";

class Echo extends DatagramProtocol {
  override datagramReceived(data: Uint8Array, addr: Deno.NetAddr): void {
    this.transport!.sendto(data, addr);
  }
}

class Collector extends DatagramProtocol {
  received: Uint8Array[] = [];
  errors: Error[] = [];
  lost = false;
  #waiter: PromiseWithResolvers<void> | undefined;
  override datagramReceived(data: Uint8Array): void {
    this.received.push(data);
    this.#waiter?.resolve();
  }
  override errorReceived(error: Error): void {
    this.errors.push(error);
    this.#waiter?.resolve();
  }
  override connectionLost(): void {
    this.lost = true;
  }
  async next(): Promise<void> {
    this.#waiter = Promise.withResolvers();
    await this.#waiter.promise;
  }
}

Deno.test("DatagramTransport echoes a ping and 8192 bytes over UDP", async () => {
  const [server] = listenDatagram(() => new Echo());
  const [client, collector] = listenDatagram(() => new Collector(), {
    remoteAddr: server.localAddr as Deno.NetAddr,
  });
  const ping = new TextEncoder().encode("ping");
  const big = pattern(8192);
  for (const payload of [ping, big]) {
    const next = collector.next();
    client.sendto(payload);
    await next;
    assertEquals(collector.received.at(-1), payload);
  }
  client.close();
  server.close();
  await Promise.all([client.closed, server.closed]);
  assertEquals(collector.lost, true);
});

Deno.test("DatagramTransport keeps earlier datagrams intact while receiving many", async () => {
  const [server] = listenDatagram(() => new Echo());
  const [client, collector] = listenDatagram(() => new Collector(), {
    remoteAddr: server.localAddr as Deno.NetAddr,
  });
  const sent: Uint8Array[] = [];
  for (let i = 0; i < 2000; i++) {
    const payload = new Uint8Array(100).fill(i % 256);
    sent.push(payload);
    const next = collector.next();
    client.sendto(payload);
    await next;
  }
  // Views into the receive slab must not have been overwritten.
  assertEquals(collector.received, sent);
  client.close();
  server.close();
  await Promise.all([client.closed, server.closed]);
});

Deno.test("DatagramTransport reports an oversize datagram to errorReceived and stays open", async () => {
  const [server] = listenDatagram(() => new Echo());
  const [client, collector] = listenDatagram(() => new Collector(), {
    remoteAddr: server.localAddr as Deno.NetAddr,
  });
  let next = collector.next();
  client.sendto(new Uint8Array(70_000));
  await next;
  assertEquals(collector.errors.length, 1);
  assertInstanceOf(collector.errors[0], Error);
  next = collector.next();
  client.sendto(new Uint8Array([1, 2, 3]));
  await next;
  assertEquals(collector.received.at(-1), new Uint8Array([1, 2, 3]));
  client.close();
  server.close();
  await Promise.all([client.closed, server.closed]);
});

Deno.test("DatagramTransport.sendto() throws once closing, or without an address", async () => {
  const [transport] = listenDatagram(() => new Collector());
  assertThrows(
    () => transport.sendto(new Uint8Array(1)),
    TypeError,
    "no address given and no remoteAddr set",
  );
  transport.close();
  assertThrows(
    () =>
      transport.sendto(new Uint8Array(1), transport.localAddr as Deno.NetAddr),
    ConnectionClosedError,
    "it is closing",
  );
  await transport.closed;
});
