// eventlet's tests/timeout_test.py and the kill/timeout parts of tests/api_test.py, run through
// verdant/eventlet's exports (Timeout and withTimeout are verdant's own: a Timeout starts with
// start()/startNew, not at construction as eventlet's does). Virtual clock, ms for seconds.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sleep, spawn, Timeout, withTimeout } from '../../../src/compat/eventlet/index.js';
import { getHub } from '../../../src/index.js';
import { runVirtual } from '../../../src/testing/virtual.js';

const DELAY = 10;

describe('eventlet timeout_test.py / api_test.py on verdant/eventlet', () => {
  test('a Timeout thrown directly is not pending (test_direct_raise_instance)', () => {
    const tm = new Timeout();
    try {
      throw tm;
    } catch (t) {
      assert.equal(t, tm);
      assert.equal((t as Timeout).pending, false);
    }
  });

  test('withTimeout throws the Timeout, or returns timeoutValue, or the value when in time (test_with_timeout)', async () => {
    await runVirtual(async () => {
      await assert.rejects(withTimeout(DELAY, sleep, DELAY * 10), Timeout);
      const X = {};
      assert.equal(await withTimeout(DELAY, { timeoutValue: X }, sleep, DELAY * 10), X);
      assert.equal(await withTimeout(DELAY * 10, { timeoutValue: X }, sleep, DELAY), undefined);
    });
  });

  test("an inner withTimeout's timeoutValue does not catch the outer timeout (test_with_outer_timer, test_nested_with_timeout)", async () => {
    await runVirtual(async () => {
      const longerTimeout = (): Promise<unknown> =>
        withTimeout(DELAY * 10, { timeoutValue: 'b' }, sleep, DELAY * 20);
      await assert.rejects(withTimeout(DELAY, longerTimeout), Timeout);
      assert.equal(getHub().now(), DELAY);
    });
  });

  test('a thread that catches its kill goes on to its end (test_killing_dormant; kill() waits for the end, unlike eventlet.kill)', async () => {
    const got = await runVirtual(async () => {
      const state: string[] = [];
      const gt = spawn(async () => {
        try {
          state.push('start');
          await sleep(DELAY);
        } catch {
          state.push('except');
        }
        await sleep(0);
        state.push('finished');
      });
      await sleep(DELAY / 2);
      const before = [...state];
      await gt.kill();
      return { before, after: state, dead: gt.dead, value: await gt.wait() };
    });
    assert.deepEqual(got, {
      before: ['start'],
      after: ['start', 'except', 'finished'],
      dead: true,
      value: undefined,
    });
  });
});
