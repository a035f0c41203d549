// Every verdant/eventlet wait with a kill AND a Timeout pending at once (DESIGN §3: two
// interrupts, each delivered at one wait, in the order requested), the first one landing on two
// waits held together under Promise.all. Afterwards nothing is lost: what the interrupted waits
// would have taken (an item, a slot, a result) goes to the next waiter. Virtual clock.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  Event,
  GreenletExit,
  GreenPile,
  GreenPool,
  type GreenThread,
  LightQueue,
  Queue,
  sleep,
  spawn,
  Timeout,
} from '../../../src/compat/eventlet/index.js';
import { getHub, spawn as verdantSpawn } from '../../../src/index.js';
import { runVirtual } from '../../../src/testing/virtual.js';
import { captureReports, ExpectedError } from '../../_util.js';

interface Case {
  /** Make the object to wait on; `wait` starts one wait, `after` checks nothing was lost. */
  make(): Promise<{ wait: () => Promise<unknown>; after: () => Promise<unknown> }>;
  expected: unknown;
}

const cases: Record<string, Case> = {
  'Event.wait': {
    make: async () => {
      const evt = new Event<string>();
      return {
        wait: () => evt.wait(),
        after: async () => {
          const w = spawn(() => evt.wait());
          await sleep(0);
          evt.send('sent');
          return w.wait();
        },
      };
    },
    expected: 'sent',
  },
  'Queue(0).get': {
    make: async () => {
      const q = new Queue<string>(0);
      return {
        wait: () => q.get(),
        after: async () => {
          spawn(() => q.put('item'));
          return [await q.get(), q.unfinishedTasks, q.getting()];
        },
      };
    },
    expected: ['item', 1, 0],
  },
  'LightQueue(1).get': {
    make: async () => {
      const q = new LightQueue<string>(1);
      return {
        wait: () => q.get(),
        after: async () => {
          await q.put('item');
          return [q.getNowait(), q.getting()];
        },
      };
    },
    expected: ['item', 0],
  },
  'LightQueue(0).put': {
    make: async () => {
      const q = new LightQueue<string>(0);
      return {
        wait: () => q.put('lost?'),
        after: async () => [q.putting(), await q.get({ timeout: 10 }).catch((e: Error) => e.name)],
      };
    },
    expected: [0, 'QueueEmpty'],
  },
  'GreenPool.spawn on a full pool': {
    make: async () => {
      const pool = new GreenPool(1);
      await pool.spawn(() => sleep(10));
      let ran = 0;
      return {
        wait: () =>
          pool.spawn(() => {
            ran++;
          }),
        after: async () => {
          const gt = await pool.spawn(() => 'next');
          return [await gt.wait(), ran, pool.waiting(), pool.free()];
        },
      };
    },
    expected: ['next', 0, 0, 1],
  },
  'GreenPool.waitall': {
    make: async () => {
      const pool = new GreenPool(2);
      await pool.spawn(() => sleep(100));
      return {
        wait: () => pool.waitall(),
        after: async () => {
          await pool.waitall();
          return [getHub().now(), pool.running()];
        },
      };
    },
    expected: [100, 0],
  },
  'GreenThread.wait': {
    make: async () => {
      const gt = spawn(async () => {
        await sleep(100);
        return 'value';
      });
      return { wait: () => gt.wait(), after: () => gt.wait() };
    },
    expected: 'value',
  },
  'GreenPile.next': {
    make: async () => {
      const pile = new GreenPile<string>(2);
      await pile.spawn(async () => {
        await sleep(100);
        return 'a';
      });
      await pile.spawn(() => 'b');
      return {
        wait: () => pile.next(),
        after: async () => {
          const out: string[] = [];
          for await (const x of pile) out.push(x);
          return out;
        },
      };
    },
    expected: ['a', 'b'],
  },
  'GreenPool.imap next()': {
    make: async () => {
      const pool = new GreenPool(2);
      const it = pool.imap(
        async (x: number) => {
          await sleep(100);
          return x;
        },
        [1, 2, 3],
      );
      return {
        wait: () => it.next(),
        after: async () => {
          const out: number[] = [];
          for await (const x of it) out.push(x);
          return out;
        },
      };
    },
    expected: [1, 2, 3],
  },
};

