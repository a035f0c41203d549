// The hub: clock, exceptionStream, stats, the one-greenlet turn, and the budget that lets Node's
// loop run during a long drain. Ports gevent's test__hub.py (TestSleep, TestExceptionInMainloop's
// point that the hub keeps working) and test__sleep0.py to DESIGN §1.3 and §3.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { after, test } from 'node:test';
import { getHub, Hub, sleep, spawn, Timeout, until } from '../../src/index.js';
import { runVirtual } from '../../src/testing/index.js';
import { deferred } from '../_util.js';

test('getHub() returns one hub; runVirtual swaps in a fresh virtual one for the call', async () => {
  const real = getHub();
  assert.ok(real instanceof Hub);
  assert.equal(getHub(), real);
  assert.equal(real.virtual, false);
  const seen: Hub[] = [];
  await runVirtual(() => {
    seen.push(getHub());
  });
  await runVirtual(() => {
    seen.push(getHub());
  });
  assert.notEqual(seen[0], real);
  assert.notEqual(seen[0], seen[1]);
  assert.equal(seen[0]?.virtual, true);
  assert.equal(getHub(), real);
});

test('getHub().now() is a monotonic millisecond clock on the real hub', async () => {
  const hub = getHub();
  const t0 = hub.now();
  await sleep(5);
  const t1 = hub.now();
  assert.ok(t1 >= t0 + 4, `${t1} >= ${t0} + 4`);
  assert.equal(typeof t0, 'number');
});

test('on the real hub, sleep and Timeout measure from the call, even after CPU work (never early)', async () => {
  const hub = getHub();
  const busy = (ms: number): void => {
    const end = performance.now() + ms;
    while (performance.now() < end) {
      // burn CPU without yielding, as gevent issue #97 did
    }
  };
  await sleep(0);
  busy(30);
  let t0 = hub.now();
  await sleep(15);
  assert.ok(hub.now() - t0 >= 15, `slept ${hub.now() - t0} ms`);
  busy(30);
  t0 = hub.now();
  const t = Timeout.startNew(15);
  try {
    await sleep(10000);
  } catch (e) {
    assert.equal(e, t);
  }
  assert.ok(hub.now() - t0 >= 15, `timed out after ${hub.now() - t0} ms`);
});

test('getHub().now() reads the virtual clock: 0 at start, moved only by timers', async () => {
  await runVirtual(async () => {
    const hub = getHub();
    assert.equal(hub.now(), 0);
    await sleep(0);
    assert.equal(hub.now(), 0);
    for (let i = 0; i < 1000; i++) await Promise.resolve();
    assert.equal(hub.now(), 0, 'it does not move with real time');
    await sleep(1234);
    assert.equal(hub.now(), 1234);
  });
});

test('exceptionStream defaults to process.stderr and is assignable', async () => {
  await runVirtual(() => {
    const hub = getHub();
    assert.equal(hub.exceptionStream, process.stderr);
    const sink = { write: (_s: string) => true };
    hub.exceptionStream = sink;
    assert.equal(hub.exceptionStream, sink);
    hub.exceptionStream = null;
    assert.equal(hub.exceptionStream, null);
  });
});

test('stats() is a snapshot of ready callbacks, timers, I/O and until waits', async () => {
  await runVirtual(async () => {
    const hub = getHub();
    assert.deepEqual(hub.stats(), { ready: 0, timers: 0, io: 0, until: 0, virtual: true });
    const sleeper = spawn(() => sleep(100));
    assert.equal(hub.stats().ready, 1, 'the start is queued');
    await sleep(0);
    assert.equal(hub.stats().timers, 1);
    const d = deferred<number>();
    const waiter = spawn(() => until(d.promise));
    await sleep(0);
    assert.equal(hub.stats().until, 1);
    d.resolve(1);
    assert.equal(await waiter.get(), 1);
    assert.equal(hub.stats().until, 0);
    await sleeper.join();
    assert.deepEqual(hub.stats(), { ready: 0, timers: 0, io: 0, until: 0, virtual: true });
  });
});

test('one greenlet turn: a resumed greenlet keeps the turn through an async helper until its next wait', async () => {
  await runVirtual(async () => {
    const lst: string[] = [];
    const tick = async (name: string, i: number): Promise<void> => {
      await Promise.resolve();
      lst.push(`${name}${i}`);
    };
    const worker = async (name: string): Promise<void> => {
      await sleep(1);
      for (let i = 0; i < 3; i++) await tick(name, i);
      await sleep(1);
    };
    spawn(worker, 'a');
    spawn(worker, 'b');
    await sleep(10);
    assert.deepEqual(lst, ['a0', 'a1', 'a2', 'b0', 'b1', 'b2']);
  });
});

