// Regressions found by benchmarking and by an adversarial review of the core: each test names
// the failure it pins.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inspect } from 'node:util';
import { RawGreenlet } from '../../src/compat/greenlet.js';
import {
  Event,
  Greenlet,
  getHub,
  joinAll,
  Pool,
  sleep,
  spawn,
  Timeout,
  until,
  withTimeout,
} from '../../src/index.js';
import { runVirtual } from '../../src/testing/index.js';
import { captureReports } from '../_util.js';

test('a sleep and the Timeout around it, both due when the loop runs late, do not misfire', async () => {
  const g = spawn(async () => {
    try {
      await withTimeout(10, sleep, 1);
      return 'completed';
    } catch (e) {
      if (e instanceof Timeout) return 'timed out';
      throw e;
    }
  });
  await sleep(0); // g is now in sleep(1) under a 10 ms Timeout
  const end = performance.now() + 30;
  while (performance.now() < end) {
    // the loop runs 30 ms late: both timers are due when it turns
  }
  assert.equal(await g.get(), 'completed');
});

test('many withTimeout calls around fast sleeps do not misfire under load', async () => {
  let expired = 0;
  const gs = [];
  for (let i = 0; i < 2000; i++) {
    gs.push(
      spawn(async () => {
        try {
          await withTimeout(50, sleep, 1);
        } catch (e) {
          if (!(e instanceof Timeout)) throw e;
          expired++;
        }
      }),
    );
  }
  await joinAll(gs);
  assert.equal(expired, 0);
});

test('a real greenlet that wakes during runVirtual stays on real time', async () => {
  const t0 = performance.now();
  const times: number[] = [];
  const real = spawn(async () => {
    for (let i = 0; i < 3; i++) {
      await sleep(20);
      times.push(performance.now() - t0);
    }
  });
  await sleep(0);
  await runVirtual(async () => {
    await until(new Promise((r) => setTimeout(r, 30)));
  });
  await real.join();
  // On the virtual clock the last two sleeps would end at once, right after the first.
  assert.ok((times[2] as number) >= 55, `three 20 ms sleeps took ${times.join(', ')} ms`);
});

test('an async rawlink callback of an Event that rejects is reported, not left unhandled', async () => {
  await runVirtual(async () => {
    const reports = captureReports();
    const e = new Event();
    e.rawlink(async function failingLink() {
      throw new Error('boom');
    });
    e.set();
    await sleep(10);
    assert.equal(reports.length, 1);
    assert.match(reports[0] as string, /failingLink for <Event.*> failed with Error/);
  });
});

test('an argument whose inspection throws does not break String(g), reports or Pool slots', async () => {
  await runVirtual(async () => {
    const reports = captureReports();
    const bad = {
      [inspect.custom]() {
        throw new Error('inspect boom');
      },
    };
    const pool = new Pool(1);
    const g = await pool.spawn((_x: unknown) => {
      throw new Error('fail');
    }, bad);
    await sleep(10);
    assert.equal(pool.size, 0);
    assert.equal(pool.freeCount(), 1);
    assert.match(String(g), /<unprintable>/);
    assert.equal(reports.length, 1);
    assert.match(reports[0] as string, /failed with Error\n\n$/);
    assert.match(reports[0] as string, /Error: fail/);
  });
});

test('RawGreenlet.parent rejects a non-greenlet and a cyclic chain', () => {
  const a = new RawGreenlet(() => 'a');
  const b = new RawGreenlet(() => 'b', a);
  assert.throws(
    () => {
      a.parent = b;
    },
    { name: 'TypeError', message: /cyclic parent chain/ },
  );
  assert.throws(() => new RawGreenlet(() => 1, 5 as never), TypeError);
  assert.equal(b.parent, a);
});

test('Greenlet.spawn on a subclass builds that subclass (gevent: a classmethod)', async () => {
  class Doubler extends Greenlet<number> {
    readonly n: number;
    constructor(n: number) {
      super();
      this.n = n;
    }
    protected override run(): number {
      return this.n * 2;
    }
  }
  await runVirtual(async () => {
    const g = (Doubler as unknown as typeof Greenlet).spawn(21 as never);
    assert.ok(g instanceof Doubler);
    assert.equal(await g.get(), 42);
  });
});

test('an exceptionStream whose write returns a rejected promise leaks no rejection', async () => {
  await runVirtual(async () => {
    let writes = 0;
    getHub().exceptionStream = {
      write(): Promise<void> {
        writes++;
        return Promise.reject(new Error('stream closed'));
      },
    };
    spawn(() => {
      throw new Error('fail');
    });
    await sleep(10);
    assert.equal(writes, 1);
  });
});

test('a direct hand-off still lets the releasing greenlet finish its turn first', async () => {
  await runVirtual(async () => {
    const log: string[] = [];
    const x = new Event();
    const b = spawn(async () => {
      await x.wait();
      log.push('b resumed');
    });
    await sleep(0);
    const a = spawn(async () => {
      x.set();
      const p = sleep(0); // releases the turn: b is resumed at once ...
      log.push('a after wait call'); // ... but runs only after this job ends
      await p;
    });
    await joinAll([a, b]);
    assert.deepEqual(log, ['a after wait call', 'b resumed']);
  });
});
