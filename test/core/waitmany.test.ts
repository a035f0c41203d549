// joinAll, killAll, wait, iwait (src/core/waitmany.ts). Ports gevent's test__joinall.py,
// test__iwait.py, test__api.py and the joinall/wait parts of test__greenlet.py (TestStuff,
// TestJoinAll*) to DESIGN §3.
import assert from 'node:assert/strict';
import { createHook } from 'node:async_hooks';
import { test } from 'node:test';
import {
  AsyncResult,
  Event,
  Greenlet,
  getHub,
  iwait,
  joinAll,
  killAll,
  signalHandler,
  sleep,
  spawn,
  spawnLater,
  until,
  wait,
} from '../../src/index.js';
import { runVirtual } from '../../src/testing/index.js';
import { assertRejectsNoThrow, captureReports, deferred, ExpectedError } from '../_util.js';
import { checkCancelPoint, Flag } from './_waits.js';

// ---- joinAll ----

test('joinAll() of a list with duplicates lists each greenlet once (test__joinall)', async () => {
  await runVirtual(async () => {
    const a = spawn(() => undefined);
    const b = spawn(() => undefined);
    const done = await joinAll([a, b, a]);
    assert.equal(done.length, 2);
    assert.deepEqual(new Set(done), new Set([a, b]));
  });
});

test('joinAll() resolves to the greenlets in finishing order', async () => {
  await runVirtual(async () => {
    const mk = (ms: number): Greenlet<number> =>
      spawn(async () => {
        await sleep(ms);
        return ms;
      });
    const gs = [mk(30), mk(10), mk(20), mk(0)];
    const done = await joinAll(gs);
    assert.deepEqual(
      done.map((g) => g.value),
      [0, 10, 20, 30],
    );
  });
});

test('joinAll({raiseError}) with no failures resolves and the values are set (test_wait_noerrors)', async () => {
  await runVirtual(async () => {
    const x = spawn(() => 1);
    const y = spawn(() => 2);
    const z = spawn(() => 3);
    await joinAll([x, y, z], { raiseError: true });
    assert.deepEqual([x.value, y.value, z.value], [1, 2, 3]);
  });
});

test('joinAll({raiseError}) rejects with the failure (test_wait_error)', async () => {
  await runVirtual(async () => {
    const x = spawn(async () => {
      await sleep(10);
      return 1;
    });
    const err = new ExpectedError('test_wait_error');
    const y = spawn(() => {
      throw err;
    });
    await assert.rejects(joinAll([x, y], { raiseError: true }), (e) => e === err);
    await assert.rejects(joinAll([y], { raiseError: true }), (e) => e === err);
    await x.join();
  });
});

test('joinAll({raiseError}) throws the first failure in finishing order, not list order (test_joinall_exception_order)', async () => {
  await runVirtual(async () => {
    const a = spawn(async () => {
      await sleep(100);
      throw new ExpectedError('first');
    });
    const b = spawn(() => {
      throw new ExpectedError('second');
    });
    await assert.rejects(joinAll([a, b], { raiseError: true }), /second/);
    captureReports();
    await joinAll([a, b]);
  });
});

test('joinAll({count}) resolves once count finished, failures included (test_joinall_count_raise_error)', async () => {
  await runVirtual(async () => {
    captureReports();
    const sleeper = spawn(async () => {
      for (;;) await sleep(100);
    });
    const raiser = spawn(() => {
      throw new ExpectedError('count');
    });
    const done = await joinAll([sleeper, raiser], { raiseError: false, count: 1 });
    assert.deepEqual(done, [raiser]);
    assert.equal(raiser.ready(), true);
    assert.equal(sleeper.ready(), false);
    await sleeper.kill();
    assert.equal(sleeper.ready(), true);
  });
});

test('joinAll({timeout}) resolves to what finished so far, without throwing', async () => {
  await runVirtual(async () => {
    const quick = spawn(() => sleep(5));
    const slow = spawn(() => sleep(100));
    assert.deepEqual(await joinAll([slow, quick], { timeout: 50 }), [quick]);
    assert.equal(getHub().now(), 50);
    assert.deepEqual(await joinAll([slow], 10), [], 'a bare number is the timeout');
    assert.equal(slow.dead, false);
  });
});

