// Semaphore, BoundedSemaphore, Lock, RLock, DummySemaphore: behaviours ported from gevent's
// test__semaphore.py and test__lock.py (the single-threaded ones), plus the cancel-point,
// timeout, signal and nothing-lost tests every blocking call gets. All on the virtual clock.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GreenletExit, LoopExit } from '../../src/core/errors.js';
import { getHub } from '../../src/core/hub.js';
import {
  type Greenlet,
  getCurrent,
  iwait,
  joinAll,
  sleep,
  spawn,
  spawnLater,
  Timeout,
  wait,
} from '../../src/index.js';
import { Lock } from '../../src/sync/lock.js';
import { RLock } from '../../src/sync/rlock.js';
import { BoundedSemaphore, DummySemaphore, Semaphore } from '../../src/sync/semaphore.js';
import { runVirtual } from '../../src/testing/virtual.js';

class MyError extends Error {
  override name = 'MyError';
}

/** Spawns a greenlet that records 'other ran' the first time it runs. */
function spawnWitness(log: string[]): Greenlet<void> {
  return spawn(() => {
    log.push('other ran');
  });
}

function isExit(g: Greenlet<unknown>): boolean {
  return (g.value as unknown) instanceof GreenletExit;
}

type AnyLock = Semaphore | RLock;

/** The blocking calls that take a permit, as `(lock, options) => promise of "got it"`. */
const takers: {
  name: string;
  call: (s: AnyLock, opts?: { timeout?: number; signal?: AbortSignal }) => Promise<unknown>;
}[] = [
  { name: 'acquire()', call: (s, o) => s.acquire(o) },
  {
    name: 'hold()',
    call: async (s, o) => {
      using _ = await s.hold(o);
      return true;
    },
  },
  { name: 'run()', call: (s, o) => s.run(() => true, o) },
];

/** Lock-like classes, each made held by the caller, with a way to release from the caller. */
const kinds: { name: string; make: () => AnyLock }[] = [
  { name: 'Semaphore', make: () => new Semaphore(1) },
  { name: 'BoundedSemaphore', make: () => new BoundedSemaphore(1) },
  { name: 'Lock', make: () => new Lock() },
  { name: 'RLock', make: () => new RLock() },
];

describe('construction and bad input', () => {
  test('Semaphore() starts with one permit; Semaphore(n) with n', () => {
    assert.equal(new Semaphore().counter, 1);
    assert.equal(new Semaphore(3).counter, 3);
    assert.equal(new Semaphore(0).locked(), true);
    assert.equal(new Lock().locked(), false);
    assert.equal(new BoundedSemaphore(2).initialValue, 2);
  });

  test('a negative or non-integer value throws RangeError; a non-number TypeError', () => {
    assert.throws(() => new Semaphore(-1), {
      name: 'RangeError',
      message: 'Cannot create a Semaphore with a negative value: value is -1',
    });
    assert.throws(() => new BoundedSemaphore(-2), /BoundedSemaphore with a negative value/);
    assert.throws(() => new Semaphore(1.5), RangeError);
    assert.throws(() => new Semaphore(Number.NaN), RangeError);
    assert.throws(() => new Semaphore('2' as unknown as number), TypeError);
  });

  test('Semaphore can be released above its initial value (over-release models new resources)', () => {
    const s = new Semaphore(1);
    s.release();
    assert.equal(s.counter, 2);
  });

  test('BoundedSemaphore.release() above the initial value throws RangeError and changes nothing', () => {
    const s = new BoundedSemaphore(2);
    assert.throws(() => s.release(), {
      name: 'RangeError',
      message:
        'Cannot release a BoundedSemaphore above its initial value: counter is 2, initial value is 2',
    });
    assert.equal(s.counter, 2);
  });

  test('Lock.release() of an unlocked lock throws RangeError', () =>
    runVirtual(async () => {
      const lock = new Lock();
      assert.throws(() => lock.release(), {
        name: 'RangeError',
        message: 'Cannot release a lock that is not held: counter is 1',
      });
      await lock.acquire();
      lock.release();
      assert.throws(() => lock.release(), RangeError);
      assert.equal(lock.counter, 1);
    }));

  test('RLock.release() by a greenlet that does not own it, or when free, throws RangeError', () =>
    runVirtual(async () => {
      const lock = new RLock();
      assert.throws(() => lock.release(), {
        name: 'RangeError',
        message: 'Cannot release an RLock that is not held: it is free',
      });
      await lock.acquire();
      const other = spawn(() => lock.release());
      await assert.rejects(other.get(), (e: Error) => {
        assert.ok(e instanceof RangeError);
        assert.match(e.message, /^Cannot release an RLock held by another greenlet: owner is /);
        assert.ok(e.message.includes(String(getCurrent())));
        assert.ok(e.message.includes(`current is ${String(other)}`));
        return true;
      });
      assert.equal(lock.locked(), true, 'still held by its owner');
      lock.release();
      assert.equal(lock.locked(), false);
    }));

  test('bad options reject the blocking calls (never a synchronous throw)', () =>
    runVirtual(async () => {
      const s = new Semaphore(0);
      await assert.rejects(s.acquire(-1), RangeError);
      await assert.rejects(s.acquire({ blocking: 'no' as unknown as boolean }), TypeError);
      await assert.rejects(s.acquire({ timeout: '1' as unknown as number }), TypeError);
      await assert.rejects(s.wait({ timeout: -1 }), RangeError);
      await assert.rejects(s.hold({ timeout: Number.NaN }), RangeError);
      await assert.rejects(
        s.run(() => 1, -3),
        RangeError,
      );
      await assert.rejects(s.run(5 as unknown as () => number), TypeError);
      const r = new RLock();
      await assert.rejects(r.acquire({ blocking: 1 as unknown as boolean }), TypeError);
      await assert.rejects(r.run(null as unknown as () => number), TypeError);
      assert.throws(() => s.rawlink('x' as unknown as () => void), TypeError);
      assert.equal(s.stats().waiters, 0);
    }));
});

