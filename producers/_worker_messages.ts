// Copyright 2026 the pulsar for Deno authors. MIT license.
// What the supervisor of serveWorkers() and its workers say to each other,
// and how an error crosses between them: structured clone keeps only the
// built-in error types, so errors travel as plain data and are rebuilt with
// their class (this module's typed errors, Deno's, the built-in ones).

import * as errors from "../errors.ts";
import type { ServerCloseOptions } from "./server.ts";

/** The counters a worker writes into its shared buffer, by index. */
export const STAT_BEATS = 0;
/** Connections built so far. */
export const STAT_SESSIONS = 1;
/** Connections open now. */
export const STAT_CONNECTIONS = 2;
/** Requests finished. */
export const STAT_REQUESTS = 3;
/** The length of a worker's shared counters. */
export const STAT_LENGTH = 4;

/** Milliseconds between a worker's updates of its counters (its beat). */
export const BEAT_INTERVAL = 100;

/** An error as data. */
export interface ErrorData {
  name: string;
  message: string;
  stack?: string;
  /** A typed error's `address` (a string) or a report's (a `Deno.Addr`). */
  address?: unknown;
  code?: unknown;
  cause?: ErrorData;
}

/** What the supervisor uses of a worker's server: a `Server` has it all. */
export interface WorkerServer {
  /** Starts listening. */
  start(): Promise<void>;
  /** Drains and closes. */
  close(options: ServerCloseOptions): Promise<void>;
  /** Settles once closed. */
  readonly closed: Promise<void>;
  /** The bound address. */
  readonly localAddr: Deno.Addr;
  /** Connections built so far. */
  readonly sessions: number;
  /** Connections open now. */
  readonly concurrentConnections: number;
  /** Requests finished. */
  readonly requestsProcessed: number;
}

/** What a worker is told to start with. */
export interface StartMessage {
  type: "start";
  id: number;
  workers: number;
  module: string;
  hostname: string;
  port: number;
  reusePort: boolean;
  name: string;
  data: unknown;
  /** `STAT_LENGTH` 64-bit counters, written by the worker. */
  stats: SharedArrayBuffer;
}

/** What a worker is told to stop with. */
export interface CloseMessage {
  type: "close";
  gracePeriod: number;
}

/** From the supervisor to a worker. */
export type ToWorker = StartMessage | CloseMessage;

/** From a worker to the supervisor. */
export type FromWorker =
  | { type: "ready"; address: Deno.NetAddr }
  | { type: "failed"; reason: string; error?: ErrorData }
  | {
    type: "report";
    error: ErrorData;
    source: string;
    address?: Deno.Addr;
  }
  | { type: "crashed"; error: ErrorData }
  | { type: "exited"; reason: string }
  | { type: "closed" };

/** `thrown` as data, its causes to a depth of 3. */
export function errorToData(thrown: unknown, depth = 0): ErrorData {
  if (!(thrown instanceof Error)) {
    return { name: "Error", message: String(thrown) };
  }
  const data: ErrorData = {
    name: thrown.name,
    message: thrown.message,
    stack: thrown.stack,
  };
  const extra = thrown as { address?: unknown; code?: unknown };
  if (isCloneable(extra.address)) data.address = extra.address;
  if (isCloneable(extra.code)) data.code = extra.code;
  if (thrown.cause !== undefined && depth < 3) {
    data.cause = errorToData(thrown.cause, depth + 1);
  }
  return data;
}

/** Rebuilds an error sent as data, of its own class when that is known. */
export function dataToError(data: ErrorData): Error {
  const options = data.cause === undefined
    ? undefined
    : { cause: dataToError(data.cause) };
  const error: Error & { address?: unknown; code?: unknown } = Reflect
    .construct(Error, [data.message, options], errorClass(data.name));
  error.name = data.name;
  if (data.stack !== undefined) error.stack = data.stack;
  if (data.address !== undefined) error.address = data.address;
  if (data.code !== undefined) error.code = data.code;
  return error;
}

const BUILT_IN: Record<string, ErrorConstructor> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
};

/** The class named `name`: this module's, Deno's, or a built-in one. */
function errorClass(name: string): new (...args: never[]) => Error {
  const candidates = [
    BUILT_IN[name],
    (errors as Record<string, unknown>)[name],
    (Deno.errors as Record<string, unknown>)[name],
  ];
  for (const candidate of candidates) {
    if (
      typeof candidate === "function" &&
      (candidate === Error || candidate.prototype instanceof Error)
    ) {
      return candidate as new (...args: never[]) => Error;
    }
  }
  return Error;
}

/** Whether `value` survives `postMessage` as itself (plain data). */
function isCloneable(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  const type = typeof value;
  if (type === "string" || type === "number" || type === "boolean") {
    return true;
  }
  if (type !== "object") return false;
  try {
    structuredClone(value);
    return true;
  } catch {
    return false;
  }
}