test('the hub yields to Node: a sleep(0) loop does not starve setImmediate and setTimeout callbacks', {
  timeout: 10000,
}, async () => {
  let immediateRan = false;
  let timeoutRan = false;
  setImmediate(() => {
    immediateRan = true;
  });
  setTimeout(() => {
    timeoutRan = true;
  }, 1);
  const spinner = spawn(async () => {
    let spins = 0;
    while (!(immediateRan && timeoutRan)) {
      await sleep(0);
      spins++;
    }
    return spins;
  });
  const spins = await spinner.get();
  assert.ok(spins > 0);
});

test('the hub yields to Node in the middle of a long chain of ready greenlets', {
  timeout: 10000,
}, async () => {
  let steps = 0;
  let stepsAtImmediate = -1;
  const total = 3000 * 3;
  const gs = [];
  for (let i = 0; i < 3000; i++) {
    gs.push(
      spawn(async () => {
        for (let k = 0; k < 3; k++) {
          steps++;
          await sleep(0);
        }
      }),
    );
  }
  setImmediate(() => {
    stepsAtImmediate = steps;
  });
  for (const g of gs) await g.join();
  assert.equal(steps, total);
  assert.ok(
    stepsAtImmediate >= 0 && stepsAtImmediate < total,
    `setImmediate ran after ${stepsAtImmediate} of ${total} steps`,
  );
});

test('a Timeout fires in a greenlet spinning on sleep(0) (test__sleep0)', {
  timeout: 10000,
}, async () => {
  const g = spawn(async () => {
    const t = Timeout.startNew(10);
    try {
      for (;;) await sleep(0);
    } catch (e) {
      return e === t;
    }
  });
  assert.equal(await g.get(), true);
});

// ---- an idle hub keeps nothing alive (child processes) ----

const index = new URL('../../src/index.js', import.meta.url).href;
const dir = mkdtempSync(join(tmpdir(), 'verdant-hub-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function runScript(
  name: string,
  body: string,
  timeout = 15000,
): { status: number | null; stdout: string; stderr: string } {
  const script = join(dir, `${name}.mjs`);
  writeFileSync(script, `import * as v from ${JSON.stringify(index)};\n${body}\n`);
  const r = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('an idle hub keeps nothing alive: the process exits once greenlets are done and timeouts cancelled', () => {
  const r = runScript(
    'idle-exit',
    `
const t = v.Timeout.startNew(60000);
const g = v.spawn(async () => { await v.sleep(10); return 1; });
await g.join();
t.cancel();
const u = v.spawn(async () => { const x = v.Timeout.startNew(60000); try { await v.sleep(5); } finally { x.cancel(); } });
await u.join();
process.stderr.write('done');
`,
  );
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, 'done');
  assert.equal(r.stdout, '');
});

test('killed sleepers leave no timer behind: the process exits at once', () => {
  const r = runScript(
    'killall-exit',
    `
const gs = [];
for (let i = 0; i < 100; i++) gs.push(v.spawn(() => v.sleep(60000)));
await v.sleep(1);
await v.killAll(gs);
process.stderr.write(String(gs.every((g) => g.dead)));
`,
  );
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, 'true');
});

test('durations beyond the 32-bit range of setTimeout (and Infinity) do not overflow the Node timer', () => {
  const r = runScript(
    'long-timers',
    `
const g = v.spawn(async () => { await v.sleep(2 ** 31 + 5); return 'woke early'; });
const h = v.spawn(async () => { await v.sleep(Infinity); return 'woke early'; });
const t = v.spawn(async () => { v.Timeout.startNew(3e12); await v.sleep(1e12); });
await new Promise((resolve) => setTimeout(resolve, 50));
const early = [g.dead, h.dead, t.dead];
await v.killAll([g, h, t]);
process.stdout.write(JSON.stringify({ early, values: [g, h, t].map((x) => x.value?.name) }));
`,
    5000,
  );
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /TimeoutOverflowWarning/);
  assert.deepEqual(JSON.parse(r.stdout), {
    early: [false, false, false],
    values: ['GreenletExit', 'GreenletExit', 'GreenletExit'],
  });
});