test('joinAll() on a greenlet that was never started waits until the timeout (TestJoinAll0)', async () => {
  await runVirtual(async () => {
    const g = new Greenlet(() => 1);
    assert.deepEqual(await joinAll([g], { timeout: 20 }), []);
    assert.equal(getHub().now(), 20);
  });
});

test('joinAll() of dead greenlets or of nothing completes without letting another greenlet run', async () => {
  await runVirtual(async () => {
    const a = spawn(() => 1);
    await a.join();
    const log: string[] = [];
    spawn(() => log.push('other'));
    assert.deepEqual(await joinAll([a]), [a]);
    assert.deepEqual(await joinAll([]), []);
    assert.equal(log.length, 0);
  });
});

test('joinAll() is a cancel point', async () => {
  await checkCancelPoint('joinAll', () => joinAll([spawn(() => sleep(1000))]));
});

test('joinAll() with a signal: pre-aborted rejects at once; aborting while waiting rejects', async () => {
  await runVirtual(async () => {
    const reason = new ExpectedError('abort');
    const g = spawn(() => sleep(100));
    const pre = new AbortController();
    pre.abort(reason);
    await assertRejectsNoThrow(
      () => joinAll([g], { signal: pre.signal }),
      (e) => e === reason,
    );
    const ac = new AbortController();
    spawnLater(10, () => ac.abort(reason));
    await assert.rejects(joinAll([g], { signal: ac.signal }), (e) => e === reason);
    assert.equal(getHub().now(), 10);
  });
});

test('joinAll() rejects bad arguments without throwing', async () => {
  await runVirtual(async () => {
    const g = spawn(() => 1);
    await assertRejectsNoThrow(() => joinAll(null as never), TypeError);
    await assertRejectsNoThrow(() => joinAll(42 as never), TypeError);
    await assertRejectsNoThrow(() => joinAll([g, 1] as never), TypeError);
    await assertRejectsNoThrow(() => joinAll([g], { timeout: -1 }), RangeError);
    await assertRejectsNoThrow(() => joinAll([g], { count: -1 }), RangeError);
    await assertRejectsNoThrow(() => joinAll([g], { count: Number.NaN }), RangeError);
    await assertRejectsNoThrow(() => joinAll([g], { count: '1' as never }), {
      name: 'TypeError',
      message: 'joinAll: count must be a number, got string',
    });
  });
});

// ---- wait ----

test('wait(objects) resolves to the ready objects in the order they became ready', async () => {
  await runVirtual(async () => {
    const g1 = spawn(async () => {
      await sleep(30);
      return 'g1';
    });
    const flag = new Flag('flag');
    spawnLater(10, () => flag.set());
    const d = deferred<string>();
    spawnLater(20, () => d.resolve('p'));
    const ready = await wait([g1, flag, d.promise]);
    assert.deepEqual(ready, [flag, d.promise, g1], 'a promise object as given');
  });
});

test('wait() includes objects that are ready already, and lists a duplicate once', async () => {
  await runVirtual(async () => {
    const g = spawn(() => 1);
    await g.join();
    const flag = new Flag('f');
    flag.set();
    const ready = await wait([g, flag, g, flag]);
    assert.deepEqual(ready, [g, flag]);
  });
});

test('wait({count}) resolves once count objects are ready', async () => {
  await runVirtual(async () => {
    const a = spawn(() => sleep(10));
    const b = spawn(() => sleep(20));
    const c = spawn(() => sleep(30));
    assert.deepEqual(await wait([c, b, a], { count: 2 }), [a, b]);
    assert.equal(getHub().now(), 20);
    assert.deepEqual(await wait([c, b, a], { count: 1 }), [b]);
  });
});