describe('verdant/eventlet: a kill and a Timeout pending at once, nothing lost', () => {
  for (const [name, c] of Object.entries(cases)) {
    test(`${name}: the Timeout rejects both waits of a Promise.all, the kill the next wait`, async () => {
      const got = await runVirtual(async () => {
        const { wait, after } = await c.make();
        const log: string[] = [];
        const g = verdantSpawn(async () => {
          const t = Timeout.startNew(5);
          try {
            await Promise.all([wait(), wait()]);
            log.push('all resolved');
          } catch (e) {
            log.push(e === t ? 'Timeout' : String(e));
          }
          try {
            await wait();
            log.push('resolved');
          } catch (e) {
            log.push(e instanceof GreenletExit ? 'GreenletExit' : String(e));
          }
        });
        await sleep(5); // the Timeout fires first (made first), then this kill is requested
        await g.kill({ timeout: 1 });
        return { log, dead: g.dead, after: await after() };
      });
      assert.deepEqual(got, {
        log: ['Timeout', 'GreenletExit'],
        dead: true,
        after: c.expected,
      });
    });
  }

  test('bad options reject (never throw) with a message that names the call', async () => {
    await runVirtual(async () => {
      const evt = new Event();
      const q = new Queue(0);
      // The eventlet class the user called, not the verdant queue under it (a Channel for 0,
      // a SimpleQueue or Queue otherwise).
      const lq = new LightQueue(0);
      const bounded = new LightQueue(1);
      const unbounded = new Queue();
      const gt = spawn(() => sleep(10));
      for (const [call, where] of [
        [(o: never) => evt.wait(o), 'Event.wait'],
        [(o: never) => q.get(o), 'Queue.get'],
        [(o: never) => q.put(1, o), 'Queue.put'],
        [(o: never) => lq.get(o), 'LightQueue.get'],
        [(o: never) => lq.put(1, o), 'LightQueue.put'],
        [(o: never) => bounded.get(o), 'LightQueue.get'],
        [(o: never) => bounded.put(1, o), 'LightQueue.put'],
        [(o: never) => unbounded.get(o), 'Queue.get'],
        [(o: never) => unbounded.put(1, o), 'Queue.put'],
        [(o: never) => unbounded.join(o), 'Queue.join'],
        [(o: never) => q.join(o), 'Queue.join'],
        [(o: never) => gt.wait(o), 'GreenThread.wait'],
      ] as const) {
        for (const [bad, re] of [
          [-1, /RangeError: .*timeout must be a non-negative number of ms, got -1/],
          [Number.NaN, /RangeError: .*got NaN/],
          ['1', /TypeError: .*options must be an object or a timeout in ms, got string/],
          [{ timeout: '1' }, /TypeError: .*timeout must be a number of milliseconds, got string/],
          [{ signal: 1 }, /TypeError: .*signal must be an AbortSignal, got number/],
        ] as const) {
          let p: unknown;
          assert.doesNotThrow(() => {
            p = call(bad as never);
          });
          assert.ok(p instanceof Promise);
          await assert.rejects(p, (e: Error) => {
            assert.match(String(e), re);
            assert.ok(e.message.startsWith(`${where}: `), `${e.message} names ${where}`);
            return true;
          });
        }
      }
    });
  });
});

describe('eventlet queue_test.py: getters killed by a throw lose nothing', () => {
  test('a channel with a good and a bad getter per item delivers every item in order (test_zero_length_queue_nonblocking_put)', async () => {
    let reports: string[] = [];
    const got = await runVirtual(async () => {
      reports = captureReports();
      const queue = new Queue<number>(0);
      const out: number[] = [];
      const fetchItem = async (): Promise<void> => {
        out.push(await queue.get());
      };
      const bad: GreenThread<void>[] = [];
      for (let i = 0; i < 10; i++) {
        spawn(fetchItem);
        bad.push(spawn(fetchItem));
      }
      await sleep(0);
      for (const b of bad) b.greenlet?.throw(new ExpectedError('kaboom'));
      for (let i = 0; i < 10; i++) await queue.put(i);
      return out;
    });
    assert.deepEqual(got, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.equal(reports.join('').match(/failed with ExpectedError/g)?.length, 10);
  });
});
