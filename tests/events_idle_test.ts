// Copyright 2026 the pulsar for Deno authors. MIT license.
// One-time events fired before anyone listened, producers
// sharing event names, and idle-timeout re-arming.
import {
  assert,
  assertEquals,
  assertNotStrictEquals,
  assertThrows,
} from "@std/assert";
import { Producer, type ProducerEvents } from "../producers/producer.ts";
import type { Server } from "../producers/server.ts";
import type { EventNames } from "../protocols/events.ts";
import { waitFor } from "./_helpers.ts";
import { startEchoServer, TestClient } from "./_fixtures.ts";

Deno.test("Server remembers start and stop fired unseen (the second after the first); binding then throws, waiters resolve", async () => {
  const server = await startEchoServer();
  await server.close();
  assert(server.event("start").fired);
  assert(server.event("stop").fired);
  assertEquals(await server.event("stop").waiter(), server);
  assertThrows(() => server.bindEvent("start", () => {}));
  assertThrows(() => server.bindEvent("stop", () => {}));
});

Deno.test("Client finish fired unseen is remembered; a second client's events are its own", async () => {
  const server = await startEchoServer();
  const a = new TestClient({ port: server.port });
  const b = new TestClient({ port: server.port });
  assertEquals(new TextDecoder().decode(await a.request("x")), "x");
  await a.close();
  assert(a.event("finish").fired);
  assertEquals(b.event("finish").fired, false);
  // Shared names object: binding a hook on one does not reach the other.
  let seenA = 0;
  let seenB = 0;
  b.bindEvent("connectionMade", () => seenB++);
  const c = new TestClient({ port: server.port });
  c.bindEvent("connectionMade", () => seenA++);
  await b.request("y");
  await c.request("z");
  assertEquals([seenA, seenB], [1, 1]);
  assertEquals([...b.eventNames.oneTime], ["finish"]);
  await b.close();
  await c.close();
  await server.close();
  assert(b.event("finish").fired);
});

type MyEvents = ProducerEvents & {
  ready: [owner: MyProducer, data: number];
  tick: [owner: MyProducer, data: number];
};
const MY_NAMES: EventNames<MyEvents, "ready"> = {
  oneTime: ["ready"],
  manyTimes: ["tick"],
};
class MyProducer extends Producer<MyEvents, "ready"> {
  constructor(names: EventNames<MyEvents, "ready"> = MY_NAMES) {
    super({}, names);
  }
}

Deno.test("Producer subclasses with their own event names: constant or fresh names object, one-time fired unseen, hooks included", () => {
  const p1 = new MyProducer();
  const p2 = new MyProducer();
  const p3 = new MyProducer({ oneTime: ["ready"], manyTimes: ["tick"] });
  for (const p of [p1, p2, p3]) {
    assert(p.eventNames.manyTimes.includes("tick"));
    assert(p.eventNames.manyTimes.includes("connectionMade"));
    assertEquals([...p.eventNames.oneTime], ["ready"]);
  }
  p1.fireEvent("ready", 1);
  p1.fireEvent("tick", 2);
  assert(p1.event("ready").fired);
  assertEquals(p2.event("ready").fired, false);
  const ticks: number[] = [];
  p2.bindEvent("tick", (_o, n) => void ticks.push(n));
  p1.fireEvent("tick", 3);
  p2.fireEvent("tick", 4);
  assertEquals(ticks, [4]);
  assertThrows(() => p1.bindEvent("nope" as "tick", () => {}), TypeError);
  // A plain Producer has the hooks only.
  const plain = new Producer();
  assertEquals([...plain.eventNames.oneTime], []);
  assertNotStrictEquals(plain.eventNames, p1.eventNames);
});

/**
 * Five requests 60 ms apart (under a 150 ms idle timeout) keep one
 * connection; idle past the timeout, it is closed within a margin, and the
 * next request opens another. Closes both ends.
 */
async function keptThenClosedWhenIdle(
  server: Server,
  client: TestClient,
): Promise<void> {
  for (let i = 0; i < 5; i++) {
    await client.request(`r${i}`);
    await new Promise((r) => setTimeout(r, 60));
  }
  assertEquals(client.sessions, 1);
  await waitFor(() => server.connections.size === 0, 2000);
  await client.request("again");
  assertEquals(client.sessions, 2);
  await client.close();
  await server.close();
}

Deno.test("Client idleTimeout: requests spaced under the timeout keep one connection (the idle timer re-arms); idle past it closes it", async () => {
  const server = await startEchoServer({ idleTimeout: 0 });
  const client = new TestClient({ port: server.port }, { idleTimeout: 150 });
  await keptThenClosedWhenIdle(server, client);
});

Deno.test("Server idleTimeout closes a keep-alive client's idle connection, re-armed after each request", async () => {
  const server = await startEchoServer({ idleTimeout: 150 });
  const client = new TestClient({ port: server.port });
  await keptThenClosedWhenIdle(server, client);
});
