// Copyright 2026 the pulsar for Deno authors. MIT license.
/**
 * Events: the hooks that connections, consumers, servers and clients fire.
 *
 * @module
 */

import type { ErrorHandler, ErrorReport } from "../errors.ts";
import { reportError as reportTo } from "../internal/report.ts";

/**
 * A handler bound to an event: called with the object that fired it (the
 * owner), the event's data and, when the event reports a failure, the error.
 * A returned promise that rejects is reported like a thrown error.
 */
export type EventCallback<Owner, Data> = (
  owner: Owner,
  data: Data,
  error?: unknown,
) => unknown;

/**
 * What an event map holds per event name: the owner the handlers receive and
 * the data the event carries, as a pair.
 */
export type EventSpec = readonly [owner: unknown, data: unknown];

/** The names of the events in an event map. */
export type EventName<E> = keyof E & string;

/** The handler type of event `K` in event map `E`. */
export type HandlerOf<E, K extends keyof E> = E[K] extends
  readonly [infer O, infer D] ? EventCallback<O, D> : never;

/** The data type of event `K` in event map `E`. */
export type DataOf<E, K extends keyof E> = E[K] extends
  readonly [unknown, infer D] ? D : never;

/** Calls `handler`; returns what it threw, having reported it. */
function call<O, D>(
  name: string,
  handler: EventCallback<O, D>,
  owner: O,
  data: D,
  error: unknown,
  onError: ErrorHandler | undefined,
): unknown {
  const source = `event ${name}`;
  try {
    const result = handler(owner, data, error);
    if (result instanceof Promise) {
      result.catch((reason) => reportTo(onError, { error: reason, source }));
    }
  } catch (thrown) {
    reportTo(onError, { error: thrown, source });
    return thrown ?? new Error(`Handler of event "${name}" threw ${thrown}`);
  }
  return undefined;
}

/**
 * What both kinds of event share: a name, an owner and the handlers bound.
 *
 * @typeParam O The owner handlers receive.
 * @typeParam D The data the event carries.
 *
 * @example Bind and unbind a handler
 * ```ts
 * import { ManyTimesEvent } from "@pulsar/net/protocols";
 * import { assertEquals } from "@std/assert";
 *
 * const event = new ManyTimesEvent<string, number>("owner", "tick");
 * const handler = () => {};
 * event.bind(handler);
 * assertEquals(event.handlers.length, 1);
 * assertEquals(event.unbind(handler), true);
 * assertEquals(event.handlers.length, 0);
 * ```
 */
export abstract class BaseEvent<O, D> {
  /** The event's name. */
  readonly name: string;
  /** Whether the event fires at most once. */
  abstract readonly onetime: boolean;
  /** The object handlers receive as their first argument. */
  protected readonly owner: O;
  /** The handlers bound. */
  protected handlerList: EventCallback<O, D>[] = [];
  #onError: ErrorHandler | undefined;

  /**
   * Builds the event.
   *
   * @param owner The object handlers receive as their first argument.
   * @param name The event's name, used in error reports.
   * @param onError Receives what a handler threw, or its promise rejected
   * with (source `event <name>`); without it, one `console.error` line.
   */
  constructor(owner: O, name: string, onError?: ErrorHandler) {
    this.owner = owner;
    this.name = name;
    this.#onError = onError;
  }

  /** The handlers bound (for a one-time event: not yet called). */
  get handlers(): readonly EventCallback<O, D>[] {
    return this.handlerList;
  }

  /**
   * Binds a handler.
   *
   * @param handler The handler.
   */
  bind(handler: EventCallback<O, D>): void {
    this.handlerList.push(handler);
  }

  /**
   * Unbinds a handler.
   *
   * @param handler The handler.
   * @returns Whether the handler was bound.
   */
  unbind(handler: EventCallback<O, D>): boolean {
    const index = this.handlerList.indexOf(handler);
    if (index < 0) return false;
    this.handlerList.splice(index, 1);
    return true;
  }

