// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * `serveWorkers()`: one `Server` per core, each in a Deno `Worker` of its
 * own, all listening on one port, supervised: a worker that crashes, exits
 * or hangs is replaced; `close()` drains them all.
 *
 * @module
 */

import {
  type ErrorHandler,
  type ErrorReport,
  ListenError,
  TimeoutError,
  WorkerError,
} from "../errors.ts";
import { reportError } from "../internal/report.ts";
import { setTimer, settlesWithin, type Timer } from "../internal/timer.ts";
import {
  checkDuration,
  checkFunction,
  checkInteger,
  checkObject,
  checkString,
  describe,
} from "../internal/validate.ts";
import { checkPort, hasUnstableNet } from "../transports/_options.ts";
import { checkCloseOptions } from "./_close_options.ts";
import { WORKER_ENTRY } from "./_worker_main.ts";
import {
  BEAT_INTERVAL,
  dataToError,
  type FromWorker,
  STAT_BEATS,
  STAT_CONNECTIONS,
  STAT_LENGTH,
  STAT_REQUESTS,
  STAT_SESSIONS,
  type ToWorker,
  type WorkerServer,
} from "./_worker_messages.ts";
import type { ServerCloseOptions } from "./server.ts";

export type { WorkerServer };

/**
 * The options a worker module's `createServer()` is given: spread them into
 * the `Server` it builds, so that it listens on the shared port and its
 * error reports reach the supervisor.
 */
export interface WorkerServerOptions {
  /** The address to listen on. */
  hostname: string;
  /** The port to listen on (the one the first worker was given). */
  port: number;
  /**
   * Whether to share the port (`SO_REUSEPORT`): true with more than one
   * worker, and with one where the system allows it (so a replacement can
   * listen while the worker it replaces still holds the port).
   */
  reusePort: boolean;
  /** The worker's name, for messages: the supervisor's name and its id. */
  name: string;
  /** Sends the server's error reports to the supervisor's `onError`. */
  onError: ErrorHandler;
}

/** Which worker `createServer()` builds the server of. */
export interface WorkerContext {
  /** The worker's id, from 1 to `workers`; a replacement keeps the id. */
  id: number;
  /** How many workers serve the port. */
  workers: number;
  /** The supervisor's `workerData`, cloned. */
  data: unknown;
}

/**
 * The function a worker module exports as `createServer`: it builds the
 * worker's `Server` (not started) with the given options.
 *
 * @example A worker module
 * ```ts
 * import {
 *   ProtocolConsumer,
 *   Server,
 *   type WorkerContext,
 *   type WorkerServerFactory,
 *   type WorkerServerOptions,
 * } from "@pulsar/net";
 *
 * class Ok extends ProtocolConsumer {
 *   override dataReceived(): void {
 *     this.transport!.write(new TextEncoder().encode("ok"));
 *     this.finished();
 *   }
 * }
 *
 * export const createServer: WorkerServerFactory = (
 *   options: WorkerServerOptions,
 *   _worker: WorkerContext,
 * ): Server => new Server({ ...options, consumerFactory: () => new Ok() });
 * ```
 */
export type WorkerServerFactory = (
  options: WorkerServerOptions,
  worker: WorkerContext,
) => WorkerServer | Promise<WorkerServer>;

/** An error report of a worker, or about one: which worker, and what. */
export interface WorkerErrorReport extends ErrorReport {
  /** The worker's id, from 1. */
  workerId: number;
}

