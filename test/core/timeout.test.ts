// Timeout and withTimeout. Ports gevent's test__timeout.py and test__api_timeout.py (test_api,
// test_nested_timeout, test_with_timeout) and test__api.py test_nested_with_timeout to DESIGN §3.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  Cancellation,
  GreenletExit,
  getCurrent,
  getHub,
  sleep,
  spawn,
  Timeout,
  withTimeout,
} from '../../src/index.js';
import { runVirtual } from '../../src/testing/index.js';
import { assertRejectsNoThrow, deferred, ExpectedError } from '../_util.js';

/** Wait until something is thrown at us; return it (fails if the wait ends normally). */
async function expectThrown(wait: () => Promise<unknown>): Promise<unknown> {
  try {
    await wait();
  } catch (e) {
    return e;
  }
  assert.fail('must raise');
}

test('Timeout is a Cancellation named Timeout; a raised Timeout is not pending (TestDirectRaise)', () => {
  const t = new Timeout();
  assert.ok(t instanceof Cancellation);
  assert.ok(t instanceof Error);
  assert.equal(t.name, 'Timeout');
  try {
    throw t;
  } catch (e) {
    assert.equal(e, t);
    assert.equal(t.pending, false);
  }
});

test('Timeout.startNew(ms) throws that same instance at the starting greenlet wait once ms elapse', async () => {
  await runVirtual(async () => {
    const t = Timeout.startNew(10);
    assert.equal(t.pending, true);
    assert.equal(t.ms, 10);
    const e = await expectThrown(() => sleep(1000));
    assert.equal(e, t);
    assert.equal(getHub().now(), 10);
    assert.equal(t.pending, false);
  });
});

test('new Timeout(ms) does not start; start() arms it and returns this', async () => {
  await runVirtual(async () => {
    const t = new Timeout(10);
    assert.equal(t.pending, false);
    await sleep(50);
    assert.equal(getHub().now(), 50, 'an unstarted Timeout never fires');
    assert.equal(t.start(), t);
    assert.equal(t.pending, true);
    assert.equal(await expectThrown(() => sleep(1000)), t);
    assert.equal(getHub().now(), 60);
  });
});

test('a Timeout can be started again after it fired (_check_expires)', async () => {
  await runVirtual(async () => {
    const t = new Timeout(10);
    t.start();
    assert.equal(await expectThrown(() => sleep(1000)), t);
    t.start();
    assert.equal(await expectThrown(() => sleep(1000)), t);
    t.close();
    assert.equal(getHub().now(), 20);
  });
});

test('start() on a pending Timeout throws at once and leaves it armed', async () => {
  await runVirtual(async () => {
    const t = Timeout.startNew(10);
    assert.throws(() => t.start(), Error);
    assert.equal(t.pending, true);
    assert.equal(await expectThrown(() => sleep(1000)), t);
    assert.equal(getHub().now(), 10);
  });
});

test('cancel() disarms it; it does not fire; cancel and close are idempotent (test_cancel)', async () => {
  await runVirtual(async () => {
    const t = Timeout.startNew(10);
    t.cancel();
    assert.equal(t.pending, false);
    await sleep(50);
    assert.equal(t.pending, false);
    t.cancel();
    t.close();
    const u = Timeout.startNew(10);
    u.close();
    await sleep(50);
    assert.equal(u.pending, false);
  });
});

test('a Timeout can be restarted after cancel()', async () => {
  await runVirtual(async () => {
    const t = Timeout.startNew(10);
    await sleep(5);
    t.cancel();
    t.start();
    assert.equal(await expectThrown(() => sleep(1000)), t);
    assert.equal(getHub().now(), 15);
  });
});

test('a Timeout cancelled inside its block never fires (test_api)', async () => {
  await runVirtual(async () => {
    const timer = Timeout.startNew(10);
    timer.cancel();
    await sleep(20);
    timer.close();
  });
});

test('nothing happens if the block finishes before the timeout expires (test_api)', async () => {
  await runVirtual(async () => {
    const t = new Timeout(20);
    assert.equal(t.pending, false);
    t.start();
    try {
      assert.equal(t.pending, true);
      await sleep(10);
    } finally {
      t.cancel();
    }
    assert.equal(t.pending, false);
    await sleep(40);
  });
});

