// Event and AsyncResult: behaviours ported from gevent's test__event.py, plus the cancel-point,
// timeout, signal and nothing-lost tests every blocking call gets. All on the virtual clock.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Cancellation, GreenletExit } from '../../src/core/errors.js';
import { getHub } from '../../src/core/hub.js';
import {
  type Greenlet,
  iwait,
  sleep,
  spawn,
  spawnLater,
  Timeout,
  wait,
  withTimeout,
} from '../../src/index.js';
import { AsyncResult, Event } from '../../src/sync/event.js';
import { runVirtual } from '../../src/testing/virtual.js';

class MyError extends Error {
  override name = 'MyError';
}

/** Collects what the hub reports. */
function captureReports(): string[] {
  const out: string[] = [];
  getHub().exceptionStream = { write: (s: string) => out.push(s) };
  return out;
}

/** Spawns a greenlet that records 'other ran' the first time it runs. */
function spawnWitness(log: string[]): Greenlet<void> {
  return spawn(() => {
    log.push('other ran');
  });
}

describe('constructor arguments', () => {
  test("new Event(true) and new AsyncResult(5) throw TypeError: gevent's take none", () => {
    // verdant ignored the argument: new Event(true) was a clear event. gevent: TypeError
    // ('__init__() takes exactly 0 positional arguments (1 given)').
    assert.throws(
      () => new (Event as unknown as new (x: boolean) => Event)(true),
      (e: unknown) =>
        e instanceof TypeError && e.message === 'new Event() takes no arguments, got 1',
    );
    assert.throws(
      () => new (AsyncResult as unknown as new (x: number) => AsyncResult)(5),
      (e: unknown) =>
        e instanceof TypeError && e.message === 'new AsyncResult() takes no arguments, got 1',
    );
    assert.equal(new Event().isSet(), false);
  });
});

