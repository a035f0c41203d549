/**
 * `runVirtual`: run a program on a fresh hub whose clock jumps to the next timer as soon as
 * every greenlet is blocked, so timeout tests take microseconds and never flake.
 *
 * Design note: the virtual hub is swapped in as the current hub for the call. The clock
 * advances only from the hub's `setImmediate` check, i.e. once the microtask queue has drained
 * and no greenlet can run. When nothing at all can happen (no ready callback, timer, verdant
 * I/O or `until` wait) while `fn` is still blocked, `fn` and the blocked greenlets are killed
 * (their `finally` blocks run) and the call rejects with `LoopExit`. Leftover greenlets are
 * killed when `fn` settles. Tests: test/testing/virtual.test.ts.
 *
 * @module
 */

import { LoopExit } from '../core/errors.js';
import { Greenlet } from '../core/greenlet.js';
import { TimerEntry } from '../core/hub.js';
import type { Fiber } from '../core/lowlevel.js';
import { Hub, setHub } from '../core/lowlevel.js';

let active = false;

function liveGreenlets(hub: Hub): Greenlet[] {
  const out: Greenlet[] = [];
  for (const n of hub.live()) out.push(n as unknown as Greenlet);
  return out;
}

/** How long (virtual ms) a leftover may outlive its kill before it is abandoned. */
const LEFTOVER_GRACE_MS = 1000;

/**
 * Kill the leftovers and resolve once `hub` has none alive, or it stalls, or
 * {@link LEFTOVER_GRACE_MS} virtual ms passed: a leftover that caught its `GreenletExit` and
 * waits again is then abandoned with a report naming it.
 */
function settleLeftovers(hub: Hub, victims: Greenlet[]): Promise<void> {
  return new Promise((resolve) => {
    let left = 0;
    let settled = false;
    const finish = (): void => {
      if (settled) return;
      settled = true;
      hub.onStall = null;
      hub.removeTimer(grace);
      resolve();
    };
    const grace = new TimerEntry(() => {
      for (const g of victims) {
        if (!g.dead) reportAbandoned(hub, g);
      }
      finish();
    }, undefined);
    const done = (): void => {
      if (--left === 0) finish();
    };
    for (const g of victims) {
      if (g.dead) continue;
      left++;
      g.rawlink(done);
      void g.kill({ block: false });
    }
    if (left === 0) {
      finish();
      return;
    }
    hub.addTimer(grace, LEFTOVER_GRACE_MS);
    hub.onStall = finish;
  });
}

function reportAbandoned(hub: Hub, g: Greenlet): void {
  const stream = hub.exceptionStream;
  if (stream === null) return;
  try {
    stream.write(
      `${new Date().toISOString()} ${String(g)} outlived its kill by ${LEFTOVER_GRACE_MS} ms: abandoned by runVirtual\n\n`,
    );
  } catch {
    // a broken stream must not keep runVirtual from settling
  }
}

/**
 * Run `fn` as a greenlet on a fresh hub with a virtual clock, and settle with its result.
 *
 * Inside, `sleep`, timeouts and every timer use virtual milliseconds: the clock starts at 0 and
 * jumps to the next deadline as soon as every greenlet is blocked (a greenlet in a foreign
 * await counts as blocked; the clock never moves with real time). `getHub().now()` reads it.
 * When `fn` settles, the greenlets it left running are killed (their `finally` blocks run on the
 * virtual clock) before `runVirtual` settles; one that outlives its kill by 1000 virtual ms is
 * abandoned with a report to `exceptionStream` (which starts as the real hub's). When nothing
 * is pending while `fn` is — no ready
 * callback, virtual timer, verdant I/O or `until` wait — `fn` and the blocked greenlets are
 * killed and it rejects with `LoopExit` listing them. A bare foreign await it cannot see is the
 * caller's to wrap in `until`.
 *
 * Calls do not nest. Each call gets its own hub.
 * Source: gevent has no virtual clock; this plays the role of its test suite's timing helpers.
 * @returns `fn`'s value
 * @throws `fn`'s failure; `LoopExit`; an `Error` when called inside another `runVirtual`
 * @example
 * ```ts
 * import { getHub, sleep } from 'verdant';
 * import { runVirtual } from 'verdant/testing';
 * await runVirtual(async () => {
 *   await sleep(60_000); // returns at once
 *   console.log(getHub().now()); // 60000 (virtual ms since the run began)
 * });
 * ```
 */
export async function runVirtual<T>(fn: () => T | PromiseLike<T>): Promise<Awaited<T>> {
  if (typeof fn !== 'function') {
    throw new TypeError(
      `runVirtual: fn must be a function, got ${fn === null ? 'null' : typeof fn}`,
    );
  }
  if (active)
    throw new Error('Cannot start runVirtual inside another runVirtual call: calls do not nest');
  active = true;
  const hub = new Hub({ virtual: true });
  const prev = setHub(hub);
  // Reports inside go where the program's own go.
  hub.exceptionStream = prev === undefined ? process.stderr : prev.exceptionStream;
  try {
    const g = new Greenlet(fn);
    const stalled = await new Promise<boolean>((resolve) => {
      g.rawlink(() => {
        hub.onStall = null;
        resolve(false);
      });
      hub.onStall = () => {
        hub.onStall = null;
        resolve(true);
      };
      g.start();
    });
    if (stalled) {
      const blocked = liveGreenlets(hub).filter((x) => (x as Fiber)._waiting);
      const err = new LoopExit(blocked);
      await settleLeftovers(hub, liveGreenlets(hub));
      throw err;
    }
    await settleLeftovers(hub, liveGreenlets(hub));
    return (await g.get()) as Awaited<T>;
  } finally {
    hub.close();
    setHub(prev);
    active = false;
  }
}
