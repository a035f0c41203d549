// eventlet's Event (verdant/eventlet): eventlet's tests/event_test.py ported, plus the rules
// DESIGN adds (send never switches, one sleep(0) lets waiters run, timeout → undefined) and the
// cancel-point and nothing-lost tests every blocking call gets. All on the virtual clock.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  Event,
  GreenletExit,
  sleep,
  spawnAfter,
  spawnN,
  Timeout,
} from '../../../src/compat/eventlet/index.js';
import { getHub, spawn } from '../../../src/index.js';
import { runVirtual } from '../../../src/testing/virtual.js';
import { assertRejectsNoThrow, ExpectedError } from '../../_util.js';

describe('eventlet Event', () => {
  test('wait() returns what a spawned thread send()s (test_waiting_for_event)', async () => {
    const got = await runVirtual(async () => {
      const evt = new Event<string>();
      spawnN(() => evt.send('some stuff'));
      return evt.wait();
    });
    assert.equal(got, 'some stuff');
  });

  test('send() without a value sends undefined; wait() after send returns at once', async () => {
    const got = await runVirtual(async () => {
      const evt = new Event();
      evt.send();
      const log: string[] = [];
      spawnN(() => log.push('other ran'));
      const v = await evt.wait();
      log.push(`got ${String(v)}`);
      await sleep(0);
      return log;
    });
    assert.deepEqual(got, ['got undefined', 'other ran'], 'a wait on a sent event does not switch');
  });

  for (const exception of [false, true]) {
    test(`every waiter wakes${exception ? ', also when they then throw' : ''} (test_multiple_waiters)`, async () => {
      const n = await runVirtual(async () => {
        getHub().exceptionStream = null;
        const evt = new Event();
        const results: boolean[] = [];
        const done: Event[] = [];
        for (let i = 0; i < 5; i++) {
          const mine = new Event();
          done.push(mine);
          spawnN(async () => {
            await evt.wait();
            results.push(true);
            mine.send();
            if (exception) throw new ExpectedError();
          });
        }
        await sleep();
        evt.send();
        for (const d of done) await d.wait();
        return results.length;
      });
      assert.equal(n, 5);
    });
  }

  test('send() never switches and wakes waiters through the ready queue: one sleep(0) lets them run', async () => {
    const log = await runVirtual(async () => {
      const evt = new Event<string>();
      const out: string[] = [];
      spawn(async () => {
        out.push('about to wait');
        out.push(`waited for ${await evt.wait()}`);
      });
      await sleep(0);
      evt.send('a');
      out.push('sent');
      await sleep(0);
      out.push('after sleep(0)');
      return out;
    });
    assert.deepEqual(log, ['about to wait', 'sent', 'waited for a', 'after sleep(0)']);
  });

  test('a second send() without reset() throws, and waiters keep the first value (test_reset)', async () => {
    await runVirtual(async () => {
      const evt = new Event<string>();
      assert.throws(() => evt.reset(), { name: 'Error', message: /never sent/ });
      spawnN(() => evt.send('some stuff'));
      assert.equal(await evt.wait(), 'some stuff');
      assert.throws(() => evt.send('second stuff'), /already sent: call reset\(\) first/);
      assert.throws(() => evt.sendException(new Error('x')), /already sent/);
      assert.equal(await evt.wait(), 'some stuff');
      evt.reset();
      assert.equal(evt.ready(), false);
      spawnN(() => evt.send('second stuff'));
      assert.equal(await evt.wait(), 'second stuff');
    });
  });

  test('sendException(): every waiter throws the same instance; after reset() wait() blocks again (test_double_exception)', async () => {
    await runVirtual(async () => {
      getHub().exceptionStream = null;
      const evt = new Event();
      const err = new ExpectedError('from test_double_exception');
      const a = spawn(() => evt.wait());
      const b = spawn(() => evt.wait());
      await sleep(0);
      evt.sendException(err);
      await assert.rejects(a.get(), (e) => e === err);
      await assert.rejects(b.get(), (e) => e === err);
      await assert.rejects(evt.wait(), (e) => e === err);
      evt.reset();
      const t = Timeout.startNew(1);
      await assert.rejects(evt.wait(), (e) => e === t, 'the error is not seen again');
    });
  });

  test('sendException(value) takes any value but undefined and null, as eventlet does; the waiters reject with the value itself (eventlet: TypeError, only exceptions can be raised there)', async () => {
    await runVirtual(async () => {
      const evt = new Event();
      const waiter = spawn(() => evt.wait());
      await sleep(0);
      evt.sendException('not an Error');
      await assert.rejects(waiter.get(), (e) => e === 'not an Error');
      await assert.rejects(evt.wait(), (e) => e === 'not an Error');
    });
  });

  test('sendException(ErrorClass) makes one instance for every waiter', async () => {
    await runVirtual(async () => {
      const evt = new Event();
      evt.sendException(ExpectedError);
      const e1 = await evt.wait().catch((e: unknown) => e);
      const e2 = await evt.wait().catch((e: unknown) => e);
      assert.ok(e1 instanceof ExpectedError);
      assert.equal(e1, e2);
    });
  });

  test('sendException() without an exception (undefined, null) throws TypeError and leaves the event unsent: a waiter still gets the value sent next (eventlet fails its waiters with a TypeError there)', async () => {
    await runVirtual(async () => {
      const evt = new Event<number>();
      const waiter = spawn(() => evt.wait());
      await sleep(0);
      for (const bad of [undefined, null]) {
        assert.throws(
          () => evt.sendException(bad),
          (e: unknown) =>
            e instanceof TypeError &&
            e.message ===
              `Cannot call Event.sendException without an exception: err is ${String(bad)}`,
        );
      }
      assert.equal(evt.ready(), false);
      evt.send(7);
      assert.equal(await waiter.get(), 7);
    });
  });

  test('wait({timeout}) returns the value when sent in time, undefined when not (test_wait_timeout_ok/exceed)', async () => {
    const got = await runVirtual(async () => {
      const ok = new Event<boolean>();
      spawnAfter(100, () => ok.send(true));
      const t0 = getHub().now();
      const r1 = await ok.wait({ timeout: 200 });
      const td1 = getHub().now() - t0;
      const late = new Event<boolean>();
      spawnAfter(200, () => late.send(true));
      const t1 = getHub().now();
      const r2 = await late.wait(100);
      return { r1, td1, r2, td2: getHub().now() - t1 };
    });
    assert.deepEqual(got, { r1: true, td1: 100, r2: undefined, td2: 100 });
  });

  test('wait() is a cancel point: a kill lands there, finally runs, and later waiters still get the value', async () => {
    const got = await runVirtual(async () => {
      const evt = new Event<number>();
      const log: string[] = [];
      const a = spawn(async () => {
        try {
          await evt.wait();
        } finally {
          log.push('finally');
        }
      });
      const b = spawn(() => evt.wait());
      await sleep(0);
      await a.kill();
      evt.send(5);
      return { log, a: (a.value as unknown) instanceof GreenletExit, b: await b.get() };
    });
    assert.deepEqual(got, { log: ['finally'], a: true, b: 5 });
  });

  test('a waiter woken by send() and killed before it resumes takes nothing from the others', async () => {
    const got = await runVirtual(async () => {
      const evt = new Event<string>();
      const a = spawn(() => evt.wait());
      const b = spawn(() => evt.wait());
      await sleep(0);
      evt.send('x');
      void a.kill({ block: false });
      const b1 = await b.get();
      await a.join();
      return { a: (a.value as unknown) instanceof GreenletExit, b: b1 };
    });
    assert.deepEqual(got, { a: true, b: 'x' });
  });

  test('a waiter woken by send() keeps the value even if reset() runs before it resumes', async () => {
    const got = await runVirtual(async () => {
      const evt = new Event<string>();
      const a = spawn(() => evt.wait());
      await sleep(0);
      evt.send('first');
      evt.reset();
      return a.get();
    });
    assert.equal(got, 'first');
  });

  test('a Timeout lands at wait() and is that instance; a signal rejects with its reason', async () => {
    await runVirtual(async () => {
      const evt = new Event();
      const t = Timeout.startNew(10);
      await assert.rejects(evt.wait(), (e) => e === t);
      const ac = new AbortController();
      const reason = new ExpectedError('stop');
      spawn(async () => {
        await sleep(1);
        ac.abort(reason);
      });
      await assert.rejects(evt.wait({ signal: ac.signal }), (e) => e === reason);
    });
  });

  test('bad options reject, they never throw', async () => {
    await assertRejectsNoThrow(() => new Event().wait(-1), RangeError);
    await assertRejectsNoThrow(() => new Event().wait({ timeout: Number.NaN }), RangeError);
  });
});
