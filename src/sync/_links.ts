/**
 * The `rawlink` machinery of the sync primitives: `Event`, `AsyncResult`, the semaphores and
 * locks keep their callbacks in one {@link Links}.
 *
 * Design note — when a link runs.
 * - A link stays until it is removed (`unlink`): it is not a one-shot. Each notification (an
 *   event's `set()`, a semaphore's `release()` that leaves a permit) queues one hub callback per
 *   link, in link order, so links run later, from the hub, after the waiters woken by the same
 *   call, and never inside the caller (tests: test/sync/event.test.ts "rawlink(cb) calls cb(event)
 *   from the hub at every set(), in link order, until unlink", "rawlink() on a set event calls
 *   cb once soon, from the hub"; test/sync/lock.test.ts "a link runs cb(semaphore) from the hub
 *   while a permit is free, without taking it", "a link whose turn comes when no permit is left
 *   is skipped").
 * - A link added while the target is ready is queued at once for itself alone; a link removed
 *   before its turn does not run. Core's `wait()`/`iwait()` rely on both: they link to several
 *   targets and unlink after the first call.
 * - `whileReady` links (semaphores) run only if a permit is still free when their turn comes:
 *   a link never observes a semaphore that an acquirer emptied meanwhile.
 * - A callback that throws, or an async one that rejects, is reported through the hub; nothing
 *   escapes as an unhandled rejection.
 *
 * @module
 */

import { getHub } from '../core/hub.js';
import { callName, isPromiseLike, runRaw, settleShape } from '../core/lowlevel.js';

/** What a link target offers the link machinery. @internal */
export interface LinkTarget {
  ready(): boolean;
  toString(): string;
}

interface LinkRecord {
  readonly cb: (target: never) => unknown;
  readonly links: Links;
  active: boolean;
}

/**
 * The `rawlink` callbacks of one primitive. A link stays until it is removed; {@link Links.notify}
 * queues one hub callback per link, in link order.
 * @internal
 */
export class Links {
  readonly target: LinkTarget;
  /** Call a link only while the target is ready when its turn comes (semaphores). */
  readonly whileReady: boolean;
  #records: LinkRecord[] = [];

  constructor(target: LinkTarget, whileReady: boolean) {
    this.target = target;
    this.whileReady = whileReady;
  }

  get size(): number {
    return this.#records.length;
  }

  /** Add `cb`; queue it at once when `now` (the target is ready already). */
  add(cb: (target: never) => unknown, now: boolean): void {
    const rec: LinkRecord = { cb, links: this, active: true };
    this.#records.push(rec);
    if (now) getHub().schedule(runLink, rec);
  }

  /** Remove every link of `cb`; those already queued do not run. */
  remove(cb: unknown): void {
    const recs = this.#records;
    for (let i = recs.length - 1; i >= 0; i--) {
      const rec = recs[i] as LinkRecord;
      if (rec.cb === cb) {
        rec.active = false;
        recs.splice(i, 1);
      }
    }
  }

  /** Queue every link, in link order. */
  notify(): void {
    const hub = getHub();
    for (const rec of this.#records) hub.schedule(runLink, rec);
  }
}

function runLink(rec: LinkRecord): void {
  if (!rec.active) return;
  const links = rec.links;
  const target = links.target;
  if (links.whileReady && !target.ready()) return;
  const report = (err: unknown): void =>
    getHub().reportError(err, `${rec.cb.name || 'rawlink callback'} for ${String(target)}`);
  try {
    // As the hub's greenlet: a verdant wait started in a rawlink callback is refused.
    const r = runRaw(rec.cb as (t: LinkTarget) => unknown, target);
    // An async callback's rejection is reported like a throw, never left unhandled.
    if (isPromiseLike(r)) {
      (r as PromiseLike<unknown>).then(undefined, report);
    }
  } catch (err) {
    report(err);
  }
}

/** @internal Check a `rawlink`/`unlink` callback. */
export function checkCallback(cb: unknown, where: string, owner?: object): void {
  if (typeof cb !== 'function') {
    throw new TypeError(
      `Cannot call ${callName(where, owner)} with a callback that is not a function: callback is ${cb === null ? 'null' : typeof cb}`,
    );
  }
}
/**
 * @internal Refuse arguments to a constructor that takes none (gevent's `Event()`, `Lock()`,
 * `RLock()`, `AsyncResult()` raise TypeError for one): `new Lock(5)` was silently a lock.
 */
export function checkNoArgs(count: number, cls: string): void {
  if (count > 0) {
    throw new TypeError(`new ${cls}() takes no arguments, got ${count}`);
  }
}

settleShape(() => new Links({ ready: () => false }, false));