test('wait({timeout}) resolves to what is ready so far, without throwing', async () => {
  await runVirtual(async () => {
    const a = spawn(() => sleep(10));
    const b = spawn(() => sleep(100));
    const never = new Promise(() => {});
    assert.deepEqual(await wait([b, a, never], { timeout: 50 }), [a]);
    assert.deepEqual(await wait([b, never], 5), []);
    assert.equal(getHub().now(), 55);
  });
});

test('wait() of ready objects completes without letting another greenlet run', async () => {
  await runVirtual(async () => {
    const a = spawn(() => 1);
    await a.join();
    const log: string[] = [];
    spawn(() => log.push('other'));
    assert.deepEqual(await wait([a]), [a]);
    assert.equal(log.length, 0);
  });
});

test('wait() unlinks from the objects that were not ready when it returns', async () => {
  await runVirtual(async () => {
    const f1 = new Flag('1');
    const f2 = new Flag('2');
    spawnLater(5, () => f1.set());
    assert.deepEqual(await wait([f1, f2], { count: 1 }), [f1]);
    assert.equal(f2.links.length, 0);
    assert.deepEqual(await wait([f2], { timeout: 5 }), []);
    assert.equal(f2.links.length, 0);
  });
});

test('wait(objects) is a cancel point', async () => {
  await checkCancelPoint('wait(objects)', () => wait([spawn(() => sleep(1000))]));
});

test('wait() with no objects resolves true once the hub is idle, in every spelling', async () => {
  await runVirtual(async () => {
    const log: string[] = [];
    spawn(async () => {
      await sleep(100);
      log.push('slept');
    });
    assert.equal(await wait(), true);
    assert.deepEqual(log, ['slept'], 'timers keep the hub busy');
    assert.equal(getHub().now(), 100);
    spawn(() => sleep(10));
    assert.equal(await wait(undefined, { timeout: 50 }), true);
    spawn(() => sleep(10));
    assert.equal(await wait({ timeout: 50 }), true);
    spawn(() => sleep(10));
    assert.equal(await wait(null, 50), true);
    assert.equal(getHub().now(), 130);
  });
});

test('wait() with no objects resolves false on timeout', async () => {
  await runVirtual(async () => {
    spawn(() => sleep(1000));
    assert.equal(await wait({ timeout: 10 }), false);
    assert.equal(await wait(20), false);
    assert.equal(getHub().now(), 30);
  });
});

test('wait() with no objects does not wait for foreign handles (real hub)', {
  timeout: 5000,
}, async () => {
  const foreign = setTimeout(() => {}, 60000);
  try {
    spawn(() => sleep(5));
    assert.equal(await wait(), true);
  } finally {
    clearTimeout(foreign);
  }
});

test('wait() with no objects waits for greenlets in until(): a foreign promise in flight is work (real hub)', {
  timeout: 5000,
}, async () => {
  // As gevent.wait() waits while a watcher is active, and as runVirtual counts an until wait.
  const g = spawn(() => until(new Promise((resolve) => setTimeout(resolve, 30, 'foreign'))));
  assert.equal(await wait(), true);
  assert.equal(g.dead, true, 'wait() returned while g was still in until()');
  assert.equal(g.value, 'foreign');
});

test('wait() with no objects waits for greenlets in until() under runVirtual too', async () => {
  await runVirtual(async () => {
    const foreign = deferred<string>();
    const g = spawn(() => until(foreign.promise));
    setTimeout(() => foreign.resolve('later'), 5); // a real timer: the virtual hub cannot see it
    assert.equal(await wait(), true);
    assert.equal(g.value, 'later');
  });
});

test('wait() with no objects counts an until() wait only while it lasts: a killed one no longer', async () => {
  await runVirtual(async () => {
    const g = spawn(() => until(new Promise(() => {})));
    await sleep(0);
    spawn(async () => {
      await sleep(10);
      await g.kill();
    });
    assert.equal(await wait(), true);
    assert.equal(g.dead, true);
    assert.equal(getHub().stats().until, 0);
  });
});