/** Options of `serveWorkers()`. */
export interface ServeWorkersOptions {
  /**
   * How many workers serve the port, an integer of 1 or more. Where the
   * kernel cannot spread one port over several listeners (any system but
   * Linux), one worker is run whatever is asked (see `workerCount`).
   *
   * @default {navigator.hardwareConcurrency}
   */
  workers?: number;
  /**
   * The address to listen on.
   *
   * @default {"127.0.0.1"}
   */
  hostname?: string;
  /**
   * The port to listen on; 0 picks a free one (see `port`).
   *
   * @default {0}
   */
  port?: number;
  /**
   * A name for messages; worker `n` is named `${name} ${n}`.
   *
   * @default {"workers"}
   */
  name?: string;
  /**
   * Data given to every worker's `createServer()` (as `worker.data`):
   * anything `structuredClone()` can copy.
   */
  workerData?: unknown;
  /**
   * Milliseconds a worker may go without a beat (a worker beats every
   * 100 ms while its event loop runs, from the moment its entry module has
   * loaded) before it is deemed hung, terminated and replaced; this also
   * catches a worker whose module blocks its event loop while imported. 0
   * or `Infinity` for no limit; otherwise at least 200. A worker that
   * hangs while starting with its event loop running (a `createServer()`
   * or `start()` that never settles) keeps beating: `startTimeout` bounds
   * it. Deno ends a terminated
   * worker only when its JavaScript returns to the event loop: one that
   * never returns keeps its thread, its connections and its listening
   * socket (so its share of new connections waits in its backlog) until
   * the process ends.
   *
   * @default {10000}
   */
  heartbeatTimeout?: number;
  /**
   * Milliseconds a worker may take to start, from its spawn until its
   * server listens (loading its modules, `createServer()`, the server's
   * `start()`): one that takes longer fails `start()` with a `WorkerError`
   * (its `cause` a `TimeoutError`), or, if it is a replacement, is
   * terminated and replaced again after the restart delay. 0 or `Infinity`
   * for no limit. Mind the time a first start may take to load modules
   * (`deno test` type-checks a worker's modules: about half a second for
   * this package's own).
   *
   * @default {30000}
   */
  startTimeout?: number;
  /**
   * Milliseconds before a failed worker is replaced again when its
   * replacement failed too: the first replacement is at once, then this,
   * doubling up to `maxRestartDelay`. A worker that stays up for
   * `maxRestartDelay` starts the count again. 0 for no wait; finite (a
   * supervisor that gave up replacing a worker would leave its share of
   * the port unserved, and with one worker the port refusing connections).
   *
   * @default {100}
   */
  restartDelay?: number;
  /**
   * The longest wait before a replacement; finite, as `restartDelay`.
   *
   * @default {10000}
   */
  maxRestartDelay?: number;
  /**
   * Receives what goes wrong in the workers, with the worker's id: their
   * servers' reports (the `source` a `Server` gives), and a worker that
   * crashed (`"worker"`, the uncaught error), exited (`"exit"`), hung
   * (`"heartbeat"`, a `TimeoutError`) or whose replacement failed to start
   * (`"restart"`, a `WorkerError` or `ListenError`; a `WorkerError` whose
   * `cause` is a `TimeoutError` past `startTimeout`). Without it, each is one
   * `console.error` line.
   */
  onError?: (report: WorkerErrorReport) => void;
}

/** One worker's state and counters, as `WorkerSupervisor.workers` shows. */
export interface WorkerStatus {
  /** The worker's id, from 1. */
  id: number;
  /**
   * `"starting"`, `"running"`, `"restarting"` (waiting to be replaced),
   * `"closing"` or `"closed"`.
   */
  state: "starting" | "running" | "restarting" | "closing" | "closed";
  /** How many replacements of this worker have been started. */
  restarts: number;
  /** Connections built by this worker and those it replaced. */
  sessions: number;
  /** Connections it has open now. */
  concurrentConnections: number;
  /** Requests finished by this worker and those it replaced. */
  requestsProcessed: number;
}

/** The least `heartbeatTimeout` other than 0: two beats. */
const MIN_HEARTBEAT_TIMEOUT = 2 * BEAT_INTERVAL;

/**
 * Milliseconds past `gracePeriod` that `close()` waits for a worker to say
 * it closed before terminating it.
 */
const CLOSE_MARGIN = 2000;

/** One worker slot: its current `Worker`, and counters of those it replaced. */
interface Slot {
  id: number;
  state: WorkerStatus["state"];
  worker?: Worker;
  stats: BigInt64Array;
  /** Counters of the workers this slot had before, summed. */
  retiredSessions: number;
  retiredRequests: number;
  restarts: number;
  /** Consecutive failures, for the restart delay. */
  failures: number;
  startedAt: number;
  lastBeat: bigint;
  lastBeatAt: number;
  /** Settles when the current worker is ready, or failed to be. */
  ready?: PromiseWithResolvers<Deno.NetAddr>;
  /** Settles when the current worker has closed, or is gone. */
  gone?: PromiseWithResolvers<void>;
  restartTimer?: Timer;
  /** Bounds the current worker's start by `startTimeout`. */
  startTimer?: Timer;
}