describe('Event', () => {
  test('a new Event is clear; set() and clear() flip isSet() and ready()', () => {
    const e = new Event();
    assert.equal(e.isSet(), false);
    assert.equal(e.ready(), false);
    e.set();
    assert.equal(e.isSet(), true);
    assert.equal(e.ready(), true);
    e.clear();
    assert.equal(e.isSet(), false);
    assert.equal(String(e), '<Event clear>');
    e.set();
    assert.equal(String(e), '<Event set>');
  });

  test('wait() on a set event resolves true without letting another greenlet run', () =>
    runVirtual(async () => {
      const e = new Event();
      e.set();
      const log: string[] = [];
      spawnWitness(log);
      assert.equal(await e.wait(), true);
      assert.deepEqual(log, []);
      await sleep(0);
      assert.deepEqual(log, ['other ran']);
    }));

  test('set() never switches: waiters resume later, from the hub, in the order they waited', () =>
    runVirtual(async () => {
      const e = new Event();
      const log: number[] = [];
      for (const i of [1, 2, 3]) {
        spawn(async () => {
          assert.equal(await e.wait(), true);
          log.push(i);
        });
      }
      await sleep(0);
      assert.equal(e.stats().waiters, 3);
      e.set();
      assert.deepEqual(log, []);
      assert.equal(e.stats().waiters, 0);
      await sleep(0);
      assert.deepEqual(log, [1, 2, 3]);
    }));

  for (const n of [1, 100, 1000]) {
    test(`set() then clear() at once still wakes every one of ${n} current waiters with true`, () =>
      runVirtual(async () => {
        const e = new Event();
        const waiters = Array.from({ length: n }, () => spawn(() => e.wait()));
        await sleep(1);
        e.set();
        e.clear();
        for (const g of waiters) assert.equal(await g.get(), true);
        assert.equal(e.isSet(), false);
      }));
  }

  test('the webchat idiom: set(); clear() wakes every current waiter and not later ones', () =>
    runVirtual(async () => {
      const newMessage = new Event();
      const got: string[] = [];
      const listeners = ['a', 'b'].map((name) =>
        spawn(async () => {
          await newMessage.wait();
          got.push(name);
          return newMessage.wait({ timeout: 50 });
        }),
      );
      await sleep(0);
      newMessage.set();
      newMessage.clear();
      assert.deepEqual(
        await Promise.all(listeners.map((g) => g.get())),
        [false, false], // the second wait saw no new set()
      );
      assert.deepEqual(got, ['a', 'b']);
    }));

  test('wait({timeout}) resolves false once the timeout elapses', () =>
    runVirtual(async () => {
      const e = new Event();
      assert.equal(await e.wait({ timeout: 250 }), false);
      assert.equal(getHub().now(), 250);
      assert.equal(await e.wait(40), false);
      assert.equal(getHub().now(), 290);
      assert.equal(e.stats().waiters, 0);
    }));

  test('wait({timeout}) resolves true when the event is set before the timeout', () =>
    runVirtual(async () => {
      const e = new Event();
      spawnLater(10, () => e.set());
      assert.equal(await e.wait({ timeout: 100 }), true);
      assert.equal(getHub().now(), 10);
    }));

  test('wait() is a cancel point: a kill lands there and finally blocks run', () =>
    runVirtual(async () => {
      const e = new Event();
      const log: string[] = [];
      const g = spawn(async () => {
        try {
          await e.wait();
          log.push('returned');
        } finally {
          log.push('finally');
        }
      });
      await sleep(0);
      await g.kill();
      assert.deepEqual(log, ['finally']);
      assert.ok((g.value as unknown) instanceof GreenletExit);
      assert.equal(e.stats().waiters, 0);
    }));

  test('a Timeout started around wait() is thrown there (the same instance)', () =>
    runVirtual(async () => {
      const e = new Event();
      const t = Timeout.startNew(30);
      await assert.rejects(e.wait(), (err) => err === t);
      assert.equal(getHub().now(), 30);
      assert.equal(e.stats().waiters, 0);
    }));

  test('a pre-aborted signal rejects wait() at once, even on a set event', () =>
    runVirtual(async () => {
      const e = new Event();
      const reason = new MyError('stop');
      const signal = AbortSignal.abort(reason);
      const log: string[] = [];
      spawnWitness(log);
      await assert.rejects(e.wait({ signal }), (err) => err === reason);
      e.set();
      await assert.rejects(e.wait({ signal }), (err) => err === reason);
      assert.deepEqual(log, [], 'nothing waited');
    }));

  test('aborting the signal while wait() blocks rejects it with signal.reason', () =>
    runVirtual(async () => {
      const e = new Event();
      const ctrl = new AbortController();
      spawnLater(5, () => ctrl.abort(new MyError('gone')));
      await assert.rejects(e.wait({ signal: ctrl.signal }), { name: 'MyError', message: 'gone' });
      assert.equal(getHub().now(), 5);
      assert.equal(e.stats().waiters, 0);
    }));

  test('bad options reject wait() (never a synchronous throw)', () =>
    runVirtual(async () => {
      const e = new Event();
      await assert.rejects(e.wait(-1), RangeError);
      await assert.rejects(e.wait({ timeout: Number.NaN }), RangeError);
      await assert.rejects(e.wait('1' as unknown as number), TypeError);
      await assert.rejects(e.wait({ signal: {} as AbortSignal }), TypeError);
    }));

  test('nothing lost: a woken waiter killed before it resumes leaves the others their true', () =>
    runVirtual(async () => {
      const e = new Event();
      const first = spawn(() => e.wait());
      const second = spawn(() => e.wait());
      await sleep(0);
      e.set();
      void first.kill({ block: false });
      assert.equal(await second.get(), true);
      await first.join();
      assert.ok((first.value as unknown) instanceof GreenletExit, 'the kill won over the wake');
      assert.equal(e.isSet(), true);
      assert.equal(await e.wait(), true);
    }));

  test('a woken waiter aborted by its signal before it resumes rejects; the others return true', () =>
    runVirtual(async () => {
      const e = new Event();
      const ctrl = new AbortController();
      const first = spawn(() => e.wait({ signal: ctrl.signal }));
      const second = spawn(() => e.wait());
      await sleep(0);
      e.set();
      ctrl.abort(new MyError('late'));
      await assert.rejects(first.get(), MyError);
      assert.equal(await second.get(), true);
    }));

  test('rawlink(cb) calls cb(event) from the hub at every set(), in link order, until unlink', () =>
    runVirtual(async () => {
      const e = new Event();
      const log: string[] = [];
      const a = (ev: Event): void => {
        assert.equal(ev, e);
        log.push('a');
      };
      const b = (): void => {
        log.push('b');
      };
      e.rawlink(a);
      e.rawlink(b);
      assert.equal(e.stats().links, 2);
      e.set();
      assert.deepEqual(log, [], 'not called synchronously');
      await sleep(0);
      assert.deepEqual(log, ['a', 'b']);
      e.clear();
      e.set();
      await sleep(0);
      assert.deepEqual(log, ['a', 'b', 'a', 'b'], 'links stay until unlink');
      e.unlink(a);
      e.unlink(a); // unlinking twice is harmless
      e.set();
      await sleep(0);
      assert.deepEqual(log, ['a', 'b', 'a', 'b', 'b']);
      assert.equal(e.stats().links, 1);
    }));

  test('rawlink() on a set event calls cb once soon, from the hub', () =>
    runVirtual(async () => {
      const e = new Event();
      e.set();
      const log: string[] = [];
      e.rawlink(() => log.push('linked after set'));
      assert.deepEqual(log, []);
      await sleep(0);
      await sleep(0);
      assert.deepEqual(log, ['linked after set']);
    }));

  test('a verdant wait started in an Event rawlink callback rejects with an Error that says so', () =>
    runVirtual(async () => {
      const e = new Event();
      let seen: unknown;
      e.rawlink(async () => {
        try {
          await sleep(1);
          seen = 'slept';
        } catch (err) {
          seen = err;
        }
      });
      e.set();
      await sleep(5);
      assert.ok(seen instanceof Error, String(seen));
      assert.match((seen as Error).message, /rawlink/);
    }));

  test('links run after the waiters woken by the same set(), even if cleared meanwhile', () =>
    runVirtual(async () => {
      const e = new Event();
      const log: string[] = [];
      spawn(async () => {
        await e.wait();
        log.push('waiter');
        e.clear();
      });
      await sleep(0);
      e.rawlink(() => log.push(`link sees ${e.isSet() ? 'set' : 'clear'}`));
      e.set();
      await sleep(0);
      assert.deepEqual(log, ['waiter', 'link sees clear']);
    }));

  test('a link unlinked before its turn does not run', () =>
    runVirtual(async () => {
      const e = new Event();
      const log: string[] = [];
      const b = (): void => {
        log.push('b');
      };
      e.rawlink(() => {
        log.push('a');
        e.unlink(b);
      });
      e.rawlink(b);
      e.set();
      await sleep(0);
      assert.deepEqual(log, ['a']);
    }));

  test('a link that throws is reported by the hub and the next link still runs', () =>
    runVirtual(async () => {
      const reports = captureReports();
      const e = new Event();
      const log: string[] = [];
      e.rawlink(function boom() {
        throw new MyError('link failed');
      });
      e.rawlink(() => log.push('next'));
      e.set();
      await sleep(0);
      assert.deepEqual(log, ['next']);
      assert.equal(reports.length, 1);
      assert.match(reports[0] as string, /MyError: link failed/);
      assert.match(reports[0] as string, /boom for <Event set> failed with MyError/);
    }));

  test('rawlink() with a non-function throws TypeError synchronously; unlink() of one is silent', () => {
    const e = new Event();
    assert.throws(() => e.rawlink(null as unknown as () => void), TypeError);
    e.unlink(null as unknown as () => void);
  });

  test("core's wait() resolves to the event that was set", () =>
    runVirtual(async () => {
      const a = new Event();
      const b = new Event();
      spawnLater(5, () => b.set());
      assert.deepEqual(await wait([a, b], { count: 1 }), [b]);
      assert.deepEqual(await wait([a], { timeout: 10 }), []);
      assert.equal(a.stats().links, 0, 'wait() unlinked');
      assert.equal(b.stats().links, 0);
    }));

  test("core's wait() twice on an already-set event returns it both times", () =>
    runVirtual(async () => {
      const e = new Event();
      e.set();
      assert.deepEqual(await wait([e]), [e]);
      assert.deepEqual(await wait([e]), [e]);
    }));

  test("core's iwait() yields events and async results as they are set", () =>
    runVirtual(async () => {
      const events = [new Event(), new Event()];
      const results = [new AsyncResult<number>(), new AsyncResult<number>()];
      spawn(async () => {
        await sleep(1);
        events[1]?.set();
        await sleep(1);
        results[0]?.set(1);
        await sleep(1);
        events[0]?.set();
        await sleep(1);
        results[1]?.setException(new MyError());
      });
      const order: unknown[] = [];
      for await (const x of iwait([...events, ...results])) order.push(x);
      assert.deepEqual(order, [events[1], results[0], events[0], results[1]]);
    }));

  test('an event set, waited and cleared is not reported ready by a later wait() (gevent #771)', () =>
    runVirtual(async () => {
      const e = new Event();
      const waiter = spawn(async () => {
        const setter = spawn(() => e.set());
        assert.equal(await e.wait(), true);
        assert.equal(e.ready(), true);
        await setter.join();
        e.clear();
        const o = await wait([e], { timeout: 10 });
        assert.equal(e.ready(), false);
        assert.deepEqual(o, []);
      });
      await waiter.get();
    }));

  test('wait() on a set event while earlier waiters are being woken returns before they run', () =>
    // gevent's test_wait_while_notifying gives [1, 2, 3]: there, a wait on a set event queues
    // behind the waiters being notified. In verdant an awaited call that need not wait
    // completes without letting another greenlet run, so the caller goes first.
    runVirtual(async () => {
      const e = new Event();
      const results: number[] = [];
      const waitThenAppend = async (n: number): Promise<void> => {
        await e.wait();
        results.push(n);
      };
      spawn(waitThenAppend, 1);
      spawn(waitThenAppend, 2);
      await sleep(0);
      e.set();
      await waitThenAppend(3);
      assert.deepEqual(results, [3]);
      await sleep(0);
      assert.deepEqual(results, [3, 1, 2]);
    }));

  test('stats() is a read-only snapshot', () =>
    runVirtual(async () => {
      const e = new Event();
      const s0 = e.stats();
      spawn(() => e.wait());
      await sleep(0);
      e.rawlink(() => {});
      assert.deepEqual(s0, { set: false, waiters: 0, links: 0 });
      assert.deepEqual(e.stats(), { set: false, waiters: 1, links: 1 });
      e.set();
      assert.deepEqual(e.stats(), { set: true, waiters: 0, links: 1 });
    }));
});