describe('constructor arguments and the class an error names', () => {
  test("new Lock(5) and new RLock(1) throw TypeError: gevent's Lock()/RLock() take none", () => {
    // verdant ignored the argument: new Lock(5) was a lock of one permit. threading.Lock(5)
    // (what gevent patches in) raises TypeError; gevent's RLock(1) raises TypeError too.
    assert.throws(
      () => new (Lock as unknown as new (n: number) => Lock)(5),
      (e: unknown) =>
        e instanceof TypeError && e.message === 'new Lock() takes no arguments, got 1',
    );
    assert.throws(
      () => new (RLock as unknown as new (n: number) => RLock)(1),
      (e: unknown) =>
        e instanceof TypeError && e.message === 'new RLock() takes no arguments, got 1',
    );
    assert.equal(new Lock().counter, 1);
  });

  test('bad options name the class that was called (Lock, BoundedSemaphore, RLock), not Semaphore', () =>
    runVirtual(async () => {
      // Lock.acquire({timeout: 'x'}) said 'Semaphore.acquire: timeout must be …'.
      const lock = new Lock();
      await lock.acquire();
      await assert.rejects(
        lock.acquire({ timeout: 'x' as never }),
        /^TypeError: Lock\.acquire: timeout/,
      );
      await assert.rejects(lock.acquire(-1), /^RangeError: Lock\.acquire: timeout must be/);
      await assert.rejects(
        lock.acquire({ blocking: 1 as never }),
        /Cannot call Lock\.acquire with a non-boolean/,
      );
      await assert.rejects(lock.wait(-1), /^RangeError: Lock\.wait:/);
      await assert.rejects(lock.hold(-1), /^RangeError: Lock\.hold:/);
      await assert.rejects(lock.run(5 as never), /Cannot call Lock\.run with fn/);
      assert.throws(() => lock.rawlink(5 as never), /Lock\.rawlink/);
      const b = new BoundedSemaphore(2);
      await assert.rejects(b.acquire(Number.NaN), /^RangeError: BoundedSemaphore\.acquire:/);
      class MySemaphore extends Semaphore {}
      await assert.rejects(new MySemaphore().hold(-1), /^RangeError: MySemaphore\.hold:/);
      await assert.rejects(new Semaphore().acquire(-1), /^RangeError: Semaphore\.acquire:/);
      const r = new RLock();
      await assert.rejects(r.acquire(-1), /^RangeError: RLock\.acquire:/);
      lock.release();
      assert.equal(lock.stats().waiters, 0);
    }));
});