/**
 * Runs a `Server` on every core: `workers` Deno Workers, each building its
 * server with the `createServer` function that `module` exports and
 * listening on the same port (`reusePort`; on Linux the kernel spreads new
 * connections over them). The supervisor replaces a worker that crashes,
 * exits or hangs, with a growing delay while replacements keep failing;
 * `close()` drains every worker with the `Server.close()` grace period.
 * Counters are summed over workers and refreshed every 100 ms.
 *
 * Needs Deno's `--unstable-net` (for `reusePort`) when more than one worker
 * runs, and read access to the modules the workers load.
 *
 * @example Two workers serving one port
 * ```ts
 * import { WorkerSupervisor } from "@pulsar/net";
 * import { assertEquals } from "@std/assert";
 *
 * // A module exporting `createServer(options)`, which returns
 * // `new Server({ ...options, consumerFactory })`.
 * const module = new URL("../examples/echo/server.ts", import.meta.url);
 * await using workers = new WorkerSupervisor(module, { workers: 2 });
 * await workers.start();
 * assertEquals(workers.workerCount, 2);
 * using conn = await Deno.connect({ port: workers.port });
 * await conn.write(new TextEncoder().encode("hi\r\n\r\n"));
 * const reply = new Uint8Array(6);
 * await conn.read(reply);
 * assertEquals(new TextDecoder().decode(reply), "hi\r\n\r\n");
 * ```
 */
export class WorkerSupervisor {
  /** The module that exports `createServer`. */
  readonly module: string;
  /** The name, for messages. */
  readonly name: string;
  /** The address the workers listen on. */
  readonly hostname: string;
  /**
   * How many workers run: `workers`, or 1 where the system cannot share a
   * port between listeners.
   */
  readonly workerCount: number;
  #port: number;
  #data: unknown;
  #heartbeatTimeout: number;
  #startTimeout: number;
  #restartDelay: number;
  #maxRestartDelay: number;
  #onError: ((report: WorkerErrorReport) => void) | undefined;
  #slots: Slot[] = [];
  #starting: Promise<void> | undefined;
  #started = false;
  #closing: Promise<void> | undefined;
  #closed = Promise.withResolvers<void>();
  #watchdog: Timer | undefined;
  #address: Deno.NetAddr | undefined;
  /**
   * Whether the workers listen with `reusePort`: always with more than
   * one, and with one where the system has it, so that a replacement can
   * listen before the worker it replaces has let go of the port.
   */
  #reusePort: boolean;
  /** The grace period `close()` was given. */
  #gracePeriod = 0;

  /**
   * Builds the supervisor; `start()` starts the workers.
   *
   * @param module The worker module's URL (a `URL` or an absolute URL
   * string, such as `new URL("./server.ts", import.meta.url)`); it exports
   * `createServer` (a `WorkerServerFactory`).
   * @param options `workers`, `hostname`, `port`, `name`, `workerData`,
   * `heartbeatTimeout`, `startTimeout`, `restartDelay`, `maxRestartDelay`,
   * `onError`. Every option is checked here.
   * @throws {TypeError} If `module` is not a URL, `workerData` cannot be
   * cloned, `onError` is not a function, or another option has the wrong
   * type.
   * @throws {RangeError} If a number is out of range: `workers` not an
   * integer of 1 or more, `port` not from 0 to 65535, `heartbeatTimeout`
   * below 200 (other than 0), `startTimeout` `NaN` or negative,
   * `restartDelay` or `maxRestartDelay` `NaN`, negative or `Infinity`.
   */
  constructor(module: string | URL, options: ServeWorkersOptions = {}) {
    this.module = checkModule(module);
    checkObject("options", options);
    const workers = options.workers === undefined
      ? navigator.hardwareConcurrency
      : checkInteger("workers", options.workers, 1);
    this.hostname = options.hostname === undefined
      ? "127.0.0.1"
      : checkString("hostname", options.hostname);
    this.#port = options.port === undefined
      ? 0
      : checkPort("port", options.port, 0);
    this.name = options.name === undefined
      ? "workers"
      : checkString("name", options.name);
    this.#data = checkCloneable(options.workerData);
    this.#heartbeatTimeout = options.heartbeatTimeout === undefined
      ? 10000
      : checkHeartbeatTimeout(options.heartbeatTimeout);
    this.#startTimeout = options.startTimeout === undefined
      ? 30000
      : checkDuration("startTimeout", options.startTimeout);
    this.#restartDelay = options.restartDelay === undefined
      ? 100
      : checkDelay("restartDelay", options.restartDelay);
    this.#maxRestartDelay = options.maxRestartDelay === undefined
      ? 10000
      : checkDelay("maxRestartDelay", options.maxRestartDelay);
    if (options.onError !== undefined) {
      this.#onError = checkFunction("onError", options.onError);
    }
    // SO_REUSEPORT spreads connections only on Linux; Deno ignores it
    // elsewhere, where a second listener would fail with AddrInUse.
    this.workerCount = Deno.build.os === "linux" ? workers : 1;
    this.#reusePort = this.workerCount > 1 ||
      (Deno.build.os === "linux" && hasUnstableNet());
  }

