// Property test: permits are conserved under any interleaving of acquires, releases, kills,
// timeouts and aborts. Several greenlets run random scripts against one semaphore on the
// virtual clock; some of them release and, in the same turn, kill or abort the oldest waiter —
// the woken-then-interrupted window where a permit could be lost or duplicated.
//
// Checked after every step: free permits + permits held <= initial value (the rest are in
// flight to woken waiters), the counter is positive only when nobody waits. Checked at the end
// (every greenlet dead): the counter is back to the initial value, nobody holds a permit, no
// waiter is left, and no greenlet failed (a BoundedSemaphore would throw on a duplicated permit).
// On failure fast-check prints the seed and path that replay it: pass them to fc.assert as
// { seed, path } to reproduce.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  type Greenlet,
  joinAll,
  killAll,
  sleep,
  spawn,
  spawnLater,
  Timeout,
} from '../../src/index.js';
import { Lock } from '../../src/sync/lock.js';
import { BoundedSemaphore, Semaphore } from '../../src/sync/semaphore.js';
import { runVirtual } from '../../src/testing/virtual.js';

type Op =
  | { k: 'acquire'; timeout: number | null }
  | { k: 'tryAcquire' }
  | { k: 'timeoutAcquire'; ms: number }
  | { k: 'signalAcquire'; timeout: number | null }
  | { k: 'hold'; ms: number; timeout: number | null }
  | { k: 'wait'; timeout: number | null }
  | { k: 'release' }
  | { k: 'releaseAndKill'; target: number }
  | { k: 'releaseAndKillNext' }
  | { k: 'releaseAndAbortNext' }
  | { k: 'sleep'; ms: number };

interface Scenario {
  n: number;
  initial: number;
  kind: 'Semaphore' | 'BoundedSemaphore' | 'Lock';
  scripts: Op[][];
  kills: { at: number; target: number }[];
}

const timeoutArb = fc.option(fc.integer({ min: 0, max: 20 }), { nil: null });

function opArb(n: number): fc.Arbitrary<Op> {
  return fc.oneof(
    {
      arbitrary: fc.record({ k: fc.constant('acquire' as const), timeout: timeoutArb }),
      weight: 4,
    },
    fc.constant({ k: 'tryAcquire' as const }),
    fc.record({ k: fc.constant('timeoutAcquire' as const), ms: fc.integer({ min: 0, max: 20 }) }),
    fc.record({ k: fc.constant('signalAcquire' as const), timeout: timeoutArb }),
    fc.record({
      k: fc.constant('hold' as const),
      ms: fc.integer({ min: 0, max: 10 }),
      timeout: timeoutArb,
    }),
    fc.record({ k: fc.constant('wait' as const), timeout: timeoutArb }),
    { arbitrary: fc.constant({ k: 'release' as const }), weight: 3 },
    fc.record({ k: fc.constant('releaseAndKill' as const), target: fc.nat({ max: n - 1 }) }),
    { arbitrary: fc.constant({ k: 'releaseAndKillNext' as const }), weight: 2 },
    { arbitrary: fc.constant({ k: 'releaseAndAbortNext' as const }), weight: 2 },
    fc.record({ k: fc.constant('sleep' as const), ms: fc.integer({ min: 0, max: 10 }) }),
  );
}

const scenarioArb: fc.Arbitrary<Scenario> = fc.integer({ min: 2, max: 5 }).chain((n) =>
  fc.record({
    n: fc.constant(n),
    initial: fc.integer({ min: 1, max: 3 }),
    kind: fc.constantFrom('Semaphore' as const, 'BoundedSemaphore' as const, 'Lock' as const),
    scripts: fc.array(fc.array(opArb(n), { maxLength: 12 }), { minLength: n, maxLength: n }),
    kills: fc.array(
      fc.record({ at: fc.integer({ min: 0, max: 40 }), target: fc.nat({ max: n - 1 }) }),
      { maxLength: 3 },
    ),
  }),
);

