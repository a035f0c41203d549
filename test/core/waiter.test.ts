// The Waiter's rules every wait shares (src/core/waiter.ts): an outer Timeout passes through a
// wait's own timeout, a pre-aborted signal rejects first, listeners are removed, waits of a dead
// greenlet are given up. DESIGN §3 "The Waiter".
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { test } from 'node:test';
import {
  type Greenlet,
  GreenletExit,
  getHub,
  idle,
  iwait,
  joinAll,
  sleep,
  spawn,
  Timeout,
  until,
  wait,
} from '../../src/index.js';
import { Queue } from '../../src/sync/queue/index.js';
import { runVirtual } from '../../src/testing/index.js';
import { assertRejectsNoThrow, captureReports, ExpectedError } from '../_util.js';

// ---- an outer Timeout is not swallowed by a wait's own timeout ----

test('an outer Timeout passes through a wait that has its own timeout, unchanged (test_outer_timeout_is_not_lost)', async () => {
  const never = new Promise<void>(() => {});
  const waits: [string, (g: Greenlet) => Promise<unknown>][] = [
    ['join', (g) => g.join({ timeout: 100 })],
    ['get', (g) => g.get({ timeout: 100 })],
    ['wait', (g) => wait([g], { timeout: 100 })],
    ['joinAll', (g) => joinAll([g], { timeout: 100 })],
    ['until', () => until(never, { timeout: 100 })],
    [
      'iwait',
      async (g) => {
        for await (const _ of iwait([g], { timeout: 100 })) break;
      },
    ],
    ['wait()', () => wait({ timeout: 100 })],
  ];
  for (const [name, makeWait] of waits) {
    await runVirtual(async () => {
      const g = spawn(() => sleep(1000));
      const t = Timeout.startNew(10);
      await assert.rejects(makeWait(g), (e) => e === t, name);
      assert.equal(getHub().now(), 10, name);
      await g.kill();
    });
  }
});

test("a wait's own timeout leaves an outer Timeout pending", async () => {
  await runVirtual(async () => {
    const g = spawn(() => sleep(1000));
    const t = Timeout.startNew(100);
    assert.equal(await g.join({ timeout: 10 }), false);
    const e = await g.get({ timeout: 10 }).catch((x: unknown) => x);
    assert.ok(e instanceof Timeout);
    assert.notEqual(e, t, "get's own Timeout is a fresh one");
    assert.deepEqual(await wait([g], { timeout: 10 }), []);
    assert.deepEqual(await joinAll([g], { timeout: 10 }), []);
    assert.equal(t.pending, true);
    t.cancel();
    await g.kill();
  });
});

test('a pre-aborted signal rejects even a call that need not wait', async () => {
  await runVirtual(async () => {
    const reason = new ExpectedError('pre');
    const ac = new AbortController();
    ac.abort(reason);
    const dead = spawn(() => 1);
    await dead.join();
    await assertRejectsNoThrow(
      () => wait([dead], { signal: ac.signal }),
      (e) => e === reason,
    );
    await assertRejectsNoThrow(
      () => joinAll([dead], { signal: ac.signal }),
      (e) => e === reason,
    );
    await assertRejectsNoThrow(
      () => dead.kill({ signal: ac.signal }),
      (e) => e === reason,
    );
    await assertRejectsNoThrow(
      () => until(Promise.resolve(1), { signal: ac.signal }),
      (e) => e === reason,
    );
    let it: AsyncIterator<unknown> | undefined;
    assert.doesNotThrow(() => {
      it = iwait([dead], { signal: ac.signal });
    });
    await assertRejectsNoThrow(
      () => it?.next(),
      (e) => e === reason,
    );
  });
});

test('a wait removes its abort listener when it settles', async () => {
  await runVirtual(async () => {
    const ac = new AbortController();
    const signal = ac.signal;
    const g = spawn(() => sleep(5));
    const never = new Promise<void>(() => {});
    for (let i = 0; i < 3; i++) {
      await sleep(1, { signal });
      await idle({ signal });
      await until(Promise.resolve(i), { signal });
      await until(never, { signal, timeout: 1 }).catch(() => undefined);
      await wait([g], { signal, timeout: 1 });
      await joinAll([g], { signal, timeout: 1 });
      for await (const _ of iwait([g], { signal, timeout: 1 })) break;
      await g.join({ signal, timeout: 1 });
      await g.get({ signal, timeout: 1 }).catch(() => undefined);
      await wait({ signal, timeout: 1 });
    }
    assert.equal(getEventListeners(signal, 'abort').length, 0);
  });
});

