// Copyright 2026 the pulsar for Deno authors. MIT license.
import { assertEquals, assertThrows } from "@std/assert";
import { deadline } from "../internal/deadline.ts";
import { MAX_TIMER_DELAY, setTimer } from "../internal/timer.ts";
import {
  checkBytes,
  checkDuration,
  checkFunction,
  checkInteger,
  checkSignal,
} from "../internal/validate.ts";

Deno.test("setTimer() never fires for Infinity and waits out delays past the clamp", async () => {
  let fired = 0;
  const never = setTimer(() => fired++, Infinity);
  const huge = setTimer(() => fired++, MAX_TIMER_DELAY + 1);
  const long = setTimer(() => fired++, 2 ** 40);
  await new Promise((resolve) => setTimeout(resolve, 50));
  assertEquals(fired, 0);
  never.clear();
  huge.clear();
  long.clear();
  const soon = Promise.withResolvers<void>();
  setTimer(soon.resolve, 1);
  await soon.promise;
});

Deno.test("deadline() with Infinity or 2^31 ms does not abort early", async () => {
  for (const timeout of [Infinity, 2 ** 31, 2 ** 31 - 1]) {
    const limit = deadline(undefined, timeout, () => new Error("late"));
    await new Promise((resolve) => setTimeout(resolve, 20));
    assertEquals(limit.signal?.aborted ?? false, false, String(timeout));
    limit.clear();
  }
});

Deno.test("validators name the option, quote the value and pick the error type", () => {
  assertThrows(
    () => checkDuration("timeout", NaN),
    RangeError,
    'Cannot use timeout "NaN": it must be 0 or more milliseconds',
  );
  assertThrows(() => checkDuration("timeout", -1), RangeError, '"-1"');
  assertThrows(
    () => checkDuration("timeout", "5"),
    TypeError,
    '"5" (a string)',
  );
  assertEquals(checkDuration("timeout", Infinity), Infinity);
  assertThrows(
    () => checkInteger("poolSize", 0, 1),
    RangeError,
    'Cannot use poolSize "0": it must be an integer of 1 or more',
  );
  assertThrows(() => checkInteger("poolSize", 1.5, 1), RangeError);
  assertThrows(() => checkInteger("poolSize", Infinity, 1), RangeError);
  assertEquals(checkInteger("maxConnections", Infinity, 0, Infinity), Infinity);
  assertThrows(
    () => checkInteger("readSize", 2 ** 40, 1, 2 ** 24),
    RangeError,
    "from 1 to 16777216",
  );
  assertThrows(() => checkFunction("consumerFactory", undefined), TypeError);
  assertThrows(
    () => checkBytes("data", "hello"),
    TypeError,
    'Cannot use data "hello" (a string): it must be a Uint8Array',
  );
  assertThrows(
    () => checkSignal("signal", 5),
    TypeError,
    'Cannot use signal "5": it must be an AbortSignal',
  );
  const signal = new AbortController().signal;
  assertEquals(checkSignal("signal", signal), signal);
});
