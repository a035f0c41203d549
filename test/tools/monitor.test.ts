// startMonitor: a watchdog worker reports a greenlet (or main) that runs JavaScript longer than
// maxBlockingTime without letting the hub turn, with its stack (gevent's test__monitor.py, on
// a real main thread, a real worker and node:inspector). Thresholds are generous and the
// "no report" tests use long thresholds, so a loaded machine does not make them flake.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { describe, test } from 'node:test';
import { getHub, sleep, spawn, Timeout } from '../../src/index.js';
import { type Monitor, startMonitor } from '../../src/tools/util.js';
import { assertRejectsNoThrow, noUnhandled } from '../_util.js';

/** Block for `ms`, or less once `done()` says so (checked as it spins). */
function spinFor(ms: number, done?: () => boolean): void {
  const t0 = Date.now();
  while (Date.now() - t0 < ms && done?.() !== true) {
    // blocking on purpose
  }
}

/**
 * Block until the monitor has written one more report, for up to 5 s: the report is written
 * while the block lasts (the watchdog pauses the main thread in it), and on a loaded host the
 * watchdog's inspector may take longer than a fixed spin (a 1 s spin once ended unreported).
 */
function spinUntilReported(reports: string[]): void {
  const n = reports.length;
  spinFor(5000, () => reports.length > n);
}

/** Run `fn` with the hub's reports captured and a monitor running. */
async function watched(
  maxBlockingTime: number,
  fn: (m: Monitor, reports: string[]) => Promise<void>,
): Promise<string[]> {
  const hub = getHub();
  const stream = hub.exceptionStream;
  const reports: string[] = [];
  hub.exceptionStream = { write: (t: string) => reports.push(t) };
  const m = await startMonitor({ maxBlockingTime });
  try {
    await fn(m, reports);
    await sleep(maxBlockingTime);
  } finally {
    m.stop();
    hub.exceptionStream = stream;
  }
  return reports;
}

type WorkerClass = typeof import('node:worker_threads').Worker;
type WorkerInstance = InstanceType<WorkerClass>;

/**
 * Run `fn` with every `Worker` that `node:worker_threads` constructs recorded in `made` (the
 * monitor's own import of it included: `syncBuiltinESMExports` updates the ESM binding). Each is
 * a real thread; with `crashAfterReady`, its script runs the real watchdog, then throws an
 * uncaught error 20 ms after the watchdog said it watches.
 */
async function recordingWorkers(
  crashAfterReady: boolean,
  fn: (made: WorkerInstance[]) => Promise<void>,
): Promise<void> {
  const wt = createRequire(import.meta.url)('node:worker_threads') as { Worker: WorkerClass };
  const Original = wt.Worker;
  const made: WorkerInstance[] = [];
  wt.Worker = class extends Original {
    constructor(file: string | URL, options?: ConstructorParameters<WorkerClass>[1]) {
      if (crashAfterReady) {
        const code = `import(${JSON.stringify(String(file))}).then(() => setTimeout(() => { throw new Error('watchdog boom'); }, 20));`;
        super(code, { ...options, eval: true });
      } else {
        super(file, options);
      }
      made.push(this);
    }
  };
  syncBuiltinESMExports();
  try {
    await fn(made);
  } finally {
    wt.Worker = Original;
    syncBuiltinESMExports();
  }
}

/** Wait (bounded, 5 s) until `reports` holds `n` reports. */
async function reportsReach(reports: string[], n: number): Promise<void> {
  for (let i = 0; i < 500 && reports.length < n; i++) await sleep(10);
}

