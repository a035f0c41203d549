// Property test of core's interrupts: random actors wait on two queues through plain gets,
// Promise.all of two gets, race() and gets under a Timeout (some caught, some stubborn actors
// catching kills), while a controller puts items, kills actors (block: false, some in the same
// turn as a put, so woken waiters are killed) and fires Timeouts: kills AND Timeouts pending
// together. Properties: every item put is received exactly once or is still queued (nothing
// lost), killAll at the end kills every actor (no kill is lost behind a Timeout: nothing hangs),
// and no unhandled rejection occurs. On the virtual clock; a failure prints the seed (rerun with
// INTERRUPTS_PROPERTY_SEED=<seed>).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  Cancellation,
  type Greenlet,
  GreenletExit,
  killAll,
  Queue,
  race,
  sleep,
  spawn,
  Timeout,
} from '../../src/index.js';
import { runVirtual } from '../../src/testing/index.js';
import { captureReports } from '../_util.js';

type Op =
  | { t: 'get'; q: 0 | 1 }
  | { t: 'all' }
  | { t: 'race'; ms: number }
  | { t: 'timed'; ms: number; q: 0 | 1 }
  | { t: 'stubborn' }
  | { t: 'sleep'; ms: number };
type Ctl =
  | { t: 'put'; q: 0 | 1 }
  | { t: 'kill'; target: number }
  | { t: 'putKill'; q: 0 | 1; target: number }
  | { t: 'sleep'; ms: number };

const q01 = fc.constantFrom(0 as const, 1 as const);
const ms = fc.integer({ min: 0, max: 4 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ t: fc.constant('get' as const), q: q01 }),
  fc.record({ t: fc.constant('all' as const) }),
  fc.record({ t: fc.constant('race' as const), ms }),
  fc.record({ t: fc.constant('timed' as const), ms, q: q01 }),
  fc.record({ t: fc.constant('stubborn' as const) }),
  fc.record({ t: fc.constant('sleep' as const), ms }),
);
const ctlArb: fc.Arbitrary<Ctl> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ t: fc.constant('put' as const), q: q01 }) },
  {
    weight: 1,
    arbitrary: fc.record({ t: fc.constant('kill' as const), target: fc.nat({ max: 3 }) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      t: fc.constant('putKill' as const),
      q: q01,
      target: fc.nat({ max: 3 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('sleep' as const), ms }) },
);
const scenarioArb = fc.record({
  actors: fc.array(fc.array(opArb, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 4 }),
  ctl: fc.array(ctlArb, { minLength: 1, maxLength: 25 }),
});

export async function runScenario(s: { actors: Op[][]; ctl: Ctl[] }): Promise<void> {
  await runVirtual(async () => {
    captureReports();
    const qs = [new Queue<number>(), new Queue<number>()] as const;
    const forever = new Queue<number>();
    const received: number[] = [];
    const put: number[] = [];
    let next = 0;
    const recv = (p: Promise<number>): Promise<number> =>
      p.then((v) => {
        received.push(v);
        return v;
      });
    const actor = async (ops: Op[]): Promise<void> => {
      for (const op of ops) {
        try {
          if (op.t === 'get') await recv(qs[op.q].get());
          else if (op.t === 'all') await Promise.all([recv(qs[0].get()), recv(qs[1].get())]);
          else if (op.t === 'race') {
            await race(
              () => recv(qs[0].get()),
              () => recv(qs[1].get()),
              () => sleep(op.ms),
            );
          } else if (op.t === 'timed') {
            const t = Timeout.startNew(op.ms);
            try {
              await recv(qs[op.q].get());
            } catch (e) {
              if (e !== t) throw e;
            } finally {
              t.cancel();
            }
          } else if (op.t === 'stubborn') {
            try {
              await sleep(2);
            } catch (e) {
              if (!(e instanceof GreenletExit)) throw e; // swallows one kill
            }
          } else await sleep(op.ms);
        } catch (e) {
          if (!(e instanceof Cancellation)) throw e;
          if (e instanceof GreenletExit) throw e;
          // a Timeout of another op (stubborn's sleep under none): go on
        }
      }
      await forever.get(); // only a kill ends it
    };
    const gs: Greenlet[] = s.actors.map((ops) => spawn(actor, ops));
    for (const c of s.ctl) {
      if (c.t === 'put') {
        put.push(next);
        qs[c.q].putNowait(next++);
      } else if (c.t === 'kill') {
        const g = gs[c.target % gs.length] as Greenlet;
        void g.kill({ block: false });
      } else if (c.t === 'putKill') {
        put.push(next);
        qs[c.q].putNowait(next++);
        void (gs[c.target % gs.length] as Greenlet).kill({ block: false });
      } else await sleep(c.ms);
    }
    await sleep(5); // kills still pending are delivered (two kills before delivery are one)
    // Each kill now lands: a stubborn op swallows one, so killAll needs at most one round per
    // stubborn op plus one; a kill lost behind a Timeout would leave an actor in forever.get().
    const rounds =
      Math.max(...s.actors.map((ops) => ops.filter((o) => o.t === 'stubborn').length)) + 1;
    for (let i = 0; i < rounds && !gs.every((g) => g.dead); i++) {
      await killAll(gs, { timeout: 50 }).catch((e: unknown) => {
        if (!(e instanceof Timeout)) throw e;
      });
    }
    assert.ok(
      gs.every((g) => g.dead),
      'every actor is dead',
    );
    for (const g of gs) {
      if (!g.successful()) throw g.exception;
    }
    const left: number[] = [];
    for (const q of qs) while (q.qsize() > 0) left.push(q.getNowait());
    const all = [...received, ...left].sort((a, b) => a - b);
    assert.deepEqual(all, put, `received ${received} left ${left}`);
  });
}

test('kills and Timeouts pending together, Promise.all of gets and race lose no item and leave nothing hanging', async () => {
  let unhandled = 0;
  const onUnhandled = (): void => {
    unhandled++;
  };
  process.on('unhandledRejection', onUnhandled);
  const seed = process.env.INTERRUPTS_PROPERTY_SEED;
  try {
    await fc.assert(fc.asyncProperty(scenarioArb, runScenario), {
      numRuns: 300,
      verbose: 1,
      ...(seed === undefined ? {} : { seed: Number(seed) }),
    });
    await new Promise((r) => setImmediate(r));
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
  assert.equal(unhandled, 0, 'no unhandled rejection');
});
