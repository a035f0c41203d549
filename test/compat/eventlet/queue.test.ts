// eventlet's LightQueue and Queue (verdant/eventlet): eventlet's tests/queue_test.py ported
// (with_timeout and Timeout(0, RuntimeError) kept, seconds as ms), eventlet's maxsize rules
// (0 = a channel, negative = unbounded), cancel points and nothing lost. Virtual clock.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  Event,
  LightQueue,
  Queue,
  QueueEmpty,
  QueueFull,
  sleep,
  spawn,
  Timeout,
  withTimeout,
} from '../../../src/compat/eventlet/index.js';
import { GreenletExit, spawn as verdantSpawn } from '../../../src/index.js';
import { runVirtual } from '../../../src/testing/virtual.js';
import { assertRejectsNoThrow, ExpectedError } from '../../_util.js';

/** eventlet's do_bail: a get() under a Timeout(0) that throws a RuntimeError-like error. */
async function doBail(q: LightQueue<string>): Promise<string> {
  const t = Timeout.startNew(0, { exception: ExpectedError });
  try {
    return await q.get();
  } catch (e) {
    if (e instanceof ExpectedError) return 'timed out';
    throw e;
  } finally {
    t.cancel();
  }
}

for (const Kind of [Queue, LightQueue]) {
  describe(`eventlet ${Kind.name}`, () => {
    test('put then get (test_send_first); a getter waiting before the put (test_send_last)', async () => {
      await runVirtual(async () => {
        const q = new Kind<string>();
        await q.put('hi');
        assert.equal(await q.get(), 'hi');
        const gt = spawn(() => withTimeout(100, () => q.get()));
        await sleep(0);
        await sleep(0);
        await q.put('hi2');
        assert.equal(await gt.wait(), 'hi2');
      });
    });

    test('a maxsize that is not a number, NaN or a fraction throws, naming the eventlet class', () => {
      assert.throws(() => new Kind('2' as never), {
        name: 'TypeError',
        message: `Cannot create a ${Kind.name}: maxsize must be a number, got string`,
      });
      for (const bad of [1.5, Number.NaN]) {
        assert.throws(() => new Kind(bad), {
          name: 'RangeError',
          message: `Cannot create a ${Kind.name}: maxsize must be an integer (negative or null: unbounded), got ${bad}`,
        });
      }
    });

    test('maxsize rules: undefined, null and negative are unbounded, positive bounded, 0 a channel', () => {
      for (const m of [undefined, null, -1, -100]) {
        const q = new Kind<number>(m);
        assert.equal(q.maxsize, null);
        for (let i = 0; i < 1000; i++) q.putNowait(i);
        assert.equal(q.full(), false);
        assert.equal(q.qsize(), 1000);
      }
      const b = new Kind<number>(2);
      b.putNowait(1);
      b.putNowait(2);
      assert.equal(b.full(), true);
      assert.throws(() => b.putNowait(3), QueueFull);
      const c = new Kind<number>(0);
      assert.equal(c.maxsize, 0);
      assert.equal(c.full(), true);
      assert.equal(c.empty(), true);
      assert.equal(c.qsize(), 0);
      assert.throws(() => c.putNowait(1), QueueFull, 'no getter waits');
      assert.throws(() => c.getNowait(), QueueEmpty, 'no putter waits');
      assert.throws(() => new Kind(Number.NaN), RangeError);
      assert.throws(() => new Kind('3' as never), TypeError);
    });

    test('a bounded put blocks until a get frees a slot (test_max_size)', async () => {
      await runVirtual(async () => {
        const q = new Kind<string>(2);
        const results: string[] = [];
        const gt = spawn(async () => {
          for (const x of ['a', 'b', 'c']) {
            await q.put(x);
            results.push(x);
          }
        });
        await sleep(0);
        assert.deepEqual(results, ['a', 'b']);
        assert.equal(await q.get(), 'a');
        await sleep(0);
        assert.deepEqual(results, ['a', 'b', 'c']);
        assert.equal(await q.get(), 'b');
        assert.equal(await q.get(), 'c');
        await gt.wait();
      });
    });

    test('maxsize 0: put waits for a getter (test_zero_max_size)', async () => {
      await runVirtual(async () => {
        const q = new Kind<string>(0);
        const evt = new Event<string>();
        const gt = spawn(async () => {
          await q.put('hi');
          evt.send('done');
        });
        await sleep(0);
        assert.equal(evt.ready(), false);
        const gt2 = spawn(() => q.get());
        assert.equal(await gt2.wait(), 'hi');
        assert.equal(await evt.wait(), 'done');
        await gt.wait();
      });
    });

    test('channel order of events (test_channel_send, test_channel_wait)', async () => {
      const got = await runVirtual(async () => {
        const channel = new Kind<string>(0);
        const events: string[] = [];
        spawn(async () => {
          events.push(await channel.get());
          events.push(await channel.get());
        });
        events.push('sending');
        await channel.put('hello');
        events.push('sent hello');
        await channel.put('world');
        events.push('sent world');

        const ch2 = new Kind<string>(0);
        const ev2: string[] = [];
        spawn(async () => {
          ev2.push('sending hello');
          await ch2.put('hello');
          ev2.push('sending world');
          await ch2.put('world');
          ev2.push('sent world');
        });
        ev2.push('waiting');
        ev2.push(await ch2.get());
        ev2.push(await ch2.get());
        const before = [...ev2];
        await sleep(0);
        return { events, before, after: ev2 };
      });
      assert.deepEqual(got.events, ['sending', 'hello', 'sent hello', 'world', 'sent world']);
      assert.deepEqual(got.before, ['waiting', 'sending hello', 'hello', 'sending world', 'world']);
      assert.deepEqual(got.after, [...got.before, 'sent world']);
    });

    test('channel with several getters and putters (test_channel_waiters); put timing out (test_channel_sender_timing_out)', async () => {
      await runVirtual(async () => {
        const c = new Kind<number>(0);
        const ws = [spawn(() => c.get()), spawn(() => c.get()), spawn(() => c.get())];
        await sleep(0);
        assert.equal(c.getting(), 3);
        const ss = [1, 2, 3].map((i) => spawn(() => c.put(i)));
        for (const s of ss) await s.wait();
        assert.equal(c.getting(), 0);
        const results = [];
        for (const w of ws) results.push(await w.wait());
        assert.deepEqual(results.sort(), [1, 2, 3]);
        await assert.rejects(c.put(9, { timeout: 1 }), QueueFull);
        assert.throws(() => c.getNowait(), QueueEmpty);
      });
    });

    test("putNowait on a channel hands the item to a waiting getter; getNowait takes a waiting putter's (test_put/get_nowait_unlock)", async () => {
      await runVirtual(async () => {
        const q = new Kind<number>(0);
        const getter = spawn(() => q.get());
        await sleep(0);
        assert.ok(q.empty() && q.full());
        q.putNowait(10);
        assert.equal(await getter.wait(), 10);
        assert.ok(q.empty() && q.full());
        const putter = spawn(() => q.put(5));
        await sleep(0);
        assert.equal(q.putting(), 1);
        assert.equal(q.getNowait(), 5);
        await putter.wait();
        assert.equal(putter.dead, true);
        assert.ok(q.empty() && q.full());
      });
    });

    test('nowait forms on a bounded queue (test_put_nowait_simple, test_get_nowait_simple)', () => {
      const q = new Kind<number>(1);
      q.putNowait(2);
      assert.throws(() => q.putNowait(3), QueueFull);
      assert.equal(q.getNowait(), 2);
      assert.throws(() => q.getNowait(), QueueEmpty);
    });

    test('several waiters each get an item (test_multiple_waiters)', async () => {
      const got = await runVirtual(async () => {
        const q = new Kind<string>();
        const sendings = ['1', '2', '3', '4'];
        const gts = sendings.map(() => spawn(() => q.get()));
        await sleep(10);
        for (const s of sendings) await q.put(s);
        const out = [];
        for (const gt of gts) out.push(await gt.wait());
        return out;
      });
      assert.deepEqual(new Set(got), new Set(['1', '2', '3', '4']));
    });

    test('a getter that timed out loses nothing (test_waiters_that_cancel, test_two_waiters_one_dies, test_two_bogus_waiters)', async () => {
      await runVirtual(async () => {
        const q = new Kind<string>();
        assert.equal(await spawn(doBail, q).wait(), 'timed out');
        await q.put('hi');
        assert.equal(await q.get(), 'hi');

        const dying = spawn(doBail, q);
        const waiting = spawn(() => q.get());
        // eventlet's sleep(0) also runs due timers; verdant runs ready callbacks first, so wait
        // until the Timeout(0) has fired.
        await sleep(1);
        await q.put('hi');
        assert.equal(await dying.wait(), 'timed out');
        assert.equal(await waiting.wait(), 'hi');

        const gt1 = spawn(doBail, q);
        const gt2 = spawn(doBail, q);
        await sleep(1);
        await q.put('sent');
        assert.equal(await gt1.wait(), 'timed out');
        assert.equal(await gt2.wait(), 'timed out');
        assert.equal(await q.get(), 'sent');
      });
    });

    test('getting() counts blocked getters (test_waiting); a put before the get (test_getting_before_sending)', async () => {
      await runVirtual(async () => {
        const q = new Kind<string>();
        const gt1 = spawn(() => q.get());
        await sleep(0);
        assert.equal(q.getting(), 1);
        await q.put('hi');
        await sleep(0);
        assert.equal(q.getting(), 0);
        assert.equal(await gt1.wait(), 'hi');
        const gt = spawn(() => q.put('sent'));
        assert.equal(await q.get(), 'sent');
        await gt.wait();
      });
    });

    test('get() is a cancel point: a kill lands there and a woken-then-killed getter leaves the item', async () => {
      for (const maxsize of [undefined, 0]) {
        await runVirtual(async () => {
          const q = new Kind<string>(maxsize);
          const a = verdantSpawn(() => q.get());
          const b = verdantSpawn(() => q.get());
          await sleep(0);
          if (maxsize === 0) {
            spawn(() => q.put('x'));
            await sleep(0); // the putter hands 'x' to a, which has not resumed yet
          } else {
            q.putNowait('x'); // wakes a, which has not resumed yet
          }
          void a.kill({ block: false });
          assert.equal(await b.get(), 'x', `maxsize ${maxsize}`);
          await a.join();
          assert.ok((a.value as unknown) instanceof GreenletExit);
        });
      }
    });
  });
}