test('wait() with no objects does not poll the loop while a timer is pending (real hub)', {
  timeout: 5000,
}, async () => {
  let immediates = 0;
  const hook = createHook({
    init(_id, type) {
      if (type === 'Immediate') immediates++;
    },
  }).enable();
  try {
    spawn(() => sleep(100));
    assert.equal(await wait(), true);
  } finally {
    hook.disable();
  }
  // It looks again when the timer fires; it used to re-arm a setImmediate at every loop turn
  // (thousands in 100 ms, a core at 100 %).
  assert.ok(immediates < 20, `${immediates} setImmediate calls while waiting 100 ms`);
});

test('wait() with no objects is a cancel point', async () => {
  await checkCancelPoint('wait()', () => {
    spawn(() => sleep(1000));
    return wait();
  });
});

test('wait() rejects bad arguments without throwing', async () => {
  await runVirtual(async () => {
    const g = spawn(() => 1);
    await assertRejectsNoThrow(() => wait([g, 1] as never), TypeError);
    await assertRejectsNoThrow(() => wait([null] as never), TypeError);
    await assertRejectsNoThrow(() => wait([g], { timeout: -1 }), RangeError);
    await assertRejectsNoThrow(() => wait([g], { count: -2 }), RangeError);
    await assertRejectsNoThrow(() => wait([g], { count: '1' as never }), {
      name: 'TypeError',
      message: 'wait: count must be a number, got string',
    });
    await assertRejectsNoThrow(() => wait({ timeout: Number.NaN }), RangeError);
    const ac = new AbortController();
    ac.abort(new ExpectedError('pre'));
    await assertRejectsNoThrow(() => wait([g], { signal: ac.signal }), ExpectedError);
    await assertRejectsNoThrow(() => wait({ signal: ac.signal }), ExpectedError);
  });
});

// ---- iwait ----

test('iwait() yields greenlets and linkables themselves, and a promise its value, as they become ready', async () => {
  await runVirtual(async () => {
    const g = spawn(async () => {
      await sleep(30);
      return 'g';
    });
    const flag = new Flag('f');
    spawnLater(10, () => flag.set());
    const d = deferred<string>();
    spawnLater(20, () => d.resolve('p-value'));
    const got: unknown[] = [];
    for await (const x of iwait<Greenlet | Flag | Promise<string>>([g, flag, d.promise])) {
      got.push(x);
    }
    assert.deepEqual(got, [flag, 'p-value', g]);
  });
});

test('iwait() yields already-ready objects too (test_noiter)', async () => {
  await runVirtual(async () => {
    const sem1 = new Flag('1');
    const sem2 = new Flag('2');
    spawn(() => sem1.set());
    const it = iwait([sem1, sem2]);
    const first = await it.next();
    assert.equal(first.value, sem1);
    await it.return();
    const done = spawn(() => 1);
    await done.join();
    const got: unknown[] = [];
    for await (const x of iwait([done])) got.push(x);
    assert.deepEqual(got, [done]);
  });
});

test('iwait() throws a rejected promise at its position and can go on', async () => {
  await runVirtual(async () => {
    const err = new ExpectedError('rejected');
    const bad = Promise.reject(err);
    const g = spawn(async () => {
      await sleep(10);
      return 1;
    });
    const it = iwait<Greenlet | Promise<never>>([g, bad]);
    await assert.rejects(it.next(), (e) => e === err);
    const r = await it.next();
    assert.equal(r.done, true, 'an async generator ends after it throws');
  });
});

test('iwait({count}) stops after count objects; iwait({timeout}) ends quietly', async () => {
  await runVirtual(async () => {
    const a = spawn(() => sleep(10));
    const b = spawn(() => sleep(20));
    const c = spawn(() => sleep(100));
    const got: unknown[] = [];
    for await (const x of iwait([c, b, a], { count: 2 })) got.push(x);
    assert.deepEqual(got, [a, b]);
    const got2: unknown[] = [];
    for await (const x of iwait([c, b, a, a], { timeout: 30 })) got2.push(x);
    assert.deepEqual(got2, [b, a], 'ready ones first, then ended quietly at the timeout');
    assert.equal(getHub().now(), 50);
  });
});