  /**
   * The port the workers listen on (with port 0, the one the first worker
   * picked). After `close()` (or a failed `start()` once the first worker
   * listened), the port they listened on, as `Server.port` after its
   * `close()`: nothing listens there any more.
   *
   * @throws {Error} If no worker has listened yet.
   */
  get port(): number {
    return this.localAddr.port;
  }

  /**
   * The address the workers listen on; after `close()`, the one they
   * listened on (as `port`).
   *
   * @throws {Error} If no worker has listened yet.
   */
  get localAddr(): Deno.NetAddr {
    if (this.#address === undefined) {
      throw new Error(`Cannot get the address of ${this.name}: not started`);
    }
    return this.#address;
  }

  /** Connections open now, summed over the workers. */
  get concurrentConnections(): number {
    let total = 0;
    for (const slot of this.#slots) total += current(slot, STAT_CONNECTIONS);
    return total;
  }

  /** Requests finished, summed over the workers (replaced ones included). */
  get requestsProcessed(): number {
    let total = 0;
    for (const slot of this.#slots) total += requests(slot);
    return total;
  }

  /** Connections built so far, summed over the workers. */
  get sessions(): number {
    let total = 0;
    for (const slot of this.#slots) total += sessions(slot);
    return total;
  }

  /** How many replacement workers have been started so far. */
  get restarts(): number {
    let total = 0;
    for (const slot of this.#slots) total += slot.restarts;
    return total;
  }

  /** Each worker's state and counters, a snapshot. */
  get workers(): WorkerStatus[] {
    return this.#slots.map((slot) => ({
      id: slot.id,
      state: slot.state,
      restarts: slot.restarts,
      sessions: sessions(slot),
      concurrentConnections: current(slot, STAT_CONNECTIONS),
      requestsProcessed: requests(slot),
    }));
  }

  /**
   * Settles (never rejects) once `close()` has finished, or a failed
   * `start()` has stopped every worker. Pending until then.
   */
  get closed(): Promise<void> {
    return this.#closed.promise;
  }

  /**
   * Starts the workers: the first one, then (on the port it listens on) the
   * others. Idempotent.
   *
   * @returns A promise settled once every worker listens; it rejects
   * (`start()` never throws), after stopping the workers it started.
   * @throws {WorkerError} If a worker's module cannot be imported, does not
   * export `createServer`, or that throws or returns no server, or the
   * worker hangs while starting: its event loop blocked past
   * `heartbeatTimeout`, or not listening after `startTimeout` (`workerId`
   * names the worker, `cause` is its error, a `TimeoutError` for these
   * two).
   * @throws {AddrInUseError} If the address is taken (by a listener without
   * `reusePort`).
   * @throws {ListenError} If it cannot listen for another reason, such as
   * several workers without Deno's `--unstable-net`.
   * @throws {Error} If the supervisor was closed.
   */
  start(): Promise<void> {
    if (this.#closing !== undefined) {
      return Promise.reject(
        new Error(`Cannot start ${this.name}: it was closed`),
      );
    }
    return this.#starting ??= this.#start();
  }

  /**
   * Stops every worker's server accepting, lets in-flight requests finish
   * for up to `gracePeriod` milliseconds (as `Server.close()` does, in each
   * worker), then terminates the workers. Replacements stop. Idempotent:
   * later calls return the same promise.
   *
   * @param options `gracePeriod`.
   * @returns A promise settled once every worker has ended.
   * @throws {RangeError} If `gracePeriod` is `NaN` or negative (the promise
   * rejects, and nothing is closed).
   * @throws {TypeError} If `gracePeriod` is not a number.
   */
  close(options: ServerCloseOptions = {}): Promise<void> {
    let gracePeriod: number;
    try {
      gracePeriod = checkCloseOptions(options);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#closing ??= this.#close(gracePeriod);
  }

  /**
   * Closes the workers, as `close()` does.
   *
   * @returns A promise settled once closed.
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #start(): Promise<void> {
    for (let id = 1; id <= this.workerCount; id++) {
      this.#slots.push({
        id,
        state: "starting",
        stats: newStats(),
        retiredSessions: 0,
        retiredRequests: 0,
        restarts: 0,
        failures: 0,
        startedAt: 0,
        lastBeat: 0n,
        lastBeatAt: 0,
      });
    }
    this.#watch();
    try {
      // The first worker picks the port when it is 0; the others share it.
      const [first, ...others] = this.#slots;
      this.#address = await this.#spawn(first);
      this.#port = this.#address.port;
      await Promise.all(others.map((slot) => this.#spawn(slot)));
    } catch (error) {
      this.#closing ??= this.#close(0);
      await this.#closing;
      throw error;
    }
    this.#started = true;
  }

  /** Starts a worker in `slot`; resolves with its address once it listens. */
  #spawn(slot: Slot): Promise<Deno.NetAddr> {
    const worker = new Worker(WORKER_ENTRY, {
      type: "module",
      name: `${this.name} ${slot.id}`,
    });
    // A new slot, or one #end() left: fresh counters, no start timer.
    slot.worker = worker;
    slot.startedAt = slot.lastBeatAt = Date.now();
    slot.lastBeat = 0n;
    slot.ready = Promise.withResolvers();
    slot.gone = Promise.withResolvers();
    const startTimeout = this.#startTimeout;
    if (startTimeout !== 0 && startTimeout !== Infinity) {
      // Its event loop may run (and beat) while its createServer() or
      // start() never settles: the heartbeat cannot catch that.
      slot.startTimer = setTimer(() => {
        slot.startTimer = undefined;
        this.#lost(
          slot,
          worker,
          "restart",
          new TimeoutError(
            `Worker ${slot.id} of ${this.name} did not listen within ` +
              `${startTimeout} ms`,
          ),
        );
      }, startTimeout);
    }
    // Nobody may be awaiting it (a replacement): a failure is handled here.
    slot.ready.promise.catch(() => {});
    worker.onmessage = (event: MessageEvent<FromWorker>) =>
      this.#received(slot, worker, event.data);
    // An error the worker's own handler missed: its entry failed to load
    // (no read access to it, say).
    worker.onerror = (event) => {
      event.preventDefault();
      this.#lost(slot, worker, "worker", new Error(event.message));
    };
    const start: ToWorker = {
      type: "start",
      id: slot.id,
      workers: this.workerCount,
      module: this.module,
      hostname: this.hostname,
      port: this.#port,
      reusePort: this.#reusePort,
      name: this.name,
      data: this.#data,
      stats: slot.stats.buffer as SharedArrayBuffer,
    };
    worker.postMessage(start);
    return slot.ready.promise;
  }

