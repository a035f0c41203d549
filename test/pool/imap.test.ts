// Group.imap / imapUnordered: gevent's test__pool.py iterator tests (TestPool*, TestErrorIn*),
// plus back-pressure with maxsize, break cleanup, async-iterable input and the cancel-point,
// timeout, signal and nothing-lost tests of next(). All on the virtual clock.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GreenletExit } from '../../src/core/errors.js';
import { getHub } from '../../src/core/hub.js';
import { type Greenlet, getCurrent, sleep, spawn, Timeout, until } from '../../src/index.js';
import { Group, type IMapIterator, Pool } from '../../src/pool/index.js';
import { runVirtual } from '../../src/testing/virtual.js';
import { captureReports, macrotask } from '../_util.js';

class ExpectedError extends Error {
  override name = 'ExpectedError';
}

function now(): number {
  return getHub().now();
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

async function sqr(x: number, wait = 0): Promise<number> {
  await sleep(wait);
  return x * x;
}

/** A fixed "random" sleep per item, so runs are repeatable. */
async function sqrRandomSleep(x: number): Promise<number> {
  await sleep((x * 37) % 100);
  return x * x;
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

function divideBy(x: number): number {
  if (x === 0) throw new ExpectedError('division by zero');
  return 1 / x;
}

function exitedByKill(g: Greenlet<unknown>): boolean {
  return (g.value as unknown) instanceof GreenletExit;
}

describe('imap and imapUnordered (test__pool.py TestPool)', () => {
  for (const size of [1, 2, 3, 10, null]) {
    test(`imap yields fn(item) in input order, imapUnordered every result (Pool(${size}))`, () =>
      runVirtual(async () => {
        const pool = new Pool(size);
        const squares = (n: number): number[] => range(n).map((x) => x * x);
        assert.deepEqual(await collect(pool.imap(sqr, range(10))), squares(10));
        const it = pool.imap(sqr, range(10));
        for (let i = 0; i < 10; i++)
          assert.deepEqual(await it.next(), { done: false, value: i * i });
        assert.deepEqual(await it.next(), { done: true, value: undefined });
        assert.deepEqual(await it.next(), { done: true, value: undefined });
        assert.deepEqual(await collect(pool.imap(sqr, range(1000))), squares(1000));
        assert.deepEqual(await collect(pool.imap(sqrRandomSleep, range(10))), squares(10));
        const unordered = await collect(pool.imapUnordered(sqr, range(1000)));
        assert.deepEqual(
          unordered.sort((a, b) => a - b),
          squares(1000),
        );
        const random = await collect(pool.imapUnordered(sqrRandomSleep, range(10)));
        assert.deepEqual(
          random.sort((a, b) => a - b),
          squares(10),
        );
        assert.deepEqual(await collect(pool.imap(sqr, [])), []);
        assert.deepEqual(await collect(pool.imapUnordered(sqr, [])), []);
        assert.equal(await pool.join(), true);
      }));

    test(`imapUnordered yields in completion order (Pool(${size}))`, () =>
      runVirtual(async () => {
        const pool = new Pool(size);
        const sleepy = async (x: number): Promise<string> => {
          await sleep(x * 10);
          return String(x);
        };
        const result = await collect(pool.imapUnordered(sleepy, [10, 1, 2]));
        assert.deepEqual(result, size === 1 ? ['10', '1', '2'] : ['1', '2', '10']);
        assert.deepEqual(await collect(pool.imap(sleepy, [10, 1, 2])), ['10', '1', '2']);
      }));
  }

  test('imap() returns at once; its calls start when the caller next waits', () =>
    runVirtual(async () => {
      const group = new Group();
      const log: string[] = [];
      const it = group.imap((x: number) => log.push(`call ${x}`), [1, 2]);
      assert.equal(typeof it.next, 'function');
      assert.equal(it[Symbol.asyncIterator](), it);
      assert.deepEqual(log, []);
      assert.equal(group.size, 0);
      await sleep(0); // the feeder ran: the calls are started, not run yet
      assert.equal(group.size, 2);
      assert.deepEqual(log, []);
      await sleep(0);
      assert.deepEqual(log, ['call 1', 'call 2']);
      assert.deepEqual(await collect(it), [1, 2]);
    }));

  test('the pool size bounds the calls running', () =>
    runVirtual(async () => {
      const pool = new Pool(3);
      let running = 0;
      let most = 0;
      const out = await collect(
        pool.imapUnordered(async (x: number) => {
          running++;
          most = Math.max(most, running);
          await sleep(x % 4);
          running--;
          return x;
        }, range(30)),
      );
      assert.equal(out.length, 30);
      assert.equal(most, 3);
    }));

  test('async iterables as input, also ones that wait before they end (gevent #423, #311)', () =>
    runVirtual(async () => {
      const pool = new Pool(2);
      async function* noStop(): AsyncGenerator<number> {
        yield 123;
        await sleep(100);
      }
      assert.deepEqual(await collect(pool.imap((x: number) => x, noStop())), [123]);
      assert.deepEqual(await collect(pool.imapUnordered((x: number) => x, noStop())), [123]);
      async function* finalSleep(): AsyncGenerator<number> {
        yield* [0, 1, 2];
        await sleep(200);
      }
      assert.deepEqual(await collect(pool.imap(sqr, finalSleep())), [0, 1, 4]);
      assert.deepEqual(await collect(pool.imapUnordered(sqr, finalSleep())), [0, 1, 4]);
      function* syncFinal(): Generator<number> {
        yield* [3, 4];
      }
      assert.deepEqual(await collect(pool.imap(sqr, syncFinal())), [9, 16]);
    }));

  test('determinism (gevent tutorial): Pool(10).imapUnordered gives the same order every run', () =>
    runVirtual(async () => {
      const echo = async (i: number): Promise<number> => {
        await sleep(1);
        return i;
      };
      const p = new Pool(10);
      const runs: number[][] = [];
      for (let r = 0; r < 4; r++) runs.push(await collect(p.imapUnordered(echo, range(10))));
      for (const run of runs) assert.deepEqual(run, range(10));
    }));

  test('bad arguments throw synchronously', () => {
    const p = new Pool(2);
    assert.throws(() => p.imap(5 as unknown as () => void, [1]), TypeError);
    assert.throws(() => p.imapUnordered(sqr, 5 as unknown as number[]), TypeError);
    assert.throws(() => p.imap(sqr, null as unknown as number[]), TypeError);
    assert.throws(() => p.imap(sqr, [1], { maxsize: -1 }), RangeError);
    assert.throws(() => p.imap(sqr, [1], { maxsize: 1.5 }), RangeError);
    assert.throws(() => p.imap(sqr, [1], { maxsize: '2' as unknown as number }), TypeError);
    assert.throws(() => p.imap(sqr, [1], 3 as never), TypeError);
  });
});

describe('imap failures (test__pool.py TestErrorInHandler, TestErrorInIterator)', () => {
  for (const method of ['imap', 'imapUnordered'] as const) {
    test(`${method}: a failed call throws at its position and the iterator goes on`, () =>
      runVirtual(async () => {
        const reports = captureReports();
        const p = new Pool(1);
        const it = p[method](divideBy, [1, 0, 2]);
        assert.deepEqual(await it.next(), { done: false, value: 1 });
        await assert.rejects(it.next(), /division by zero/);
        assert.deepEqual(await it.next(), { done: false, value: 0.5 });
        assert.deepEqual(await it.next(), { done: true, value: undefined });
        assert.deepEqual(reports, []); // the iterator listened: thrown, not reported
      }));

    test(`${method}: an error of the input is thrown after the results before it`, () =>
      runVirtual(async () => {
        function* errorIter(): Generator<number> {
          yield 1;
          yield 2;
          throw new ExpectedError('from the iterable');
        }
        const p = new Pool(3);
        const it = p[method]((x: number) => x, errorIter());
        const got: number[] = [];
        let caught: unknown = null;
        for (;;) {
          try {
            const r = await it.next();
            if (r.done === true) break;
            got.push(r.value);
          } catch (e) {
            caught = e;
          }
        }
        assert.match(String(caught), /from the iterable/);
        assert.deepEqual(got, [1, 2]);
        await assert.rejects(collect(p[method]((x: number) => x, errorIter())), ExpectedError);
        await sleep(1);
        assert.equal(p.size, 0);
      }));
  }
});

describe('imap after a failure', () => {
  for (const method of ['imap', 'imapUnordered'] as const) {
    test(`${method}: a for await ended by a failure starts no new call`, () =>
      runVirtual(async () => {
        let started = 0;
        let ended = 0;
        const p = new Pool(4);
        const fn = async (x: number): Promise<number> => {
          started++;
          try {
            await sleep(x === 0 ? 1 : 5);
            if (x === 0) throw new ExpectedError('first fails');
            return x;
          } finally {
            ended++;
          }
        };
        await assert.rejects(async () => {
          for await (const _ of p[method](fn, range(1000))) {
            // consume
          }
        }, ExpectedError);
        const atThrow = ended + p.size; // calls started (ended, or members of the pool)
        await sleep(100);
        assert.equal(started, atThrow, 'no call started after the failure was thrown');
        assert.ok(started <= 8, `started ${started} calls`);
        await p.join();
      }));

    test(`${method}: next() after a failure goes on`, () =>
      runVirtual(async () => {
        const p = new Pool(2);
        const it = p[method](divideBy, [0, 1, 2, 4]);
        await assert.rejects(it.next(), /division by zero/);
        const rest: number[] = [];
        for await (const v of it) rest.push(v);
        assert.deepEqual(rest.sort(), [0.25, 0.5, 1]);
      }));
  }
});

describe('imap maxsize: back-pressure', () => {
  for (const method of ['imap', 'imapUnordered'] as const) {
    test(`${method}: with maxsize a slow consumer holds back new calls (test_imap_unordered_bounded_queue)`, () =>
      runVirtual(async () => {
        const n = 20;
        let started = 0;
        const it = new Group()[method](
          (x: number) => {
            started++;
            return x;
          },
          range(n),
          { maxsize: 1 },
        );
        let i = 0;
        for await (const x of it) {
          assert.equal(x, i);
          assert.equal(started, i + 1); // one permit: only the call whose result we hold
          await sleep(10);
          assert.equal(started, Math.min(i + 2, n));
          i++;
        }
        assert.equal(i, n);
      }));
  }

  test('maxsize counts calls running and results not consumed, on top of the pool size', () =>
    runVirtual(async () => {
      const pool = new Pool(2);
      let started = 0;
      let running = 0;
      let mostRunning = 0;
      const it = pool.imapUnordered(
        async (x: number) => {
          started++;
          running++;
          mostRunning = Math.max(mostRunning, running);
          await sleep(1 + (x % 3));
          running--;
          return x;
        },
        range(30),
        { maxsize: 3 },
      );
      const got: number[] = [];
      for (let i = 0; i < 30; i++) {
        const r = await it.next();
        assert.equal(r.done, false);
        got.push(r.value as number);
        assert.ok(started <= i + 3, `started ${started} at result ${i}`);
        await sleep(20);
      }
      assert.equal(mostRunning, 2);
      assert.deepEqual(
        got.sort((a, b) => a - b),
        range(30),
      );
      assert.deepEqual(await it.next(), { done: true, value: undefined });
    }));

  test('without maxsize the calls run ahead of a slow consumer', () =>
    runVirtual(async () => {
      let started = 0;
      const it = new Group().imap((x: number) => {
        started++;
        return x;
      }, range(20));
      await it.next();
      await sleep(1);
      assert.equal(started, 20);
      await it.return();
    }));
});

describe('imap failures nobody reads are reported (gevent reports every failed call)', () => {
  for (const method of ['imap', 'imapUnordered'] as const) {
    test(`${method}: an iteration abandoned unread reports its failed call once`, () =>
      runVirtual(async () => {
        // The iterator's link counted as a listener, so a failure in an iterator nobody read
        // went unseen. gevent's hub prints every failed greenlet; verdant reports a call's
        // failure unless a next() is already waiting for that very result (as a greenlet's
        // failure is reported unless someone is already waiting on it).
        const reports = captureReports();
        const g = new Group();
        const fails = async (x: number): Promise<number> => {
          await sleep(x);
          if (x === 2) throw new ExpectedError('nobody reads me');
          return x;
        };
        const it = g[method](fails, [1, 2, 3]);
        await sleep(10);
        assert.equal(g.size, 0);
        assert.equal(reports.length, 1);
        assert.match(reports[0] as string, /ExpectedError: nobody reads me/);
        assert.match(reports[0] as string, /failed with ExpectedError\n\n$/);
        // Still thrown at its position when read later.
        assert.deepEqual(await it.next(), { done: false, value: 1 });
        await assert.rejects(it.next(), /nobody reads me/);
        assert.equal(reports.length, 1);
      }));

    test(`${method}: a failure a waiting next() takes is thrown, not reported`, () =>
      runVirtual(async () => {
        const reports = captureReports();
        const g = new Group();
        const it = g[method](
          async (x: number) => {
            await sleep(10);
            throw new ExpectedError(`f${x}`);
          },
          [1],
        );
        await assert.rejects(it.next(), /f1/); // waiting when the call failed
        assert.deepEqual(await it.next(), { done: true, value: undefined });
        assert.deepEqual(reports, []);
      }));

    test(`${method}: an input that throws while nobody reads is reported`, () =>
      runVirtual(async () => {
        const reports = captureReports();
        const g = new Group();
        function* input(): Generator<number> {
          yield 1;
          throw new ExpectedError('input broke');
        }
        const it = g[method](async (x: number) => {
          await sleep(1);
          return x;
        }, input());
        await sleep(5);
        assert.equal(reports.length, 1);
        assert.match(reports[0] as string, /ExpectedError: input broke/);
        if (method === 'imap') {
          assert.deepEqual(await it.next(), { done: false, value: 1 });
          await assert.rejects(it.next(), /input broke/);
        } else {
          // Completion order: the input broke before the call ended.
          await assert.rejects(it.next(), /input broke/);
          assert.deepEqual(await it.next(), { done: false, value: 1 });
        }
        assert.equal(reports.length, 1);
      }));
  }
});

describe('imap: a call return() kills that fails while dying is reported', () => {
  for (const method of ['imap', 'imapUnordered'] as const) {
    test(`${method}: break, then a killed call's finally throws: reported, as Group.kill's members`, () =>
      runVirtual(async () => {
        // The iterator's link kept the hub from reporting it, and after return() nobody reads
        // the iterator: the failure was lost without a trace.
        const reports = captureReports();
        const p = new Pool(3);
        const it = p[method](
          async (x: number) => {
            if (x === 0) return 0;
            try {
              await sleep(1e9);
            } finally {
              // biome-ignore lint/correctness/noUnsafeFinally: the failure under test
              throw new ExpectedError(`cleanup of ${x} failed`);
            }
          },
          [0, 1],
        );
        for await (const x of it) {
          assert.equal(x, 0);
          break;
        }
        assert.equal(reports.length, 1);
        assert.match(reports[0] as string, /ExpectedError: cleanup of 1 failed/);
        assert.deepEqual(await it.next(), { done: true, value: undefined });
      }));
  }
});

describe('imap break and return()', () => {
  for (const method of ['imap', 'imapUnordered'] as const) {
    test(`${method}: break kills what it started and leaks nothing`, () =>
      runVirtual(async () => {
        const unhandled: unknown[] = [];
        const onUnhandled = (e: unknown): void => {
          unhandled.push(e);
        };
        process.on('unhandledRejection', onUnhandled);
        try {
          const reports = captureReports();
          const pool = new Pool(3);
          const calls: Greenlet[] = [];
          const log: string[] = [];
          async function* input(): AsyncGenerator<number> {
            try {
              for (let i = 0; ; i++) {
                if (i >= 4) await sleep(1);
                yield i;
              }
            } finally {
              log.push('input closed');
            }
          }
          const it = pool[method](
            async (x: number) => {
              calls.push(getCurrent() as Greenlet);
              if (x === 0) await sleep(5);
              else if (x === 1 && method === 'imap') {
                await sleep(2);
                throw new ExpectedError('failed, never consumed'); // behind 0 in input order
              } else await sleep(1000);
              return x;
            },
            input(),
            { maxsize: 5 },
          );
          const start = now();
          for await (const x of it) {
            assert.equal(x, 0);
            // imap: 1 failed and freed its slot for 3; imapUnordered: 3 waits for a slot.
            assert.equal(calls.length, method === 'imap' ? 4 : 3);
            assert.equal(calls.filter((g) => !g.dead).length, 2);
            break;
          }
          assert.ok(calls.every((g) => g.dead));
          assert.deepEqual(log, ['input closed']);
          assert.equal(await pool.join(), true);
          assert.ok(now() - start < 100);
          const count = calls.length;
          await sleep(50);
          assert.equal(calls.length, count); // the feeder is gone: nothing new starts
          assert.equal(pool.size, 0);
          assert.deepEqual(await it.next(), { done: true, value: undefined });
          assert.deepEqual(await it.return(), { done: true, value: undefined });
          // imap: 1's failure, which nobody waited for when it died, was reported (gevent too);
          // the calls break killed are not failures.
          if (method === 'imap') {
            assert.equal(reports.length, 1);
            assert.match(reports[0] as string, /failed, never consumed/);
          } else {
            assert.deepEqual(reports, []);
          }
          await until(macrotask()); // any unhandled rejection would be reported by now
          assert.deepEqual(unhandled, []);
        } finally {
          process.off('unhandledRejection', onUnhandled);
        }
      }));
  }

  test('return() while consumers wait ends their next() with done', () =>
    runVirtual(async () => {
      const it = new Pool(1).imap((x: number) => sleep(1000).then(() => x), [1]);
      const consumer = spawn(() => it.next());
      await sleep(1);
      await it.return();
      assert.deepEqual(await consumer.get(), { done: true, value: undefined });
    }));
});

describe('imap next(): a switch point that consumes nothing when interrupted', () => {
  function slowIter(): IMapIterator<number> {
    return new Pool(1).imap(
      async (x: number) => {
        await sleep(50);
        return x;
      },
      [1, 2, 3],
    );
  }

  test('next() returns a ready result without letting another greenlet run', () =>
    runVirtual(async () => {
      const it = new Group().imap((x: number) => x, [1]);
      await sleep(1);
      const log: string[] = [];
      spawn(() => {
        log.push('other ran');
      });
      assert.deepEqual(await it.next(), { done: false, value: 1 });
      assert.deepEqual(log, []);
    }));

  test('a kill lands at next(), finally runs, and the result stays for the next call', () =>
    runVirtual(async () => {
      const it = slowIter();
      const log: string[] = [];
      const consumer = spawn(async () => {
        try {
          await it.next();
          log.push('got');
        } finally {
          log.push('finally');
        }
      });
      await sleep(10);
      await consumer.kill();
      assert.deepEqual(log, ['finally']);
      assert.deepEqual(await it.next(), { done: false, value: 1 });
      assert.equal(now(), 50);
    }));

  test('a Timeout lands at next() and consumes nothing', () =>
    runVirtual(async () => {
      const it = slowIter();
      const t = Timeout.startNew(10);
      await assert.rejects(it.next(), (e) => e === t);
      assert.deepEqual(await it.next(), { done: false, value: 1 });
    }));

  test('next({timeout}) throws a Timeout and consumes nothing', () =>
    runVirtual(async () => {
      const it = slowIter();
      await assert.rejects(it.next({ timeout: 10 }), Timeout);
      await assert.rejects(it.next(5), Timeout);
      assert.equal(now(), 15);
      assert.deepEqual(await it.next({ timeout: 100 }), { done: false, value: 1 });
      await assert.rejects(it.next({ timeout: -1 }), RangeError);
    }));

  test('next({signal}): pre-aborted rejects even with a result ready; abort while waiting rejects', () =>
    runVirtual(async () => {
      const it = new Pool(1).imap(
        async (x: number) => {
          await sleep(x);
          return x;
        },
        [0, 50],
      );
      await sleep(1);
      const pre = AbortSignal.abort(new ExpectedError('pre'));
      const p = it.next({ signal: pre });
      assert.ok(p instanceof Promise);
      await assert.rejects(p, /pre/);
      assert.deepEqual(await it.next(), { done: false, value: 0 });
      const ac = new AbortController();
      spawn(async () => {
        await sleep(5);
        ac.abort(new ExpectedError('later'));
      });
      await assert.rejects(it.next({ signal: ac.signal }), /later/);
      assert.deepEqual(await it.next(), { done: false, value: 50 });
    }));

  test('a next() woken then killed before it resumes leaves the result to the next consumer', () =>
    runVirtual(async () => {
      let consumerA: Greenlet | null = null;
      const it = new Pool(2).imap(
        async (x: number) => {
          await sleep(10);
          // Runs right after the iterator's own link has woken consumer A: kill A before it resumes.
          (getCurrent() as Greenlet).rawlink(() => {
            void consumerA?.kill({ block: false });
          });
          return x;
        },
        [7],
      );
      consumerA = spawn(() => it.next());
      const consumerB = spawn(() => it.next());
      const b = await consumerB.get();
      assert.deepEqual(b, { done: false, value: 7 });
      await consumerA.join();
      assert.ok(exitedByKill(consumerA));
      assert.deepEqual(await it.next(), { done: true, value: undefined });
    }));

  test('a lone next() woken then killed leaves the result in the iterator', () =>
    runVirtual(async () => {
      let consumer: Greenlet | null = null;
      const it = new Group().imapUnordered(
        async (x: number) => {
          await sleep(10);
          (getCurrent() as Greenlet).rawlink(() => {
            void consumer?.kill({ block: false });
          });
          return x;
        },
        [8],
      );
      consumer = spawn(() => it.next());
      await consumer.join();
      assert.ok(exitedByKill(consumer));
      assert.deepEqual(await it.next(), { done: false, value: 8 });
    }));
});
