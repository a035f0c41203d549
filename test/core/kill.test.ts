// Killing: Greenlet.kill, kill(), killAll. Ports gevent's test__greenlet.py TestKill* (kill
// before start, after start, after startLater, while running; block/non-block; killall),
// test__api.py test_killing_dormant and test__GreenletExit.py, to DESIGN §1.4 and §3.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  Cancellation,
  Greenlet,
  GreenletExit,
  getCurrent,
  getHub,
  joinAll,
  kill,
  killAll,
  sleep,
  spawn,
  Timeout,
} from '../../src/index.js';
import { runVirtual } from '../../src/testing/index.js';
import { assertRejectsNoThrow, captureReports, deferred, ExpectedError } from '../_util.js';

function isExit(x: unknown): boolean {
  return x instanceof GreenletExit;
}

// gevent's test__GreenletExit.py: GreenletExit is a BaseException, not an Exception, so `except
// Exception` never catches it. DESIGN differs (§3): JavaScript has no such split, so it is a
// Cancellation (an Error) that broad catches rethrow.
test("GreenletExit is a Cancellation, which is an Error (test__GreenletExit.py; differs: gevent's is not an Exception)", () => {
  const e = new GreenletExit();
  assert.ok(e instanceof Cancellation);
  assert.ok(e instanceof Error);
  assert.equal(e.name, 'GreenletExit');
  assert.ok(new Timeout() instanceof Cancellation);
});

// ---- TestKill: the kill lands before the greenlet ever ran ----

type Starter = (g: Greenlet) => void;
const starters: [string, Starter][] = [
  ['never started', () => {}],
  ['after start()', (g) => g.start()],
  ['after startLater()', (g) => g.startLater(100)],
];
const killers: [
  string,
  (g: Greenlet, exc: Error | (new () => Error) | undefined) => Promise<void>,
][] = [
  ['kill({block: true})', (g, exception) => g.kill({ exception, block: true })],
  ['kill({block: false})', (g, exception) => g.kill({ exception, block: false })],
  ['killAll({block: true})', (g, exception) => killAll([g], { exception, block: true })],
  ['killAll({block: false})', (g, exception) => killAll([g], { exception, block: false })],
];

for (const [when, start] of starters) {
  for (const [how, killer] of killers) {
    for (const exc of [undefined, GreenletExit, ExpectedError, new ExpectedError('instance')]) {
      const excName =
        exc === undefined
          ? 'default'
          : typeof exc === 'function'
            ? `class ${exc.name}`
            : 'instance';
      test(`a greenlet killed ${when} by ${how} (${excName} exception) never runs, but its links fire`, async () => {
        await runVirtual(async () => {
          const ran: number[] = [];
          const links: Greenlet[] = [];
          const g = new Greenlet((r: number[]) => r.push(1), ran);
          g.link((x) => links.push(x));
          start(g);
          await killer(g, exc);
          const successful = exc === undefined || exc === GreenletExit;
          const check = (): void => {
            assert.equal(g.dead, true);
            assert.equal(g.ready(), true);
            assert.equal(g.successful(), successful);
            if (successful) {
              assert.ok(isExit(g.value));
              assert.equal(g.exception, undefined);
            } else {
              assert.equal(g.value, undefined);
              assert.ok(g.exception instanceof ExpectedError);
              if (typeof exc === 'object') assert.equal(g.exception, exc);
            }
          };
          check();
          await sleep(200); // spin the loop (past the startLater delay): it must not run
          check();
          // a second kill must not hurt
          await killer(g, exc);
          check();
          await sleep(10);
          assert.deepEqual(ran, []);
          assert.deepEqual(links, [g]);
        });
      });
    }
  }
}

// ---- killing a running greenlet ----

test('a greenlet killed while waiting gets GreenletExit there; finally runs; it ends successful (TestKillWhileRunning)', async () => {
  await runVirtual(async () => {
    const state: string[] = [];
    const g = spawn(async () => {
      try {
        state.push('start');
        await sleep(300);
        state.push('not reached');
      } catch (e) {
        state.push(isExit(e) ? 'except GreenletExit' : 'except other');
        throw e;
      } finally {
        state.push('finally');
      }
    });
    await sleep(50);
    assert.deepEqual(state, ['start']);
    await g.kill();
    assert.deepEqual(state, ['start', 'except GreenletExit', 'finally']);
    assert.equal(g.dead, true);
    assert.equal(g.successful(), true);
    assert.ok(isExit(g.value));
    assert.equal(g.exception, undefined);
    assert.equal(await g.get(), g.value, 'get() resolves with the GreenletExit');
  });
});

