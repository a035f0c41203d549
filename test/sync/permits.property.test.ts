// Property test of the permit engine (src/sync/_permits.ts), shared by its three users: a
// semaphore's permits, a pool's slots and imap's `maxsize`. Greenlets run random scripts on the
// virtual clock — takes with and without timeouts, `Promise.all` of two takes, takes under a
// `Timeout` of their own — while kills land at random times, often at the same instant as a
// pending Timeout (the two are pending together). Nothing may be lost or duplicated:
// - semaphore and pool: after every step, free + held ≤ capacity and nothing is free while
//   someone waits; at the end every permit (slot) is back and nobody waits;
// - imap: calls running + results not consumed never exceed `maxsize`; results come out in
//   order, each at most once, none skipped; after `return()` no call is left running.
// On failure fast-check prints the seed and path: pass them to fc.assert to replay.
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
import { Pool } from '../../src/pool/index.js';
import { Event } from '../../src/sync/event.js';
import { BoundedSemaphore } from '../../src/sync/semaphore.js';
import { runVirtual } from '../../src/testing/virtual.js';

type Op =
  | { k: 'take'; timeout: number | null }
  | { k: 'takeTwo'; timeout: number | null }
  | { k: 'timeoutTake'; ms: number }
  | { k: 'hold'; ms: number }
  | { k: 'release' }
  | { k: 'sleep'; ms: number };

type Kind = 'semaphore' | 'pool' | 'imap';

interface Scenario {
  kind: Kind;
  capacity: number;
  scripts: Op[][];
  kills: { at: number; target: number }[];
}

/** What a script sees of a user of the permit engine. */
interface PermitUser {
  /** Take one permit as the current greenlet: a release function, or null if none came. */
  take(timeout: number | null): Promise<(() => void) | null>;
  /** Check the invariants that hold between steps. */
  check(where: string, held: number): void;
  /** After every script ended: check that everything is back. */
  finish(): Promise<void>;
}

const timeoutArb = fc.option(fc.integer({ min: 0, max: 12 }), { nil: null });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.record({ k: fc.constant('take' as const), timeout: timeoutArb }), weight: 4 },
  fc.record({ k: fc.constant('takeTwo' as const), timeout: timeoutArb }),
  { arbitrary: fc.record({ k: fc.constant('timeoutTake' as const), ms: fc.nat(12) }), weight: 2 },
  fc.record({ k: fc.constant('hold' as const), ms: fc.nat(8) }),
  { arbitrary: fc.constant({ k: 'release' as const }), weight: 3 },
  fc.record({ k: fc.constant('sleep' as const), ms: fc.nat(8) }),
);

const scenarioArb: fc.Arbitrary<Scenario> = fc.integer({ min: 2, max: 5 }).chain((n) =>
  fc.record({
    kind: fc.constantFrom<Kind>('semaphore', 'pool', 'imap'),
    capacity: fc.integer({ min: 1, max: 3 }),
    scripts: fc.array(fc.array(opArb, { maxLength: 10 }), { minLength: n, maxLength: n }),
    kills: fc.array(fc.record({ at: fc.nat(14), target: fc.nat(n - 1) }), { maxLength: 4 }),
  }),
);

function semaphoreUser(capacity: number): PermitUser {
  const sem = new BoundedSemaphore(capacity);
  return {
    async take(timeout) {
      const ok = await sem.acquire(timeout === null ? undefined : { timeout });
      return ok ? () => sem.release() : null;
    },
    check(where, held) {
      const st = sem.stats();
      assert.ok(st.counter + held <= capacity, `${where}: ${st.counter} free + ${held} held`);
      assert.ok(st.counter === 0 || st.waiters === 0, `${where}: free while ${st.waiters} wait`);
    },
    async finish() {
      assert.equal(sem.counter, capacity, 'every permit is back');
      assert.equal(sem.stats().waiters, 0, 'nobody waits');
    },
  };
}

function poolUser(capacity: number): PermitUser {
  const pool = new Pool(capacity);
  const member = (done: Event): Promise<boolean> => done.wait();
  return {
    async take(timeout) {
      const done = new Event();
      const t = timeout === null ? null : Timeout.startNew(timeout);
      try {
        await pool.spawn(member, done);
      } catch (e) {
        if (e === t) return null;
        throw e;
      } finally {
        t?.cancel();
      }
      return () => done.set();
    },
    check(where, held) {
      const st = pool.stats();
      assert.ok(st.freeCount + held <= capacity, `${where}: ${st.freeCount} free + ${held} held`);
      assert.ok(st.size <= capacity, `${where}: ${st.size} members in Pool(${capacity})`);
      assert.ok(
        st.freeCount === 0 || st.waitingForSlot === 0,
        `${where}: a free slot while ${st.waitingForSlot} wait`,
      );
    },
    async finish() {
      await pool.join();
      assert.equal(pool.size, 0, 'no member left');
      assert.equal(pool.freeCount(), capacity, 'every slot is back');
      assert.equal(pool.stats().waitingForSlot, 0, 'nobody waits for a slot');
    },
  };
}

