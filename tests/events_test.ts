// Copyright 2026 the pulsar for Deno authors. MIT license.
import {
  assert,
  assertEquals,
  assertFalse,
  assertRejects,
  assertThrows,
} from "@std/assert";
import {
  EventHandler,
  ManyTimesEvent,
  OneTimeEvent,
} from "../protocols/events.ts";

type ThingEvents = {
  start: [owner: Thing, data: string];
  stop: [owner: Thing, data: number];
  tick: [owner: Thing, data: number];
};

class Thing extends EventHandler<ThingEvents, "start" | "stop"> {
  constructor() {
    super({ oneTime: ["start", "stop"], manyTimes: ["tick"] });
  }
}

/** Runs `fn` with console.error captured, returning what was logged. */
async function captureErrors(fn: () => unknown): Promise<unknown[][]> {
  const logged: unknown[][] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => logged.push(args);
  try {
    await fn();
  } finally {
    console.error = original;
  }
  return logged;
}

Deno.test("OneTimeEvent.waiter() resolves with the data whether taken before or after the fire", async () => {
  const thing = new Thing();
  const before = thing.event("start").waiter();
  assertFalse(thing.event("start").fired);
  thing.fireEvent("start", "go");
  assert(thing.event("start").fired);
  assertEquals(await before, "go");
  assertEquals(await thing.event("start").waiter(), "go");
});

Deno.test("OneTimeEvent.waiter() resolves with the owner when the event carried no data", async () => {
  const thing = new Thing();
  thing.fireEvent("stop");
  assertEquals(await thing.event("stop").waiter(), thing);
});

Deno.test("OneTimeEvent.waiter() rejects with the error it fired with", async () => {
  const thing = new Thing();
  const before = thing.event("stop").waiter();
  thing.fireEvent("stop", 1, new Error("failed"));
  await assertRejects(() => before, Error, "failed");
  await assertRejects(() => thing.event("stop").waiter(), Error, "failed");
});

Deno.test("OneTimeEvent ignores a second fire and throws when bound after firing", () => {
  const thing = new Thing();
  const seen: string[] = [];
  thing.bindEvent("start", (_owner, data) => seen.push(data));
  thing.fireEvent("start", "first");
  thing.fireEvent("start", "second");
  assertEquals(seen, ["first"]);
  assertThrows(
    () => thing.bindEvent("start", () => {}),
    Error,
    'Cannot bind to event "start": it has already fired',
  );
});

Deno.test("EventHandler.fireEvent() calls handlers with owner, data and error", () => {
  const thing = new Thing();
  const calls: unknown[][] = [];
  thing.bindEvent(
    "tick",
    (owner, data, error) => calls.push([owner, data, error]),
  );
  const failure = new Error("x");
  thing.fireEvent("tick", 1);
  thing.fireEvent("tick", 2, failure);
  assertEquals(calls, [[thing, 1, undefined], [thing, 2, failure]]);
});

Deno.test("EventHandler.fireEvent() goes on past a throwing handler, reports it once and returns it", async () => {
  const thing = new Thing();
  const failure = new Error("handler broke");
  const seen: number[] = [];
  thing.bindEvent("tick", () => {
    throw failure;
  });
  thing.bindEvent("tick", (_owner, n) => seen.push(n));
  let returned: unknown;
  const logged = await captureErrors(() => {
    returned = thing.fireEvent("tick", 7);
  });
  assertEquals(seen, [7]);
  assertEquals(returned, failure);
  assertEquals(logged.length, 1);
  assertEquals(logged[0][1], failure);
});

Deno.test("EventHandler reports a handler's rejected promise without an unhandled rejection", async () => {
  const thing = new Thing();
  thing.bindEvent("tick", () => Promise.reject(new Error("async broke")));
  const logged = await captureErrors(async () => {
    thing.fireEvent("tick", 1);
    await new Promise((r) => setTimeout(r, 0));
  });
  assertEquals(logged.length, 1);
  assertEquals((logged[0][1] as Error).message, "async broke");
});

Deno.test("EventHandler.unbindEvent() removes a handler and says whether it was bound", () => {
  const thing = new Thing();
  const seen: number[] = [];
  const handler = (_owner: Thing, n: number) => seen.push(n);
  thing.bindEvent("tick", handler);
  assert(thing.unbindEvent("tick", handler));
  assertFalse(thing.unbindEvent("tick", handler));
  thing.fireEvent("tick", 1);
  assertEquals(seen, []);
});

Deno.test("EventHandler.event() throws for a name the object does not have", () => {
  const thing = new Thing();
  assertThrows(
    // @ts-expect-error: a misspelt event name is a compile error too.
    () => thing.event("stat"),
    TypeError,
    'Cannot find event "stat" on Thing',
  );
});

Deno.test("EventHandler.event() returns events of the declared kind", () => {
  const thing = new Thing();
  assert(thing.event("start") instanceof OneTimeEvent);
  assert(thing.event("tick") instanceof ManyTimesEvent);
});

Deno.test("EventHandler.copyManyTimesEvents() binds the other's many-times handlers onto one-time and many-times events", () => {
  type HubEvents = {
    start: [owner: unknown, data: string];
    tick: [owner: unknown, data: number];
    other: [owner: unknown, data: number];
  };
  class Hub extends EventHandler<HubEvents> {
    constructor() {
      super({ oneTime: [], manyTimes: ["start", "tick", "other"] });
    }
  }
  const hub = new Hub();
  const seen: unknown[][] = [];
  hub.bindEvent("start", (owner, data) => seen.push(["start", owner, data]));
  hub.bindEvent("tick", (owner, data) => seen.push(["tick", owner, data]));
  hub.bindEvent("other", () => seen.push(["other"]));
  const first = new Thing();
  const second = new Thing();
  first.copyManyTimesEvents(hub);
  second.copyManyTimesEvents(hub);
  first.fireEvent("start", "a");
  first.fireEvent("tick", 1);
  second.fireEvent("tick", 2);
  assertEquals(seen, [
    ["start", first, "a"],
    ["tick", first, 1],
    ["tick", second, 2],
  ]);
});

Deno.test("EventHandler.copyManyTimesEvents() skips one-time events that already fired", () => {
  type HubEvents = { start: [owner: unknown, data: string] };
  class Hub extends EventHandler<HubEvents> {
    constructor() {
      super({ oneTime: [], manyTimes: ["start"] });
    }
  }
  const hub = new Hub();
  hub.bindEvent("start", () => {});
  const thing = new Thing();
  thing.fireEvent("start", "done");
  thing.copyManyTimesEvents(hub);
  assertEquals(thing.event("start").handlers.length, 0);
});

Deno.test("EventHandler remembers each of 40 one-time events fired before anyone looked", () => {
  const names = Array.from({ length: 40 }, (_, i) => `e${i}`);
  type Many = Record<string, [owner: unknown, data: unknown]>;
  const handler = new EventHandler<Many, string>({
    oneTime: names,
    manyTimes: [],
  });
  handler.fireEvent("e35", "late");
  // With one bit per event in a 32-bit mask, e35 and e3 shared a bit.
  assertEquals(handler.event("e3").fired, false);
  assertEquals(handler.event("e35").fired, true);
});
