// until: a foreign promise as a verdant wait (src/core/until.ts). DESIGN §3 "A foreign await …".
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GreenletExit, getHub, sleep, spawn, spawnLater, Timeout, until } from '../../src/index.js';
import { runVirtual } from '../../src/testing/index.js';
import { assertRejectsNoThrow, deferred, ExpectedError, noUnhandled } from '../_util.js';

// ---- until ----

test('until(promise) resolves with the foreign value and rejects with its error', async () => {
  await runVirtual(async () => {
    const d = deferred<string>();
    setTimeout(() => d.resolve('foreign'), 1);
    assert.equal(await until(d.promise), 'foreign');
    const err = new ExpectedError('foreign failure');
    await assert.rejects(until(Promise.reject(err)), (e) => e === err);
  });
});

test('until() is a cancel point: kill lands there and the foreign work goes on', async () => {
  await runVirtual(async () => {
    const d = deferred<string>();
    let foreignDone = false;
    void d.promise.then(() => {
      foreignDone = true;
    });
    const log: string[] = [];
    const g = spawn(async () => {
      try {
        await until(d.promise);
        log.push('returned');
      } finally {
        log.push('finally');
      }
    });
    await sleep(1);
    await g.kill();
    assert.deepEqual(log, ['finally']);
    assert.ok((g.value as unknown) instanceof GreenletExit);
    d.resolve('late');
    await until(d.promise);
    assert.equal(foreignDone, true);
  });
});

test('until() is a cancel point: a Timeout lands there', async () => {
  await runVirtual(async () => {
    const never = new Promise<void>(() => {});
    const t = Timeout.startNew(10);
    await assert.rejects(until(never), (e) => e === t);
    assert.equal(getHub().now(), 10);
  });
});

test('until() with timeout rejects with a Timeout; with a signal rejects with its reason', async () => {
  await runVirtual(async () => {
    const never = new Promise<void>(() => {});
    await assert.rejects(until(never, { timeout: 10 }), Timeout);
    await assert.rejects(until(never, 20), (e) => {
      // The Timeout of the `timeout` option says its duration, as gevent's does.
      assert.ok(e instanceof Timeout);
      assert.equal(e.ms, 20);
      assert.equal(e.message, '20 ms');
      return true;
    });
    assert.equal(getHub().now(), 30);
    const reason = new ExpectedError('abort');
    const ac = new AbortController();
    spawnLater(5, () => ac.abort(reason));
    await assert.rejects(until(never, { signal: ac.signal }), (e) => e === reason);
    await assertRejectsNoThrow(
      () => until(never, { signal: ac.signal }),
      (e) => e === reason,
    );
  });
});

test('until() rejects bad arguments without throwing', async () => {
  await runVirtual(async () => {
    await assertRejectsNoThrow(() => until(42 as never), TypeError);
    await assertRejectsNoThrow(() => until(null as never), TypeError);
    await assertRejectsNoThrow(() => until(Promise.resolve(1), -1), RangeError);
  });
});

test('until() that rejects before waiting (an aborted signal, bad options) still handles the promise it was given: its later rejection is not unhandled (found by the breaker through ThreadPool.map)', async () => {
  const unhandled = await noUnhandled(async () => {
    const ac = new AbortController();
    ac.abort(new ExpectedError('aborted'));
    const later = (): Promise<never> =>
      new Promise((_, reject) => setTimeout(() => reject(new ExpectedError('later')), 5));
    await assert.rejects(until(later(), { signal: ac.signal }), (e) => e === ac.signal.reason);
    await assert.rejects(until(later(), { timeout: -1 }), RangeError);
    await assert.rejects(until(later(), 'soon' as never), TypeError);
    // A thenable whose then() throws: nothing to handle, and until still rejects with the option error.
    const bad = {
      then(): never {
        throw new ExpectedError('then');
      },
    };
    await assert.rejects(until(bad, { signal: ac.signal }), (e) => e === ac.signal.reason);
  });
  assert.deepEqual(unhandled, []);
});
