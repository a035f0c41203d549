/**
 * The exceptions of the core runtime.
 *
 * Design note: Python's gevent makes `GreenletExit` and `Timeout` `BaseException`s so that
 * `except Exception:` never swallows them. JavaScript has one hierarchy, so verdant gives them a
 * common base, {@link Cancellation}, and one rule: code that catches broadly rethrows a
 * `Cancellation` (`if (e instanceof Cancellation) throw e`). Every catch inside verdant does.
 *
 * @module
 */

/**
 * Base class of the exceptions verdant throws into a greenlet to interrupt it:
 * {@link GreenletExit} (from `kill()`) and `Timeout`.
 *
 * It never switches. Catch it only to rethrow it: a greenlet that swallows a `Cancellation`
 * keeps running after it was told to stop.
 *
 * Source: gevent makes these `BaseException`s; this base class plays that role.
 *
 * @example
 * ```ts
 * import { Cancellation, sleep, spawn } from 'verdant';
 * const g = spawn(async () => {
 *   try { await sleep(1000); } catch (e) { if (e instanceof Cancellation) throw e; console.error(e); }
 * });
 * await g.kill(); // the GreenletExit is a Cancellation: rethrown, not logged
 * ```
 */
export class Cancellation extends Error {
  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'Cancellation';
  }
}

/**
 * The exception `kill()` throws into a greenlet by default.
 *
 * A greenlet that ends because of it is *successful*: its `value` is the `GreenletExit`
 * instance and its `exception` is `undefined` (as in gevent). It is never reported by the hub.
 *
 * Source: `greenlet.GreenletExit`, gevent's `test__GreenletExit.py`.
 *
 * @example
 * ```ts
 * import { GreenletExit, sleep, spawn } from 'verdant';
 * const g = spawn(() => sleep(1000));
 * await g.kill();
 * console.log((g.value as unknown) instanceof GreenletExit); // true: a killed greenlet's value
 * ```
 */
export class GreenletExit extends Cancellation {
  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'GreenletExit';
  }
}

/** A greenlet, or the main program, as listed by {@link LoopExit}. */
export interface Blocked {
  /** `String(g)`: how the greenlet is listed in the message. */
  toString(): string;
}

/**
 * Thrown at a wait that can never end: nothing is ready to run, no timer is pending and no
 * I/O is in flight, so nothing could ever wake it.
 *
 * The main program gets it at every wait it has pending when Node's loop runs dry
 * (`beforeExit`); `runVirtual` rejects with it when its virtual hub has nothing left to do.
 * Its message is `This operation would block forever`, then one line per blocked greenlet
 * (two spaces then `String(g)`). After it the hub is usable again; blocked greenlets stay
 * blocked.
 *
 * Source: `gevent.exceptions.LoopExit`.
 * @example
 * ```ts
 * import { Event, LoopExit } from 'verdant';
 * try {
 *   await new Event().wait(); // nobody will ever set it
 * } catch (e) {
 *   if (e instanceof LoopExit) console.error(e.message); // This operation would block forever …
 * }
 * ```
 */
export class LoopExit extends Error {
  /**
   * The blocked greenlets (the main greenlet included when it was waiting). Not enumerable, so
   * an uncaught `LoopExit` prints its message and stack, not the greenlets' internals.
   */
  declare readonly greenlets: readonly Blocked[];

  constructor(greenlets: readonly Blocked[] = []) {
    const lines = ['This operation would block forever'];
    for (const g of greenlets) lines.push(`  ${String(g)}`);
    super(lines.join('\n'));
    this.name = 'LoopExit';
    Object.defineProperty(this, 'greenlets', { value: greenlets, enumerable: false });
  }
}

/**
 * Whether `x` is an `Error` class (a constructor whose instances are Errors).
 * @internal
 */
export function isErrorClass(x: unknown): x is new (...args: never[]) => Error {
  return typeof x === 'function' && (x === Error || x.prototype instanceof Error);
}

/**
 * Instantiate an exception class given as an `exception` option (once per interrupt). A
 * constructor that throws makes what it threw the exception: the interrupt still lands.
 * @internal
 */
export function instantiate(cls: new () => unknown): unknown {
  try {
    return new cls();
  } catch (err) {
    return err;
  }
}

/** The interrupts delivered and the signal reasons seen: their rejections are marked handled. */
const cancellations = new WeakSet<object>();

/**
 * Record `e` as a cancellation (a kill's exception, an aborted signal's reason). Never switches.
 * @internal
 */
export function markCancellation(e: unknown): void {
  // A Cancellation or LoopExit is known by its class: recording it too would grow the set's table
  // by one entry per kill (100k kills kept 40 B per greenlet after they died).
  if (e instanceof Cancellation || e instanceof LoopExit) return;
  if ((typeof e === 'object' && e !== null) || typeof e === 'function') cancellations.add(e);
}

/**
 * Whether a rejection with `e` is a rejection by cancellation — a `Cancellation` (`GreenletExit`,
 * `Timeout`), a `LoopExit`, a kill's exception or an aborted signal's reason — which the library
 * marks handled, so a wait nobody awaits never ends the process.
 * @internal
 */
export function isCancellation(e: unknown): boolean {
  return (
    e instanceof Cancellation ||
    e instanceof LoopExit ||
    (((typeof e === 'object' && e !== null) || typeof e === 'function') && cancellations.has(e))
  );
}

function ignore(): void {}

/**
 * Mark `p` handled if it rejects by cancellation (see {@link isCancellation}); other rejections
 * stay unhandled unless someone handles them. Returns a promise that settles as `p` does.
 * @internal
 */
export function guardCancellation<T>(p: Promise<T>): Promise<T> {
  const out: Promise<T> = p.then(undefined, (e: unknown) => {
    if (isCancellation(e)) out.then(undefined, ignore);
    throw e;
  });
  return out;
}

/**
 * `Promise.reject(err)`, marked handled when `err` is a cancellation (a pre-aborted signal's
 * reason): what a call that can wait returns when it fails before waiting.
 * @internal
 */
export function rejectWait<T = never>(err: unknown): Promise<T> {
  const p = Promise.reject(err) as Promise<T>;
  if (isCancellation(err)) p.then(undefined, ignore);
  return p;
}

/** Mark a promise that rejected (or will) by cancellation handled. @internal */
export function markHandled(p: Promise<unknown>): void {
  p.then(undefined, ignore);
}
