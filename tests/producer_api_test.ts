// Copyright 2026 the pulsar for Deno authors. MIT license.
// The public face of producers and protocols (issue 14): what each class
// holds, where user code that throws is reported, disposal, idle peers.
import { assert, assertEquals, assertFalse, assertThrows } from "@std/assert";
import { Connection } from "../protocols/connection.ts";
import { ProtocolConsumer } from "../protocols/protocol_consumer.ts";
import { ConnectionProducer } from "../producers/connection_producer.ts";
import { Producer } from "../producers/producer.ts";
import { Server } from "../producers/server.ts";

/** Answers each read with "ok" and finishes. */
class Ok extends ProtocolConsumer {
  override dataReceived(): void {
    this.transport!.write(new TextEncoder().encode("ok"));
    this.finished();
  }
}

Deno.test("Producer holds what servers and clients share; maxConnections is a Server option only", () => {
  const producer = new Producer({ idleTimeout: 5 });
  assertEquals(producer.idleTimeout, 5);
  assertFalse("maxConnections" in producer);
  assertFalse("maxConnections" in new ConnectionProducer());
  const server = new Server({
    consumerFactory: () => new Ok(),
    maxConnections: 3,
  });
  assertEquals(server.maxConnections, 3);
  assertThrows(
    () => new Server({ consumerFactory: () => new Ok(), maxConnections: -1 }),
    RangeError,
    'maxConnections "-1"',
  );
});

Deno.test("Producer.newConnection() builds a connection with the producer, its idle timeout and its hooks, untracked", () => {
  class Custom extends Producer {
    open(session: number): Connection {
      return this.newConnection(() => new Ok(), session);
    }
  }
  const producer = new Custom({ idleTimeout: 25 });
  const made: number[] = [];
  producer.bindEvent(
    "connectionLost",
    (connection) => made.push(connection.session),
  );
  const connection = producer.open(7);
  assertEquals(connection.session, 7);
  assert(connection.producer === producer);
  assertEquals(connection.idleTimeout, 25);
  connection.connectionLost();
  assertEquals(made, [7]);
});

Deno.test("ConnectionProducer numbers and tracks the connections it makes", () => {
  const producer = new ConnectionProducer();
  const first = producer.newConnection();
  const second = producer.newConnection();
  assertEquals([first.session, second.session], [1, 2]);
  assertEquals(producer.concurrentConnections, 2);
  first.connectionLost();
  assertEquals([...producer.connections], [second]);
  second.connectionLost();
  assertEquals(producer.sessions, 2);
});

Deno.test("Producer's hooks are exactly the events of a connection and of a consumer", () => {
  const connection = new Connection();
  const consumer = new Ok();
  const expected = [
    ...connection.eventNames.oneTime,
    ...connection.eventNames.manyTimes,
    ...consumer.eventNames.oneTime,
    ...consumer.eventNames.manyTimes,
  ];
  assertEquals(
    [...new Producer().eventNames.manyTimes].sort(),
    expected.sort(),
  );
  const server = new Server({ consumerFactory: () => new Ok() });
  assertEquals([...server.eventNames.oneTime], ["start", "stop"]);
  assertEquals([...server.eventNames.manyTimes].sort(), expected.sort());
});
