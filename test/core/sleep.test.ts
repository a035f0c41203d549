// sleep and idle (src/core/sleep.ts). Ports gevent's test__sleep0.py and the sleep/idle parts of
// test__api.py to DESIGN §3.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GreenletExit, getHub, idle, sleep, spawn, spawnLater, Timeout } from '../../src/index.js';
import { runVirtual } from '../../src/testing/index.js';
import { assertRejectsNoThrow, ExpectedError } from '../_util.js';
import { checkCancelPoint } from './_waits.js';

// ---- sleep ----

test('sleep(ms) resumes after ms on the hub clock', async () => {
  await runVirtual(async () => {
    const hub = getHub();
    assert.equal(hub.now(), 0);
    assert.equal(await sleep(250), undefined);
    assert.equal(hub.now(), 250);
    await sleep(60000);
    assert.equal(hub.now(), 60250);
  });
});

test('sleep() rejects a negative or NaN ms with RangeError and a non-number with TypeError, never throwing', async () => {
  await runVirtual(async () => {
    await assertRejectsNoThrow(() => sleep(-1), RangeError);
    await assertRejectsNoThrow(() => sleep(Number.NaN), RangeError);
    await assertRejectsNoThrow(() => sleep('5' as never), TypeError);
    await assertRejectsNoThrow(() => sleep(1, { signal: 'x' as never }), TypeError);
  });
});

test('sleep() is a cancel point', async () => {
  await checkCancelPoint('sleep(1000)', () => sleep(1000));
});

test('sleep(0) is a cancel point too', async () => {
  await runVirtual(async () => {
    const log: string[] = [];
    const g = spawn(async () => {
      try {
        for (;;) await sleep(0);
      } finally {
        log.push('finally');
      }
    });
    await sleep(0);
    await g.kill();
    assert.deepEqual(log, ['finally']);
  });
});

test('sleep() with a signal: pre-aborted rejects at once, aborting wakes it with the reason', async () => {
  await runVirtual(async () => {
    const reason = new ExpectedError('stop');
    const pre = new AbortController();
    pre.abort(reason);
    await assertRejectsNoThrow(
      () => sleep(10, { signal: pre.signal }),
      (e) => e === reason,
    );
    await assertRejectsNoThrow(
      () => sleep(0, { signal: pre.signal }),
      (e) => e === reason,
    );
    const ac = new AbortController();
    spawnLater(30, () => ac.abort(reason));
    await assert.rejects(sleep(1000, { signal: ac.signal }), (e) => e === reason);
    assert.equal(getHub().now(), 30);
    await sleep(10, { signal: new AbortController().signal });
    assert.equal(getHub().now(), 40);
  });
});

// ---- idle ----

test('idle() resumes only when nothing else is ready: a greenlet spawned after the idler runs first', async () => {
  await runVirtual(async () => {
    const lst: string[] = [];
    const idler = spawn(async () => {
      assert.equal(await idle(), true);
      lst.push('idle');
    });
    spawn(async () => {
      lst.push('b1');
      await sleep(0);
      lst.push('b2');
      await sleep(0);
      lst.push('b3');
    });
    await idler.get();
    assert.deepEqual(lst, ['b1', 'b2', 'b3', 'idle']);
  });
});

test('idle({timeout}) resolves true when the hub is idle before the timeout', async () => {
  await runVirtual(async () => {
    spawn(() => sleep(1000));
    assert.equal(await idle({ timeout: 50 }), true);
    assert.equal(getHub().now(), 0, 'timers do not keep the hub busy');
  });
});

test('idle({timeout}) resolves false when the hub never idles (real hub)', {
  timeout: 5000,
}, async () => {
  let stop = false;
  const spinner = spawn(async () => {
    while (!stop) await sleep(0);
  });
  const idler = spawn(async () => {
    const r = await idle({ timeout: 5 });
    stop = true;
    return r;
  });
  assert.equal(await idler.get(), false);
  await spinner.join();
});

test('idle() is a cancel point: kill lands there and finally runs', async () => {
  await runVirtual(async () => {
    const log: string[] = [];
    const g = spawn(async () => {
      try {
        await idle();
        log.push('returned');
      } finally {
        log.push('finally');
      }
    });
    await sleep(0);
    await g.kill();
    assert.deepEqual(log, ['finally']);
    assert.ok((g.value as unknown) instanceof GreenletExit);
  });
});

test('idle() is a cancel point: a Timeout lands there while the hub is busy (real hub)', {
  timeout: 5000,
}, async () => {
  let stop = false;
  const spinner = spawn(async () => {
    while (!stop) await sleep(0);
  });
  const log: string[] = [];
  const g = spawn(async () => {
    const t = Timeout.startNew(5);
    try {
      await idle();
      log.push('returned');
    } catch (e) {
      log.push(e === t ? 'timeout' : 'other');
    } finally {
      log.push('finally');
      stop = true;
    }
  });
  await g.join();
  await spinner.join();
  assert.deepEqual(log, ['timeout', 'finally']);
});

test('idle() rejects bad options without throwing', async () => {
  await runVirtual(async () => {
    await assertRejectsNoThrow(() => idle(-1), RangeError);
    await assertRejectsNoThrow(() => idle({ timeout: 'x' as never }), TypeError);
    const ac = new AbortController();
    ac.abort(new ExpectedError('pre'));
    await assertRejectsNoThrow(() => idle({ signal: ac.signal }), ExpectedError);
  });
});

test('test__issue639.py: sleep() then idle() from the main program both return', async () => {
  assert.equal(await sleep(), undefined);
  await idle();
  await runVirtual(async () => {
    await sleep();
    await idle();
  });
});
