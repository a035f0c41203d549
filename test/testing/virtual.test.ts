// runVirtual: virtual time for tests. DESIGN §3 "Virtual time (verdant/testing)".
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  Greenlet,
  GreenletExit,
  getCurrent,
  getHub,
  LoopExit,
  sleep,
  spawn,
  Timeout,
  until,
} from '../../src/index.js';
import { runVirtual } from '../../src/testing/index.js';
import { assertRejectsNoThrow, captureReports, deferred, ExpectedError } from '../_util.js';

test('runVirtual(fn) runs fn as a greenlet and resolves to its result', async () => {
  assert.equal(await runVirtual(() => 42), 42);
  assert.equal(
    await runVirtual(async () => {
      await sleep(10);
      return 'async';
    }),
    'async',
  );
  const inside = await runVirtual(() => getCurrent());
  assert.ok(inside instanceof Greenlet);
});

test('runVirtual rejects with the failure of fn, the same instance, without reporting it', async () => {
  const err = new ExpectedError('sync');
  await assert.rejects(
    runVirtual(() => {
      throw err;
    }),
    (e) => e === err,
  );
  let reports: string[] = [];
  const err2 = new ExpectedError('async');
  await assert.rejects(
    runVirtual(async () => {
      reports = captureReports();
      await sleep(5);
      throw err2;
    }),
    (e) => e === err2,
  );
  assert.deepEqual(reports, []);
});

test('the virtual clock jumps to the next timer as soon as every greenlet is blocked', async () => {
  await runVirtual(async () => {
    const hub = getHub();
    const log: [string, number][] = [];
    spawn(async () => {
      await sleep(3_600_000);
      log.push(['hour', hub.now()]);
    });
    spawn(async () => {
      await sleep(86_400_000);
      log.push(['day', hub.now()]);
    });
    await sleep(7 * 86_400_000);
    assert.deepEqual(log, [
      ['hour', 3_600_000],
      ['day', 86_400_000],
    ]);
    assert.equal(hub.now(), 7 * 86_400_000);
  });
});

test('a greenlet in a foreign await counts as blocked: the clock moves on', async () => {
  await runVirtual(async () => {
    const d = deferred<string>();
    const g = spawn(async () => `got ${await d.promise}`);
    await sleep(1000);
    assert.equal(getHub().now(), 1000);
    assert.equal(g.dead, false);
    d.resolve('x');
    assert.equal(await g.get(), 'got x');
  });
});

test('each call gets a fresh hub: the clock starts at 0 and settings do not carry over', async () => {
  const hubs: unknown[] = [];
  await runVirtual(async () => {
    hubs.push(getHub());
    getHub().exceptionStream = null;
    await sleep(500);
  });
  await runVirtual(() => {
    hubs.push(getHub());
    assert.equal(getHub().now(), 0);
    assert.equal(getHub().exceptionStream, process.stderr);
  });
  assert.notEqual(hubs[0], hubs[1]);
});

test('greenlets left running when fn settles are killed, their finally blocks run on the virtual clock', async () => {
  const log: string[] = [];
  let left: Greenlet | undefined;
  const result = await runVirtual(async () => {
    left = spawn(async () => {
      try {
        await sleep(1_000_000);
      } finally {
        await sleep(25);
        log.push(`cleanup at ${getHub().now()}`);
      }
    });
    await sleep(10);
    return 'fn done';
  });
  assert.equal(result, 'fn done');
  assert.deepEqual(log, ['cleanup at 35']);
  assert.equal(left?.dead, true);
  assert.ok((left?.value as unknown) instanceof GreenletExit);
});

test('leftovers are killed also when fn fails', async () => {
  const log: string[] = [];
  const err = new ExpectedError('fn failed');
  await assert.rejects(
    runVirtual(async () => {
      spawn(async () => {
        try {
          await sleep(1_000_000);
        } finally {
          log.push('leftover finally');
        }
      });
      await sleep(1);
      throw err;
    }),
    (e) => e === err,
  );
  assert.deepEqual(log, ['leftover finally']);
});