test('using t = Timeout.startNew(ms) cancels it at the end of the block', async () => {
  await runVirtual(async () => {
    let inside: Timeout | undefined;
    {
      using t = Timeout.startNew(10);
      inside = t;
      await sleep(5);
      assert.equal(t.pending, true);
    }
    assert.equal(inside.pending, false);
    await sleep(50);
    let caught: unknown;
    try {
      using t = Timeout.startNew(10);
      inside = t;
      await sleep(1000);
    } catch (e) {
      caught = e;
    }
    assert.equal(caught, inside);
    assert.equal(getHub().now(), 65);
  });
});

test('nested timeouts: the one that fired is the one thrown; the other stays pending (test_nested_timeout)', async () => {
  await runVirtual(async () => {
    const t1 = Timeout.startNew(10);
    const t2 = Timeout.startNew(200);
    assert.equal(await expectThrown(() => sleep(300)), t1);
    assert.equal(t1.pending, false);
    assert.equal(t2.pending, true);
    t2.cancel();
    t1.cancel();
    assert.equal(t2.pending, false);

    const u1 = Timeout.startNew(200);
    const u2 = Timeout.startNew(10);
    assert.equal(await expectThrown(() => sleep(300)), u2);
    assert.equal(u1.pending, true);
    assert.equal(u2.pending, false);
    u1.cancel();
    assert.equal(u1.pending, false);
    await sleep(500);
  });
});

test('exception option: an Error instance is thrown as is (test_api)', async () => {
  await runVirtual(async () => {
    const err = new ExpectedError('Operation takes way too long');
    const t = Timeout.startNew(10, { exception: err });
    assert.equal(await expectThrown(() => sleep(100)), err);
    t.close();
  });
});

test('exception option: an Error class is instantiated when it fires (test_api)', async () => {
  await runVirtual(async () => {
    const t = Timeout.startNew(10, { exception: RangeError });
    const e = await expectThrown(() => sleep(100));
    assert.ok(e instanceof RangeError);
    t.close();
    const u = new Timeout(10, { exception: ExpectedError }).start();
    assert.ok((await expectThrown(() => sleep(100))) instanceof ExpectedError);
    u.close();
  });
});

test('exception option: a string becomes the Timeout message and the Timeout itself is thrown (test_expires_str)', async () => {
  await runVirtual(async () => {
    const t = new Timeout(10, { exception: 'the deadline passed' });
    assert.equal(t.message, 'the deadline passed');
    t.start();
    const e = await expectThrown(() => sleep(100));
    assert.equal(e, t);
    assert.ok(String(e).endsWith('the deadline passed'));
    t.start();
    assert.equal(await expectThrown(() => sleep(100)), t);
    t.close();
  });
});

test('a Timeout is thrown into the greenlet that started it, not the one that created it', async () => {
  await runVirtual(async () => {
    const t = new Timeout(10);
    const g = spawn(async () => {
      t.start();
      return await expectThrown(() => sleep(100));
    });
    await sleep(50);
    assert.equal(await g.get(), t);
  });
});

test('the Timeout constructor throws for bad arguments', () => {
  assert.throws(() => new Timeout(-1), RangeError);
  assert.throws(() => new Timeout(Number.NaN), RangeError);
  assert.throws(() => new Timeout('5' as never), TypeError);
  assert.throws(() => Timeout.startNew(-1), RangeError);
  assert.throws(() => new Timeout(10, { exception: 42 as never }), TypeError);
  assert.throws(() => new Timeout(10, { exception: {} as never }), TypeError);
});

