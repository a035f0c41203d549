// Property test: random interleavings of put/get/putNowait/getNowait by several greenlets on a
// bounded Queue and on a Channel, with random kills (block: false, some in the same turn as a
// putNowait, to hit woken-then-killed getters), random timeouts and the odd shutdown, conserve
// the items: every item whose put succeeded is received exactly once or is still queued; an
// item whose put threw is never received. On the virtual clock; on failure the message
// carries the seed (rerun with QUEUE_PROPERTY_SEED=<seed>).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { GreenletExit } from '../../../src/core/errors.js';
import { type Greenlet, joinAll, killAll, sleep, spawn } from '../../../src/index.js';
import {
  Channel,
  Queue,
  QueueEmpty,
  QueueFull,
  QueueShutDown,
} from '../../../src/sync/queue/index.js';
import { runVirtual } from '../../../src/testing/virtual.js';
import { captureReports } from '../../_util.js';

type Op =
  | { t: 'put'; timeout: number | null }
  | { t: 'get'; timeout: number | null }
  | { t: 'get2' }
  | { t: 'putNowait' }
  | { t: 'getNowait' }
  | { t: 'sleep'; ms: number }
  | { t: 'kill'; target: number }
  | { t: 'putNowaitKill'; target: number }
  | { t: 'shutdown' };

interface Scenario {
  maxsize: number;
  actors: Op[][];
}

const timeoutArb = fc.option(fc.integer({ min: 0, max: 4 }), { nil: null, freq: 2 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 25, arbitrary: fc.record({ t: fc.constant('put' as const), timeout: timeoutArb }) },
  { weight: 25, arbitrary: fc.record({ t: fc.constant('get' as const), timeout: timeoutArb }) },
  { weight: 5, arbitrary: fc.record({ t: fc.constant('get2' as const) }) },
  { weight: 15, arbitrary: fc.record({ t: fc.constant('putNowait' as const) }) },
  { weight: 15, arbitrary: fc.record({ t: fc.constant('getNowait' as const) }) },
  {
    weight: 3,
    arbitrary: fc.record({ t: fc.constant('sleep' as const), ms: fc.integer({ min: 0, max: 3 }) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ t: fc.constant('kill' as const), target: fc.nat({ max: 4 }) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ t: fc.constant('putNowaitKill' as const), target: fc.nat({ max: 4 }) }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('shutdown' as const) }) },
);
const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  maxsize: fc.integer({ min: 1, max: 3 }),
  actors: fc.array(fc.array(opArb, { minLength: 1, maxLength: 8 }), { minLength: 2, maxLength: 5 }),
});

interface Outcome {
  /** Items whose put (or putNowait) succeeded. */
  putOk: Set<number>;
  /** Items whose blocking put succeeded (for a channel: a getter has received each). */
  blockingPutOk: Set<number>;
  /** Items whose put threw. */
  putFailed: Set<number>;
  /** Items received, in order. */
  got: number[];
  /** Items left in the queue at the end. */
  left: number[];
  /** Waits still registered at the end (must be 0). */
  waits: number;
}

type AnyQueue = Queue<number> | Channel<number>;

function expected(e: unknown): boolean {
  return e instanceof QueueEmpty || e instanceof QueueFull || e instanceof QueueShutDown;
}