  #received(slot: Slot, worker: Worker, message: FromWorker): void {
    if (slot.worker !== worker) return; // From a worker already replaced.
    switch (message.type) {
      case "ready":
        slot.startTimer?.clear();
        slot.startTimer = undefined;
        slot.state = this.#closing === undefined ? "running" : "closing";
        slot.ready?.resolve(message.address);
        if (this.#closing !== undefined) {
          this.#tellClose(slot, this.#gracePeriod);
        }
        return;
      case "failed": {
        const cause = message.error && dataToError(message.error);
        const error = cause instanceof ListenError
          ? cause
          : new WorkerError(slot.id, message.reason, { cause });
        this.#lost(slot, worker, "restart", error);
        return;
      }
      case "report":
        this.#report({
          error: dataToError(message.error),
          source: message.source,
          address: message.address,
          workerId: slot.id,
        });
        return;
      case "crashed":
        this.#lost(slot, worker, "worker", dataToError(message.error));
        return;
      case "exited":
        this.#lost(
          slot,
          worker,
          "exit",
          new Error(`Worker ${slot.id} exited: ${message.reason}`),
        );
        return;
      case "closed":
        this.#end(slot, worker);
        return;
    }
  }

  /**
   * The worker in `slot` failed, crashed, exited or hung: terminate it;
   * replace it unless closing; while starting, fail the start.
   */
  #lost(slot: Slot, worker: Worker, source: string, error: Error): void {
    if (slot.worker !== worker) return;
    const wasReady = slot.state === "running" || slot.state === "closing";
    if (
      !wasReady && !(error instanceof WorkerError) &&
      !(error instanceof ListenError)
    ) {
      // It crashed, exited or hung before it listened.
      error = new WorkerError(slot.id, error.message, { cause: error });
    }
    slot.ready?.reject(error);
    this.#end(slot, worker);
    // While start() runs, a worker that cannot start fails it: start()
    // rejects with the error, there is nothing else to report.
    if (!this.#started && !wasReady) return;
    this.#report({ error, source, workerId: slot.id });
    if (this.#closing !== undefined) return;
    const upFor = Date.now() - slot.startedAt;
    if (wasReady && upFor >= this.#maxRestartDelay) slot.failures = 0;
    const delay = slot.failures === 0 ? 0 : Math.min(
      this.#maxRestartDelay,
      this.#restartDelay * 2 ** (slot.failures - 1),
    );
    slot.failures++;
    slot.state = "restarting";
    slot.restartTimer = setTimer(() => {
      slot.restartTimer = undefined;
      if (this.#closing !== undefined) return;
      slot.restarts++;
      slot.state = "starting";
      this.#spawn(slot).catch(() => {/* Handled in #lost. */});
    }, delay);
  }

  /** Terminates the worker in `slot`, keeping its last counters. */
  #end(slot: Slot, worker: Worker): void {
    if (slot.worker !== worker) return;
    worker.terminate();
    slot.worker = undefined;
    slot.startTimer?.clear();
    slot.startTimer = undefined;
    slot.retiredSessions += Number(Atomics.load(slot.stats, STAT_SESSIONS));
    slot.retiredRequests += Number(Atomics.load(slot.stats, STAT_REQUESTS));
    slot.stats = newStats();
    slot.state = "closed";
    slot.ready?.reject(
      new WorkerError(slot.id, `${this.name} closed while it started`),
    );
    slot.gone?.resolve();
  }

  /** Tells the worker in `slot` to close its server. */
  #tellClose(slot: Slot, gracePeriod: number): void {
    const message: ToWorker = { type: "close", gracePeriod };
    slot.worker?.postMessage(message);
  }

  /** Checks the workers' beats, every half `heartbeatTimeout`. */
  #watch(): void {
    const timeout = this.#heartbeatTimeout;
    if (timeout === 0 || timeout === Infinity) return;
    const check = () => {
      const now = Date.now();
      for (const slot of this.#slots) {
        const worker = slot.worker;
        if (worker === undefined) continue;
        const beat = Atomics.load(slot.stats, STAT_BEATS);
        if (beat === 0n) {
          // Its entry module is still loading (deno test type-checks it,
          // in about half a second): startTimeout bounds that.
          continue;
        } else if (beat !== slot.lastBeat) {
          slot.lastBeat = beat;
          slot.lastBeatAt = now;
        } else if (now - slot.lastBeatAt >= timeout) {
          this.#lost(
            slot,
            worker,
            "heartbeat",
            new TimeoutError(
              `Worker ${slot.id} of ${this.name} sent no heartbeat for ` +
                `${now - slot.lastBeatAt} ms`,
            ),
          );
        }
      }
      this.#watchdog = setTimer(check, timeout / 2);
    };
    this.#watchdog = setTimer(check, timeout / 2);
  }

  async #close(gracePeriod: number): Promise<void> {
    this.#gracePeriod = gracePeriod;
    const endings: Promise<void>[] = [];
    for (const slot of this.#slots) {
      slot.restartTimer?.clear();
      slot.restartTimer = undefined;
      const worker = slot.worker;
      if (worker === undefined) {
        slot.state = "closed";
        continue;
      }
      endings.push(slot.gone!.promise);
      if (slot.state === "running") {
        slot.state = "closing";
        this.#tellClose(slot, gracePeriod);
      } else if (slot.state === "starting" && this.#started) {
        // A replacement still starting: told to close once it is ready.
        slot.state = "closing";
      } else {
        this.#end(slot, worker);
      }
    }
    // A worker that does not say it closed (by the grace period, and a
    // margin for the message) is terminated.
    await settlesWithin(Promise.all(endings), gracePeriod + CLOSE_MARGIN);
    for (const slot of this.#slots) {
      if (slot.worker !== undefined) this.#end(slot, slot.worker);
    }
    this.#watchdog?.clear();
    // Let terminated workers release their threads before resolving.
    await new Promise<void>((resolve) => setTimer(resolve, 0));
    this.#closed.resolve();
  }

  #report(report: WorkerErrorReport): void {
    const onError = this.#onError;
    if (onError !== undefined) {
      reportError((r) => onError(r as WorkerErrorReport), report);
    } else {
      reportError(undefined, {
        ...report,
        source: `${this.name} ${report.workerId}: ${report.source}`,
      });
    }
  }
}

