// Copyright 2026 the pulsar for Deno authors. MIT license.
// setTimer(): every library timer waits in one heap under one setTimeout.
import { assert, assertEquals, assertGreaterOrEqual } from "@std/assert";
import { setTimer, type Timer } from "../internal/timer.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

Deno.test("setTimer() fires timers in the order they are due, ties in the order set, never early", async () => {
  const fired: string[] = [];
  const late: string[] = [];
  // When each is due lies between these two (the call may be stalled).
  const due = new Map<string, { earliest: number; latest: number }>();
  const set = (name: string, delay: number) => {
    const start = performance.now();
    setTimer(() => {
      fired.push(name);
      if (performance.now() - start < delay) late.push(name);
    }, delay);
    due.set(name, {
      earliest: start + delay,
      latest: performance.now() + delay,
    });
  };
  set("c", 30);
  set("a", 10);
  set("b1", 20);
  set("b2", 20);
  set("zero", 0);
  set("d", 40);
  await sleep(80);
  assertEquals(fired.toSorted(), ["a", "b1", "b2", "c", "d", "zero"]);
  // No timer fired after one that was surely due later.
  for (let i = 1; i < fired.length; i++) {
    const before = due.get(fired[i - 1])!;
    const after = due.get(fired[i])!;
    assert(
      before.earliest <= after.latest,
      `${fired[i - 1]} before ${fired[i]}`,
    );
  }
  // Same delay, set one after the other: in the order set.
  assert(fired.indexOf("b1") < fired.indexOf("b2"));
  assertEquals(late, []);
});

Deno.test("setTimer(): a cleared timer never fires, whether it was first, in the middle or last; clearing twice is harmless", async () => {
  const fired: number[] = [];
  const timers: Timer[] = [];
  for (let i = 0; i < 20; i++) {
    timers.push(setTimer(() => fired.push(i), 5 + (i % 7)));
  }
  const cleared = new Set([0, 3, 7, 12, 19]);
  for (const i of cleared) {
    timers[i].clear();
    timers[i].clear();
  }
  await sleep(40);
  assertEquals(
    fired.toSorted((a, b) => a - b),
    [...Array(20).keys()].filter((i) => !cleared.has(i)),
  );
  // Firing is once: clearing after it changes nothing.
  for (const timer of timers) timer.clear();
});

Deno.test("setTimer(): clearing every timer leaves no setTimeout behind (the op sanitizer would fail this test)", () => {
  const timers = Array.from(
    { length: 1000 },
    (_, i) => setTimer(() => {}, 10_000 + i),
  );
  for (const timer of timers.toReversed()) timer.clear();
});

Deno.test("setTimer(): a timer set earlier than the one waited for, and one set from a callback, fire in time", async () => {
  const fired: string[] = [];
  const started = performance.now();
  const done = Promise.withResolvers<void>();
  setTimer(() => fired.push("slow"), 60);
  setTimer(() => {
    fired.push("fast");
    setTimer(() => {
      fired.push("nested");
      done.resolve();
    }, 5);
  }, 5);
  await done.promise;
  assertEquals(fired, ["fast", "nested"]);
  assertGreaterOrEqual(performance.now() - started, 10);
  await sleep(70);
  assertEquals(fired, ["fast", "nested", "slow"]);
});