test('breaking out of iwait() unlinks from the objects not consumed (test_iwait_nogarbage)', async () => {
  await runVirtual(async () => {
    const sem1 = new Flag('1');
    const sem2 = new Flag('2');
    spawn(() => sem1.set());
    for await (const x of iwait([sem1, sem2])) {
      assert.equal(x, sem1);
      assert.equal(sem2.links.length, 1);
      break;
    }
    assert.equal(sem2.links.length, 0);
  });
});

test('iwait() partially consumed with a timeout (test_iwait_partial)', async () => {
  await runVirtual(async () => {
    const sem = new Flag('s');
    const setter = spawn(() => sem.set());
    const it = iwait([sem], { timeout: 10 });
    assert.equal((await it.next()).value, sem);
    await it.return();
    await setter.get();
  });
});

test('iwait() next() is a cancel point', async () => {
  await checkCancelPoint('iwait', async () => {
    for await (const _ of iwait([spawn(() => sleep(1000))])) {
      /* never */
    }
  });
});

test('iwait() with bad arguments does not throw; its first next() rejects', async () => {
  await runVirtual(async () => {
    const g = spawn(() => 1);
    for (const [objects, opts, expected] of [
      [null, undefined, TypeError],
      [[g, 1], undefined, TypeError],
      [[g], { timeout: -1 }, RangeError],
      [[g], { count: -1 }, RangeError],
    ] as const) {
      let it: AsyncIterator<unknown> | undefined;
      assert.doesNotThrow(() => {
        it = iwait(objects as never, opts as never);
      });
      await assertRejectsNoThrow(() => it?.next(), expected);
    }
  });
});

test('wait() and iwait() accept events and async results', async () => {
  await runVirtual(async () => {
    const ev = new Event();
    const ar = new AsyncResult<string>();
    spawnLater(10, () => ar.set('value'));
    spawnLater(20, () => ev.set());
    assert.deepEqual(await wait([ev, ar]), [ar, ev]);
    const ev2 = new Event();
    const ar2 = new AsyncResult<string>();
    spawnLater(10, () => ev2.set());
    spawnLater(20, () => ar2.set('v2'));
    const got: unknown[] = [];
    for await (const x of iwait<Event | AsyncResult<string>>([ar2, ev2])) got.push(x);
    assert.deepEqual(got, [ev2, ar2]);
  });
});

test('a wait() woken by a death resumes after callbacks queued before it', async () => {
  await runVirtual(async () => {
    const log: string[] = [];
    const g = spawn(async () => {
      await sleep(5);
      spawn(() => log.push('queued before the death'));
      return 1;
    });
    const waiter = spawn(async () => {
      await wait([g]);
      log.push('wait resumed');
    });
    await waiter.join();
    assert.deepEqual(log, ['queued before the death', 'wait resumed']);
  });
});

test('joinAll, killAll and wait accept any iterable: a Set, a generator', async () => {
  await runVirtual(async () => {
    const a = spawn(() => sleep(10));
    const b = spawn(() => sleep(20));
    assert.deepEqual(await joinAll(new Set([b, a])), [a, b]);
    const c = spawn(() => sleep(1000));
    const d = spawn(() => sleep(1000));
    function* both(): Generator<Greenlet> {
      yield c;
      yield d;
    }
    await killAll(both());
    assert.ok(c.dead && d.dead);
    assert.deepEqual(await wait(new Set([a])), [a]);
  });
});

test('count: 0 resolves at once with nothing, for joinAll, wait and iwait', async () => {
  await runVirtual(async () => {
    const g = spawn(() => sleep(5));
    assert.deepEqual(await joinAll([g], { count: 0 }), []);
    assert.deepEqual(await wait([g], { count: 0 }), []);
    const got: unknown[] = [];
    for await (const x of iwait([g], { count: 0 })) got.push(x);
    assert.deepEqual(got, []);
    assert.equal(getHub().now(), 0);
    assert.equal(g.dead, false);
  });
});