describe('eventlet Queue task tracking', () => {
  test('a channel counts an item unfinished once got (test_task_done)', async () => {
    await runVirtual(async () => {
      const channel = new Queue<object>(0);
      const X = {};
      const gt = spawn(() => channel.put(X));
      const result = await channel.get();
      assert.equal(result, X);
      assert.equal(channel.unfinishedTasks, 1);
      const joiner = verdantSpawn(() => channel.join());
      await sleep(0);
      assert.equal(joiner.dead, false);
      channel.taskDone();
      assert.equal(channel.unfinishedTasks, 0);
      assert.equal(await joiner.get(), true);
      assert.throws(() => channel.taskDone(), RangeError);
      await gt.wait();
    });
  });

  test('join() returns at once on an empty queue (test_join_doesnt_block_when_queue_is_already_empty) and waits for taskDone', async () => {
    await runVirtual(async () => {
      assert.equal(await new Queue().join(), true);
      const q = new Queue<number>(5);
      await q.put(1);
      assert.equal(q.unfinishedTasks, 1);
      assert.equal(await q.join({ timeout: 10 }), false);
      spawn(async () => {
        await q.get();
        await sleep(5);
        q.taskDone();
      });
      assert.equal(await q.join(), true);
    });
  });

  test('a channel and a bounded Queue refuse bad join() options and an extra taskDone() alike', async () => {
    await runVirtual(async () => {
      for (const q of [new Queue(0), new Queue(2)]) {
        await assertRejectsNoThrow(
          () => q.join(-1),
          /^RangeError: Queue\.join: timeout must be a non-negative number of ms, got -1$/,
        );
        await assertRejectsNoThrow(
          () => q.join('soon' as never),
          /^TypeError: Queue\.join: options must be an object or a timeout in ms, got string$/,
        );
        assert.throws(
          () => q.taskDone(),
          /^RangeError: Cannot mark a task done when none is unfinished: unfinishedTasks is 0$/,
        );
      }
    });
  });
});