describe('Semaphore.acquire() and release()', () => {
  test('acquire() returns false after the timeout (gevent issue 39)', () =>
    runVirtual(async () => {
      const s = new Semaphore(0);
      assert.equal(await s.acquire({ timeout: 10 }), false);
      assert.equal(getHub().now(), 10);
      assert.equal(await s.acquire(5), false);
      assert.equal(s.stats().waiters, 0);
      assert.equal(s.counter, 0);
    }));

  test('acquire() of a free semaphore completes without letting another greenlet run', () =>
    runVirtual(async () => {
      const s = new Semaphore(2);
      const log: string[] = [];
      spawnWitness(log);
      assert.equal(await s.acquire(), true);
      assert.equal(await s.acquire({ timeout: 5 }), true);
      assert.equal(s.counter, 0);
      assert.equal(s.locked(), true);
      assert.deepEqual(log, []);
    }));

  test('acquire({blocking: false}) never waits: true when a permit is free, false otherwise', () =>
    runVirtual(async () => {
      const s = new Semaphore(1);
      const log: string[] = [];
      spawnWitness(log);
      assert.equal(await s.acquire({ blocking: false }), true);
      assert.equal(await s.acquire({ blocking: false, timeout: 100 }), false);
      assert.deepEqual(log, []);
      assert.equal(getHub().now(), 0);
    }));

  test('release() never switches and serves waiters in the order they came (FIFO)', () =>
    runVirtual(async () => {
      const s = new Semaphore(0);
      const order: number[] = [];
      const gs = [1, 2, 3, 4, 5].map((i) =>
        spawn(async () => {
          await s.acquire();
          order.push(i);
        }),
      );
      await sleep(0);
      assert.equal(s.stats().waiters, 5);
      s.release();
      s.release();
      assert.deepEqual(order, []);
      await sleep(0);
      assert.deepEqual(order, [1, 2]);
      for (let k = 0; k < 3; k++) s.release();
      await joinAll(gs);
      assert.deepEqual(order, [1, 2, 3, 4, 5]);
      assert.equal(s.counter, 0);
    }));

  test('release() hands the permit to the oldest waiter directly: no barging', () =>
    runVirtual(async () => {
      const lock = new Lock();
      await lock.acquire();
      const order: string[] = [];
      const waiter = spawn(async () => {
        await lock.acquire();
        order.push('waiter');
        lock.release();
      });
      await sleep(0);
      lock.release();
      assert.equal(lock.counter, 0, 'the permit went to the waiter, not to the counter');
      assert.equal(lock.locked(), true);
      assert.equal(await lock.acquire({ blocking: false }), false);
      const late = spawn(async () => {
        await lock.acquire();
        order.push('late');
        lock.release();
      });
      await joinAll([waiter, late]);
      assert.deepEqual(order, ['waiter', 'late']);
      assert.equal(lock.counter, 1);
    }));

  for (const make of [() => new Lock(), () => new BoundedSemaphore(1)]) {
    const name = make().constructor.name;
    test(`a release() while the permit is on its way to a woken waiter counts it as taken (${name})`, () =>
      runVirtual(async () => {
        const lock = make();
        await lock.acquire();
        const holders: string[] = [];
        let inside = 0;
        let most = 0;
        const enter = async (who: string): Promise<void> => {
          await lock.acquire();
          holders.push(who);
          inside++;
          most = Math.max(most, inside);
          await sleep(1);
          inside--;
          lock.release();
        };
        const b = spawn(enter, 'b');
        await sleep(0);
        lock.release(); // the permit is now on its way to b, which has not resumed
        assert.throws(() => lock.release(), RangeError, 'a second release is an over-release');
        assert.equal(lock.counter, 0);
        const c = spawn(enter, 'c');
        await joinAll([b, c]);
        assert.deepEqual(holders, ['b', 'c']);
        assert.equal(most, 1, 'never two holders');
        assert.equal(lock.counter, 1);
        assert.throws(() => lock.release(), RangeError);
      }));
  }

  test('two greenlets passing a semaphore back and forth do not starve a third (gevent #1487)', () =>
    runVirtual(async () => {
      const s = new Semaphore(1);
      let rounds = 0;
      let thirdGotItAt = -1;
      const looper = async (): Promise<void> => {
        for (let i = 0; i < 50; i++) {
          await s.acquire();
          rounds++;
          await sleep(0);
          s.release();
        }
      };
      const a = spawn(looper);
      const b = spawn(looper);
      const third = spawn(async () => {
        await s.acquire();
        thirdGotItAt = rounds;
        s.release();
      });
      await joinAll([a, b, third]);
      assert.ok(thirdGotItAt >= 0 && thirdGotItAt <= 2, `third waited ${thirdGotItAt} rounds`);
    }));

  test('a greenlet blocked on a semaphore nobody releases ends in LoopExit', async () => {
    await assert.rejects(
      runVirtual(() => new Semaphore(0).acquire()),
      LoopExit,
    );
  });

  test('acquire() hands the permit to the next waiter when the holder is killed', () =>
    runVirtual(async () => {
      const lock = new Lock();
      const holder = spawn(async () => {
        using _ = await lock.hold();
        await sleep(1000);
      });
      const next = spawn(async () => {
        const ok = await lock.acquire();
        return [ok, getHub().now()];
      });
      await sleep(10);
      await holder.kill();
      assert.deepEqual(await next.get(), [true, 10]);
    }));

  test('stats() and String() describe the state', () =>
    runVirtual(async () => {
      const s = new BoundedSemaphore(2);
      await s.acquire();
      await s.acquire();
      spawn(() => s.acquire());
      await sleep(0);
      s.rawlink(() => {});
      assert.deepEqual(s.stats(), { counter: 0, waiters: 1, links: 1 });
      assert.equal(String(s), '<BoundedSemaphore counter=0>');
      assert.equal(String(new Lock()), '<Lock counter=1>');
    }));
});