function imapUser(capacity: number): PermitUser {
  let running = 0;
  let finished = 0;
  let consumed = 0;
  let lastSeen = -1;
  const calls = new Set<Greenlet>();
  const pool = new Pool(); // unbounded: only maxsize bounds the calls
  const slow = async (x: number): Promise<number> => {
    running++;
    try {
      await sleep(x % 4);
      return x;
    } finally {
      running--;
      finished++;
    }
  };
  function* items(): Generator<number> {
    for (let i = 0; i < 1000; i++) yield i;
  }
  const it = pool.imap(slow, items(), { maxsize: capacity });
  const inFlight = (): number => running + finished - consumed;
  return {
    async take(timeout) {
      let r: IteratorResult<number, undefined>;
      try {
        r = await it.next(timeout === null ? undefined : { timeout });
      } catch (e) {
        if (e instanceof Timeout) return null;
        throw e;
      }
      assert.equal(r.done, false);
      const v = r.value as number;
      assert.equal(v, lastSeen + 1, `results in order, none skipped or repeated: ${v}`);
      lastSeen = v;
      consumed++;
      return () => {};
    },
    check(where) {
      assert.ok(inFlight() <= capacity, `${where}: ${inFlight()} calls in flight > ${capacity}`);
    },
    async finish() {
      for (const g of pool) calls.add(g);
      await it.return();
      for (const g of calls) assert.ok(g.dead, 'no call left running after return()');
      assert.equal(running, 0, 'no call running');
    },
  };
}

const makers: Record<Kind, (capacity: number) => PermitUser> = {
  semaphore: semaphoreUser,
  pool: poolUser,
  imap: imapUser,
};

async function play(sc: Scenario): Promise<void> {
  await runVirtual(async () => {
    const user = makers[sc.kind](sc.capacity);
    const n = sc.scripts.length;
    const held: (() => void)[][] = Array.from({ length: n }, () => []);
    const heldCount = (): number => held.reduce((a, h) => a + h.length, 0);
    const keep = (i: number, r: (() => void) | null): void => {
      if (r !== null) (held[i] as (() => void)[]).push(r);
    };
    const body = async (i: number): Promise<void> => {
      const mine = held[i] as (() => void)[];
      try {
        for (const op of sc.scripts[i] as Op[]) {
          switch (op.k) {
            case 'take':
              keep(i, await user.take(op.timeout));
              break;
            case 'takeTwo': {
              // Both wait at once; a kill or Timeout rejects both, and the one already
              // granted must be handed on (or kept and released by this greenlet).
              const got = await Promise.allSettled([user.take(op.timeout), user.take(op.timeout)]);
              for (const r of got) if (r.status === 'fulfilled') keep(i, r.value);
              // A Timeout that fired stays delivered: the sibling take started its own Timeout
              // but rejects with the one that fired first, which is just as much a timeout.
              for (const r of got) {
                if (r.status === 'rejected' && !(r.reason instanceof Timeout)) throw r.reason;
              }
              break;
            }
            case 'timeoutTake': {
              const t = Timeout.startNew(op.ms);
              try {
                keep(i, await user.take(null));
              } catch (e) {
                if (e !== t) throw e;
              } finally {
                t.cancel();
              }
              break;
            }
            case 'hold': {
              const r = await user.take(null);
              keep(i, r);
              await sleep(op.ms);
              break;
            }
            case 'release':
              mine.shift()?.();
              break;
            case 'sleep':
              await sleep(op.ms);
              break;
          }
          user.check(`greenlet ${i} after ${op.k}`, heldCount());
        }
      } finally {
        for (const r of mine.splice(0)) r();
      }
    };
    const gs: Greenlet<void>[] = [];
    for (let i = 0; i < n; i++) gs.push(spawn(body, i));
    for (const { at, target } of sc.kills) {
      spawnLater(at, () => (gs[target] as Greenlet<void>).kill({ block: false }));
    }
    // Scripts may deadlock (each holds what another waits for): then all are killed, and their
    // finally blocks give back what they hold.
    const done = await joinAll(gs, { timeout: 1000 });
    if (done.length < gs.length) await killAll(gs, { timeout: 1000 });
    for (const g of gs) {
      assert.ok(g.dead, 'every script ended');
      if (!g.successful()) {
        const e = g.exception;
        assert.ok(e instanceof Error && e.name === 'GreenletExit', `a script failed: ${String(e)}`);
      }
    }
    await sleep(0);
    assert.equal(heldCount(), 0);
    await user.finish();
  });
}

test('permits, pool slots and imap maxsize are conserved under kills and Timeouts pending together', async () => {
  await fc.assert(fc.asyncProperty(scenarioArb, play), { numRuns: 300 });
});