test('an exception or message given where the options belong throws TypeError instead of being ignored (test__event.py test_set)', () => {
  // gevent's Timeout.start_new(0, timer_exc) and Timeout(s, 'XXX') are positional; verdant's
  // take {exception}. They were read as options without `exception`: the Timeout fired as
  // itself, so a handler for timer_exc never ran and the message was lost.
  class MyError extends Error {}
  assert.throws(
    () => Timeout.startNew(0, new MyError() as never),
    /pass the exception as \{exception/,
  );
  assert.throws(() => new Timeout(10, new MyError() as never), TypeError);
  assert.throws(() => new Timeout(10, MyError as never), TypeError);
  assert.throws(() => new Timeout(10, 'XXX' as never), TypeError);
  assert.throws(() => new Timeout(10, false as never), TypeError);
  assert.throws(() => new Timeout(10, 5 as never), TypeError);
  assert.equal(new Timeout(10, null as never).pending, false);
  assert.equal(new Timeout(10, { exception: 'XXX' }).message, 'XXX');
});

test('the message says the duration, as gevent str(Timeout) does, in ms; a string exception is the message', async () => {
  // gevent 22.10: str(Timeout(1)) == '1 second', str(Timeout(2)) == '2 seconds',
  // str(Timeout(1, 'x')) == '1 second: x', str(Timeout()) == ''. verdant counts milliseconds
  // and a string exception replaces the message (DESIGN §3).
  assert.equal(new Timeout(1000).message, '1000 ms');
  assert.equal(String(new Timeout(2000)), 'Timeout: 2000 ms');
  assert.equal(new Timeout(1000, { exception: 'x' }).message, 'x');
  assert.equal(new Timeout(null).message, 'Timeout');
  await runVirtual(async () => {
    const g = spawn(() => sleep(100));
    const e = await g.get({ timeout: 20 }).catch((err: unknown) => err);
    assert.ok(e instanceof Timeout);
    assert.equal(e.message, '20 ms', 'the Timeout of a timeout option says its duration');
    assert.equal(e.ms, 20);
    await g.kill();
  });
});

test('the exception option rejects a class that is not an Error class (test_expires_non_exception)', () => {
  class OldStyle {}
  assert.throws(() => new Timeout(10, { exception: OldStyle as never }), TypeError);
  assert.throws(() => new Timeout(10, { exception: (() => undefined) as never }), TypeError);
});

test('new Timeout(null) and new Timeout(undefined) never fire', async () => {
  await runVirtual(async () => {
    const a = Timeout.startNew(null);
    const b = new Timeout(undefined).start();
    const c = new Timeout().start();
    assert.equal(a.ms, null);
    await sleep(1000);
    await sleep(100000);
    a.cancel();
    b.cancel();
    c.cancel();
    assert.equal(getHub().now(), 101000);
  });
});

test('a Timeout(0) does not fire within a single sleep(0), but at the next timer wait', async () => {
  await runVirtual(async () => {
    const t = Timeout.startNew(0);
    await sleep(0);
    assert.equal(await expectThrown(() => sleep(1)), t);
    // gevent 22.10: four sleep(0) in a row under Timeout.start_new(0) do not raise (callbacks
    // only, within the switch interval); the sleep(0.0001) after them does.
    const t2 = Timeout.startNew(0);
    for (let i = 0; i < 4; i++) await sleep(0);
    assert.equal(t2.pending, true);
    assert.equal(await expectThrown(() => sleep(1)), t2);
  });
});

test('cancel() withdraws a Timeout that fired during a foreign await and was not delivered yet', async () => {
  await runVirtual(async () => {
    const d = deferred();
    spawn(async () => {
      await sleep(20);
      d.resolve();
    });
    const t = Timeout.startNew(10);
    await d.promise; // a foreign await: the Timeout fires here, but is not thrown here
    assert.equal(getHub().now(), 20);
    assert.equal(t.pending, false, 'it fired');
    t.cancel();
    await sleep(5); // not thrown: withdrawn
    assert.equal(getHub().now(), 25);
  });
});

test('a Timeout that fired during a foreign await lands at the next verdant wait that waits', async () => {
  await runVirtual(async () => {
    const d = deferred();
    spawn(async () => {
      await sleep(20);
      d.resolve();
    });
    const done = spawn(() => 1);
    await sleep(0);
    const t = Timeout.startNew(10);
    await d.promise;
    // calls that complete without waiting are not waits
    assert.equal(await done.join(), true);
    assert.equal(await done.get(), 1);
    assert.equal(await expectThrown(() => sleep(5)), t);
    assert.equal(getHub().now(), 20);
  });
});

test('a Timeout due together with the wake of the wait it bounds wins, whichever timer came first', async () => {
  await runVirtual(async () => {
    const t = Timeout.startNew(10);
    assert.equal(await expectThrown(() => sleep(10)), t);
    const p = sleep(10);
    const u = Timeout.startNew(10);
    assert.equal(await expectThrown(() => p), u);
    assert.equal(getHub().now(), 20);
  });
});

test('t.signal is aborted when the Timeout fires, with the thrown exception as reason', async () => {
  await runVirtual(async () => {
    const t = Timeout.startNew(10);
    const sig = t.signal;
    assert.equal(sig.aborted, false);
    await sleep(5);
    assert.equal(sig.aborted, false);
    await expectThrown(() => sleep(100));
    assert.equal(sig.aborted, true);
    assert.equal(sig.reason, t);
    const err = new ExpectedError('custom');
    const u = Timeout.startNew(10, { exception: err });
    await expectThrown(() => sleep(100));
    assert.equal(u.signal.aborted, true, 'read lazily after it fired');
    assert.equal(u.signal.reason, err);
  });
});

test('a foreign API given t.signal stops when the Timeout fires', async () => {
  await runVirtual(async () => {
    const t = Timeout.startNew(10);
    const sig = t.signal;
    const foreign = new Promise((_resolve, reject) => {
      sig.addEventListener('abort', () => reject(sig.reason), { once: true });
    });
    await assert.rejects(foreign, (e) => e === t);
    assert.equal(getHub().now(), 10);
    t.cancel();
  });
});

test('a Timeout left by a greenlet that died does not fire anywhere else', async () => {
  await runVirtual(async () => {
    const g = spawn(() => {
      Timeout.startNew(10);
      return 'done';
    });
    assert.equal(await g.get(), 'done');
    await sleep(50);
    assert.equal(getHub().now(), 50);
  });
});

test('a Timeout lands at a kill-able wait and finally runs; a kill passes through a Timeout block', async () => {
  await runVirtual(async () => {
    const log: string[] = [];
    const g = spawn(async () => {
      const t = Timeout.startNew(100);
      try {
        await sleep(1000);
      } catch (e) {
        log.push(e === t ? 'timeout' : e instanceof GreenletExit ? 'killed' : 'other');
        throw e;
      } finally {
        t.cancel();
        log.push('finally');
      }
    });
    await sleep(10);
    await g.kill();
    assert.deepEqual(log, ['killed', 'finally']);
  });
});

// ---- withTimeout ----

test('withTimeout(ms, fn, ...args) rethrows its Timeout; with timeoutValue returns it (test_with_timeout)', async () => {
  await runVirtual(async () => {
    const e = await expectThrown(() => withTimeout(10, sleep, 20));
    assert.ok(e instanceof Timeout);
    const X = { marker: true };
    assert.equal(await withTimeout(10, { timeoutValue: X }, sleep, 20), X);
    assert.equal(await withTimeout(20, { timeoutValue: X }, sleep, 10), undefined);
    assert.equal(getHub().now(), 30);
  });
});

test('withTimeout passes the arguments and returns the result of a plain or async fn', async () => {
  await runVirtual(async () => {
    assert.equal(await withTimeout(10, (a: number, b: number) => a + b, 2, 3), 5);
    assert.equal(
      await withTimeout(
        10,
        async (s: string) => {
          await sleep(5);
          return s.repeat(2);
        },
        'ab',
      ),
      'abab',
    );
  });
});

test('withTimeout cancels its Timeout when fn settles', async () => {
  await runVirtual(async () => {
    await withTimeout(10, sleep, 5);
    await sleep(50);
    await assert.rejects(
      withTimeout(10, async () => {
        await sleep(1);
        throw new ExpectedError('fn failed');
      }),
      ExpectedError,
    );
    await sleep(50);
    assert.equal(getHub().now(), 106);
  });
});

test('nested withTimeout: the outer Timeout is not swallowed by the inner timeoutValue (test_nested_with_timeout)', async () => {
  await runVirtual(async () => {
    const func = (): Promise<unknown> => withTimeout(200, { timeoutValue: 1 }, sleep, 2000);
    const e = await expectThrown(() => withTimeout(100, func));
    assert.ok(e instanceof Timeout);
    assert.equal(e.ms, 100);
    assert.equal(getHub().now(), 100);
  });
});

test('a kill passes through withTimeout unchanged', async () => {
  await runVirtual(async () => {
    const g = spawn(() => withTimeout(100, { timeoutValue: 'tv' }, sleep, 1000));
    await sleep(10);
    await g.kill();
    assert.ok((g.value as unknown) instanceof GreenletExit);
  });
});

test('withTimeout rejects bad arguments without throwing', async () => {
  await runVirtual(async () => {
    await assertRejectsNoThrow(() => withTimeout(-1, sleep, 1), RangeError);
    await assertRejectsNoThrow(() => withTimeout(Number.NaN, sleep, 1), RangeError);
    await assertRejectsNoThrow(() => withTimeout(10, 42 as never), TypeError);
    await assertRejectsNoThrow(() => withTimeout(10, { timeoutValue: 1 }, 'f' as never), TypeError);
  });
});

test('withTimeout refuses an Error or an Error class after ms (TypeError), as the kill and Timeout options do', async () => {
  // An Error there (Timeout(seconds, exception) ported to withTimeout) was read as options
  // without timeoutValue, so a plain Timeout was thrown instead; an Error class was taken for
  // fn and called: withTimeout(10, RangeError, fn) resolved to a RangeError made of fn.
  await runVirtual(async () => {
    const fn = () => sleep(50).then(() => 'done');
    await assert.rejects(
      withTimeout(10, new ExpectedError('late') as never, fn),
      (e: unknown) =>
        e instanceof TypeError &&
        /^withTimeout: the argument after ms is an Error: it has no exception option/.test(
          e.message,
        ),
    );
    await assert.rejects(
      withTimeout(10, RangeError as never, fn),
      /^TypeError: withTimeout: the argument after ms is an Error class/,
    );
  });
});

// ---- Timeout in the main program (real hub) ----

test('a Timeout started outside any greenlet is thrown at the wait main has pending', async () => {
  assert.equal(getCurrent().name, 'main');
  const t = Timeout.startNew(5);
  try {
    assert.equal(await expectThrown(() => sleep(10000)), t);
  } finally {
    t.cancel();
  }
});

test('a Timeout started in main is thrown at every wait main has pending', async () => {
  const g = spawn(() => sleep(10000));
  const t = Timeout.startNew(5);
  try {
    const r = await Promise.allSettled([sleep(10000), g.join()]);
    assert.deepEqual(
      r.map((x) => (x.status === 'rejected' ? x.reason : 'fulfilled')),
      [t, t],
    );
  } finally {
    t.cancel();
    await g.kill();
  }
});

test('a Timeout in main that fires while main is not waiting lands at its next wait', async () => {
  const t = Timeout.startNew(1);
  try {
    // Foreign awaits (not waits) until it fired: one 20 ms sleep could end in the same late
    // turn of Node's loop as the Timeout's timer, before the hub fires it (npm test under load).
    for (let i = 0; i < 400 && t.pending; i++) await new Promise((r) => setTimeout(r, 5));
    assert.equal(t.pending, false, 'it fired');
    assert.equal(await expectThrown(() => sleep(10000)), t);
  } finally {
    t.cancel();
  }
});

test('a Timeout whose exception class has a throwing constructor still lands, with what it threw', async () => {
  await runVirtual(async () => {
    const thrown = new ExpectedError('ctor');
    class Bad extends Error {
      constructor() {
        super('bad');
        throw thrown;
      }
    }
    const t = Timeout.startNew(10, { exception: Bad });
    assert.equal(await expectThrown(() => sleep(100)), thrown);
    assert.equal(getHub().now(), 10);
    assert.equal(t.signal.reason, thrown);
  });
});

test('Infinity is forever: sleep(Infinity), new Timeout(Infinity) and timeout: Infinity never fire', async () => {
  await runVirtual(async () => {
    const never = new Timeout(Number.POSITIVE_INFINITY).start();
    const t = Timeout.startNew(10);
    assert.equal(await expectThrown(() => sleep(Number.POSITIVE_INFINITY)), t);
    assert.equal(getHub().now(), 10);
    const g = spawn(() => sleep(5));
    assert.equal(await g.join({ timeout: Number.POSITIVE_INFINITY }), true);
    assert.equal(getHub().now(), 15);
    await sleep(20); // the clock moves on finite timers only
    assert.equal(getHub().now(), 35);
    assert.equal(Number.isFinite(getHub().now()), true);
    never.cancel();
  });
  // the real hub arms no Node timer for them
  const g = spawn(async () => {
    const t = new Timeout(Number.POSITIVE_INFINITY).start();
    try {
      await sleep(Number.POSITIVE_INFINITY);
    } finally {
      t.cancel();
    }
  });
  await sleep(1);
  assert.equal(getHub().timers, 0);
  await g.kill();
});
