// Copyright 2026 the pulsar for Deno authors. MIT license.
import { assertEquals, assertThrows } from "@std/assert";
import { ProtocolError } from "../errors.ts";
import { DelimitedConsumer } from "../protocols/delimited_consumer.ts";
import { DelimiterFinder } from "../protocols/delimiter_finder.ts";
import { decoder, encoder } from "./_helpers.ts";

class Lines extends DelimitedConsumer<undefined, string> {
  constructor(maxSize?: number) {
    super(encoder.encode("\r\n\r\n"), { maxSize });
  }
  override messageReceived(message: Uint8Array): string {
    return decoder.decode(message);
  }
}

/** Feeds `parts` to successive consumers; returns their results. */
function feed(parts: string[], maxSize?: number): string[] {
  const results: string[] = [];
  let consumer = new Lines(maxSize);
  for (const part of parts) {
    let data: Uint8Array | void = encoder.encode(part);
    while (data !== undefined && data.length > 0) {
      data = consumer.dataReceived(data);
      if (consumer.hasFinished) {
        consumer.onFinished.then((r) => results.push(r));
        consumer = new Lines(maxSize);
      }
    }
  }
  return results;
}

Deno.test("DelimitedConsumer finds a delimiter split at every point across reads", async () => {
  const message = "hello\r\n\r\n";
  for (let cut = 1; cut < message.length; cut++) {
    const results = feed([message.slice(0, cut), message.slice(cut)]);
    await Promise.resolve();
    assertEquals(results, [message], `cut at ${cut}`);
  }
});

Deno.test("DelimitedConsumer handles one-byte reads and several messages per read", async () => {
  const wire = "a\r\n\r\nbb\r\n\r\n\r\n\r\nccc\r\n\r\n";
  const oneByte = feed([...wire]);
  const oneRead = feed([wire]);
  await Promise.resolve();
  const expected = ["a\r\n\r\n", "bb\r\n\r\n", "\r\n\r\n", "ccc\r\n\r\n"];
  assertEquals(oneByte, expected);
  assertEquals(oneRead, expected);
});

Deno.test("DelimitedConsumer does not mistake a partial delimiter for a whole one", async () => {
  const results = feed(["ab\r\n", "\rx\r", "\n\r\n", "\r\n"]);
  await Promise.resolve();
  assertEquals(results, ["ab\r\n\rx\r\n\r\n"]);
});

Deno.test("DelimitedConsumer throws ProtocolError past maxSize, with or without a delimiter", () => {
  assertThrows(
    () => feed(["x".repeat(20)], 16),
    ProtocolError,
    "exceeds the maximum size of 16 bytes",
  );
  assertThrows(
    () => feed(["x".repeat(10), "x".repeat(10) + "\r\n\r\n"], 16),
    ProtocolError,
    "exceeds the maximum size of 16 bytes",
  );
  assertEquals(feed(["x".repeat(12) + "\r\n\r\n"], 16).length, 0);
});

Deno.test("DelimitedConsumer rejects an empty delimiter and a maxSize below its length", () => {
  class Bad extends DelimitedConsumer {
    override messageReceived(): void {}
  }
  assertThrows(() => new Bad(new Uint8Array(0)), RangeError, "empty delimiter");
  assertThrows(
    () => new Bad(new Uint8Array(4), { maxSize: 3 }),
    RangeError,
    'Cannot use maxSize "3"',
  );
});

Deno.test("DelimiterFinder finds a self-overlapping delimiter across chunks", () => {
  const finder = new DelimiterFinder(encoder.encode("abab"));
  assertEquals(finder.find(encoder.encode("xaba")), -1);
  assertEquals(finder.matched, 3);
  // "aba" + "bab": the delimiter ends after the first "b".
  assertEquals(finder.find(encoder.encode("bab")), 1);
  assertEquals(finder.matched, 0);
  assertEquals(finder.find(encoder.encode("aabababx"), 0), 5);
  assertEquals(finder.find(encoder.encode("ab"), 0), -1);
  finder.reset();
  assertEquals(finder.find(encoder.encode("ab")), -1);
  assertEquals(finder.matched, 2);
});