test('when nothing can happen, fn and the blocked greenlets are killed and it rejects with LoopExit', async () => {
  const log: string[] = [];
  let blocked: Greenlet | undefined;
  let fnGreenlet: unknown;
  let caught: unknown;
  try {
    await runVirtual(async () => {
      fnGreenlet = getCurrent();
      const never = new Greenlet(() => 'never');
      blocked = spawn(async () => {
        try {
          await never.join();
        } finally {
          log.push('blocked finally');
        }
      });
      blocked.name = 'Blocked';
      try {
        await sleep(100);
        await never.join();
      } finally {
        log.push(`fn finally at ${getHub().now()}`);
      }
    });
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof LoopExit, String(caught));
  const lines = caught.message.split('\n');
  assert.equal(lines[0], 'This operation would block forever');
  assert.deepEqual(
    lines.slice(1),
    caught.greenlets.map((g) => `  ${String(g)}`),
  );
  assert.ok(caught.greenlets.includes(blocked as Greenlet), 'the blocked greenlet is listed');
  assert.ok(caught.greenlets.includes(fnGreenlet as Greenlet), "fn's greenlet is listed");
  assert.ok(!caught.greenlets.some((g) => String(g) === '<RawGreenlet "main">'), 'main is not');
  assert.deepEqual(log.sort(), ['blocked finally', 'fn finally at 100']);
  assert.equal(blocked?.dead, true);
  assert.equal(await runVirtual(() => 'usable again'), 'usable again');
});

test('a bare foreign await that nothing will settle ends in LoopExit; wrapped in until it is waited for', async () => {
  await assert.rejects(
    runVirtual(async () => {
      await new Promise(() => {});
    }),
    LoopExit,
  );
  const v = await runVirtual(async () => {
    const late = new Promise<string>((resolve) => setTimeout(() => resolve('real timer'), 5));
    return await until(late);
  });
  assert.equal(v, 'real timer');
});

test('an until wait with a timeout ends at the virtual timeout', async () => {
  await runVirtual(async () => {
    await assert.rejects(until(new Promise(() => {}), { timeout: 5000 }), Timeout);
    assert.equal(getHub().now(), 5000);
  });
});

test('runVirtual calls do not nest', async () => {
  await runVirtual(async () => {
    await assertRejectsNoThrow(() => runVirtual(() => 1), Error);
    await sleep(10);
    assert.equal(getHub().now(), 10, 'the outer call goes on');
  });
  assert.equal(await runVirtual(() => 'after'), 'after');
});

test('runVirtual rejects a non-function without throwing', async () => {
  await assertRejectsNoThrow(() => runVirtual(42 as never), TypeError);
});

test('the real hub is back after runVirtual', async () => {
  const real = getHub();
  await runVirtual(() => sleep(100));
  assert.equal(getHub(), real);
  assert.equal(real.virtual, false);
  const t0 = real.now();
  await sleep(1);
  assert.ok(real.now() > t0);
});

test('a leftover that catches GreenletExit and waits again is abandoned after 1000 virtual ms, with a report naming it', async () => {
  const real = getHub();
  const saved = real.exceptionStream;
  const reports: string[] = [];
  real.exceptionStream = { write: (text: string) => reports.push(text) };
  let stubborn: Greenlet | undefined;
  let at = -1;
  try {
    const result = await runVirtual(async () => {
      stubborn = spawn(async () => {
        for (;;) {
          try {
            await sleep(100);
          } catch {
            at = getHub().now(); // swallows every kill
          }
        }
      });
      stubborn.name = 'Stubborn';
      await sleep(10);
      return 'fn done';
    });
    assert.equal(result, 'fn done');
  } finally {
    real.exceptionStream = saved;
  }
  assert.equal(at, 10, 'it was killed when fn returned');
  assert.equal(stubborn?.dead, false);
  const text = reports.join('');
  assert.ok(text.includes(String(stubborn)), text);
  assert.match(text, /abandoned/);
});

test("a virtual hub's exceptionStream starts as the real hub's: reports inside go to it", async () => {
  const real = getHub();
  const saved = real.exceptionStream;
  const reports: string[] = [];
  real.exceptionStream = { write: (text: string) => reports.push(text) };
  try {
    await runVirtual(async () => {
      assert.equal(getHub().exceptionStream, real.exceptionStream);
      spawn(() => {
        throw new ExpectedError('unobserved');
      });
      await sleep(1);
    });
  } finally {
    real.exceptionStream = saved;
  }
  assert.match(reports.join(''), /unobserved/);
});
