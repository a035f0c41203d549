/**
 * `Channel`: a rendezvous — every `put` waits until a getter has taken its item and run.
 *
 * Design note — the commit point is the getter's resumption.
 * - A `put` that finds a getter waiting hands the item to it (`wake(item)`) and waits in
 *   flight; the transfer is committed when the hub resumes that getter (its owner's `commitWait`),
 *   and only then is the putter woken, so it resumes after the getter has run. A `get` that
 *   finds a putter waiting takes the item at once (the commit) and wakes the putter.
 * - A getter interrupted after it was handed an item (the kill wins) gives it back to the
 *   putter's side: the putter waits again, ahead of later putters, or its item goes straight to
 *   the next waiting getter. An item from `putNowait` (no putter waits for it) goes to the next
 *   getter the same way, kept in `#orphans` meanwhile.
 * - Once committed, a put has happened: a kill or `Timeout` that reaches the putter before it
 *   resumes is re-delivered at its next wait (core's `Waiter.completed`). A getter never takes the item
 *   of a putter already marked by a kill or Timeout. Hence: every item is received at most
 *   once, and a put that threw was never received (tests: test/sync/queue/property.test.ts,
 *   test/sync/queue/queue.test.ts "Channel …").
 *
 * @module
 */
import {
  NONE,
  noteCompletedAtOnce,
  readWaitOptions,
  rejectWait,
  settleShape,
  Waiter,
  WaitList,
  type WaitOptions,
  type WaitOwner,
  waitArgs,
} from '../../core/lowlevel.js';
import { QueueIterator } from './_iterator.js';
import { Deque } from './_store.js';
import {
  type ChannelStats,
  QueueEmpty,
  QueueFull,
  QueueShutDown,
  readShutdownOptions,
  type ShutdownOptions,
} from './errors.js';

/** Not in any list of its channel. */
const NOWHERE = 0;
/** In the channel's list of waiting putters. */
const IN_PUTTERS = 1;
/** In the channel's list of putters whose getter was interrupted. */
const IN_RETURNED = 2;

/** A channel putter: its item is `data`; `where` says which list of the channel holds it. */
class ChannelPutter extends Waiter<void> {
  where = NOWHERE;
}

const NOTHING: unique symbol = Symbol('nothing');
const OPEN = 0;
const SHUT = 1;
const SHUT_IMMEDIATE = 2;

function throwEmpty(): never {
  throw new QueueEmpty('No putter came before the timeout');
}
function throwFull(): never {
  throw new QueueFull('No getter took the item before the timeout');
}

/**
 * An unbuffered channel: `put` waits until a getter takes the item, `get` waits until a putter
 * offers one. It holds nothing: `qsize()` is 0 and it is both `empty()` and `full()`.
 *
 * Concurrency: `put` always switches — it hands the item to the oldest waiting getter (or waits
 * for one) and resumes only after that getter has run. `get` switches only when no putter is
 * waiting. `putNowait` succeeds only if a getter is waiting (the getter runs later, from the
 * hub); `getNowait` only if a putter is waiting (that putter resumes later). A kill, `Timeout`,
 * timeout or aborted signal lands at a wait; a getter interrupted after it was handed an item
 * gives it back (the putter keeps waiting, or the next getter gets it), and a put whose item a
 * getter has taken completes even if interrupted meanwhile (the kill lands at its next wait):
 * no item is lost or received twice, and a put that threw was never received.
 *
 * Source: gevent's `gevent.queue.Channel` (`test__queue.py` `TestChannel`); `shutdown` and
 * `peek` follow the other queue classes.
 *
 * @typeParam T - the items' type
 * @example
 * ```ts
 * import { spawn } from 'verdant';
 * import { Channel } from 'verdant/queue';
 * const ch = new Channel<string>();
 * spawn(async () => { await ch.put('hello'); console.log('sent'); });
 * console.log(await ch.get()); // 'hello', then 'sent'
 * ```
 */
export class Channel<T = unknown> implements AsyncIterable<T> {
  /** Waiting getters (data: the putter whose item they were handed, or null). */
  #getters = new WaitList(this);
  /** Waiting putters (data: the item). */
  #putters = new WaitList(this);
  /** Putters given back by an interrupted getter; served before `#putters`. */
  #returned = new WaitList(this);
  #peekers = new WaitList(this);
  /** `putNowait` items given back by an interrupted getter; served first. */
  #orphans: Deque<T> | null = null;
  #state = OPEN;