describe('startMonitor', () => {
  test('a greenlet that blocks is reported once, by name, with the stack it was running', async () => {
    const reports = await watched(100, async (_m, seen) => {
      const g = spawn(async function busyWork() {
        await sleep(1);
        spinUntilReported(seen);
      });
      g.name = 'busy';
      await g.join();
    });
    assert.equal(reports.length, 1, reports.join('\n'));
    const lines = (reports[0] as string).split('\n');
    assert.match(
      lines[0] as string,
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z : <Greenlet "busy" #\d+: busyWork\(\)> appears to be blocked$/,
    );
    // The stack, innermost first: the spin (or the check it calls), then the greenlet's body.
    const frames = lines.slice(1).filter((l) => l !== '');
    for (const l of frames) assert.match(l, /^ {4}at \S+ \(file:\/\/.*:\d+:\d+\)$/);
    const spin = frames.findIndex((l) => /^ {4}at spinFor \(file:\/\/.*monitor\.test\.js:/.test(l));
    const body = frames.findIndex((l) =>
      /^ {4}at busyWork \(file:\/\/.*monitor\.test\.js:/.test(l),
    );
    assert.ok(spin >= 0 && spin <= 1 && body > spin, frames.join('\n'));
  });

  test('the main program blocking is reported as main', async () => {
    const reports = await watched(100, async (_m, seen) => {
      await sleep(1);
      spinUntilReported(seen);
    });
    assert.equal(reports.length, 1, reports.join('\n'));
    assert.match(
      reports[0] as string,
      /Z : main appears to be blocked\n {4}at (\S+ \(.*\)\n {4}at )?spinFor /,
    );
  });

  test('two blocking episodes give two reports', async () => {
    const reports = await watched(100, async (_m, seen) => {
      spinUntilReported(seen);
      await sleep(300);
      spinUntilReported(seen);
    });
    assert.equal(reports.length, 2, reports.join('\n'));
  });

  test('no report while greenlets yield within the threshold, nor while the hub idles', async () => {
    const reports = await watched(1000, async () => {
      const gs = [1, 2, 3].map(() =>
        spawn(async () => {
          const t0 = Date.now();
          while (Date.now() - t0 < 1500) {
            spinFor(5);
            await sleep(0);
          }
        }),
      );
      for (const g of gs) await g.join();
      await sleep(1500); // idle on a timer
    });
    assert.deepEqual(reports, []);
  });

  test('after stop() nothing is reported', async () => {
    const reports = await watched(100, async (m) => {
      m.stop();
      m.stop(); // idempotent
      spinFor(600);
    });
    assert.deepEqual(reports, []);
  });

  test('a second startMonitor while one runs resolves to the same monitor: one watchdog, one report per episode (gevent: one monitor thread per hub)', async () => {
    const reports = await watched(100, async (m, seen) => {
      const again = await startMonitor({ maxBlockingTime: 100 });
      assert.equal(again, m);
      // Without a threshold: the running monitor, whatever its threshold.
      assert.equal(await startMonitor(), m);
      await sleep(1);
      spinUntilReported(seen);
      spinFor(300); // a second watchdog would report this episode too
    });
    assert.equal(reports.length, 1, reports.join('\n'));
  });

  test('starts made at once share one monitor; after stop() a start makes a new one', async () => {
    const [a, b] = await Promise.all([
      startMonitor({ maxBlockingTime: 200 }),
      startMonitor({ maxBlockingTime: 200 }),
    ]);
    assert.equal(a, b);
    a.stop();
    const c = await startMonitor({ maxBlockingTime: 200 });
    try {
      assert.notEqual(c, a);
      assert.equal(c.maxBlockingTime, 200);
    } finally {
      c.stop();
    }
  });

  test('a start with another maxBlockingTime while one runs rejects with an Error naming both (stop() it first)', async () => {
    const m = await startMonitor({ maxBlockingTime: 200 });
    try {
      await assertRejectsNoThrow(
        () => startMonitor({ maxBlockingTime: 50 }),
        (e: unknown) =>
          e instanceof Error &&
          e.message ===
            'Cannot start a monitor with maxBlockingTime 50 ms: one is running with 200 ms on this hub; stop() it first',
      );
      // The running one goes on.
      assert.equal(await startMonitor({ maxBlockingTime: 200 }), m);
    } finally {
      m.stop();
    }
  });

  test('maxBlockingTime null is the default, alone and while a monitor runs: it resolves to the running one', async () => {
    const m = await startMonitor({ maxBlockingTime: 200 });
    try {
      // Alone, null starts with the default 100 ms; while one runs, it asked for no threshold.
      assert.equal(await startMonitor({ maxBlockingTime: null }), m);
      assert.equal(await startMonitor({ maxBlockingTime: undefined }), m);
    } finally {
      m.stop();
    }
    const d = await startMonitor({ maxBlockingTime: null });
    try {
      assert.equal(d.maxBlockingTime, 100);
    } finally {
      d.stop();
    }
  });

  test('a killed start does not stop the monitor another start is waiting for', async () => {
    const g = spawn(() => startMonitor({ maxBlockingTime: 200 }));
    const h = spawn(() => startMonitor({ maxBlockingTime: 200 }));
    await sleep(0); // both wait for the thread to say it watches
    await g.kill();
    const m = await h.get();
    try {
      const hub = getHub();
      assert.notEqual(hub.turnCounter, null, 'still counting turns');
      assert.equal(await startMonitor({ maxBlockingTime: 200 }), m);
    } finally {
      m.stop();
    }
    assert.equal(getHub().turnCounter, null, 'stopped: no more counting');
  });

  test('a bad maxBlockingTime rejects with RangeError, one that is not a number with TypeError, options that are not an object with TypeError', async () => {
    for (const bad of [0, -5, Number.NaN, Number.POSITIVE_INFINITY]) {
      await assertRejectsNoThrow(
        () => startMonitor({ maxBlockingTime: bad as never }),
        (e: unknown) =>
          e instanceof RangeError &&
          /maxBlockingTime must be a positive number of ms/.test(e.message),
      );
    }
    await assertRejectsNoThrow(
      () => startMonitor({ maxBlockingTime: '100' as never }),
      (e: unknown) =>
        e instanceof TypeError &&
        /maxBlockingTime must be a number of ms, got string$/.test(e.message),
    );
    // Above Node's longest timer (2^31 - 1 ms) it would fire every 1 ms: refused, not clamped.
    for (const bad of [2 ** 31, 1e12]) {
      await assertRejectsNoThrow(
        () => startMonitor({ maxBlockingTime: bad }),
        (e: unknown) =>
          e instanceof RangeError &&
          new RegExp(`maxBlockingTime must be at most 2147483647 ms .*, got ${bad}$`).test(
            e.message,
          ),
      );
    }
    await assertRejectsNoThrow(
      () => startMonitor([50] as never),
      (e: unknown) =>
        e instanceof TypeError && /options must be an object .*, got an array$/.test(e.message),
    );
    // An unknown key is refused, naming it: a typo would watch with the default threshold.
    await assertRejectsNoThrow(
      () => startMonitor({ maxBlokingTime: 5 } as never),
      (e: unknown) =>
        e instanceof TypeError &&
        /unknown option "maxBlokingTime"; the options are maxBlockingTime$/.test(e.message),
    );
    // Options that are not an object are refused, not replaced by the default.
    for (const bad of [5, 'x', true]) {
      await assertRejectsNoThrow(
        () => startMonitor(bad as never),
        (e: unknown) =>
          e instanceof TypeError &&
          new RegExp(`options must be an object .*, got ${typeof bad}$`).test(e.message),
      );
    }
  });

  test('a start ended by a kill or a Timeout stops its thread, and a forgotten one is no unhandled rejection (breaker)', async () => {
    const hub = getHub();
    const stream = hub.exceptionStream;
    const reports: string[] = [];
    hub.exceptionStream = { write: (t: string) => reports.push(t) };
    try {
      const seen = await noUnhandled(async () => {
        const g = spawn(async () => {
          void startMonitor({ maxBlockingTime: 50 });
          await sleep(5000);
        });
        await sleep(0); // g waits for the thread to say it watches
        await g.kill();
        const h = spawn(async () => {
          const t = Timeout.startNew(1);
          try {
            await startMonitor({ maxBlockingTime: 50 });
          } catch (e) {
            if (e !== t) throw e;
          }
        });
        await h.join();
        assert.ok(h.successful(), String(h.exception));
      }, 100);
      assert.deepEqual(
        seen.map((e) => (e as Error).name),
        [],
      );
      spinFor(400); // the stopped monitors report nothing
      await sleep(100);
      assert.deepEqual(reports, []);
    } finally {
      hub.exceptionStream = stream;
    }
  });

  for (const how of ['terminate() from outside', 'an uncaught error in the thread'] as const) {
    test(`a monitor thread that dies once watching (${how}) stops the monitor, reported once; startMonitor() then starts a new one that watches`, async () => {
      const hub = getHub();
      const stream = hub.exceptionStream;
      const reports: string[] = [];
      hub.exceptionStream = { write: (t: string) => reports.push(t) };
      try {
        let dead: Monitor | undefined;
        await recordingWorkers(how !== 'terminate() from outside', async (made) => {
          dead = await startMonitor({ maxBlockingTime: 100 });
          assert.equal(made.length, 1, 'one watchdog thread');
          if (how === 'terminate() from outside') await (made[0] as WorkerInstance).terminate();
          await reportsReach(reports, 1);
        });
        await sleep(50); // no second report of the same death
        assert.equal(reports.length, 1, reports.join('\n'));
        const lines = (reports[0] as string).split('\n');
        assert.equal(
          lines[0],
          'Error: The monitor thread exited with code 1: blocking is no longer watched; startMonitor() starts a new one',
        );
        if (how === 'terminate() from outside') {
          assert.match(lines[1] as string, /^\d{4}-\d\d-\d\dT.*Z startMonitor failed with Error$/);
        } else {
          assert.equal(lines[1], '  caused by: Error: watchdog boom');
          assert.match(lines[2] as string, /^\d{4}-\d\d-\d\dT.*Z startMonitor failed with Error$/);
        }
        assert.equal(hub.turnCounter, null, 'the dead monitor stopped: no more counting');
        // Another threshold is no "one is running" error, and the new monitor reports blocking.
        const m = await startMonitor({ maxBlockingTime: 80 });
        try {
          assert.notEqual(m, dead);
          assert.equal(m.maxBlockingTime, 80);
          assert.equal(await startMonitor(), m);
          await sleep(1);
          spinUntilReported(reports);
          assert.equal(reports.length, 2, reports.join('\n'));
          assert.match(reports[1] as string, / : main appears to be blocked\n/);
        } finally {
          m.stop();
        }
        dead?.stop(); // a late stop() of the dead one is harmless
        assert.equal(hub.turnCounter, null);
      } finally {
        hub.exceptionStream = stream;
      }
    });
  }

  test('a running monitor never keeps the program alive', () => {
    const mod = new URL('../../src/tools/util.js', import.meta.url).href;
    const script = `
      const { startMonitor } = await import(${JSON.stringify(mod)});
      await startMonitor({ maxBlockingTime: 50 });
      console.log('watching');
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(r.signal, null, 'exited on its own');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'watching\n');
  });
});
