// Copyright 2026 the pulsar for Deno authors. MIT license.
// A worker module for tests/workers_test.ts: pulsar's echo server, with
// commands that misbehave on purpose. Each is a whole message in one write:
//   WHO    answers the worker's id
//   CRASH  throws from a timer (an uncaught error in the worker)
//   REJECT leaves a promise rejection unhandled
//   EXIT   calls Deno.exit(3)
//   CLOSE  calls self.close()
//   HANG   blocks the worker's event loop for 2 s (Deno cannot end a worker
//          whose JavaScript never returns: see workers.ts)
//   BAD    throws a ProtocolError from dataReceived (costs its connection)
// workerData `{ counter, healthy }` (a SharedArrayBuffer and a count) makes
// every createServer() after the first `healthy` ones throw.
import {
  ProtocolError,
  Server,
  type WorkerContext,
  type WorkerServerOptions,
} from "@pulsar/net";
import { EchoServerConsumer } from "../../examples/echo/echo.ts";

const decoder = new TextDecoder();
const encoder = new TextEncoder();

class TestConsumer extends EchoServerConsumer {
  #id: number;

  constructor(id: number) {
    super();
    this.#id = id;
  }

  override dataReceived(data: Uint8Array): Uint8Array | void {
    switch (decoder.decode(data)) {
      case "WHO\r\n\r\n":
        this.transport!.write(encoder.encode(`${this.#id}\r\n\r\n`));
        this.finished(0);
        return;
      case "CRASH\r\n\r\n":
        setTimeout(() => {
          throw new Error(`worker ${this.#id} crashed on request`);
        }, 0);
        return;
      case "REJECT\r\n\r\n":
        Promise.reject(new Error(`worker ${this.#id} rejected on request`));
        return;
      case "EXIT\r\n\r\n":
        Deno.exit(3);
        return;
      case "CLOSE\r\n\r\n":
        (globalThis as unknown as { close(): void }).close();
        return;
      case "HANG\r\n\r\n":
        setTimeout(() => {
          const end = Date.now() + 2000;
          while (Date.now() < end) { /* hung */ }
        }, 0);
        return;
      case "BAD\r\n\r\n":
        throw new ProtocolError(`worker ${this.#id} refused the message`);
    }
    return super.dataReceived(data);
  }
}

export function createServer(
  options: WorkerServerOptions,
  worker: WorkerContext,
): Server {
  const data = worker.data as
    | { counter: SharedArrayBuffer; healthy: number }
    | undefined;
  if (data !== undefined) {
    const built = Atomics.add(new Int32Array(data.counter), 0, 1) + 1;
    if (built > data.healthy) {
      throw new Error(`server ${built} refused to be built`);
    }
  }
  return new Server({
    ...options,
    consumerFactory: () => new TestConsumer(worker.id),
  });
}
