// eventlet's GreenThread and module functions (verdant/eventlet): spawn, spawnN, spawnAfter,
// sleep, wait/kill/link/dead — on verdant greenlets, on the virtual clock.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  GreenletExit,
  GreenPool,
  GreenThread,
  sleep,
  spawn,
  spawnAfter,
  spawnN,
  Timeout,
} from '../../../src/compat/eventlet/index.js';
import { Greenlet, getCurrent, getHub, spawn as verdantSpawn } from '../../../src/index.js';
import { runVirtual } from '../../../src/testing/virtual.js';
import { assertRejectsNoThrow, captureReports, ExpectedError } from '../../_util.js';

describe('eventlet GreenThread', () => {
  test('spawn() returns a started GreenThread at once; the function runs when the caller waits', async () => {
    const got = await runVirtual(async () => {
      const log: string[] = [];
      const gt = spawn(
        (a: number, b: number) => {
          log.push('ran');
          return a + b;
        },
        1,
        2,
      );
      log.push('spawned');
      assert.ok(gt instanceof GreenThread);
      assert.ok(gt.greenlet instanceof Greenlet && gt.greenlet.started);
      assert.equal(gt.dead, false);
      const v = await gt.wait();
      return { log, v, dead: gt.dead };
    });
    assert.deepEqual(got, { log: ['spawned', 'ran'], v: 3, dead: true });
  });

  test("wait() throws the function's error, the same instance every call", async () => {
    await runVirtual(async () => {
      const err = new ExpectedError('boom');
      const gt = spawn(() => {
        throw err;
      });
      await assert.rejects(gt.wait(), (e) => e === err);
      await assert.rejects(gt.wait(), (e) => e === err);
    });
  });

  test('wait() on a killed thread throws its GreenletExit (unlike Greenlet.get), the same instance each time', async () => {
    await runVirtual(async () => {
      const gt = spawn(() => sleep(1000));
      await sleep(0);
      await gt.kill();
      assert.equal(gt.dead, true);
      const e1 = await gt.wait().catch((e: unknown) => e);
      const e2 = await gt.wait().catch((e: unknown) => e);
      assert.ok(e1 instanceof GreenletExit);
      assert.equal(e1, e2);
      assert.equal(await gt.greenlet?.get(), e1, "verdant's get() returns it");
    });
  });

  test('a spawnAfter thread killed before its time never runs and wait() throws GreenletExit', async () => {
    await runVirtual(async () => {
      let ran = false;
      const gt = spawnAfter(100, () => {
        ran = true;
      });
      await sleep(10);
      await gt.kill();
      await sleep(200);
      assert.equal(ran, false);
      await assert.rejects(gt.wait(), GreenletExit);
    });
  });

  test('spawnAfter(ms) starts the thread ms later on the hub clock', async () => {
    const at = await runVirtual(async () => {
      const t0 = getHub().now();
      const gt = spawnAfter(250, () => getHub().now() - t0);
      return gt.wait();
    });
    assert.equal(at, 250);
  });

  test('spawnN() returns nothing, runs the function, and a failure is reported by the hub', async () => {
    const got = await runVirtual(async () => {
      const reports = captureReports();
      const log: number[] = [];
      const r: unknown = spawnN((n: number) => log.push(n), 7);
      spawnN(() => {
        throw new ExpectedError('spawn_n failed');
      });
      await sleep(0);
      return { r, log, reported: reports.join('').includes('spawn_n failed') };
    });
    assert.deepEqual(got, { r: undefined, log: [7], reported: true });
  });

  test('spawn* throw TypeError at once for a non-function, a bad delay too, naming the eventlet call', () => {
    assert.throws(() => spawn(42 as never), {
      name: 'TypeError',
      message: 'eventlet.spawn: fn must be a function, got number',
    });
    assert.throws(() => spawnN(null as never), {
      name: 'TypeError',
      message: 'eventlet.spawnN: fn must be a function, got null',
    });
    assert.throws(() => spawnAfter(1, 'x' as never), {
      name: 'TypeError',
      message: 'eventlet.spawnAfter: fn must be a function, got string',
    });
    assert.throws(() => spawnAfter(-1, () => 1), {
      name: 'RangeError',
      message: 'eventlet.spawnAfter: ms must be a non-negative number, got -1',
    });
    assert.throws(() => spawnAfter('5' as never, () => 1), {
      name: 'TypeError',
      message: 'eventlet.spawnAfter: ms must be a number of milliseconds, got string',
    });
  });

  test('sleep() defaults to 0 and lets other threads run once', async () => {
    const log = await runVirtual(async () => {
      const out: string[] = [];
      spawnN(() => out.push('other'));
      await sleep();
      out.push('me');
      return out;
    });
    assert.deepEqual(log, ['other', 'me']);
  });

  test('link(fn, ...curried) calls fn(gt, ...curried) when the thread ends, also when linked after', async () => {
    const got = await runVirtual(async () => {
      const calls: string[] = [];
      const gt = spawn(() => 'v');
      gt.link(
        (t, a: string, b: number) => {
          calls.push(`early ${t === gt} ${a} ${b}`);
        },
        'x',
        1,
      );
      await gt.wait();
      gt.link(async (t) => {
        calls.push(`late ${await t.wait()}`);
      });
      const removed = (): void => {
        calls.push('removed');
      };
      const other = spawn(() => sleep(10));
      other.link(removed);
      other.unlink(removed);
      await other.wait();
      await sleep(0);
      return calls;
    });
    assert.deepEqual(got, ['early true x 1', 'late v']);
  });

  test('wait() is a cancel point for the caller: a kill or Timeout lands there and the thread goes on', async () => {
    await runVirtual(async () => {
      const gt = spawn(async () => {
        await sleep(100);
        return 'finished';
      });
      const waiter = verdantSpawn(() => gt.wait());
      await sleep(10);
      await waiter.kill();
      assert.ok((waiter.value as unknown) instanceof GreenletExit);
      const t = Timeout.startNew(10);
      await assert.rejects(gt.wait(), (e) => e === t);
      assert.equal(await gt.wait({ timeout: 1000 }), 'finished');
    });
  });

  test('the thread is a verdant Greenlet: getCurrent() inside is gt.greenlet', async () => {
    await runVirtual(async () => {
      const gt = spawn(() => getCurrent());
      assert.equal(await gt.wait(), gt.greenlet);
      assert.match(String(gt), /^<GreenThread <Greenlet "Greenlet-\d+" #\d+/);
    });
  });

  test('a thread a pool ran inline checks wait() and kill() options as any thread does, the errors naming GreenThread', async () => {
    await runVirtual(async () => {
      const pool = new GreenPool(1);
      const outer = await pool.spawn(() => pool.spawn(() => 5));
      const inline = await outer.wait();
      assert.equal(inline.greenlet, null, 'ran inline');
      const ran = spawn(() => 5);
      await ran.wait();
      const aborted = AbortSignal.abort(new ExpectedError('aborted'));
      for (const gt of [inline, ran]) {
        assert.equal(await gt.wait({ timeout: 10 }), 5);
        await assertRejectsNoThrow(() => gt.wait({ signal: aborted }), ExpectedError);
        await assertRejectsNoThrow(
          () => gt.wait('soon' as never),
          /^TypeError: GreenThread\.wait: options must be an object or a timeout in ms, got string$/,
        );
        await assertRejectsNoThrow(
          () => gt.wait(-1),
          /^RangeError: GreenThread\.wait: timeout must be a non-negative/,
        );
        await assertRejectsNoThrow(
          () => gt.kill({ timeout: -1 }),
          /^RangeError: GreenThread\.kill: timeout must be a non-negative/,
        );
        await assertRejectsNoThrow(
          () => gt.kill('now' as never),
          /^TypeError: GreenThread\.kill: options must be an object, got a string/,
        );
        await assertRejectsNoThrow(
          () => gt.kill(new Error('stop') as never),
          /^TypeError: GreenThread\.kill: options must be an object, got an Error: pass the exception as \{exception: …\}$/,
        );
        await assertRejectsNoThrow(
          () => gt.kill({ exception: 'stop' as never }),
          /^TypeError: GreenThread\.kill: exception must be an Error instance or an Error class, got string/,
        );
        await gt.kill();
        assert.equal(await gt.wait(), 5, 'a dead thread keeps its value after a kill');
      }
    });
  });

  test("a link that throws is reported under the link function's name, also for a thread run inline", async () => {
    const reports = await runVirtual(async () => {
      const out = captureReports();
      function auditLink(): void {
        throw new ExpectedError('link failed');
      }
      const gt = spawn(() => 1);
      gt.link(auditLink);
      await gt.wait();
      const pool = new GreenPool(1);
      const outer = await pool.spawn(() => pool.spawn(() => 2));
      (await outer.wait()).link(auditLink);
      await sleep(0);
      await sleep(0);
      return out.join('');
    });
    assert.match(
      reports,
      / auditLink for <Greenlet "Greenlet-\d+" #\d+: <anonymous>\(\)> failed with ExpectedError/,
    );
    assert.match(
      reports,
      /<Greenlet "Greenlet-\d+" #\d+: auditLink\(\)> failed with ExpectedError/,
    );
    assert.doesNotMatch(reports, / cb for /);
  });

  test('link() and unlink() of a non-function throw a TypeError saying what they got (unlink(5) returned false silently)', async () => {
    await runVirtual(async () => {
      const gt = spawn(() => 1);
      const bad = 5 as unknown as () => void;
      assert.throws(() => gt.link(bad), {
        name: 'TypeError',
        message: 'GreenThread.link: fn must be a function, got number',
      });
      assert.throws(() => gt.unlink(null as unknown as () => void), {
        name: 'TypeError',
        message: 'GreenThread.unlink: fn must be a function, got null',
      });
      assert.equal(await gt.wait(), 1);
    });
  });

  test('unlink() returns whether a link was removed: false once it ran or for an unknown function', async () => {
    const got = await runVirtual(async () => {
      const calls: string[] = [];
      const f = (_gt: GreenThread<number>, tag: string): void => {
        calls.push(tag);
      };
      const g = (): void => {
        calls.push('g');
      };
      const gt = spawn(async () => {
        await sleep(10);
        return 1;
      });
      gt.link(f, 'a');
      gt.link(f, 'b');
      const removed = gt.unlink(f);
      const again = gt.unlink(f);
      const unknown = gt.unlink(g);
      gt.link(g);
      await gt.wait();
      await sleep(0);
      const afterRun = gt.unlink(g);
      return { removed, again, unknown, afterRun, calls };
    });
    assert.deepEqual(got, {
      removed: true,
      again: false,
      unknown: false,
      afterRun: false,
      calls: ['g'],
    });
  });
});