describe('Semaphore.wait()', () => {
  test('wait() on a free semaphore resolves the counter at once and takes nothing', () =>
    runVirtual(async () => {
      const s = new Semaphore(2);
      const log: string[] = [];
      spawnWitness(log);
      assert.equal(await s.wait(), 2);
      assert.equal(s.counter, 2);
      assert.deepEqual(log, []);
    }));

  test('wait() blocks until a permit is free and leaves it there', () =>
    runVirtual(async () => {
      const s = new Semaphore(0);
      spawnLater(7, () => s.release());
      assert.equal(await s.wait(), 1);
      assert.equal(getHub().now(), 7);
      assert.equal(s.counter, 1);
    }));

  test('wait() resolves 0 when an acquirer queued behind it took the permit first', () =>
    runVirtual(async () => {
      const s = new Semaphore(0);
      const waiter = spawn(() => s.wait());
      const acquirer = spawn(() => s.acquire());
      await sleep(0);
      s.release();
      assert.equal(await waiter.get(), 0);
      assert.equal(await acquirer.get(), true);
    }));

  test('wait({timeout}) resolves the counter (0) once the timeout elapses', () =>
    runVirtual(async () => {
      const s = new Semaphore(0);
      assert.equal(await s.wait({ timeout: 12 }), 0);
      assert.equal(getHub().now(), 12);
      assert.equal(s.stats().waiters, 0);
    }));

  test('wait() is a cancel point, and a Timeout lands there', () =>
    runVirtual(async () => {
      const s = new Semaphore(0);
      const log: string[] = [];
      const g = spawn(async () => {
        try {
          await s.wait();
        } finally {
          log.push('finally');
        }
      });
      await sleep(0);
      await g.kill();
      assert.deepEqual(log, ['finally']);
      const t = Timeout.startNew(4);
      await assert.rejects(s.wait(), (e) => e === t);
      assert.equal(s.stats().waiters, 0);
    }));

  test('wait() rejects with signal.reason: pre-aborted at once (even when free), or later', () =>
    runVirtual(async () => {
      const reason = new MyError('pre');
      await assert.rejects(
        new Semaphore(1).wait({ signal: AbortSignal.abort(reason) }),
        (e) => e === reason,
      );
      const s = new Semaphore(0);
      const ctrl = new AbortController();
      spawnLater(2, () => ctrl.abort(new MyError('later')));
      await assert.rejects(s.wait({ signal: ctrl.signal }), { message: 'later' });
      assert.equal(s.stats().waiters, 0);
    }));

  test('nothing lost: a woken wait() killed before it resumes takes no permit from anyone', () =>
    runVirtual(async () => {
      const s = new Semaphore(0);
      const waiter = spawn(() => s.wait());
      const acquirer = spawn(async () => {
        const ok = await s.acquire();
        s.release();
        return ok;
      });
      await sleep(0);
      s.release();
      void waiter.kill({ block: false });
      assert.equal(await acquirer.get(), true);
      await waiter.join();
      assert.ok(isExit(waiter));
      assert.equal(s.counter, 1, 'exactly the one permit released');
    }));
});