async function play(sc: Scenario): Promise<void> {
  const initial = sc.kind === 'Lock' ? 1 : sc.initial;
  const sem =
    sc.kind === 'Lock'
      ? new Lock()
      : sc.kind === 'BoundedSemaphore'
        ? new BoundedSemaphore(initial)
        : new Semaphore(initial);
  const holding = new Array<number>(sc.n).fill(0);
  /** When each greenlet started its current wait (for "the oldest waiter"), or -1. */
  const waitingSince = new Array<number>(sc.n).fill(-1);
  const aborts: (AbortController | null)[] = new Array(sc.n).fill(null);
  let seq = 0;
  const gs: Greenlet<void>[] = [];

  const held = (): number => holding.reduce((a, b) => a + b, 0);
  const check = (where: string): void => {
    const st = sem.stats();
    assert.ok(st.counter >= 0, `${where}: negative counter ${st.counter}`);
    assert.ok(
      st.counter + held() <= initial,
      `${where}: counter ${st.counter} + held ${held()} > initial ${initial}`,
    );
    assert.ok(
      st.counter === 0 || st.waiters === 0,
      `${where}: free permits while ${st.waiters} wait`,
    );
  };
  const oldestWaiter = (): number => {
    let best = -1;
    for (let j = 0; j < sc.n; j++) {
      const since = waitingSince[j] as number;
      if (since >= 0 && (best < 0 || since < (waitingSince[best] as number))) best = j;
    }
    return best;
  };
  const releaseOne = (i: number): void => {
    if ((holding[i] as number) > 0) {
      holding[i] = (holding[i] as number) - 1;
      sem.release();
    }
  };
  /** Run one blocking call as greenlet i, marking it as waiting meanwhile. */
  const blocking = async <T>(i: number, p: () => Promise<T>): Promise<T> => {
    waitingSince[i] = seq++;
    try {
      return await p();
    } finally {
      waitingSince[i] = -1;
    }
  };
  const opts = (timeout: number | null) => (timeout === null ? undefined : { timeout });

  const body = async (i: number): Promise<void> => {
    const script = sc.scripts[i] as Op[];
    try {
      for (const op of script) {
        switch (op.k) {
          case 'acquire':
            if (await blocking(i, () => sem.acquire(opts(op.timeout)))) holding[i]++;
            break;
          case 'tryAcquire':
            if (await sem.acquire({ blocking: false })) holding[i]++;
            break;
          case 'timeoutAcquire': {
            const t = Timeout.startNew(op.ms);
            try {
              if (await blocking(i, () => sem.acquire())) holding[i]++;
            } catch (e) {
              if (e !== t) throw e;
            } finally {
              t.cancel();
            }
            break;
          }
          case 'signalAcquire': {
            const ctrl = new AbortController();
            aborts[i] = ctrl;
            try {
              const o = { signal: ctrl.signal, timeout: op.timeout };
              if (await blocking(i, () => sem.acquire(o))) holding[i]++;
            } catch (e) {
              if (e !== ctrl.signal.reason) throw e;
            } finally {
              aborts[i] = null;
            }
            break;
          }
          case 'hold': {
            let h: Disposable;
            try {
              h = await blocking(i, () => sem.hold(opts(op.timeout)));
            } catch (e) {
              if (e instanceof Timeout) break; // its timeout option elapsed
              throw e;
            }
            holding[i]++;
            try {
              await sleep(op.ms);
            } finally {
              holding[i]--;
              h[Symbol.dispose]();
            }
            break;
          }
          case 'wait': {
            const c = await blocking(i, () => sem.wait(opts(op.timeout)));
            assert.ok(c >= 0 && c <= initial, `wait() returned ${c}`);
            break;
          }
          case 'release':
            releaseOne(i);
            break;
          case 'releaseAndKill':
            releaseOne(i);
            void (gs[op.target] as Greenlet<void>).kill({ block: false });
            break;
          case 'releaseAndKillNext': {
            const next = oldestWaiter();
            releaseOne(i);
            if (next >= 0) void (gs[next] as Greenlet<void>).kill({ block: false });
            break;
          }
          case 'releaseAndAbortNext': {
            const next = oldestWaiter();
            releaseOne(i);
            if (next >= 0) aborts[next]?.abort(new Error(`abort ${next}`));
            break;
          }
          case 'sleep':
            await sleep(op.ms);
            break;
        }
        check(`greenlet ${i} after ${op.k}`);
      }
    } finally {
      while ((holding[i] as number) > 0) releaseOne(i);
    }
  };

  await runVirtual(async () => {
    for (let i = 0; i < sc.n; i++) gs.push(spawn(body, i));
    for (const { at, target } of sc.kills) {
      spawnLater(at, () => (gs[target] as Greenlet<void>).kill({ block: false }));
    }
    // Scripts may deadlock (two greenlets each holding a permit and waiting for another):
    // then everyone still alive is killed, and their finally blocks give the permits back.
    const done = await joinAll(gs, { timeout: 1000 });
    if (done.length < gs.length) await killAll(gs);
    for (const g of gs) {
      assert.ok(g.dead);
      assert.ok(g.successful(), `greenlet failed: ${String(g.exception)}`);
    }
    assert.equal(held(), 0, 'nobody holds a permit after all died');
    assert.equal(sem.counter, initial, 'every permit is back');
    assert.equal(sem.stats().waiters, 0, 'no waiter left');
  });
}

test('permits are conserved under random acquires, releases, kills, timeouts and aborts', async () => {
  await fc.assert(fc.asyncProperty(scenarioArb, play), { numRuns: 200 });
});