test('a greenlet that dies with waits still pending (abandoned in a Promise.race) gives them up', async () => {
  await runVirtual(async () => {
    const reports = captureReports();
    // nothing lost: the abandoned get must not eat the next item
    const q = new Queue<string>();
    const racer = spawn(() => Promise.race([q.get(), sleep(10).then(() => 'gave up')]));
    assert.equal(await racer.get(), 'gave up');
    q.putNowait('item');
    assert.equal(await q.get({ timeout: 50 }), 'item');
    // never silent: a dead greenlet's abandoned join does not count as someone waiting
    const failing = spawn(async () => {
      await sleep(50);
      throw new ExpectedError('late failure');
    });
    const joiner = spawn(() => Promise.race([failing.join(), sleep(10)]));
    await joiner.join();
    await sleep(100);
    assert.equal(reports.length, 1, 'the failure is reported');
  });
});

// ---- a woken wait that a kill or Timeout will interrupt hands back what it held at once ----
// A mark wins over a wake, so the wait can only reject: what it held must be available to the
// next taker at once, not when the hub reaches its resumption (by then a greenlet still running
// could have taken the items behind it). gevent's getter takes its item only when it runs, so
// there the item is simply never taken. The wait still rejects when it resumes.

test('a getter woken with an item and killed hands it back at once: the killer gets the items in put order', () =>
  runVirtual(async () => {
    const q = new Queue<string>();
    const got: string[] = [];
    let b: Greenlet | null = null;
    const a = spawn(async () => {
      got.push(await q.get()); // m1; b was woken with m2 in the same put burst, m3 is queued
      void (b as Greenlet).kill({ block: false });
      got.push(await q.get({ timeout: 100 }));
      got.push(await q.get({ timeout: 100 }));
    });
    b = spawn(() => q.get());
    await sleep(0);
    q.putNowait('m1');
    q.putNowait('m2');
    q.putNowait('m3');
    await a.get();
    await b.join();
    assert.deepEqual(got, ['m1', 'm2', 'm3']);
    assert.ok(b.value instanceof GreenletExit, 'b still rejects with the kill where it waited');
    assert.equal(q.qsize(), 0);
  }));

test('a getter woken with an item when its Timeout fires hands it back at once, then rejects with that Timeout', () =>
  runVirtual(async () => {
    const q = new Queue<string>();
    const got: string[] = [];
    const a = spawn(async () => {
      got.push(await q.get());
      got.push(await q.get({ timeout: 100 }));
      got.push(await q.get({ timeout: 100 }));
    });
    // Fires at 10 before b's Timeout (same deadline, created first): its signal's listener puts
    // the items from the hub's timer step, so b's Timeout fires while b is woken, not resumed.
    const putter = Timeout.startNew(10);
    putter.signal.addEventListener('abort', () => {
      q.putNowait('m1');
      q.putNowait('m2');
      q.putNowait('m3');
    });
    let bTimeout: Timeout | null = null;
    const b = spawn(async () => {
      bTimeout = Timeout.startNew(10);
      try {
        return await q.get();
      } finally {
        bTimeout.cancel();
      }
    });
    await sleep(20).catch((e: unknown) => {
      if (e !== putter) throw e;
    });
    await a.get();
    await b.join();
    assert.deepEqual(got, ['m1', 'm2', 'm3']);
    assert.ok(bTimeout !== null && b.exception === bTimeout, 'b rejects with its own Timeout');
    assert.equal(q.qsize(), 0);
  }));

test('a greenlet woken in two gets at once and killed hands both items back at once, in order', () =>
  runVirtual(async () => {
    const q = new Queue<string>();
    const got: string[] = [];
    let b: Greenlet | null = null;
    const a = spawn(async () => {
      got.push(await q.get());
      void (b as Greenlet).kill({ block: false });
      for (let i = 0; i < 3; i++) got.push(await q.get({ timeout: 100 }));
    });
    b = spawn(() => Promise.all([q.get(), q.get()]));
    await sleep(0);
    for (const m of ['m1', 'm2', 'm3', 'm4']) q.putNowait(m);
    await a.get();
    await b.join();
    assert.deepEqual(got, ['m1', 'm2', 'm3', 'm4']);
    assert.ok(b.value instanceof GreenletExit);
  }));