describe('hold() and run()', () => {
  test('using _ = await lock.hold() releases at the end of the block, also on throw', () =>
    runVirtual(async () => {
      const lock = new Lock();
      {
        using _ = await lock.hold();
        assert.equal(lock.locked(), true);
      }
      assert.equal(lock.locked(), false);
      await assert.rejects(async () => {
        using _ = await lock.hold();
        throw new MyError();
      }, MyError);
      assert.equal(lock.locked(), false);
    }));

  test('disposing a hold() handle twice releases once', () =>
    runVirtual(async () => {
      const lock = new Lock();
      const h = await lock.hold();
      h[Symbol.dispose]();
      h[Symbol.dispose]();
      assert.equal(lock.counter, 1);
    }));

  test('hold({timeout}) throws Timeout when the lock stays taken, and takes nothing', () =>
    runVirtual(async () => {
      const lock = new Lock();
      await lock.acquire();
      await assert.rejects(lock.hold({ timeout: 30 }), Timeout);
      assert.equal(getHub().now(), 30);
      lock.release();
      assert.equal(lock.counter, 1);
    }));

  test('run(fn) resolves to what fn returns and releases, also when fn throws', () =>
    runVirtual(async () => {
      const lock = new Lock();
      assert.equal(await lock.run(() => 42), 42);
      assert.equal(
        await lock.run(async () => {
          assert.equal(lock.locked(), true);
          await sleep(5);
          return 'async';
        }),
        'async',
      );
      assert.equal(lock.locked(), false);
      const err = new MyError();
      await assert.rejects(
        lock.run(() => {
          throw err;
        }),
        (e) => e === err,
      );
      assert.equal(lock.locked(), false);
    }));

  test('run() of a free lock lets no other greenlet run before fn', () =>
    runVirtual(async () => {
      const lock = new Lock();
      const log: string[] = [];
      spawnWitness(log);
      await lock.run(() => log.push('fn'));
      assert.deepEqual(log, ['fn']);
    }));

  test('run({timeout}) throws Timeout and never calls fn when the lock stays taken', () =>
    runVirtual(async () => {
      const lock = new Lock();
      await lock.acquire();
      let called = false;
      await assert.rejects(
        lock.run(() => {
          called = true;
        }, 20),
        Timeout,
      );
      assert.equal(called, false);
      assert.equal(lock.stats().waiters, 0);
    }));

  test('run() serialises greenlets in the order they came', () =>
    runVirtual(async () => {
      const lock = new Lock();
      const log: string[] = [];
      const worker = (name: string) => () =>
        lock.run(async () => {
          log.push(`${name} in`);
          await sleep(1);
          log.push(`${name} out`);
        });
      await joinAll([spawn(worker('a')), spawn(worker('b')), spawn(worker('c'))]);
      assert.deepEqual(log, ['a in', 'a out', 'b in', 'b out', 'c in', 'c out']);
    }));
});