  /**
   * Fires the event.
   *
   * @param data The event's data.
   * @param error The failure the event reports, if any.
   * @returns The first error a handler threw, or `undefined`.
   */
  abstract fire(data?: D, error?: unknown): unknown;

  /** Calls `handlers` in order; returns the first error one threw. */
  protected callAll(
    handlers: readonly EventCallback<O, D>[],
    data: D,
    error: unknown,
  ): unknown {
    let first: unknown;
    for (const handler of handlers) {
      const thrown = call(
        this.name,
        handler,
        this.owner,
        data,
        error,
        this.#onError,
      );
      first ??= thrown;
    }
    return first;
  }
}

/**
 * An event that fires at most once and can be awaited, such as
 * `connectionMade` or `postRequest`. A second fire is ignored; binding after it
 * fired throws.
 *
 * @typeParam O The owner handlers receive.
 * @typeParam D The data the event carries.
 *
 * @example Await a one-time event
 * ```ts
 * import { OneTimeEvent } from "@pulsar/net/protocols";
 * import { assertEquals } from "@std/assert";
 *
 * const event = new OneTimeEvent<string, number>("owner", "finish");
 * const waiter = event.waiter();
 * event.fire(42);
 * assertEquals(await waiter, 42);
 * assertEquals(await event.waiter(), 42);
 * ```
 */
export class OneTimeEvent<O, D> extends BaseEvent<O, D> {
  /** Always true: this event fires at most once. */
  readonly onetime = true as const;
  #fired = false;
  #data: D | undefined;
  #error: unknown;
  #waiters: PromiseWithResolvers<D | O>[] | undefined;

  /** Whether the event has fired. */
  get fired(): boolean {
    return this.#fired;
  }

  /**
   * Binds a handler, called once when the event fires.
   *
   * @param handler The handler.
   * @throws {Error} If the event has already fired.
   */
  override bind(handler: EventCallback<O, D>): void {
    if (this.#fired) {
      throw new Error(
        `Cannot bind to event "${this.name}": it has already fired`,
      );
    }
    super.bind(handler);
  }