/**
 * Starts a supervised server on every core: `new WorkerSupervisor(module,
 * options)`, started. See `WorkerSupervisor`.
 *
 * @param module The worker module's URL; it exports `createServer`.
 * @param options `workers` (default `navigator.hardwareConcurrency`),
 * `hostname`, `port`, `name`, `workerData`, `heartbeatTimeout`,
 * `startTimeout`, `restartDelay`, `maxRestartDelay`, `onError`.
 * @returns The supervisor, once every worker listens.
 * @throws {TypeError} If an option has the wrong type (the promise rejects).
 * @throws {RangeError} If a number is out of range.
 * @throws {WorkerError} If a worker cannot start (a module that fails to
 * import, exports no `createServer`, or builds no server), or hangs while
 * starting (past `heartbeatTimeout` or `startTimeout`).
 * @throws {ListenError} If the workers cannot listen (`AddrInUseError` for
 * an address taken).
 *
 * @example Serve on every core, then drain
 * ```ts
 * import { serveWorkers } from "@pulsar/net";
 * import { assert } from "@std/assert";
 *
 * const workers = await serveWorkers(
 *   new URL("../examples/echo/server.ts", import.meta.url),
 *   { workers: 2, port: 0 },
 * );
 * assert(workers.port > 0);
 * await workers.close({ gracePeriod: 1000 });
 * ```
 */
