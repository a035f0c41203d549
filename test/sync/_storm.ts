// The storm shared by the property tests and bench/soak.mjs: greenlets run random scripts
// against two primitives at once — a semaphore, a Lock, a pool's slots, imap's `maxsize` or a
// queue's items (items as permits: a take is a get, its release puts the item back) — on the
// virtual clock: takes with and without timeouts, `Promise.all` of a take on each primitive,
// takes under a `Timeout` of their own, while kills land at random times, often at the same
// instant as a pending Timeout (the two are pending together). Nothing may be lost or
// duplicated:
// - semaphore, lock, pool, queue: after every step, free + held ≤ capacity and nothing is free
//   while someone waits; at the end every permit (slot, item) is back, each once;
// - imap: calls running + results not consumed never exceed `maxsize`; results come out in
//   order, each at most once, none skipped; after `return()` no call is left running.
import assert from 'node:assert/strict';
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
import { Lock } from '../../src/sync/lock.js';
import { Queue } from '../../src/sync/queue/index.js';
import { BoundedSemaphore } from '../../src/sync/semaphore.js';
import { runVirtual } from '../../src/testing/virtual.js';

/** One step of a script; `u` picks one of the scenario's two primitives. */
export type Op =
  | { k: 'take'; u: number; timeout: number | null }
  | { k: 'takeTwo'; timeout: number | null }
  | { k: 'timeoutTake'; u: number; ms: number }
  | { k: 'hold'; u: number; ms: number }
  | { k: 'release' }
  | { k: 'sleep'; ms: number };

export type Kind = 'semaphore' | 'lock' | 'pool' | 'imap' | 'queue';

export interface Scenario {
  kinds: [Kind, Kind];
  capacity: number;
  scripts: Op[][];
  kills: { at: number; target: number }[];
}

/** What a storm did, summed over the scenarios played (the soak prints them). */
export const counts = { scenarios: 0, operations: 0, takes: 0, timeouts: 0, kills: 0 };

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
const uArb = fc.nat(1);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    arbitrary: fc.record({ k: fc.constant('take' as const), u: uArb, timeout: timeoutArb }),
    weight: 4,
  },
  { arbitrary: fc.record({ k: fc.constant('takeTwo' as const), timeout: timeoutArb }), weight: 2 },
  {
    arbitrary: fc.record({ k: fc.constant('timeoutTake' as const), u: uArb, ms: fc.nat(12) }),
    weight: 2,
  },
  fc.record({ k: fc.constant('hold' as const), u: uArb, ms: fc.nat(8) }),
  { arbitrary: fc.constant({ k: 'release' as const }), weight: 3 },
  fc.record({ k: fc.constant('sleep' as const), ms: fc.nat(8) }),
);

const kindArb = fc.constantFrom<Kind>('semaphore', 'lock', 'pool', 'imap', 'queue');