describe('AsyncResult', () => {
  test('get() waits for set(value) and resolves to it; set() never switches', () =>
    runVirtual(async () => {
      const r = new AsyncResult<string>();
      const log: string[] = [];
      const getters = [1, 2].map((i) =>
        spawn(async () => {
          const v = await r.get();
          log.push(`${i}:${v}`);
          return v;
        }),
      );
      await sleep(0);
      r.set('hello');
      assert.deepEqual(log, []);
      assert.equal(r.ready(), true);
      assert.equal(r.successful(), true);
      assert.equal(r.value, 'hello');
      await sleep(0);
      assert.deepEqual(log, ['1:hello', '2:hello']);
      for (const g of getters) assert.equal(await g.get(), 'hello');
    }));

  test('get() on a ready result settles without letting another greenlet run', () =>
    runVirtual(async () => {
      const r = new AsyncResult<number>();
      r.set(7);
      const log: string[] = [];
      spawnWitness(log);
      assert.equal(await r.get(), 7);
      assert.equal(await r.wait(), 7);
      const bad = new AsyncResult<number>();
      const err = new MyError();
      bad.setException(err);
      await assert.rejects(bad.get(), (e) => e === err);
      assert.equal(await bad.wait(), undefined);
      assert.deepEqual(log, []);
    }));

  test('setException(err): get() throws that instance, wait() resolves undefined (gevent test_set_exc)', () =>
    runVirtual(async () => {
      const r = new AsyncResult<number>();
      assert.equal(r.exception, undefined);
      const getter = spawn(() => r.get());
      const waiter = spawn(() => r.wait());
      await sleep(0);
      const err = new MyError('boom');
      r.setException(err);
      await assert.rejects(getter.get(), (e) => e === err);
      assert.equal(await waiter.get(), undefined);
      assert.equal(r.ready(), true);
      assert.equal(r.successful(), false);
      assert.equal(r.exception, err);
      assert.equal(r.value, undefined);
      await assert.rejects(r.get(), (e) => e === err);
    }));

  test('setException() without an exception (undefined, null) throws TypeError and changes nothing', () =>
    runVirtual(async () => {
      // gevent: set_exception() without an argument raises TypeError (and set_exception(None)
      // makes a result whose get() raises AttributeError). It was accepted here: a result that
      // failed with undefined, its `exception` undefined as if it had never failed.
      const r = new AsyncResult<number>();
      const getter = spawn(() => r.get());
      await sleep(0);
      for (const bad of [undefined, null]) {
        assert.throws(
          () => r.setException(bad),
          (e: unknown) =>
            e instanceof TypeError &&
            e.message ===
              `Cannot call AsyncResult.setException without an exception: err is ${bad === null ? 'null' : 'undefined'}`,
        );
        assert.throws(() => (r.setException as () => void)(), TypeError);
      }
      assert.equal(r.ready(), false);
      assert.equal(r.stats().waiters, 1, 'the getter still waits');
      r.set(1);
      assert.equal(await getter.get(), 1);
      assert.throws(() => r.setException(undefined), TypeError);
      assert.equal(r.successful(), true, 'the value stays');
      // Any other thrown value is one JavaScript can throw: accepted, as documented.
      r.setException('plain string');
      assert.equal(r.exception, 'plain string');
      await assert.rejects(r.get(), (e) => e === 'plain string');
    }));

  test('get({timeout}) throws Timeout when nothing was set in time (gevent test_set_with_timeout)', () =>
    runVirtual(async () => {
      const r = new AsyncResult<number>();
      await assert.rejects(r.get({ timeout: 20 }), Timeout);
      assert.equal(getHub().now(), 20);
      const X = Symbol('X');
      assert.equal(await withTimeout(20, { timeoutValue: X }, () => r.get()), X);
      assert.equal(r.stats().waiters, 0);
    }));

  test('wait({timeout}) resolves undefined when nothing was set in time', () =>
    runVirtual(async () => {
      const r = new AsyncResult<number>();
      assert.equal(await r.wait({ timeout: 20 }), undefined);
      assert.equal(getHub().now(), 20);
      spawnLater(5, () => r.set(3));
      assert.equal(await r.wait(100), 3);
    }));

  test('getNowait() returns the value, throws the exception, or throws Timeout when not ready', () => {
    const r = new AsyncResult<number>();
    assert.throws(() => r.getNowait(), Timeout);
    r.set(1);
    assert.equal(r.getNowait(), 1);
    const err = new MyError();
    r.setException(err);
    assert.throws(
      () => r.getNowait(),
      (e) => e === err,
    );
  });

  test('setting twice overwrites; setException after set overwrites too', () =>
    runVirtual(async () => {
      const r = new AsyncResult<number>();
      r.set(1);
      r.set(2);
      assert.equal(await r.get(), 2);
      const err = new MyError();
      r.setException(err);
      assert.equal(r.successful(), false);
      assert.equal(r.value, undefined);
      assert.equal(r.exception, err);
      await assert.rejects(r.get(), (e) => e === err);
      r.set(3);
      assert.equal(r.successful(), true);
      assert.equal(r.exception, undefined);
      assert.equal(await r.get(), 3);
    }));

  test('a waiter resumes with what was set when it was woken', () =>
    runVirtual(async () => {
      const r = new AsyncResult<number>();
      const g = spawn(() => r.get());
      await sleep(0);
      r.set(1);
      r.set(2);
      assert.equal(await g.get(), 1);
      assert.equal(r.value, 2);
    }));

  test('a Timeout thrown at get() is the Timeout that fired (gevent test_set)', () =>
    runVirtual(async () => {
      const r = new AsyncResult<string>();
      const g = spawnLater(50, () => r.set('hello'));
      const timerExc = new MyError('interrupted');
      const t = Timeout.startNew(0, { exception: timerExc });
      await assert.rejects(r.get(), (e) => e === timerExc);
      t.cancel();
      await g.kill();
    }));

  for (const method of ['get', 'wait'] as const) {
    test(`${method}() is a cancel point: a kill lands there and finally blocks run`, () =>
      runVirtual(async () => {
        const r = new AsyncResult<number>();
        const log: string[] = [];
        const g = spawn(async () => {
          try {
            await r[method]();
          } finally {
            log.push('finally');
          }
        });
        await sleep(0);
        await g.kill();
        assert.deepEqual(log, ['finally']);
        assert.equal(r.stats().waiters, 0);
      }));

    test(`a Timeout started around ${method}() is thrown there`, () =>
      runVirtual(async () => {
        const r = new AsyncResult<number>();
        const t = Timeout.startNew(15);
        await assert.rejects(r[method](), (e) => e === t);
        assert.equal(getHub().now(), 15);
      }));

    test(`${method}() rejects with signal.reason: pre-aborted at once, or when aborted while waiting`, () =>
      runVirtual(async () => {
        const r = new AsyncResult<number>();
        const reason = new MyError('pre');
        const log: string[] = [];
        spawnWitness(log);
        r.set(1);
        await assert.rejects(r[method]({ signal: AbortSignal.abort(reason) }), (e) => e === reason);
        assert.deepEqual(log, []);
        const r2 = new AsyncResult<number>();
        const ctrl = new AbortController();
        spawnLater(3, () => ctrl.abort(new MyError('later')));
        await assert.rejects(r2[method]({ signal: ctrl.signal }), { message: 'later' });
        assert.equal(r2.stats().waiters, 0);
      }));

    test(`bad options reject ${method}()`, () =>
      runVirtual(async () => {
        const r = new AsyncResult<number>();
        await assert.rejects(r[method]({ timeout: -5 }), RangeError);
        await assert.rejects(r[method]({ timeout: '5' as unknown as number }), TypeError);
      }));

    test(`nothing lost: a woken ${method}() killed before it resumes leaves the value to the others`, () =>
      runVirtual(async () => {
        const r = new AsyncResult<number>();
        const first = spawn(() => r[method]());
        const second = spawn(() => r[method]());
        await sleep(0);
        r.set(5);
        void first.kill({ block: false });
        assert.equal(await second.get(), 5);
        await first.join();
        assert.ok((first.value as unknown) instanceof GreenletExit);
        assert.equal(await r.get(), 5);
      }));
  }

  test('setException wakes get() and wait() waiters in the order they waited', () =>
    runVirtual(async () => {
      const r = new AsyncResult<number>();
      const log: string[] = [];
      spawn(async () => {
        try {
          await r.get();
        } catch (e) {
          if (e instanceof Cancellation) throw e;
          log.push('get threw');
        }
      });
      spawn(async () => {
        log.push(`wait ${String(await r.wait())}`);
      });
      await sleep(0);
      r.setException(new MyError());
      await sleep(0);
      assert.deepEqual(log, ['get threw', 'wait undefined']);
    }));

  test('rawlink(cb) calls cb(result) from the hub at every set, and soon when linked while ready', () =>
    runVirtual(async () => {
      const r = new AsyncResult<number>();
      const log: string[] = [];
      r.rawlink((x) => log.push(`a:${String(x.value)}`));
      r.set(1);
      assert.equal(log.length, 0);
      await sleep(0);
      assert.deepEqual(log, ['a:1']);
      r.rawlink((x) => log.push(`b:${String(x.value)}`));
      await sleep(0);
      assert.deepEqual(log, ['a:1', 'b:1']);
      r.setException(new MyError());
      await sleep(0);
      assert.deepEqual(log, ['a:1', 'b:1', 'a:undefined', 'b:undefined']);
      assert.throws(() => r.rawlink(3 as unknown as () => void), TypeError);
    }));

  test('a greenlet link can fill an AsyncResult (gevent TestAsyncResultAsLinkTarget)', () =>
    runVirtual(async () => {
      const fill =
        (r: AsyncResult<unknown>) =>
        (g: Greenlet<unknown>): void => {
          if (g.successful()) r.set(g.value);
          else r.setException(g.exception);
        };
      const ok = spawn(() => 1);
      const s1 = new AsyncResult<unknown>();
      ok.link(fill(s1));
      assert.equal(await s1.get(), 1);
      const bad = spawn(() => {
        throw new MyError('failed');
      });
      const s2 = new AsyncResult<unknown>();
      bad.link(fill(s2));
      await assert.rejects(s2.get(), MyError);
    }));

  test('stats() and String() describe the state', () => {
    const r = new AsyncResult<number>();
    assert.deepEqual(r.stats(), { ready: false, successful: false, waiters: 0, links: 0 });
    assert.equal(String(r), '<AsyncResult unset>');
    r.set(1);
    assert.deepEqual(r.stats(), { ready: true, successful: true, waiters: 0, links: 0 });
    assert.equal(String(r), '<AsyncResult value>');
    r.setException(new MyError());
    assert.equal(String(r), '<AsyncResult exception>');
  });
});