test('a killed greenlet that catches GreenletExit and goes on finishes (test_killing_dormant)', async () => {
  await runVirtual(async () => {
    const state: string[] = [];
    const g = spawn(async () => {
      try {
        state.push('start');
        await sleep(300);
      } catch {
        state.push('except');
      }
      state.push('finished');
    });
    await sleep(50);
    assert.deepEqual(state, ['start']);
    await g.kill();
    assert.deepEqual(state, ['start', 'except', 'finished']);
  });
});

test('a greenlet that catches GreenletExit and returns x is successful with value x', async () => {
  await runVirtual(async () => {
    const g = spawn(async () => {
      try {
        await sleep(1000);
        return 'slept';
      } catch {
        return 'caught';
      }
    });
    await sleep(1);
    await g.kill();
    assert.equal(g.successful(), true);
    assert.equal(g.value, 'caught');
  });
});

test('kill with an Error class or instance makes the greenlet fail with it', async () => {
  await runVirtual(async () => {
    captureReports();
    const inst = new ExpectedError('instance');
    const a = spawn(() => sleep(1000));
    const b = spawn(() => sleep(1000));
    await sleep(1);
    await a.kill({ exception: inst });
    await b.kill({ exception: ExpectedError });
    assert.equal(a.successful(), false);
    assert.equal(a.exception, inst);
    assert.equal(a.value, undefined);
    assert.ok(b.exception instanceof ExpectedError);
    await assert.rejects(a.get(), (e) => e === inst);
  });
});

test('kill with a GreenletExit subclass ends the greenlet successfully with that exception as value', async () => {
  await runVirtual(async () => {
    class MyExit extends GreenletExit {}
    const g = spawn(() => sleep(1000));
    await sleep(1);
    await g.kill({ exception: MyExit });
    assert.equal(g.successful(), true);
    assert.ok((g.value as unknown) instanceof MyExit);
  });
});

test('kill() of a dead greenlet with a pre-aborted signal rejects with its reason', async () => {
  await runVirtual(async () => {
    const g = spawn(() => 1);
    await g.join();
    const reason = new ExpectedError('pre');
    const ac = new AbortController();
    ac.abort(reason);
    await assertRejectsNoThrow(
      () => g.kill({ signal: ac.signal }),
      (e) => e === reason,
    );
    assert.equal(g.value, 1);
  });
});

test('kill({block: true}) resolves once the target is dead, after its finally blocks (which may wait)', async () => {
  await runVirtual(async () => {
    const log: string[] = [];
    const g = spawn(async () => {
      try {
        await sleep(1000);
      } finally {
        await sleep(30);
        log.push('cleaned up');
      }
    });
    await sleep(1);
    const t0 = getHub().now();
    await g.kill();
    assert.equal(g.dead, true);
    assert.deepEqual(log, ['cleaned up']);
    assert.equal(getHub().now() - t0, 30);
  });
});

test('kill({block: false}) resolves at once; the target dies at its wait later', async () => {
  await runVirtual(async () => {
    const g = spawn(() => sleep(1000));
    await sleep(1);
    const log: string[] = [];
    spawn(() => log.push('other'));
    await g.kill({ block: false });
    assert.equal(g.dead, false, 'resolved before the target died');
    assert.deepEqual(log, [], 'resolving did not let another greenlet run');
    await sleep(0);
    assert.equal(g.dead, true);
    assert.ok(isExit(g.value));
  });
});

test('kill() of a dead greenlet resolves without letting another greenlet run', async () => {
  await runVirtual(async () => {
    const g = spawn(() => 3);
    await g.join();
    const log: string[] = [];
    spawn(() => log.push('other'));
    await g.kill();
    await g.kill({ exception: new ExpectedError('late') });
    assert.deepEqual(log, []);
    assert.equal(g.value, 3, 'a dead greenlet keeps its result');
    assert.equal(g.successful(), true);
  });
});