export async function serveWorkers(
  module: string | URL,
  options: ServeWorkersOptions = {},
): Promise<WorkerSupervisor> {
  const supervisor = new WorkerSupervisor(module, options);
  await supervisor.start();
  return supervisor;
}

function newStats(): BigInt64Array {
  return new BigInt64Array(
    new SharedArrayBuffer(STAT_LENGTH * BigInt64Array.BYTES_PER_ELEMENT),
  );
}

function current(slot: Slot, index: number): number {
  return Number(Atomics.load(slot.stats, index));
}

function requests(slot: Slot): number {
  return slot.retiredRequests + current(slot, STAT_REQUESTS);
}

function sessions(slot: Slot): number {
  return slot.retiredSessions + current(slot, STAT_SESSIONS);
}

function checkModule(module: unknown): string {
  if (module instanceof URL) return module.href;
  if (typeof module === "string" && URL.canParse(module)) {
    return new URL(module).href;
  }
  throw new TypeError(
    `Cannot use module ${describe(module)}: it must be a URL or an absolute ` +
      'URL string, such as new URL("./server.ts", import.meta.url)',
  );
}

function checkCloneable(data: unknown): unknown {
  try {
    structuredClone(data);
  } catch (error) {
    throw new TypeError(
      `Cannot use workerData ${describe(data)}: it must be something ` +
        "structuredClone() can copy",
      { cause: error },
    );
  }
  return data;
}

function checkHeartbeatTimeout(value: unknown): number {
  const timeout = checkDuration("heartbeatTimeout", value);
  if (timeout !== 0 && timeout < MIN_HEARTBEAT_TIMEOUT) {
    throw new RangeError(
      `Cannot use heartbeatTimeout ${describe(value)}: it must be 0 (no ` +
        `limit) or at least ${MIN_HEARTBEAT_TIMEOUT} milliseconds`,
    );
  }
  return timeout;
}

/** Checks a restart delay: a duration, finite. */
function checkDelay(name: string, value: unknown): number {
  const delay = checkDuration(name, value);
  if (delay === Infinity) {
    throw new RangeError(
      `Cannot use ${name} ${describe(value)}: it must be a finite number ` +
        "of milliseconds (a worker is always replaced, in the end)",
    );
  }
  return delay;
}