/** Scenarios: 2–5 greenlets, two primitives, kills at random times. */
export const scenarioArb: fc.Arbitrary<Scenario> = fc.integer({ min: 2, max: 5 }).chain((n) =>
  fc.record({
    kinds: fc.tuple(kindArb, kindArb),
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

function lockUser(): PermitUser {
  const lock = new Lock();
  return {
    async take(timeout) {
      const ok = await lock.acquire(timeout === null ? undefined : { timeout });
      return ok ? () => lock.release() : null;
    },
    check(where, held) {
      assert.ok(held <= 1, `${where}: ${held} holders of a Lock`);
      const st = lock.stats();
      assert.ok(st.counter + held <= 1, `${where}: ${st.counter} free + ${held} held`);
    },
    async finish() {
      assert.equal(lock.counter, 1, 'the lock is free');
      assert.equal(lock.stats().waiters, 0, 'nobody waits');
    },
  };
}

/** Items as permits: a take is a get, its release puts the item back. */
function queueUser(capacity: number): PermitUser {
  const q = new Queue<number>();
  for (let i = 0; i < capacity; i++) q.putNowait(i);
  return {
    async take(timeout) {
      let item: number;
      try {
        item = await q.get(timeout === null ? undefined : { timeout });
      } catch (e) {
        if ((e as Error).name === 'QueueEmpty') return null;
        throw e;
      }
      return () => q.putNowait(item);
    },
    check(where, held) {
      assert.ok(q.qsize() + held <= capacity, `${where}: ${q.qsize()} queued + ${held} held`);
    },
    async finish() {
      assert.equal(q.qsize(), capacity, 'every item is back');
      const items: number[] = [];
      while (!q.empty()) items.push(q.getNowait());
      assert.deepEqual(
        items.sort((a, b) => a - b),
        Array.from({ length: capacity }, (_, i) => i),
        'each item once',
      );
    },
  };
}

const makers: Record<Kind, (capacity: number) => PermitUser> = {
  semaphore: semaphoreUser,
  lock: lockUser,
  pool: poolUser,
  imap: imapUser,
  queue: queueUser,
};

/** Play one scenario on the virtual clock; throws when something was lost or duplicated. */
export async function play(sc: Scenario): Promise<void> {
  counts.scenarios++;
  await runVirtual(async () => {
    const users = sc.kinds.map((k) => makers[k](sc.capacity)) as [PermitUser, PermitUser];
    const n = sc.scripts.length;
    type Held = { u: number; release: () => void };
    const held: Held[][] = Array.from({ length: n }, () => []);
    const heldOf = (u: number): number =>
      held.reduce((a, h) => a + h.filter((x) => x.u === u).length, 0);
    const keep = (i: number, u: number, r: (() => void) | null): void => {
      if (r !== null) (held[i] as Held[]).push({ u, release: r });
    };
    const take = (u: number, timeout: number | null): Promise<(() => void) | null> => {
      counts.takes++;
      return (users[u] as PermitUser).take(timeout);
    };
    const check = (where: string): void => {
      users[0].check(`${where} (${sc.kinds[0]})`, heldOf(0));
      users[1].check(`${where} (${sc.kinds[1]})`, heldOf(1));
    };
    const body = async (i: number): Promise<void> => {
      const mine = held[i] as Held[];
      try {
        for (const op of sc.scripts[i] as Op[]) {
          counts.operations++;
          switch (op.k) {
            case 'take':
              keep(i, op.u, await take(op.u, op.timeout));
              break;
            case 'takeTwo': {
              // Waits on both primitives at once; a kill or Timeout rejects both, and what
              // either was already granted must be handed on (or kept and released here).
              const got = await Promise.allSettled([take(0, op.timeout), take(1, op.timeout)]);
              got.forEach((r, u) => {
                if (r.status === 'fulfilled') keep(i, u, r.value);
              });
              // A Timeout that fired stays delivered: the sibling take, which started its own
              // Timeout, rejects with the one that fired first — just as much a timeout.
              for (const r of got) {
                if (r.status === 'rejected' && !(r.reason instanceof Timeout)) throw r.reason;
              }
              break;
            }
            case 'timeoutTake': {
              const t = Timeout.startNew(op.ms);
              try {
                keep(i, op.u, await take(op.u, null));
              } catch (e) {
                if (e !== t) throw e;
                counts.timeouts++;
              } finally {
                t.cancel();
              }
              break;
            }
            case 'hold':
              keep(i, op.u, await take(op.u, null));
              await sleep(op.ms);
              break;
            case 'release':
              mine.shift()?.release();
              break;
            case 'sleep':
              await sleep(op.ms);
              break;
          }
          check(`greenlet ${i} after ${op.k}`);
        }
      } finally {
        for (const h of mine.splice(0)) h.release();
      }
    };
    const gs: Greenlet<void>[] = [];
    for (let i = 0; i < n; i++) gs.push(spawn(body, i));
    for (const { at, target } of sc.kills) {
      spawnLater(at, () => {
        counts.kills++;
        return (gs[target] as Greenlet<void>).kill({ block: false });
      });
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
    assert.equal(heldCountAll(held), 0);
    await users[0].finish();
    await users[1].finish();
  });
}

function heldCountAll(held: { u: number }[][]): number {
  return held.reduce((a, h) => a + h.length, 0);
}