for (const kind of kinds) {
  describe(`${kind.name}: every blocking call that takes a permit`, () => {
    for (const taker of takers) {
      test(`${taker.name} is a cancel point: a kill lands there and finally blocks run`, () =>
        runVirtual(async () => {
          const s = kind.make();
          await s.acquire();
          const log: string[] = [];
          const g = spawn(async () => {
            try {
              await taker.call(s);
              log.push('got it');
            } finally {
              log.push('finally');
            }
          });
          await sleep(0);
          await g.kill();
          assert.deepEqual(log, ['finally']);
          assert.equal(s.stats().waiters, 0);
          s.release();
          assert.equal(s.locked(), false);
        }));

      test(`a Timeout started around ${taker.name} is thrown there and nothing is taken`, () =>
        runVirtual(async () => {
          const s = kind.make();
          await s.acquire();
          const g = spawn(async () => {
            const t = Timeout.startNew(25);
            try {
              await taker.call(s);
              return 'got it';
            } catch (e) {
              return e === t ? 'timed out' : e;
            }
          });
          assert.equal(await g.get(), 'timed out');
          assert.equal(getHub().now(), 25);
          s.release();
          assert.equal(s.locked(), false);
        }));

      test(`${taker.name} with the timeout option gives up after it elapses`, () =>
        runVirtual(async () => {
          const s = kind.make();
          await s.acquire();
          const g = spawn(async () => {
            try {
              return await taker.call(s, { timeout: 8 });
            } catch (e) {
              return e instanceof Timeout ? 'Timeout' : e;
            }
          });
          const outcome = await g.get();
          assert.equal(outcome, taker.name === 'acquire()' ? false : 'Timeout');
          assert.equal(getHub().now(), 8);
          assert.equal(s.stats().waiters, 0);
        }));

      test(`${taker.name} with a pre-aborted signal rejects at once, even when a permit is free`, () =>
        runVirtual(async () => {
          const s = kind.make();
          const reason = new MyError('pre');
          const log: string[] = [];
          spawnWitness(log);
          await assert.rejects(
            taker.call(s, { signal: AbortSignal.abort(reason) }),
            (e) => e === reason,
          );
          assert.deepEqual(log, []);
          assert.equal(s.locked(), false);
        }));

      test(`${taker.name} rejects with signal.reason when the signal aborts while it waits`, () =>
        runVirtual(async () => {
          const s = kind.make();
          await s.acquire();
          const ctrl = new AbortController();
          const g = spawn(() => taker.call(s, { signal: ctrl.signal }));
          await sleep(3);
          ctrl.abort(new MyError('later'));
          await assert.rejects(g.get(), { message: 'later' });
          assert.equal(s.stats().waiters, 0);
        }));

      test(`nothing lost: ${taker.name} woken with the permit, then killed, passes it to the next waiter`, () =>
        runVirtual(async () => {
          const s = kind.make();
          await s.acquire();
          const first = spawn(() => taker.call(s));
          const second = spawn(async () => {
            const ok = await s.acquire();
            s.release();
            return ok;
          });
          await sleep(0);
          s.release();
          void first.kill({ block: false });
          assert.equal(await second.get(), true);
          await first.join();
          assert.ok(isExit(first), 'the kill won over the wake');
          assert.equal(s.locked(), false);
          assert.deepEqual(s.stats().waiters, 0);
        }));

      test(`nothing lost: ${taker.name} woken with the permit, then killed, gives it back at once (a call that need not wait gets it)`, () =>
        runVirtual(async () => {
          const s = kind.make();
          await s.acquire();
          const first = spawn(() => taker.call(s));
          await sleep(0);
          s.release(); // first is woken holding the permit …
          void first.kill({ block: false }); // … and killed before it resumes
          assert.equal(await s.acquire({ blocking: false }), true, 'the permit is free at once');
          s.release();
          await first.join();
          assert.ok(isExit(first), 'the kill won over the wake');
          assert.equal(s.locked(), false);
        }));

      test(`nothing lost: ${taker.name} woken, then aborted by its signal, gives the permit back`, () =>
        runVirtual(async () => {
          const s = kind.make();
          await s.acquire();
          const ctrl = new AbortController();
          const first = spawn(() => taker.call(s, { signal: ctrl.signal }));
          await sleep(0);
          s.release();
          ctrl.abort(new MyError('late'));
          await assert.rejects(first.get(), MyError);
          assert.equal(s.locked(), false, 'no other waiter: back to the counter');
          assert.equal(await s.acquire({ blocking: false }), true);
        }));
    }
  });
}

