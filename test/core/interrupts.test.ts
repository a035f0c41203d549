// Several interrupts of one greenlet: a kill and a Timeout pending together are two interrupts,
// each delivered at a wait of its own in the order requested; a Timeout that has fired stays
// delivered to every wait it marked (DESIGN §3, issue 15 defects 1 and 2).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GreenletExit, getHub, killAll, Queue, sleep, spawn, Timeout } from '../../src/index.js';
import { runVirtual } from '../../src/testing/index.js';
import { deferred } from '../_util.js';

test('a kill behind a Timeout the target handles is delivered at its next wait: kill({block: true}) ends', async () => {
  await runVirtual(async () => {
    const seen: string[] = [];
    const g = spawn(async () => {
      const t = Timeout.startNew(10);
      try {
        await sleep(100);
      } catch (e) {
        seen.push(e === t ? 'timeout' : `other ${String(e)}`);
      }
      try {
        await sleep(100);
      } catch (e) {
        seen.push(e instanceof GreenletExit ? 'exit' : `other ${String(e)}`);
        throw e;
      }
      seen.push('survived');
    });
    await sleep(10); // g's Timeout fires at 10 and marks its wait; main runs first
    await g.kill({ timeout: 1000 });
    assert.deepEqual(seen, ['timeout', 'exit']);
    assert.equal(g.dead, true);
    assert.equal(getHub().now(), 10);
  });
});

test('a Timeout that fires while a kill is pending bounds the cleanup: it lands at the next wait', async () => {
  await runVirtual(async () => {
    const seen: string[] = [];
    let t: Timeout | undefined;
    const d = deferred();
    const g = spawn(async () => {
      t = Timeout.startNew(10);
      await d.promise; // a foreign await: the kill and then the Timeout are requested here
      try {
        await sleep(100);
      } catch (e) {
        seen.push(e instanceof GreenletExit ? 'exit' : `other ${String(e)}`);
        try {
          await sleep(1000); // the cleanup: the Timeout ends it
        } catch (e2) {
          seen.push(e2 === t ? 'timeout' : `other ${String(e2)}`);
        }
      }
    });
    await sleep(5);
    void g.kill({ block: false });
    await sleep(10); // g's Timeout fires at 10, while the kill is still pending
    d.resolve();
    await g.join();
    assert.deepEqual(seen, ['exit', 'timeout']);
    assert.equal(getHub().now(), 15);
  });
});

test('a Timeout and then a kill requested during a foreign await are both delivered, in that order', async () => {
  await runVirtual(async () => {
    const seen: unknown[] = [];
    let t: Timeout | undefined;
    const d = deferred();
    const g = spawn(async () => {
      t = Timeout.startNew(5);
      await d.promise;
      for (let i = 0; i < 3; i++) {
        try {
          await sleep(100);
          seen.push('slept');
        } catch (e) {
          seen.push(e === t ? 'timeout' : e instanceof GreenletExit ? 'exit' : e);
        }
      }
    });
    await sleep(10);
    void g.kill({ block: false });
    d.resolve();
    await g.join();
    assert.deepEqual(seen, ['timeout', 'exit', 'slept']);
  });
});

test('killAll ends although a target catches a Timeout that fired together with the kill', async () => {
  await runVirtual(async () => {
    const gs = [1, 2, 3].map(() =>
      spawn(async () => {
        const t = Timeout.startNew(10);
        try {
          await sleep(100);
        } catch (e) {
          if (e !== t) throw e;
        }
        await sleep(1000);
      }),
    );
    await sleep(10);
    await killAll(gs, { timeout: 5000 });
    assert.ok(gs.every((g) => g.dead));
    assert.equal(getHub().now(), 10);
  });
});

test('a Timeout cancelled in finally after it fired still ends every wait it marked: a sibling get eats no item', async () => {
  await runVirtual(async () => {
    const q1 = new Queue<number>();
    const q2 = new Queue<number>();
    const t = Timeout.startNew(10);
    try {
      await Promise.all([q1.get(), q2.get()]);
      assert.fail('the Timeout ends the wait');
    } catch (e) {
      assert.equal(e, t);
    } finally {
      t.cancel();
    }
    await sleep(1);
    q2.putNowait(7);
    assert.equal(await q2.get({ timeout: 1 }), 7, 'the item is not eaten by the abandoned get');
  });
});

test('a Timeout cancelled by another greenlet after it fired and marked a wait still lands there', async () => {
  await runVirtual(async () => {
    let t: Timeout | undefined;
    spawn(async () => {
      await sleep(10);
      t?.cancel();
    });
    await sleep(0);
    t = Timeout.startNew(10);
    await assert.rejects(sleep(20), (e) => e === t);
    assert.equal(getHub().now(), 10);
  });
});