  /**
   * Fires the event: calls every handler, then settles the waiters. Ignored
   * if the event has already fired. A handler that throws (or whose promise
   * rejects) is reported to the event's `onError` and does not stop the
   * others.
   *
   * @param data The event's data.
   * @param error The failure the event reports, if any: waiters reject with it.
   * @returns The first error a handler threw, or `undefined`.
   */
  override fire(data?: D, error?: unknown): unknown {
    if (this.#fired) return undefined;
    this.#fired = true;
    this.#data = data;
    this.#error = error;
    const handlers = this.handlerList;
    this.handlerList = [];
    const first = this.callAll(handlers, data as D, error);
    if (this.#waiters) {
      for (const waiter of this.#waiters) this.#settle(waiter);
      this.#waiters = undefined;
    }
    return first;
  }

  /**
   * A promise of the event: resolves with its data (or the owner when it
   * carried none), or rejects with its error. Settles at once if the event
   * has already fired.
   *
   * @returns The promise.
   */
  waiter(): Promise<D | O> {
    const waiter = Promise.withResolvers<D | O>();
    if (this.#fired) this.#settle(waiter);
    else (this.#waiters ??= []).push(waiter);
    return waiter.promise;
  }

  #settle(waiter: PromiseWithResolvers<D | O>): void {
    if (this.#error !== undefined) waiter.reject(this.#error);
    else waiter.resolve(this.#data === undefined ? this.owner : this.#data);
  }
}

/**
 * An event that fires any number of times, such as `dataReceived`.
 *
 * @typeParam O The owner handlers receive.
 * @typeParam D The data the event carries.
 *
 * @example Count the times an event fires
 * ```ts
 * import { ManyTimesEvent } from "@pulsar/net/protocols";
 * import { assertEquals } from "@std/assert";
 *
 * const event = new ManyTimesEvent<string, number>("owner", "tick");
 * let total = 0;
 * event.bind((_owner, n) => total += n);
 * event.fire(1);
 * event.fire(2);
 * assertEquals(total, 3);
 * ```
 */
export class ManyTimesEvent<O, D> extends BaseEvent<O, D> {
  /** Always false: this event may fire many times. */
  readonly onetime = false as const;

  /**
   * Fires the event: calls every handler. A handler that throws (or whose
   * promise rejects) is reported to the event's `onError` and does not stop
   * the others.
   *
   * @param data The event's data.
   * @param error The failure the event reports, if any.
   * @returns The first error a handler threw, or `undefined`.
   */
  override fire(data?: D, error?: unknown): unknown {
    const handlers = this.handlerList;
    if (handlers.length === 0) return undefined;
    return this.callAll(handlers.slice(), data as D, error);
  }
}

/** An event of either kind. */
export type AnyEvent<O, D> = OneTimeEvent<O, D> | ManyTimesEvent<O, D>;

/**
 * The names of an event handler's events, split by kind. Subclasses declare
 * one such object, shared by all their instances.
 */
export interface EventNames<E, OneTime extends EventName<E> = never> {
  /** Events that fire at most once. */
  readonly oneTime: readonly OneTime[];
  /** Events that fire any number of times. */
  readonly manyTimes: readonly Exclude<EventName<E>, OneTime>[];
}

/** The event object of event `K`: one-time if `K` is among `OneTime`. */
export type EventOf<E, OneTime, K extends keyof E> = E[K] extends
  readonly [infer O, infer D]
  ? K extends OneTime ? OneTimeEvent<O, D> : ManyTimesEvent<O, D>
  : never;

/**
 * The base of every object that fires events: connections, consumers,
 * producers, servers and clients. Its events are typed by an event map, so a
 * misspelt event name is a compile error. Event objects are created on first
 * use, so an event nobody binds costs nothing to fire. A handler that throws
 * is reported through `reportError()`, which subclasses override to reach
 * their owner's `onError`.
 *
 * @typeParam E The event map: for each event name, the `[owner, data]` pair
 * handlers receive.
 *
 * @example Bind, fire and await events
 * ```ts
 * import { EventHandler } from "@pulsar/net/protocols";
 * import { assertEquals } from "@std/assert";
 *
 * type JobEvents = {
 *   progress: [owner: Job, data: number];
 *   done: [owner: Job, data: string];
 * };
 *
 * class Job extends EventHandler<JobEvents, "done"> {
 *   constructor() {
 *     super({ oneTime: ["done"], manyTimes: ["progress"] });
 *   }
 * }
 *
 * const job = new Job();
 * const seen: number[] = [];
 * job.bindEvent("progress", (_job, percent) => seen.push(percent));
 * const done = job.event("done").waiter();
 * job.fireEvent("progress", 50);
 * job.fireEvent("done", "ok");
 * assertEquals(seen, [50]);
 * assertEquals(await done, "ok");
 * ```
 */
export class EventHandler<
  E extends { [K in keyof E]: EventSpec },
  OneTime extends EventName<E> = never,
> {
  #names: EventNames<E, OneTime>;
  #events: Map<string, AnyEvent<unknown, unknown>> | undefined;
  // One-time events that fired before anyone asked for their object: a
  // short list of small records, made only when such an event fires (a
  // consumer's preRequest, say).
  #firedUnseen: Fired | undefined;
  /** Whether any many-times event object exists (copies skip otherwise). */
  #hasManyTimes = false;

  /**
   * Builds an event handler with the given events.
   *
   * @param names The one-time and many-times event names.
   */
  constructor(names: EventNames<E, OneTime>) {
    this.#names = names;
  }

  /** The names of this object's events, by kind. */
  get eventNames(): EventNames<E, OneTime> {
    return this.#names;
  }

  /**
   * The event object for `name`, created on first use.
   *
   * @param name The event's name.
   * @returns The event.
   * @throws {TypeError} If this object has no such event.
   */
  event<K extends EventName<E>>(name: K): EventOf<E, OneTime, K> {
    const events = this.#events ??= new Map();
    let event = events.get(name);
    if (event === undefined) {
      const report = (report: ErrorReport): void => this.reportError(report);
      if (this.#isOneTime(name)) {
        event = new OneTimeEvent<unknown, unknown>(this, name, report);
        const fired = this.#fired(name);
        if (fired !== undefined) event.fire(fired.data, fired.error);
      } else if (this.#has(name)) {
        event = new ManyTimesEvent<unknown, unknown>(this, name, report);
        this.#hasManyTimes = true;
      } else {
        throw new TypeError(
          `Cannot find event "${name}" on ${this.constructor.name}`,
        );
      }
      events.set(name, event);
    }
    return event as EventOf<E, OneTime, K>;
  }

  /**
   * Binds a handler to an event.
   *
   * @param name The event's name.
   * @param handler The handler.
   * @throws {Error} If `name` is a one-time event that has already fired.
   */
  bindEvent<K extends EventName<E>>(name: K, handler: HandlerOf<E, K>): void {
    (this.event(name) as AnyEvent<unknown, unknown>).bind(
      handler as EventCallback<unknown, unknown>,
    );
  }

  /**
   * Unbinds a handler from an event.
   *
   * @param name The event's name.
   * @param handler The handler.
   * @returns Whether the handler was bound.
   */
  unbindEvent<K extends EventName<E>>(
    name: K,
    handler: HandlerOf<E, K>,
  ): boolean {
    const event = this.#events?.get(name);
    return event?.unbind(handler as EventCallback<unknown, unknown>) ?? false;
  }

  /**
   * Fires an event. A many-times event nobody bound costs a map lookup.
   *
   * @param name The event's name.
   * @param data The event's data.
   * @param error The failure the event reports, if any.
   * @returns The first error a handler threw, or `undefined`.
   */
  fireEvent<K extends EventName<E>>(
    name: K,
    data?: DataOf<E, K>,
    error?: unknown,
  ): unknown {
    const event = this.#events?.get(name);
    if (event !== undefined) return event.fire(data, error);
    // A one-time event must remember that it fired, even with no handler.
    if (!this.#isOneTime(name) || this.#fired(name) !== undefined) {
      return undefined;
    }
    this.#firedUnseen = { name, data, error, next: this.#firedUnseen };
    return undefined;
  }

  /**
   * Binds `other`'s many-times handlers onto this object's events of the same
   * names, one-time ones included. This is how a server's or a client's hooks
   * reach every connection and consumer it creates. Events of this object
   * that already fired, and names this object lacks, are skipped.
   *
   * @param other The object whose many-times handlers to copy.
   */
  copyManyTimesEvents<
    F extends { [K in keyof F]: EventSpec },
    G extends EventName<F>,
  >(other: EventHandler<F, G>): void {
    const source = other.#events;
    if (source === undefined || !other.#hasManyTimes) return;
    for (const [name, event] of source) {
      if (event.onetime || event.handlers.length === 0) continue;
      if (!this.#has(name)) continue;
      const target = this.event(name as EventName<E>) as AnyEvent<
        unknown,
        unknown
      >;
      if (target.onetime && target.fired) continue;
      for (const handler of event.handlers) target.bind(handler);
    }
  }

  /**
   * Reports an error that has no caller, such as a handler that threw: by
   * default as one `console.error` line. Connections, consumers and
   * producers override it to reach their producer's `onError`.
   *
   * @param report What failed, and where.
   */
  protected reportError(report: ErrorReport): void {
    reportTo(undefined, report);
  }

  /** How one-time event `name` fired, if it fired unseen. */
  #fired(name: string): Fired | undefined {
    let fired = this.#firedUnseen;
    while (fired !== undefined && fired.name !== name) fired = fired.next;
    return fired;
  }

  #isOneTime(name: string): boolean {
    return (this.#names.oneTime as readonly string[]).includes(name);
  }

  #has(name: string): boolean {
    return this.#isOneTime(name) ||
      (this.#names.manyTimes as readonly string[]).includes(name);
  }
}

/** A one-time event that fired before anyone asked for its object. */
interface Fired {
  readonly name: string;
  readonly data: unknown;
  readonly error: unknown;
  readonly next: Fired | undefined;
}