describe('rawlink() and the linkable protocol', () => {
  test('a link runs cb(semaphore) from the hub while a permit is free, without taking it', () =>
    runVirtual(async () => {
      const s = new Semaphore(0);
      const log: string[] = [];
      s.rawlink((x) => {
        assert.equal(x, s);
        log.push(`a:${x.counter}`);
      });
      await sleep(0);
      assert.equal(log.length, 0, 'no permit: not called');
      s.release();
      assert.equal(log.length, 0, 'never synchronously');
      await sleep(0);
      assert.deepEqual(log, ['a:1']);
      assert.equal(s.counter, 1, 'the link took nothing');
      s.rawlink(() => log.push('b'));
      await sleep(0);
      assert.deepEqual(log, ['a:1', 'b'], 'linked while free: called soon');
      s.release();
      await sleep(0);
      assert.deepEqual(log, ['a:1', 'b', 'a:2', 'b'], 'links stay, in link order');
    }));

  test('a link whose turn comes when no permit is left is skipped', () =>
    runVirtual(async () => {
      const s = new Semaphore(0);
      const log: string[] = [];
      s.rawlink((x) => {
        log.push('a takes it');
        void x.acquire({ blocking: false });
      });
      s.rawlink(() => log.push('b'));
      s.release();
      await sleep(0);
      assert.deepEqual(log, ['a takes it']);
      assert.equal(s.counter, 0);
    }));

  test('a release that hands the permit to a waiter calls no link', () =>
    runVirtual(async () => {
      const lock = new Lock();
      await lock.acquire();
      const log: string[] = [];
      lock.rawlink(() => log.push('link'));
      const g = spawn(async () => {
        await lock.acquire();
        await sleep(5);
        lock.release();
      });
      await sleep(0);
      lock.release();
      await sleep(1);
      assert.deepEqual(log, []);
      await g.join();
      assert.deepEqual(log, ['link']);
      lock.unlink(() => {});
      assert.equal(lock.stats().links, 1);
    }));

  test('unlink(cb) removes the link, also one already queued', () =>
    runVirtual(async () => {
      const s = new Semaphore(1);
      const log: string[] = [];
      const cb = (): void => {
        log.push('cb');
      };
      s.rawlink(cb);
      s.unlink(cb);
      await sleep(0);
      s.release();
      await sleep(0);
      assert.deepEqual(log, []);
      assert.equal(s.stats().links, 0);
    }));

  test("core's wait() on a free semaphore returns at once (gevent test_rawlink_on_unacquired)", () =>
    runVirtual(async () => {
      const s = new Semaphore();
      assert.deepEqual(await wait([s]), [s]);
      assert.equal(s.counter, 1);
    }));

  test("core's wait() and iwait() wake when a locked semaphore or RLock is released", () =>
    runVirtual(async () => {
      const lock = new Lock();
      const rlock = new RLock();
      await lock.acquire();
      await rlock.acquire();
      spawnLater(5, () => lock.release());
      assert.deepEqual(await wait([lock, rlock], { count: 1 }), [lock]);
      assert.equal(getHub().now(), 5);
      const seen: unknown[] = [];
      // Only its owner (this greenlet) may release the RLock.
      for await (const x of iwait([rlock], { timeout: 3 })) seen.push(x);
      assert.equal(seen.length, 0);
      rlock.release();
      for await (const x of iwait([rlock])) seen.push(x);
      assert.deepEqual(seen, [rlock]);
    }));
});