test('kill({timeout}) resolves after timeout when the target outlives it, leaving it alive', async () => {
  await runVirtual(async () => {
    let caught = 0;
    const stubborn = spawn(async () => {
      for (;;) {
        try {
          await sleep(1000);
        } catch (e) {
          if (caught++ > 0) throw e;
        }
      }
    });
    await sleep(1);
    const t0 = getHub().now();
    await stubborn.kill({ timeout: 50 });
    assert.equal(getHub().now() - t0, 50);
    assert.equal(stubborn.dead, false);
    assert.equal(caught, 1);
    // a later kill, after the first one landed, delivers again
    await stubborn.kill();
    assert.equal(caught, 2);
    assert.equal(stubborn.dead, true);
  });
});

test('kill() never rejects because of the target, even when its finally throws', async () => {
  await runVirtual(async () => {
    captureReports();
    const err = new ExpectedError('from finally');
    const g = spawn(async () => {
      try {
        await sleep(1000);
      } finally {
        // biome-ignore lint/correctness/noUnsafeFinally: the point of the test
        throw err;
      }
    });
    await sleep(1);
    await g.kill();
    assert.equal(g.exception, err);
  });
});

test('an exception given where the options belong rejects with TypeError, not a kill with GreenletExit (test__issue330 test_kill_exception)', async () => {
  // gevent's kill(g, MyException()) and g.kill(MyException) are positional; verdant's take
  // {exception}. An Error there was read as options without `exception`: the greenlet died of
  // GreenletExit and a handler for MyException never ran.
  await runVirtual(async () => {
    const g = spawn(() => sleep(100));
    await sleep(0);
    await assertRejectsNoThrow(() => g.kill(new ExpectedError() as never), TypeError);
    await assertRejectsNoThrow(() => g.kill(ExpectedError as never), TypeError);
    await assertRejectsNoThrow(() => kill(g, new ExpectedError() as never), TypeError);
    await assertRejectsNoThrow(() => kill(g, ExpectedError as never), TypeError);
    await assertRejectsNoThrow(() => kill(g, 5 as never), TypeError);
    await assertRejectsNoThrow(() => killAll([g], new ExpectedError() as never), TypeError);
    await assertRejectsNoThrow(() => killAll([g], 'boom' as never), TypeError);
    await assert.rejects(g.kill(new ExpectedError() as never), /pass the exception as \{exception/);
    assert.equal(g.dead, false, 'a rejected kill does not kill');
    assert.equal(g.signal.aborted, false);
    await kill(g, { exception: new ExpectedError() });
    await g.join();
    assert.ok(g.exception instanceof ExpectedError);
  });
});

test('kill() rejects bad options without throwing', async () => {
  await runVirtual(async () => {
    const g = spawn(() => sleep(100));
    await assertRejectsNoThrow(() => g.kill({ exception: 42 as never }), TypeError);
    await assertRejectsNoThrow(() => g.kill({ exception: 'boom' as never }), TypeError);
    await assertRejectsNoThrow(() => g.kill({ timeout: -1 }), RangeError);
    await assertRejectsNoThrow(() => g.kill({ timeout: Number.NaN }), RangeError);
    await assertRejectsNoThrow(() => g.kill(5 as never), TypeError);
    assert.equal(g.dead, false, 'a rejected kill does not kill');
    assert.equal(g.signal.aborted, false);
    await assertRejectsNoThrow(() => kill({} as never), TypeError);
    await assertRejectsNoThrow(() => kill(g, { exception: 42 as never }), TypeError);
    await g.kill();
  });
});

test('two kills requested before delivery deliver one exception: the first', async () => {
  await runVirtual(async () => {
    const seen: unknown[] = [];
    const first = new ExpectedError('first');
    const second = new ExpectedError('second');
    const g = spawn(async () => {
      for (let i = 0; i < 3; i++) {
        try {
          await sleep(100);
        } catch (e) {
          seen.push(e);
        }
      }
      return 'survived';
    });
    await sleep(1);
    void g.kill({ exception: first, block: false });
    void g.kill({ exception: second, block: false });
    void g.kill({ block: false });
    await g.join();
    assert.deepEqual(seen, [first]);
    assert.equal(g.value, 'survived');
    assert.equal(g.signal.reason, first);
  });
});

test('killing is requested synchronously: state and signal change before the killer waits', async () => {
  await runVirtual(async () => {
    const unstarted = spawn(() => 'never');
    const sig = unstarted.signal;
    const p = unstarted.kill({ block: false });
    assert.equal(unstarted.dead, true, 'a greenlet killed before it started dies at once');
    assert.equal(sig.aborted, true);
    assert.ok(isExit(sig.reason));
    assert.equal(sig.reason, unstarted.value, 'the reason is the kill exception');
    await p;
  });
});

test('a greenlet that kills itself gets the exception at its next wait', async () => {
  await runVirtual(async () => {
    const log: string[] = [];
    const g = spawn(async () => {
      await sleep(1);
      const me = getCurrent() as Greenlet;
      void me.kill({ block: false });
      log.push('still running');
      assert.equal(me.signal.aborted, true);
      await Promise.resolve(); // a foreign await is not a wait
      log.push('after foreign await');
      try {
        await sleep(0);
        log.push('not reached');
      } catch (e) {
        log.push(isExit(e) ? 'GreenletExit at next wait' : 'other');
        throw e;
      }
    });
    await g.join();
    assert.deepEqual(log, ['still running', 'after foreign await', 'GreenletExit at next wait']);
    assert.ok(isExit(g.value));
  });
});

test('a greenlet that kills itself with block: true gets the exception at that very wait', async () => {
  await runVirtual(async () => {
    let where = '';
    const g = spawn(async () => {
      try {
        await (getCurrent() as Greenlet).kill();
        where = 'returned';
      } catch (e) {
        where = isExit(e) ? 'thrown at kill()' : 'other';
        throw e;
      }
    });
    await g.join();
    assert.equal(where, 'thrown at kill()');
    assert.ok(isExit(g.value));
  });
});

// ---- the signal ----

test('g.signal is aborted synchronously with the kill exception as reason, before it is thrown', async () => {
  await runVirtual(async () => {
    const exc = new ExpectedError('kill reason');
    let atCatch: [boolean, unknown, unknown] | undefined;
    const g = spawn(async () => {
      const sig = (getCurrent() as Greenlet).signal;
      try {
        await sleep(1000);
      } catch (e) {
        atCatch = [sig.aborted, sig.reason, e];
        throw e;
      }
    });
    await sleep(1);
    assert.equal(g.signal.aborted, false);
    captureReports();
    const p = g.kill({ exception: exc });
    assert.equal(g.signal.aborted, true, 'aborted synchronously');
    assert.equal(g.signal.reason, exc);
    await p;
    assert.deepEqual(atCatch, [true, exc, exc]);
  });
});

test('g.signal read lazily after a kill is already aborted with the kill exception', async () => {
  await runVirtual(async () => {
    const g = spawn(() => sleep(1000));
    await sleep(1);
    await g.kill();
    assert.equal(g.signal.aborted, true);
    assert.equal(g.signal.reason, g.value);
    const h = new Greenlet(() => 1);
    await h.kill({ block: false });
    assert.equal(h.signal.aborted, true, 'also for a greenlet killed before it started');
    assert.ok(isExit(h.signal.reason));
  });
});

test('a greenlet that ends normally with no kill requested leaves its signal unaborted', async () => {
  await runVirtual(async () => {
    const g = spawn(async () => {
      const sig = (getCurrent() as Greenlet).signal;
      await sleep(5);
      return sig;
    });
    const sig = await g.get();
    assert.equal(sig.aborted, false);
    assert.equal(g.signal.aborted, false);
  });
});

test('a foreign API given g.signal stops at once when g is killed', async () => {
  await runVirtual(async () => {
    let listenerRanSync = false;
    const g = spawn(async () => {
      const sig = (getCurrent() as Greenlet).signal;
      await new Promise((_resolve, reject) => {
        sig.addEventListener('abort', () => reject(sig.reason), { once: true });
      });
    });
    await sleep(1);
    const p = g.kill({ block: false });
    listenerRanSync = g.signal.aborted;
    await p;
    await g.join();
    assert.equal(listenerRanSync, true);
    assert.ok(isExit(g.value), 'the foreign promise rejected with the GreenletExit');
  });
});

test('a greenlet in a foreign await gets the kill at its next verdant wait', async () => {
  await runVirtual(async () => {
    const d = deferred<string>();
    const log: string[] = [];
    const g = spawn(async () => {
      const v = await d.promise;
      log.push(`foreign resolved ${v}`);
      try {
        await sleep(10);
      } catch (e) {
        log.push(isExit(e) ? 'GreenletExit' : 'other');
        throw e;
      }
    });
    await sleep(1);
    await g.kill({ block: false });
    assert.equal(g.dead, false);
    d.resolve('x');
    await g.join();
    assert.deepEqual(log, ['foreign resolved x', 'GreenletExit']);
  });
});

test('a greenlet that returns before the requested kill lands keeps its own result', async () => {
  await runVirtual(async () => {
    const d = deferred<string>();
    const g = spawn(async () => {
      const v = await d.promise;
      return `mine ${v}`;
    });
    await sleep(1);
    await g.kill({ block: false });
    d.resolve('x');
    await g.join();
    assert.equal(g.successful(), true);
    assert.equal(g.value, 'mine x');
    assert.equal(g.signal.aborted, true, 'the kill was requested: the signal says so');
  });
});

test('a greenlet holding several waits (Promise.allSettled) gets the one kill exception at each', async () => {
  await runVirtual(async () => {
    const a = spawn(() => sleep(1000));
    const b = spawn(() => sleep(1000));
    const g = spawn(async () => {
      const r = await Promise.allSettled([a.join(), b.join(), sleep(500)]);
      return r;
    });
    await sleep(1);
    await g.kill({ block: false });
    const r = await g.get();
    assert.equal(r.length, 3);
    const reasons = r.map((x) => (x.status === 'rejected' ? x.reason : 'fulfilled'));
    assert.ok(isExit(reasons[0]));
    assert.equal(reasons[1], reasons[0]);
    assert.equal(reasons[2], reasons[0]);
    assert.equal(a.dead || b.dead, false, 'the joined greenlets are unaffected');
    await killAll([a, b]);
  });
});

test('Greenlet.throw() raises at the target wait without aborting its signal', async () => {
  await runVirtual(async () => {
    captureReports();
    const err = new ExpectedError('thrown');
    const g = spawn(() => sleep(1000));
    await sleep(1);
    g.throw(err);
    assert.throws(() => g.throw(42 as never), TypeError);
    await g.join();
    assert.equal(g.exception, err);
    assert.equal(g.signal.aborted, false);
  });
});

// ---- cancel points of the killer ----

test('kill({block: true}) is a cancel point of the killer: its kill lands there and finally runs', async () => {
  await runVirtual(async () => {
    let caught = 0;
    const stubborn = spawn(async () => {
      for (;;) {
        try {
          await sleep(1000);
        } catch (e) {
          if (caught++ > 0) throw e;
        }
      }
    });
    const log: string[] = [];
    const killer = spawn(async () => {
      try {
        await stubborn.kill();
        log.push('returned');
      } finally {
        log.push('finally');
      }
    });
    await sleep(10);
    await killer.kill();
    assert.deepEqual(log, ['finally']);
    assert.ok(isExit(killer.value));
    assert.equal(caught, 1);
    await stubborn.kill();
    assert.equal(stubborn.dead, true);
  });
});

test('kill({block: true}) is a cancel point of the killer: a Timeout lands there', async () => {
  await runVirtual(async () => {
    let caught = 0;
    const stubborn = spawn(async () => {
      for (;;) {
        try {
          await sleep(1000);
        } catch (e) {
          if (caught++ > 0) throw e;
        }
      }
    });
    await sleep(1);
    const t = Timeout.startNew(20);
    const log: string[] = [];
    try {
      await stubborn.kill();
      log.push('returned');
    } catch (e) {
      log.push(e === t ? 'timeout' : `other ${String(e)}`);
    } finally {
      log.push('finally');
    }
    assert.deepEqual(log, ['timeout', 'finally']);
    await stubborn.kill();
  });
});

test('aborting the signal of kill({block: true}) rejects it with signal.reason', async () => {
  await runVirtual(async () => {
    let caught = 0;
    const stubborn = spawn(async () => {
      for (;;) {
        try {
          await sleep(1000);
        } catch (e) {
          if (caught++ > 0) throw e;
        }
      }
    });
    await sleep(1);
    const ac = new AbortController();
    const reason = new ExpectedError('abort');
    spawn(async () => {
      await sleep(10);
      ac.abort(reason);
    });
    await assert.rejects(stubborn.kill({ signal: ac.signal }), (e) => e === reason);
    const pre = new AbortController();
    pre.abort(reason);
    await assertRejectsNoThrow(
      () => stubborn.kill({ signal: pre.signal }),
      (e) => e === reason,
    );
    await stubborn.kill();
  });
});

// ---- kill() and killAll() ----

test('kill(g) kills without waiting', async () => {
  await runVirtual(async () => {
    const g = spawn(() => sleep(1000));
    await sleep(1);
    await kill(g);
    assert.equal(g.dead, false);
    await g.join();
    assert.ok(isExit(g.value));
    const h = spawn(() => sleep(1000));
    await sleep(1);
    captureReports();
    await kill(h, { exception: ExpectedError });
    await h.join();
    assert.ok(h.exception instanceof ExpectedError);
  });
});

test('killAll() kills every greenlet and waits for all to die', async () => {
  await runVirtual(async () => {
    const log: string[] = [];
    const mk = (name: string, cleanup: number): Greenlet =>
      spawn(async () => {
        try {
          await sleep(1000);
        } finally {
          await sleep(cleanup);
          log.push(name);
        }
      });
    const gs = [mk('a', 20), mk('b', 5), mk('c', 10)];
    const unstarted = new Greenlet(() => log.push('never'));
    await sleep(1);
    await killAll([...gs, unstarted]);
    assert.ok(gs.every((g) => g.dead && isExit(g.value)));
    assert.equal(unstarted.dead, true);
    assert.deepEqual(log, ['b', 'c', 'a']);
  });
});

test('killAll({block: false}) resolves at once; the greenlets die later', async () => {
  await runVirtual(async () => {
    const gs = [spawn(() => sleep(1000)), spawn(() => sleep(1000))];
    await sleep(1);
    await killAll(gs, { block: false });
    assert.ok(gs.every((g) => !g.dead));
    await sleep(0);
    assert.ok(gs.every((g) => g.dead));
  });
});

test('killAll({timeout}) rejects with a Timeout when some greenlet outlives it', async () => {
  await runVirtual(async () => {
    let caught = 0;
    const stubborn = spawn(async () => {
      for (;;) {
        try {
          await sleep(1000);
        } catch (e) {
          if (caught++ > 0) throw e;
        }
      }
    });
    const quick = spawn(() => sleep(1000));
    await sleep(1);
    const t0 = getHub().now();
    await assert.rejects(killAll([quick, stubborn], { timeout: 30 }), Timeout);
    assert.equal(getHub().now() - t0, 30);
    assert.equal(quick.dead, true);
    assert.equal(stubborn.dead, false);
    await stubborn.kill();
  });
});

test('killAll() is a cancel point: kill and Timeout land there and finally runs', async () => {
  await runVirtual(async () => {
    let caught = 0;
    const stubborn = spawn(async () => {
      for (;;) {
        try {
          await sleep(1000);
        } catch (e) {
          if (caught++ > 1) throw e;
        }
      }
    });
    const log: string[] = [];
    const killer = spawn(async () => {
      try {
        await killAll([stubborn]);
      } finally {
        log.push('finally');
      }
    });
    await sleep(10);
    await killer.kill();
    assert.deepEqual(log, ['finally']);
    assert.ok(isExit(killer.value));
    const t = Timeout.startNew(10);
    await assert.rejects(killAll([stubborn]), (e) => e === t);
    await stubborn.kill();
  });
});

test('killAll() rejects bad arguments without throwing', async () => {
  await runVirtual(async () => {
    await assertRejectsNoThrow(() => killAll(null as never), TypeError);
    await assertRejectsNoThrow(() => killAll([1] as never), TypeError);
    await assertRejectsNoThrow(() => killAll([], { timeout: -1 }), RangeError);
    const g = spawn(() => sleep(100));
    await assertRejectsNoThrow(() => killAll([g], { exception: 42 as never }), TypeError);
    assert.equal(g.signal.aborted, false, 'a rejected killAll kills nothing');
    await g.kill();
    // the option is checked even when there is nothing to kill
    await assertRejectsNoThrow(() => killAll([], { exception: 42 as never }), TypeError);
  });
});

test('kill() with an exception class whose constructor throws delivers what it threw, never throwing', async () => {
  await runVirtual(async () => {
    captureReports();
    const thrown = new ExpectedError('ctor');
    class Bad extends Error {
      constructor() {
        super('bad');
        throw thrown;
      }
    }
    const g = spawn(() => sleep(1000));
    await sleep(1);
    let p: Promise<void> | undefined;
    assert.doesNotThrow(() => {
      p = g.kill({ exception: Bad });
    });
    await p;
    assert.equal(g.dead, true);
    assert.equal(g.exception, thrown);
    assert.equal(g.signal.reason, thrown);
    // killAll too
    const h = spawn(() => sleep(1000));
    await sleep(1);
    await killAll([h], { exception: Bad });
    assert.equal(h.exception, thrown);
  });
});

// ---- test__issue330.py: killing a greenlet that was spawned but never switched to ----

for (const [how, killIt] of [
  ['kill(g) (test_gevent_kill)', (g: Greenlet) => void kill(g)],
  ['g.kill() (test_greenlet_kill)', (g: Greenlet) => void g.kill({ block: false })],
  ['g.throw(GreenletExit) (test_throw)', (g: Greenlet) => g.throw(GreenletExit)],
] as const) {
  test(`test__issue330.py ${how}: two spawned, never-run greenlets die with a GreenletExit value and no exception`, async () => {
    await runVirtual(async () => {
      const switchedTo = [false, false];
      const shouldNeverRun = (i: number) => {
        switchedTo[i] = true;
      };
      const g = spawn(shouldNeverRun, 0);
      const g2 = spawn(shouldNeverRun, 1);
      killIt(g);
      killIt(g2);
      await joinAll([g, g2]);
      assert.deepEqual(switchedTo, [false, false]);
      assert.ok(isExit(g.value));
      assert.ok(isExit(g2.value));
      assert.equal(g.exception, undefined);
      assert.equal(g2.exception, undefined);
      assert.ok(g.successful() && g2.successful());
    });
  });
}

test('test__issue330.py test_kill_exception: a greenlet that catches the kill exception and returns is successful, no exception', async () => {
  await runVirtual(async () => {
    class MyException extends Error {}
    let caught: unknown;
    const g = spawn(async () => {
      try {
        for (;;) await sleep(0);
      } catch (e) {
        if (!(e instanceof MyException)) throw e;
        caught = e;
      }
    });
    g.start();
    await sleep();
    void kill(g, { exception: new MyException() });
    await sleep();
    assert.ok(caught instanceof MyException);
    assert.equal(g.exception, undefined);
    assert.equal(g.successful(), true);
  });
});

// ---- test__issue607.py: TestKillWithException ----

test('test__issue607.py test_kill_without_exception: kill() leaves it successful, get() resolves the GreenletExit', async () => {
  await runVirtual(async () => {
    const g = spawn(() => sleep(999_000));
    await g.kill();
    assert.equal(g.successful(), true);
    assert.ok(isExit(await g.get()));
  });
});

for (const [when, started] of [
  ['test_kill_with_exception (before it ran)', false],
  ['test_kill_with_exception_after_started (after join(0))', true],
] as const) {
  test(`test__issue607.py ${when}: kill({exception: Class}) fails it, get() throws, value unset`, async () => {
    await runVirtual(async () => {
      captureReports();
      const g = spawn(() => sleep(999_000));
      if (started) assert.equal(await g.join(0), false);
      await g.kill({ exception: ExpectedError });
      assert.equal(g.successful(), false);
      await assert.rejects(g.get(), ExpectedError);
      assert.equal(g.value, undefined);
      assert.ok(g.exception instanceof ExpectedError);
    });
  });
}