  #getOwner: WaitOwner & { target: object } = {
    target: this,
    abortWait: (w: Waiter, held: boolean): void => {
      if (!held) {
        this.#getters.remove(w);
        return;
      }
      const p = w.data as ChannelPutter | null;
      w.data = null;
      this.#handBack(w.value as T, p);
    },
    commitWait: (w: Waiter): void => {
      const p = w.data as ChannelPutter | null;
      if (p === null) return;
      w.data = null;
      p.completed = true;
      p.wake(undefined);
    },
  };

  #putOwner = {
    target: this,
    abortWait: (w: Waiter): void => {
      const p = w as ChannelPutter;
      if (p.where === IN_PUTTERS) this.#putters.remove(p);
      else if (p.where === IN_RETURNED) this.#returned.remove(p);
      p.where = NOWHERE;
    },
  };

  /**
   * @param maxsize - omit it: a channel holds nothing. `1` is accepted, as gevent's
   *   `Channel(maxsize=1)`.
   * @throws RangeError for any other number (gevent's `ValueError('Channels have a maxsize of
   *   1')`; a bounded buffer is a `Queue(n)`), TypeError for a value that is not a number,
   *   `null` included (gevent's `Channel(None)` raises that ValueError too)
   */
  constructor(maxsize?: number) {
    if (maxsize !== undefined && maxsize !== 1) {
      if (typeof maxsize !== 'number') {
        throw new TypeError(
          `Cannot create a Channel with a maxsize that is not a number: maxsize is ${maxsize === null ? 'null' : typeof maxsize}`,
        );
      }
      throw new RangeError(
        `Cannot create a Channel with maxsize ${maxsize}: a channel holds nothing${
          Number.isInteger(maxsize) && maxsize > 1 ? ` (use Queue(${maxsize}) for a buffer)` : ''
        }`,
      );
    }
  }

  /**
   * Always 0: a channel holds no item (eventlet's `Queue(0)` is a channel; gevent's `Channel`
   * has no `maxsize` attribute at all). Read-only: a channel cannot be resized into a buffer.
   * @throws TypeError on assignment (in any mode, not only strict), with the message
   *   "Cannot set maxsize of a Channel: a channel holds nothing (use a Queue for a buffer)"
   */
  get maxsize(): 0 {
    return 0;
  }
  /**
   * Refuses every value: a channel cannot be resized into a buffer. Its parameter is typed
   * `never`, so the type checker refuses `ch.maxsize = 5` too.
   * @throws TypeError always
   */
  set maxsize(_value: never) {
    throw new TypeError(
      'Cannot set maxsize of a Channel: a channel holds nothing (use a Queue for a buffer)',
    );
  }

  /** Always 0: a channel holds no item. Never switches. */
  qsize(): number {
    return 0;
  }

  /** Always true: a channel holds no item. Never switches. */
  empty(): boolean {
    return true;
  }

  /** Always true: a channel has no slot (a `put` waits for a getter). Never switches. */
  full(): boolean {
    return true;
  }

  /**
   * Hand `item` to a getter: to the oldest waiting one, or to the next to come. Resolves once
   * that getter has taken it and run.
   *
   * Always a switch point. Interrupted (kill, `Timeout`, timeout, signal) before a getter took
   * the item, it throws and nobody receives the item; once a getter took it the put completes,
   * and a kill or `Timeout` that arrived meanwhile lands at the putter's next wait.
   * @param item - what to send
   * @param options - `{timeout, signal}` or a timeout in ms
   * @throws QueueFull when `timeout` elapses first; QueueShutDown after `shutdown()`; TypeError /
   *   RangeError for bad options (an unknown key too); `signal.reason` (all reject)
   * @example
   * ```ts
   * import { spawn } from 'verdant';
   * import { Channel } from 'verdant/queue';
   * const ch = new Channel<string>();
   * spawn(async () => console.log('worker got', await ch.get()));
   * await ch.put('request', { timeout: 1000 }); // a worker has it
   * ```
   */
  put(item: T, options?: WaitOptions | number | null): Promise<void> {
    const err = readWaitOptions(options, 'Channel.put');
    if (err !== NONE) return rejectWait(err);
    if (this.#state !== OPEN) return Promise.reject(new QueueShutDown());
    const p = new ChannelPutter(this.#putOwner, throwFull);
    p.data = item;
    // Start first: a kill already pending for this greenlet marks the wait, and then no getter
    // may receive the item.
    const promise = p.start(waitArgs.timeout, waitArgs.signal);
    const g = p.cancelled ? null : this.#liveGetter();
    if (g !== null) {
      g.data = p;
      g.wake(item);
    } else {
      p.where = IN_PUTTERS;
      this.#putters.push(p);
    }
    if (this.#peekers.size > 0) this.#peekers.wakeAll(item);
    return promise;
  }

  /**
   * Hand `item` to a getter that is already waiting, else throw. Never switches; the getter
   * runs later, from the hub (if it is interrupted first, the item goes to the next getter).
   * @throws QueueFull when no getter waits; QueueShutDown after `shutdown()`
   * @example
   * ```ts
   * import { Channel, QueueFull } from 'verdant/queue';
   * const ch = new Channel<number>();
   * try { ch.putNowait(1); } catch (e) { if (!(e instanceof QueueFull)) throw e; } // nobody listening
   * ```
   */
  putNowait(item: T): void {
    if (this.#state !== OPEN) throw new QueueShutDown();
    const g = this.#liveGetter();
    if (g === null) throw new QueueFull('No getter is waiting on the channel');
    g.data = null;
    g.wake(item);
    if (this.#peekers.size > 0) this.#peekers.wakeAll(item);
  }

  /**
   * Take an item from the oldest waiting putter, or wait for one.
   *
   * A switch point only when no putter waits (the putter resumes after this greenlet's turn).
   * A getter handed an item and interrupted before it resumes gives the item back.
   * @param options - `{timeout, signal}` or a timeout in ms
   * @returns the item
   * @throws QueueEmpty when `timeout` elapses; QueueShutDown after `shutdown()` once nothing is
   *   left; TypeError / RangeError for bad options (an unknown key too); `signal.reason` (all reject)
   * @example
   * ```ts
   * import { spawn } from 'verdant';
   * import { Channel } from 'verdant/queue';
   * const ch = new Channel<string>();
   * spawn(() => ch.put('hi'));
   * const msg = await ch.get({ timeout: 5000 }); // 'hi'
   * ```
   */
  get(options?: WaitOptions | number | null): Promise<T> {
    const err = readWaitOptions(options, 'Channel.get');
    if (err !== NONE) return rejectWait(err);
    const item = this.#takeNow();
    if (item !== NOTHING) {
      noteCompletedAtOnce();
      return Promise.resolve(item);
    }
    if (this.#state !== OPEN) return Promise.reject(new QueueShutDown());
    const g = new Waiter<T>(this.#getOwner, throwEmpty);
    g.data = null;
    this.#getters.push(g);
    return g.start(waitArgs.timeout, waitArgs.signal);
  }

  /**
   * Take an item from a putter that is already waiting, else throw. Never switches; the putter
   * resumes later, from the hub.
   * @throws QueueEmpty when no putter waits; QueueShutDown after `shutdown()` once nothing is left
   * @example
   * ```ts
   * import { Channel, QueueEmpty } from 'verdant/queue';
   * const ch = new Channel<number>();
   * const pending: number[] = [];
   * try { for (;;) pending.push(ch.getNowait()); } catch (e) { if (!(e instanceof QueueEmpty)) throw e; }
   * ```
   */
  getNowait(): T {
    const item = this.#takeNow();
    if (item !== NOTHING) return item;
    if (this.#state !== OPEN) throw new QueueShutDown();
    throw new QueueEmpty('No putter is waiting on the channel');
  }

  /**
   * Return the item the next `get` would take, without taking it, waiting for a putter if none
   * waits. A waiting peek resolves with the next item put (a waiting getter may take it first).
   *
   * A switch point only when it waits. It consumes nothing, so an interrupted peek loses nothing.
   * @param options - `{timeout, signal}` or a timeout in ms
   * @throws QueueEmpty when `timeout` elapses; QueueShutDown after `shutdown()` once nothing is
   *   left; TypeError / RangeError for bad options (an unknown key too); `signal.reason` (all reject)
   * @example
   * ```ts
   * import { spawn } from 'verdant';
   * import { Channel } from 'verdant/queue';
   * const ch = new Channel<string>();
   * spawn(() => ch.put('job'));
   * const next = await ch.peek(); // 'job'; the putter still waits
   * console.log(next, await ch.get());
   * ```
   */
  peek(options?: WaitOptions | number | null): Promise<T> {
    const err = readWaitOptions(options, 'Channel.peek');
    if (err !== NONE) return rejectWait(err);
    const item = this.#peekNow();
    if (item !== NOTHING) return Promise.resolve(item);
    if (this.#state !== OPEN) return Promise.reject(new QueueShutDown());
    const w = new Waiter<T>(this.#peekers, throwEmpty);
    this.#peekers.push(w);
    return w.start(waitArgs.timeout, waitArgs.signal);
  }

  /**
   * Return the item the next `get` would take, without taking it, or throw. Never switches.
   * @throws QueueEmpty when no putter waits; QueueShutDown after `shutdown()` once nothing is left
   * @example
   * ```ts
   * import { sleep, spawn } from 'verdant';
   * import { Channel } from 'verdant/queue';
   * const ch = new Channel<string>();
   * spawn(() => ch.put('offer'));
   * await sleep(0);
   * const offered = ch.peekNowait(); // 'offer'
   * await ch.get();
   * ```
   */
  peekNowait(): T {
    const item = this.#peekNow();
    if (item !== NOTHING) return item;
    if (this.#state !== OPEN) throw new QueueShutDown();
    throw new QueueEmpty('No putter is waiting on the channel');
  }

  /**
   * Shut the channel down: `put`/`putNowait` throw `QueueShutDown` from now on; greenlets
   * blocked in `put`, `get` or `peek` get it (later, from the hub). A put whose item a getter
   * was already handed completes if that getter takes it. With `immediate`, items from
   * `putNowait` that an interrupted getter gave back are dropped. Never switches.
   * @param options - `{immediate}`
   * @throws TypeError for bad options (an unknown key too)
   * @example
   * ```ts
   * import { spawn } from 'verdant';
   * import { Channel } from 'verdant/queue';
   * const ch = new Channel<number>();
   * const reader = spawn(async () => { for await (const x of ch) console.log(x); });
   * await ch.put(1);
   * ch.shutdown(); // `for await (const x of ch)` loops end
   * await reader.join();
   * ```
   */
  shutdown(options?: ShutdownOptions): void {
    const immediate = readShutdownOptions(options, 'Channel.shutdown');
    if (immediate) {
      this.#state = SHUT_IMMEDIATE;
      this.#orphans = null;
    } else if (this.#state === OPEN) {
      this.#state = SHUT;
    }
    failAll(this.#getters);
    failPutters(this.#returned);
    failPutters(this.#putters);
    failAll(this.#peekers);
  }

  /** `<Channel getters[1] putters[2]>`: the class name, then each count that is not zero. */
  toString(): string {
    const s = this.stats();
    return `<${this.constructor.name}${s.getters > 0 ? ` getters[${s.getters}]` : ''}${
      s.putters > 0 ? ` putters[${s.putters}]` : ''
    }${s.shutdown ? ' shutdown' : ''}>`;
  }

  /** A read-only snapshot of the channel's state. Never switches. */
  stats(): ChannelStats {
    return {
      getters: this.#getters.size,
      putters: this.#putters.size + this.#returned.size,
      peekers: this.#peekers.size,
      shutdown: this.#state !== OPEN,
    };
  }

  /**
   * `for await (const item of ch)`: `get()` items until the channel is shut down (and what was
   * given back is drained). Each step is a `get()`.
   */
  [Symbol.asyncIterator](): AsyncIterator<T> {
    return new QueueIterator<T>(this);
  }

  #liveGetter(): Waiter | null {
    return this.#getters.size > 0 ? this.#getters.shiftLive() : null;
  }

  /** The oldest live waiting putter, removed from its list, or null. */
  #livePutter(): ChannelPutter | null {
    let p = this.#returned.size > 0 ? this.#returned.shiftLive() : null;
    if (p === null && this.#putters.size > 0) p = this.#putters.shiftLive();
    if (p === null) return null;
    (p as ChannelPutter).where = NOWHERE;
    return p as ChannelPutter;
  }

  #takeNow(): T | typeof NOTHING {
    const orphans = this.#orphans;
    if (orphans !== null && orphans.size > 0) return orphans.take();
    const p = this.#livePutter();
    if (p === null) return NOTHING;
    p.completed = true;
    p.wake(undefined);
    return p.data as T;
  }

  #peekNow(): T | typeof NOTHING {
    const orphans = this.#orphans;
    if (orphans !== null && orphans.size > 0) return orphans.peek();
    for (let p = this.#returned.first; p !== null; p = p.next) {
      if (!p.cancelled) return p.data as T;
    }
    for (let p = this.#putters.first; p !== null; p = p.next) {
      if (!p.cancelled) return p.data as T;
    }
    return NOTHING;
  }

  /** A getter handed `item` (from putter `p`, or from `putNowait` if null) did not take it. */
  #handBack(item: T, p: ChannelPutter | null): void {
    if (p === null) {
      if (this.#state === SHUT_IMMEDIATE) return;
      const g = this.#liveGetter();
      if (g !== null) {
        g.data = null;
        g.wake(item);
      } else {
        if (this.#orphans === null) this.#orphans = new Deque<T>();
        this.#orphans.push(item);
      }
      return;
    }
    if (p.isDone) return; // its put already ended: the item must not be received
    if (this.#state !== OPEN) {
      p.wakeError(new QueueShutDown());
      return;
    }
    const g = p.cancelled ? null : this.#liveGetter();
    if (g !== null) {
      g.data = p;
      g.wake(item);
    } else {
      p.where = IN_RETURNED;
      this.#returned.push(p);
    }
  }
}

function failAll(list: WaitList): void {
  let w = list.shift();
  while (w !== null) {
    w.wakeError(new QueueShutDown());
    w = list.shift();
  }
}

function failPutters(list: WaitList): void {
  let w = list.shift();
  while (w !== null) {
    (w as ChannelPutter).where = NOWHERE;
    w.wakeError(new QueueShutDown());
    w = list.shift();
  }
}
settleShape(() => new Channel());