describe('RLock', () => {
  test('the owner may acquire again; it is free only after as many releases', () =>
    runVirtual(async () => {
      const lock = new RLock();
      assert.equal(await lock.acquire(), true);
      assert.equal(await lock.acquire(), true);
      assert.equal(await lock.acquire({ blocking: false }), true);
      const st = lock.stats();
      assert.equal(st.count, 3);
      assert.equal(st.owner, getCurrent());
      assert.equal(String(lock), '<RLock held count=3>');
      lock.release();
      lock.release();
      assert.equal(lock.locked(), true);
      lock.release();
      assert.equal(lock.locked(), false);
      assert.deepEqual(lock.stats(), {
        locked: false,
        owner: null,
        count: 0,
        waiters: 0,
        links: 0,
      });
      assert.equal(String(lock), '<RLock free>');
    }));

  test('another greenlet waits until the owner released every acquire', () =>
    runVirtual(async () => {
      const lock = new RLock();
      await lock.acquire();
      await lock.acquire();
      const other = spawn(async () => {
        assert.equal(await lock.acquire({ blocking: false }), false);
        assert.equal(await lock.acquire(), true);
        const at = getHub().now();
        lock.release();
        return at;
      });
      await sleep(5);
      lock.release();
      await sleep(5);
      lock.release();
      assert.equal(await other.get(), 10);
    }));

  test('ownership moves with the permit: the waiter handed the lock owns it', () =>
    runVirtual(async () => {
      const lock = new RLock();
      await lock.acquire();
      const g = spawn(async () => {
        await lock.acquire();
        await lock.acquire();
        lock.release();
        return lock.stats();
      });
      await sleep(0);
      lock.release();
      assert.equal(lock.stats().owner, g, 'owner set at hand-over');
      assert.throws(() => lock.release(), /held by another greenlet/);
      const st = await g.get();
      assert.equal(st.owner, g);
      assert.equal(st.count, 1);
    }));

  test('nothing lost: a woken waiter killed before it resumes passes ownership to the next', () =>
    runVirtual(async () => {
      const lock = new RLock();
      await lock.acquire();
      const first = spawn(() => lock.acquire());
      const second = spawn(async () => {
        await lock.acquire();
        const owner = lock.stats().owner;
        lock.release();
        return owner;
      });
      await sleep(0);
      lock.release();
      void first.kill({ block: false });
      assert.equal(await second.get(), second);
      assert.equal(lock.locked(), false);
    }));

  test('hold() and run() reenter in the owning greenlet', () =>
    runVirtual(async () => {
      const lock = new RLock();
      const depth = async (n: number): Promise<number> => {
        using _ = await lock.hold();
        return n === 0 ? lock.stats().count : await depth(n - 1);
      };
      assert.equal(await depth(3), 4);
      assert.equal(await lock.run(() => lock.run(() => lock.stats().count)), 2);
      assert.equal(lock.locked(), false);
    }));

  test('acquire({timeout}) returns false when another greenlet keeps it', () =>
    runVirtual(async () => {
      const lock = new RLock();
      const holder = spawn(async () => {
        await lock.acquire();
        await sleep(100);
        lock.release();
      });
      await sleep(0);
      assert.equal(await lock.acquire({ timeout: 10 }), false);
      assert.equal(await lock.acquire({ timeout: 200 }), true);
      assert.equal(getHub().now(), 100);
      lock.release();
      await holder.join();
    }));
});

describe('DummySemaphore', () => {
  test('never blocks: acquire() is true, wait() is Infinity, release() does nothing', () =>
    runVirtual(async () => {
      const s = new DummySemaphore();
      const log: string[] = [];
      spawnWitness(log);
      for (let i = 0; i < 5; i++) assert.equal(await s.acquire(), true);
      assert.equal(await s.acquire({ blocking: false }), true);
      assert.equal(await s.wait(), Number.POSITIVE_INFINITY);
      assert.equal(s.counter, Number.POSITIVE_INFINITY);
      assert.equal(s.locked(), false);
      assert.equal(s.ready(), true);
      s.release();
      {
        using _ = await s.hold();
      }
      assert.equal(await s.run(() => 'ran'), 'ran');
      assert.deepEqual(log, [], 'nothing switched');
      assert.equal(String(s), '<DummySemaphore>');
    }));

  test('a pre-aborted signal and bad options still reject', () =>
    runVirtual(async () => {
      const s = new DummySemaphore();
      const reason = new MyError();
      await assert.rejects(s.acquire({ signal: AbortSignal.abort(reason) }), (e) => e === reason);
      await assert.rejects(s.wait({ signal: AbortSignal.abort(reason) }), (e) => e === reason);
      await assert.rejects(s.hold(-1), RangeError);
      await assert.rejects(s.run(1 as unknown as () => void), TypeError);
    }));

  test('links run soon after rawlink() and after every release()', () =>
    runVirtual(async () => {
      const s = new DummySemaphore();
      const log: string[] = [];
      const cb = (): void => {
        log.push('link');
      };
      s.rawlink(cb);
      await sleep(0);
      s.release();
      await sleep(0);
      s.unlink(cb);
      s.release();
      await sleep(0);
      assert.deepEqual(log, ['link', 'link']);
    }));
});
