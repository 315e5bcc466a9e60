// Copyright 2026 the pulsar for Deno authors. MIT license.
// A worker module whose server ignores the options it is given: it listens
// on a port of its own.
import { Server } from "@pulsar/net";
import { EchoServerConsumer } from "../../examples/echo/echo.ts";

export function createServer(): Server {
  return new Server({ consumerFactory: () => new EchoServerConsumer() });
}
