// The Waiter's rules every wait shares (src/core/waiter.ts): an outer Timeout passes through a
// wait's own timeout, a pre-aborted signal rejects first, listeners are removed, waits of a dead
// greenlet are given up. DESIGN §3 "The Waiter".
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { test } from 'node:test';
import {
  type Greenlet,
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