test("wait() with no objects: two at once do not count each other's timers as work (real hub)", {
  timeout: 5000,
}, async () => {
  // Each idle wait arms its own timer; before, each saw the other's and both timed out (false).
  assert.deepEqual(await Promise.all([wait({ timeout: 2000 }), wait({ timeout: 2000 })]), [
    true,
    true,
  ]);
  const inner = spawn(() => wait({ timeout: 2000 }));
  assert.equal(await wait({ timeout: 3000 }), true);
  assert.equal(await inner.get(), true);
});

test('until() of a thenable whose then() throws rejects with that error and counts no wait', async () => {
  await runVirtual(async () => {
    const boom = new ExpectedError('boom');
    const g = spawn(() =>
      until({
        then() {
          throw boom;
        },
      }).catch((e: unknown) => e),
    );
    assert.equal(await g.get(), boom);
    assert.equal(getHub().stats().until, 0);
    assert.equal(await wait({ timeout: 100 }), true, 'the hub is idle again');
  });
});

test('test__issue467.py: iterating iwait over greenlets, one of which failed, never throws that failure into the iterating greenlet', async () => {
  await runVirtual(async () => {
    captureReports();
    const worker = (i: number | string) => {
      if (i === 2) throw new ExpectedError(String(i));
      return i;
    };
    const doneWorker = spawn(worker, 'done');
    await joinAll([doneWorker]);
    const workers: Greenlet[] = [0, 1, 2].map((i) => spawn(worker, i));
    workers.push(doneWorker);
    let finished = 0;
    for await (const _ of iwait(workers)) {
      finished++;
      await sleep(10); // gevent: a ValueError here would be the bug
    }
    assert.equal(finished, 4);
    assert.ok(workers[2]?.exception instanceof ExpectedError);
  });
});

// ---- test__hub_join_timeout.py: wait() with no objects (gevent's hub.join), each case twice,
// with a signal handler installed as gevent's module does (it is not work the hub waits for) ----

test('test__hub_join_timeout.py test_callback, test_later, test_timeout, test_event (each twice): wait() with no objects', async () => {
  const handle = signalHandler('SIGHUP', () => undefined);
  try {
    await runVirtual(async () => {
      const hub = getHub();
      for (let rep = 0; rep < 2; rep++) {
        // test_callback
        let t0 = hub.now();
        const x = spawn(() => 5);
        assert.equal(await wait({ timeout: 10_000 }), true);
        assert.equal(hub.now(), t0, 'runs in no time');
        assert.ok(x.dead);
        assert.equal(x.value, 5);
        // test_later
        t0 = hub.now();
        const later = spawnLater(50, () => 5);
        assert.equal(await wait({ timeout: 10_000 }), true);
        assert.equal(hub.now() - t0, 50);
        assert.ok(later.dead);
        // test_timeout
        t0 = hub.now();
        const far = spawnLater(10_000, () => 5);
        assert.equal(await wait({ timeout: 50 }), false);
        assert.equal(hub.now() - t0, 50);
        assert.equal(far.dead, false);
        await far.kill();
        t0 = hub.now();
        assert.equal(await wait(), true);
        assert.equal(hub.now(), t0);
        // test_event
        const far2 = spawnLater(10_000, () => 5);
        const event = new Event();
        t0 = hub.now();
        const eventSet = spawnLater(50, () => event.set());
        assert.deepEqual(await wait([event]), [event]);
        assert.equal(hub.now() - t0, 50);
        assert.equal(far2.dead, false);
        assert.ok(eventSet.dead);
        assert.ok(event.isSet());
        await far2.kill();
        t0 = hub.now();
        assert.equal(await wait(), true);
        assert.equal(hub.now(), t0);
      }
    });
    // The real hub, with the handler installed: idle at once.
    assert.equal(await wait({ timeout: 5000 }), true);
  } finally {
    handle.cancel();
  }
});