function runScenario(channel: boolean, sc: Scenario): Promise<Outcome> {
  return runVirtual(async () => {
    captureReports();
    const q: AnyQueue = channel ? new Channel<number>() : new Queue<number>(sc.maxsize);
    const out: Outcome = {
      putOk: new Set(),
      blockingPutOk: new Set(),
      putFailed: new Set(),
      got: [],
      left: [],
      waits: 0,
    };
    let next = 1;
    const gs: Greenlet[] = [];
    const record = (x: number): void => {
      out.got.push(x);
    };
    const putNowait = (): void => {
      const v = next++;
      const wasFull = q.full();
      try {
        q.putNowait(v);
        out.putOk.add(v);
      } catch (e) {
        out.putFailed.add(v);
        if (!channel && e instanceof QueueFull) assert.ok(wasFull, 'putNowait threw: full()');
        throw e;
      }
      if (!channel) assert.ok(!wasFull, 'putNowait succeeded: not full()');
    };
    const runOp = async (op: Op): Promise<void> => {
      switch (op.t) {
        case 'put': {
          const v = next++;
          try {
            await q.put(v, { timeout: op.timeout });
          } catch (e) {
            out.putFailed.add(v);
            throw e;
          }
          out.putOk.add(v);
          out.blockingPutOk.add(v);
          return;
        }
        case 'get':
          record(await q.get({ timeout: op.timeout }));
          return;
        case 'get2':
          await Promise.all([q.get().then(record), q.get().then(record)]);
          return;
        case 'putNowait':
          putNowait();
          return;
        case 'getNowait': {
          const wasEmpty = q.empty();
          try {
            record(q.getNowait());
          } catch (e) {
            if (!channel && e instanceof QueueEmpty)
              assert.ok(wasEmpty, 'getNowait threw: empty()');
            throw e;
          }
          if (!channel) assert.ok(!wasEmpty, 'getNowait succeeded: not empty()');
          return;
        }
        case 'sleep':
          await sleep(op.ms);
          return;
        case 'kill':
          void gs[op.target % gs.length]?.kill({ block: false });
          return;
        case 'putNowaitKill':
          try {
            putNowait();
          } finally {
            void gs[op.target % gs.length]?.kill({ block: false });
          }
          return;
        case 'shutdown':
          q.shutdown();
          return;
      }
    };
    const actor = async (ops: Op[]): Promise<void> => {
      for (const op of ops) {
        try {
          await runOp(op);
        } catch (e) {
          if (e instanceof GreenletExit || !expected(e)) throw e;
        }
      }
    };
    for (const ops of sc.actors) gs.push(spawn(actor, ops));
    await joinAll(gs, { timeout: 100 });
    await killAll(gs);
    for (const g of gs) {
      if (!g.successful()) throw g.exception;
    }
    for (;;) {
      try {
        out.left.push(q.getNowait());
      } catch (e) {
        if (e instanceof QueueEmpty || e instanceof QueueShutDown) break;
        throw e;
      }
    }
    const s = q.stats();
    out.waits = s.getters + s.putters + s.peekers;
    if (q instanceof Queue) out.waits += q.stats().reserved;
    return out;
  });
}

function check(channel: boolean, o: Outcome): void {
  const seen = new Set<number>();
  for (const x of [...o.got, ...o.left]) {
    assert.ok(!seen.has(x), `item ${x} was received twice`);
    seen.add(x);
    assert.ok(!o.putFailed.has(x), `item ${x} was received although its put threw`);
    assert.ok(o.putOk.has(x), `item ${x} was received but never put`);
  }
  for (const x of o.putOk) assert.ok(seen.has(x), `item ${x} was put but lost`);
  if (channel) {
    const got = new Set(o.got);
    for (const x of o.blockingPutOk)
      assert.ok(got.has(x), `put(${x}) returned but no getter got it`);
  }
  assert.equal(o.waits, 0, 'every wait left the queue');
}

function seed(): number {
  const env = process.env.QUEUE_PROPERTY_SEED;
  return env !== undefined && env !== ''
    ? Number(env)
    : (Date.now() ^ (Math.random() * 2 ** 31)) | 0;
}

async function assertConserves(channel: boolean): Promise<void> {
  const s = seed();
  try {
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (sc) => {
        check(channel, await runScenario(channel, sc));
      }),
      { numRuns: 200, seed: s },
    );
  } catch (e) {
    const cause = (e as Error).cause;
    const why = cause instanceof Error ? `\n${cause.stack ?? cause.message}` : '';
    throw new Error(
      `queue property failed with seed ${s} (rerun with QUEUE_PROPERTY_SEED=${s}):\n${(e as Error).message}${why}`,
      { cause: e },
    );
  }
}

test('a bounded Queue conserves items under random puts, gets, kills, timeouts and shutdowns', () =>
  assertConserves(false));

test('a Channel conserves items under random puts, gets, kills, timeouts and shutdowns', () =>
  assertConserves(true));

test('the checker catches a lost item and a duplicate (the property can fail)', () => {
  const base = {
    putOk: new Set([1, 2]),
    blockingPutOk: new Set<number>(),
    putFailed: new Set([3]),
    got: [1],
    left: [] as number[],
    waits: 0,
  };
  assert.throws(() => check(false, base), /item 2 was put but lost/);
  assert.throws(() => check(false, { ...base, got: [1, 2, 1] }), /received twice/);
  assert.throws(() => check(false, { ...base, got: [1, 2, 3] }), /its put threw/);
  assert.doesNotThrow(() => check(false, { ...base, left: [2] }));
});
