// eventlet's GreenPool and GreenPile (verdant/eventlet): eventlet's tests/greenpool_test.py
// ported (sleep(0.01) becomes sleep(10)), plus the cancel-point and nothing-lost tests of the
// slot wait and of the result iterators. All on the virtual clock.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  Event,
  GreenletExit,
  GreenPile,
  GreenPool,
  sleep,
  spawn,
  Timeout,
} from '../../../src/compat/eventlet/index.js';
import { getHub, spawn as verdantSpawn } from '../../../src/index.js';
import { runVirtual } from '../../../src/testing/virtual.js';
import { assertRejectsNoThrow, captureReports, ExpectedError } from '../../_util.js';

async function passthru<T>(a: T): Promise<T> {
  await sleep(10);
  return a;
}

async function passthru2<A, B>(a: A, b: B): Promise<[A, B]> {
  await sleep(10);
  return [a, b];
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

const range = (n: number, from = 0): number[] => Array.from({ length: n }, (_, i) => from + i);

describe('eventlet GreenPool', () => {
  test('spawn() waits for a slot and wait() gives each result (test_spawn)', async () => {
    const results = await runVirtual(async () => {
      const p = new GreenPool(4);
      const waiters = [];
      for (let i = 0; i < 10; i++) waiters.push(await p.spawn(passthru, i));
      const out = [];
      for (const w of waiters) out.push(await w.wait());
      return out;
    });
    assert.deepEqual(results, range(10));
  });

  test('waitall() waits for every thread (test_spawn_n)', async () => {
    const results = await runVirtual(async () => {
      const p = new GreenPool(4);
      const out: number[] = [];
      for (let i = 0; i < 10; i++) {
        await p.spawnN(async (a: number) => {
          await sleep(10);
          out.push(a);
        }, i);
      }
      await p.waitall();
      assert.equal(p.running(), 0);
      return out;
    });
    assert.deepEqual(results, range(10));
  });

  test('waiting() counts callers blocked for a slot, running() the threads (test_waiting)', async () => {
    await runVirtual(async () => {
      const pool = new GreenPool(1);
      const done = new Event();
      const waiter = async (): Promise<void> => {
        const gt = await pool.spawn(() => done.wait());
        await gt.wait();
      };
      const waiters = [];
      assert.equal(pool.running(), 0);
      waiters.push(spawn(waiter));
      await sleep(0);
      assert.equal(pool.waiting(), 0);
      waiters.push(spawn(waiter));
      await sleep(0);
      assert.equal(pool.waiting(), 1);
      waiters.push(spawn(waiter));
      await sleep(0);
      assert.equal(pool.waiting(), 2);
      assert.equal(pool.running(), 1);
      done.send(null);
      for (const w of waiters) await w.wait();
      assert.equal(pool.waiting(), 0);
      assert.equal(pool.running(), 0);
    });
  });

  test('threads of one pool interleave at their waits (test_multiple_coros)', async () => {
    const results = await runVirtual(async () => {
      const evt = new Event();
      const out: string[] = [];
      const pool = new GreenPool(2);
      const done = await pool.spawn(async () => {
        out.push('cons1');
        await evt.wait();
        out.push('cons2');
      });
      await pool.spawnN(() => {
        out.push('prod');
        evt.send();
      });
      await done.wait();
      return out;
    });
    assert.deepEqual(results, ['cons1', 'prod', 'cons2']);
  });

  test('from its own thread on a full pool, spawn and spawnN run the function inline (test_reentrant)', async () => {
    await runVirtual(async () => {
      const pool = new GreenPool(1);
      const outer = await pool.spawn(async () => {
        const inner = await pool.spawn((a: string) => a, 'reenter');
        assert.equal(inner.dead, true, 'ran inline: finished when spawn resolves');
        assert.equal(inner.greenlet, null);
        return inner.wait();
      });
      assert.equal(await outer.wait(), 'reenter');

      const evt = new Event<string>();
      const ran: string[] = [];
      await pool.spawnN(async () => {
        await pool.spawnN((a: string) => ran.push(a), 'reenter');
        evt.send('done');
      });
      assert.equal(await evt.wait(), 'done');
      assert.deepEqual(ran, ['reenter']);
    });
  });

  test("an inline spawn rejects with the function's error; an inline spawnN reports it and resolves", async () => {
    const got = await runVirtual(async () => {
      const reports = captureReports();
      const pool = new GreenPool(1);
      const gt = await pool.spawn(async () => {
        const e = await pool
          .spawn(() => {
            throw new ExpectedError('inline');
          })
          .catch((x: unknown) => x);
        await pool.spawnN(() => {
          throw new ExpectedError('inline spawnN');
        });
        return e;
      });
      const e = await gt.wait();
      return {
        e: e instanceof ExpectedError,
        reported: reports.join('').includes('inline spawnN'),
      };
    });
    assert.deepEqual(got, { e: true, reported: true });
  });

  test('resize() lets running threads go on and starts nothing until fewer than size run (test_resize)', async () => {
    await runVirtual(async () => {
      const pool = new GreenPool(2);
      const evt = new Event();
      await pool.spawn(() => evt.wait());
      await pool.spawn(() => evt.wait());
      assert.equal(pool.free(), 0);
      assert.equal(pool.running(), 2);
      pool.resize(1);
      assert.equal(pool.free(), -1, 'free() is negative after shrinking');
      const log: string[] = [];
      const late = spawn(async () => {
        await pool.spawn(() => log.push('started'));
      });
      await sleep(0);
      assert.equal(pool.waiting(), 1);
      evt.send(null);
      await late.wait();
      await pool.waitall();
      assert.deepEqual(log, ['started']);
      assert.equal(pool.free(), 1);
      pool.resize(3);
      assert.equal(pool.free(), 3);
      assert.equal(pool.size, 3);
    });
  });

  test('resize() up wakes callers waiting for a slot', async () => {
    await runVirtual(async () => {
      const pool = new GreenPool(1);
      const evt = new Event();
      await pool.spawn(() => evt.wait());
      const a = spawn(() => pool.spawn(() => 'a'));
      await sleep(0);
      assert.equal(pool.waiting(), 1);
      pool.resize(2);
      const gt = await a.wait();
      assert.equal(await gt.wait(), 'a');
      evt.send();
    });
  });

  test('free() counts down with spawn and back up when threads end (test_spawn_n_2)', async () => {
    await runVirtual(async () => {
      const p = new GreenPool(2);
      assert.equal(p.free(), 2);
      const r: number[] = [];
      const gt = await p.spawn((a: number) => r.push(a), 1);
      assert.equal(p.free(), 1);
      await gt.wait();
      assert.deepEqual(r, [1]);
      await sleep(0);
      assert.equal(p.free(), 2);
      await p.spawnN((a: number) => r.push(a), 2);
      assert.equal(p.free(), 1);
      assert.deepEqual(r, [1]);
      await p.spawnN((a: number) => r.push(a), 3);
      assert.equal(p.free(), 0);
      assert.deepEqual(r, [1], 'spawn with a free slot does not switch');
      // Once the pool is exhausted, spawning forces a yield.
      await p.spawnN((a: number) => r.push(a), 4);
      assert.deepEqual(new Set(r), new Set([1, 2, 3]));
      await sleep(0);
      assert.deepEqual(new Set(r), new Set([1, 2, 3, 4]));
    });
  });

  test('a failing or exiting function gives its slot back (test_exceptions)', async () => {
    await runVirtual(async () => {
      getHub().exceptionStream = null;
      const p = new GreenPool(2);
      for (const m of ['spawn', 'spawnN'] as const) {
        for (const exc of [new ExpectedError(), new GreenletExit()]) {
          assert.equal(p.free(), 2);
          const boom = (): never => {
            throw exc;
          };
          if (m === 'spawn') await p.spawn(boom);
          else await p.spawnN(boom);
          assert.equal(p.free(), 1);
          await p.waitall();
          assert.equal(p.free(), 2);
        }
      }
    });
  });

  test('waitall() resolves at once on an idle pool and rejects from one of its own threads (test_recursive_waitall)', async () => {
    await runVirtual(async () => {
      const p = new GreenPool();
      await p.waitall();
      const gt = await p.spawn(() => p.waitall());
      await assert.rejects(gt.wait(), {
        name: 'Error',
        message: /Cannot call waitall\(\) from one of the GreenPool's own threads/,
      });
    });
  });

  test('waitall() is a cancel point: a kill or Timeout lands there and the threads go on', async () => {
    await runVirtual(async () => {
      const p = new GreenPool(2);
      const evt = new Event();
      const gt = await p.spawn(() => evt.wait());
      const waiter = verdantSpawn(() => p.waitall());
      await sleep(0);
      await waiter.kill();
      assert.ok((waiter.value as unknown) instanceof GreenletExit);
      const t = Timeout.startNew(5);
      await assert.rejects(p.waitall(), (e) => e === t);
      assert.equal(p.running(), 1);
      evt.send('done');
      await p.waitall();
      assert.equal(await gt.wait(), 'done');
    });
  });

  test('spawn() is a cancel point when the pool is full: a kill or Timeout there starts nothing', async () => {
    await runVirtual(async () => {
      const p = new GreenPool(1);
      const evt = new Event();
      await p.spawn(() => evt.wait());
      const started: string[] = [];
      const blocked = spawn(() => p.spawn(() => started.push('killed one')));
      await sleep(0);
      await blocked.kill();
      const t = Timeout.startNew(5);
      await assert.rejects(
        p.spawn(() => started.push('timed out one')),
        (e) => e === t,
      );
      assert.equal(p.waiting(), 0);
      evt.send();
      await p.waitall();
      assert.deepEqual(started, []);
      assert.equal(p.free(), 1);
    });
  });

  test('a caller woken for a slot and killed before it resumes passes the slot to the next caller', async () => {
    await runVirtual(async () => {
      const p = new GreenPool(1);
      const evt = new Event();
      await p.spawn(() => evt.wait());
      const a = verdantSpawn(() => p.spawn(() => 'a'));
      const b = verdantSpawn(() => p.spawn(() => 'b'));
      await sleep(0);
      assert.equal(p.waiting(), 2);
      evt.send(); // the thread ends, from the hub: a is woken …
      await sleep(0);
      void a.kill({ block: false }); // … and killed before it resumes
      const gtb = await b.get();
      assert.equal(await gtb.wait(), 'b');
      await a.join();
      assert.ok((a.value as unknown) instanceof GreenletExit);
      await p.waitall();
      assert.equal(p.free(), 1);
    });
  });

  test('bad arguments: the constructor and resize throw, spawn rejects', async () => {
    assert.throws(() => new GreenPool(-1), RangeError);
    assert.throws(() => new GreenPool(1.5), RangeError);
    assert.throws(() => new GreenPool('2' as never), TypeError);
    assert.throws(() => new GreenPool().resize(-2), RangeError);
    await assertRejectsNoThrow(() => new GreenPool().spawn(3 as never), TypeError);
    await assertRejectsNoThrow(() => new GreenPool().spawnN(3 as never), TypeError);
    assert.throws(() => new GreenPool().imap(3 as never, []), TypeError);
  });

  test('GreenPile: a bad size and a spawn of a non-function are named GreenPile, not the pool under it', async () => {
    assert.throws(() => new GreenPile(-1), {
      name: 'RangeError',
      message: 'Cannot create a GreenPile: size must be an integer >= 0, got -1',
    });
    assert.throws(() => new GreenPile(1.5), {
      name: 'RangeError',
      message: 'Cannot create a GreenPile: size must be an integer >= 0, got 1.5',
    });
    assert.throws(() => new GreenPile('2' as never), {
      name: 'TypeError',
      message:
        'Cannot create a GreenPile: sizeOrPool must be a GreenPool or a number of threads, got string',
    });
    await assertRejectsNoThrow(() => new GreenPile(2).spawn(3 as never), {
      name: 'TypeError',
      message: 'GreenPile.spawn: fn must be a function, got number',
    });
    const pile = new GreenPile<number>(new GreenPool(1));
    await pile.spawn(() => 1);
    assert.deepEqual((await pile.next()).value, 1, 'a pool given is used');
  });
});

describe('eventlet GreenPool.imap / starmap', () => {
  test('imap gives results in input order (test_imap), nothing for empty input (test_empty_imap)', async () => {
    const got = await runVirtual(async () => {
      const p = new GreenPool(4);
      const all = await collect(p.imap(passthru, range(10)));
      const none = await p.imap(passthru, []).next();
      return { all, none };
    });
    assert.deepEqual(got.all, range(10));
    assert.deepEqual(got.none, { done: true, value: undefined });
  });

  test('imap zips several iterables and stops at the shortest (test_imap_multi_args)', async () => {
    const got = await runVirtual(async () => {
      const p = new GreenPool(4);
      return collect(p.imap(passthru2, range(10), range(12, 10)));
    });
    assert.deepEqual(
      got,
      range(10).map((i) => [i, i + 10]),
    );
  });

  test('a failure is thrown at its position and the same iterator goes on (test_imap_raises)', async () => {
    const got = await runVirtual(async () => {
      const p = new GreenPool(4);
      const it = p.imap((item: number) => {
        if (item === 1 || item === 7) throw new ExpectedError('intentional error');
        return item;
      }, range(10));
      const results: (number | string)[] = [];
      for (;;) {
        try {
          const r = await it.next();
          if (r.done === true) break;
          results.push(r.value);
        } catch (e) {
          assert.ok(e instanceof ExpectedError);
          results.push('r');
        }
      }
      return results;
    });
    assert.deepEqual(got, [0, 'r', 2, 3, 4, 5, 6, 'r', 8, 9]);
  });

  test('starmap spreads each argument list (test_starmap); async iterables work too', async () => {
    const got = await runVirtual(async () => {
      const p = new GreenPool(4);
      const a = await collect(
        p.starmap(
          passthru,
          range(10).map((x) => [x] as [number]),
        ),
      );
      async function* gen(): AsyncGenerator<[number, number]> {
        yield [2, 3];
        yield [10, 2];
      }
      const b = await collect(p.starmap(Math.pow, gen()));
      return { a, b };
    });
    assert.deepEqual(got, { a: range(10), b: [8, 100] });
  });

  test('imap runs at most size calls at a time and holds back when results are not consumed', async () => {
    const got = await runVirtual(async () => {
      const p = new GreenPool(3);
      let running = 0;
      let peak = 0;
      let started = 0;
      const it = p.imap(async (x: number) => {
        started++;
        running++;
        peak = Math.max(peak, running);
        await sleep(10);
        running--;
        return x;
      }, range(50));
      await sleep(1000); // nobody consumes
      const startedIdle = started;
      const out = await collect(it);
      return { peak, startedIdle, out };
    });
    assert.equal(got.peak, 3);
    assert.ok(got.startedIdle < 50 && got.startedIdle <= 3 + 3 + 1, `started ${got.startedIdle}`);
    assert.deepEqual(got.out, range(50));
  });

  test('next() is a cancel point that consumes nothing; leaving the loop kills the calls still running', async () => {
    const got = await runVirtual(async () => {
      const p = new GreenPool(2);
      const ended: string[] = [];
      let running = 0;
      const it = p.imap(async (x: number) => {
        running++;
        try {
          await sleep(x === 0 ? 50 : 1000);
          return x;
        } finally {
          running--;
          ended.push(`end ${x}`);
        }
      }, range(5));
      const t = Timeout.startNew(10);
      const e = await it.next().catch((x: unknown) => x);
      t.cancel();
      const first = await it.next();
      for await (const x of it) {
        ended.push(`got ${x}`);
        break;
      }
      return { timedOut: e === t, first: first.value, ended, running, after: await it.next() };
    });
    assert.equal(got.timedOut, true);
    assert.equal(got.first, 0, 'the interrupted next() consumed nothing');
    assert.deepEqual(got.ended, ['end 0', 'end 1', 'got 1', 'end 2', 'end 3']);
    assert.equal(got.running, 0, 'return() killed the call still running and waited for it');
    assert.deepEqual(got.after, { done: true, value: undefined });
  });

  test('an input iterable that throws ends the iterator with that error at its position', async () => {
    const got = await runVirtual(async () => {
      const p = new GreenPool(2);
      function* bad(): Generator<number> {
        yield 1;
        throw new ExpectedError('bad input');
      }
      const it = p.imap((x: number) => x, bad());
      const a = await it.next();
      const b = await it.next().catch((e: unknown) => e);
      return { a: a.value, b: b instanceof ExpectedError, c: await it.next() };
    });
    assert.deepEqual(got, { a: 1, b: true, c: { done: true, value: undefined } });
  });
  test('imap(null) and starmap(null) yield the argument lists (test_imap_nonefunc)', async () => {
    const got = await runVirtual(async () => {
      const p = new GreenPool(4);
      return {
        one: await collect(p.imap(null, range(3))),
        two: await collect(p.imap(null, range(2), ['a', 'b', 'c'])),
        star: await collect(p.starmap(null, [[1, 2], [3]])),
      };
    });
    assert.deepEqual(got, {
      one: [[0], [1], [2]],
      two: [
        [0, 'a'],
        [1, 'b'],
      ],
      star: [[1, 2], [3]],
    });
  });

  test('a non-iterable input throws TypeError at once; a starmap item that is not a list fails at its position', async () => {
    const p = new GreenPool(2);
    assert.throws(
      () => p.imap((x: number, y: number) => x + y, [1], 5 as never),
      /^TypeError: GreenPool\.imap: iterables\[1\] must be an iterable or an async iterable, got number$/,
    );
    assert.throws(
      () => p.imap((x: number) => x, null as never),
      /^TypeError: GreenPool\.imap: iterables\[0\] must be an iterable or an async iterable, got null$/,
    );
    assert.throws(
      () => p.starmap((x: number) => x, {} as never),
      /^TypeError: GreenPool\.starmap: argLists must be an iterable or an async iterable, got object$/,
    );
    assert.throws(() => p.starmap(5 as never, []), /^TypeError: GreenPool\.starmap: fn must be/);
    const got = await runVirtual(async () => {
      const it = p.starmap((x: number) => x * 2, [[1], 7 as never, [3]]);
      const a = await it.next();
      const b = await it.next().catch((e: unknown) => String(e));
      return { a: a.value, b, c: await it.next() };
    });
    assert.deepEqual(got, {
      a: 2,
      b: 'TypeError: GreenPool.starmap: each item of argLists must be an argument list (an iterable), got number',
      c: { done: true, value: undefined },
    });
  });
});

describe('eventlet GreenPile', () => {
  test('iterates results in spawn order (test_pile); an empty pile yields nothing', async () => {
    const got = await runVirtual(async () => {
      const p = new GreenPile<number>(4);
      assert.deepEqual(await collect(p), []);
      for (let i = 0; i < 10; i++) await p.spawn(passthru, i);
      return collect(p);
    });
    assert.deepEqual(got, range(10));
  });

  test('a Timeout in spawn() on a full pile does not break the sequence (test_pile_spawn_times_out)', async () => {
    const got = await runVirtual(async () => {
      const p = new GreenPile<number | string>(4);
      for (let i = 0; i < 4; i++) await p.spawn(passthru, i);
      const t = Timeout.startNew(0);
      await assert.rejects(p.spawn(passthru, 'time out'), (e) => e === t);
      for (let i = 4; i < 10; i++) await p.spawn(passthru, i);
      return collect(p);
    });
    assert.deepEqual(got, range(10));
  });

  test('piles sharing a pool each keep their own order (test_constructing_from_pool)', async () => {
    const got = await runVirtual(async () => {
      const pool = new GreenPool(2);
      const pile1 = new GreenPile<number>(pool);
      const pile2 = new GreenPile<number>(pool);
      const bunchOfWork = async (pile: GreenPile<number>, unique: number): Promise<void> => {
        for (let i = 0; i < 10; i++) await pile.spawn(passthru, i + unique);
      };
      const w1 = spawn(bunchOfWork, pile1, 0);
      const w2 = spawn(bunchOfWork, pile2, 100);
      await sleep(0);
      await w1.wait();
      await w2.wait();
      return { p2: await collect(pile2), p1: await collect(pile1) };
    });
    assert.deepEqual(got, { p2: range(10, 100), p1: range(10) });
  });

  test('a failure is thrown at its position, consumed, and the iteration goes on', async () => {
    const got = await runVirtual(async () => {
      const pile = new GreenPile<number>();
      await pile.spawn(() => 1);
      await pile.spawn(() => {
        throw new ExpectedError('second');
      });
      await pile.spawn(() => 3);
      const out: (number | string)[] = [];
      for (;;) {
        try {
          const r = await pile.next();
          if (r.done === true) break;
          out.push(r.value);
        } catch (e) {
          out.push(e instanceof ExpectedError ? e.message : 'other');
        }
      }
      return out;
    });
    assert.deepEqual(got, [1, 'second', 3]);
  });

  test('next() interrupted by a kill or Timeout consumes nothing', async () => {
    const got = await runVirtual(async () => {
      const pile = new GreenPile<string>();
      await pile.spawn(async () => {
        await sleep(50);
        return 'slow';
      });
      const reader = verdantSpawn(() => pile.next());
      await sleep(10);
      await reader.kill();
      const t = Timeout.startNew(10);
      const e = await pile.next().catch((x: unknown) => x);
      return { timedOut: e === t, rest: await collect(pile) };
    });
    assert.deepEqual(got, { timedOut: true, rest: ['slow'] });
  });

  test('a consumer waiting in next() for a spawn that then fails ends instead of hanging', async () => {
    const got = await runVirtual(async () => {
      const pool = new GreenPool(1);
      const pile = new GreenPile<string>(pool);
      await pool.spawn(() => sleep(100)); // the pool is full, and not through the pile
      const spawner = verdantSpawn(() => pile.spawn(() => 'never'));
      await sleep(1);
      const consumer = verdantSpawn(() => collect(pile));
      await sleep(1);
      await spawner.kill(); // its spawn fails: the pile is empty again
      const ended = await consumer.join({ timeout: 10 });
      return { ended, value: consumer.value, at: getHub().now() };
    });
    assert.deepEqual(got, { ended: true, value: [], at: 2 });
  });
});

/** A seeded PRNG (mulberry32): the stress tests below are the same on every run. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class StressError extends Error {
  readonly token: unknown;
  constructor(token: unknown) {
    super('stress');
    this.token = token;
  }
}

describe('eventlet GreenPool / GreenPile under stress (greenpool_test.py Stress)', () => {
  for (const concurrency of [5, 50]) {
    test(`a pile fed by four spawners yields each spawner's results in order (test_ordering_${concurrency})`, async () => {
      const got = await runVirtual(async () => {
        const r = prng(concurrency);
        const pressure = async (token: [number, number]): Promise<[number, number]> => {
          while (r() < 0.5) await sleep(r());
          if (r() < 0.8) return token;
          throw new StressError(token);
        };
        const p = new GreenPile<[number, number]>(concurrency);
        const iters = 200;
        const makework = async (count: number, unique: number): Promise<void> => {
          for (let i = 0; i < count; i++) await p.spawn(pressure, [unique, i]);
        };
        spawn(makework, iters, 1);
        spawn(makework, iters, 2);
        spawn(makework, iters, 3);
        await p.spawn(pressure, [0, 0]);
        const latest = [-1, -1, -1, -1];
        let received = 0;
        for (;;) {
          let item: [number, number];
          try {
            const step = await p.next();
            if (step.done === true) break;
            item = step.value;
          } catch (e) {
            if (!(e instanceof StressError)) throw e;
            item = e.token as [number, number];
          }
          received++;
          if (received % 5 === 0) await sleep(0.1);
          const [unique, order] = item;
          assert.ok(
            (latest[unique] as number) < order,
            `${unique}: ${order} after ${latest[unique]}`,
          );
          latest[unique] = order;
        }
        return { latest, received };
      });
      assert.deepEqual(got, { latest: [0, 199, 199, 199], received: 601 });
    });
  }

  for (const concurrency of [50, 500]) {
    test(`imap is strictly ordered and runs at most size calls at a time (test_imap_${concurrency})`, async () => {
      const got = await runVirtual(async () => {
        const r = prng(concurrency);
        const pool = new GreenPool(concurrency);
        let running = 0;
        let most = 0;
        const passthru = async (x: number): Promise<number> => {
          running++;
          most = Math.max(most, running);
          try {
            while (r() < 0.5) await sleep(r());
            return x;
          } finally {
            running--;
          }
        };
        let latest = -1;
        for await (const i of pool.imap(passthru, range(1000))) {
          assert.ok(i > latest);
          latest = i;
          if (latest % 5 === 0) await sleep(1);
        }
        return { latest, bounded: most <= concurrency };
      });
      assert.deepEqual(got, { latest: 999, bounded: true });
    });
  }
});
