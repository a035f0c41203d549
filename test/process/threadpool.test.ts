// verdant/threadpool on real worker threads (the real hub). Ported from gevent's
// test__threadpool.py where it applies (apply, map, imap order, spawn → AsyncResult, errors
// reach the caller, kill), plus verdant's rules: a killed waiter's queued task never runs, a
// running one is terminated and its worker replaced, the hub keeps turning, bad input.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { AsyncResult, GreenletExit, sleep, spawn, Timeout, withTimeout } from '../../src/index.js';
import { ThreadPool } from '../../src/process/threadpool.js';
import { assertRejectsNoThrow, forgetThenEnd, noUnhandled } from '../_util.js';

const task = (name: string): URL => new URL(`./_tasks/${name}.js`, import.meta.url);
const square = task('square');
const sum = task('sum');
const spin = task('spin');
const fail = task('fail');
const mark = task('mark');
const uncloneable = task('uncloneable');
const throwValue = task('throw-value');
const nap = task('nap');

const pools: ThreadPool[] = [];
function pool(size: number): ThreadPool {
  const p = new ThreadPool(size);
  pools.push(p);
  return p;
}
after(async () => {
  for (const p of pools) await p.kill();
});

describe('ThreadPool', () => {
  test('size must be an integer >= 1: 0, negative or fractional throw RangeError, not a number TypeError', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      assert.throws(() => new ThreadPool(bad as never), RangeError);
    }
    assert.throws(() => new ThreadPool(0), /size must be an integer >= 1, got 0/);
    for (const bad of ['2', undefined, null]) {
      assert.throws(
        () => new ThreadPool(bad as never),
        (e: unknown) =>
          e instanceof TypeError &&
          /size must be a number of workers, got (string|undefined|null)$/.test(e.message),
      );
    }
    assert.equal(new ThreadPool(3).size, 3);
  });

  test('apply() runs the default export with the arguments spread, for each module form', async () => {
    const p = pool(2);
    assert.equal(await p.apply(square, [7]), 49);
    assert.equal(await p.apply(sum, [1, 2, 3]), 6);
    assert.equal(await p.apply(sum), 0);
    assert.equal(await p.apply(square.href, [3]), 9);
    assert.equal(await p.apply(fileURLToPath(square), [4]), 16);
  });

  test('spawn() never waits and returns an AsyncResult holding the value or the error', async () => {
    const p = pool(2);
    const r = await p.spawn<number>(square, 5);
    assert.ok(r instanceof AsyncResult);
    assert.equal(await r.get(), 25);
    const bad = await p.spawn(fail, 'nope');
    await assert.rejects(bad.get(), /nope/);
  });

  test('map() returns the values in input order; imap() yields them in order', async () => {
    const p = pool(3);
    const xs = Array.from({ length: 10 }, (_, i) => i);
    assert.deepEqual(
      await p.map(square, xs),
      xs.map((x) => x * x),
    );
    const out: number[] = [];
    for await (const v of p.imap<number>(square, xs)) out.push(v);
    assert.deepEqual(
      out,
      xs.map((x) => x * x),
    );
    assert.deepEqual(await p.map(square, []), []);
  });

  test('imap() keeps at most size tasks submitted ahead of its consumer', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'verdant-imap-'));
    try {
      const p = pool(2);
      const paths = Array.from({ length: 8 }, (_, i) => join(dir, String(i)));
      const it = p.imap(mark, paths)[Symbol.asyncIterator]();
      await it.next();
      await sleep(300); // plenty of time for a greedy imap to run everything
      const ran = readdirSync(dir).length;
      assert.ok(ran <= 1 + 2, `at most the consumed task and size more ran, got ${ran}`);
      assert.ok(ran < paths.length);
      await it.return?.();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a task that throws reaches the caller with the same message; the worker goes on', async () => {
    const p = pool(1);
    await assert.rejects(p.apply(fail, ['boom 1']), (e: unknown) => {
      assert.ok(e instanceof Error);
      assert.equal(e.message, 'boom 1');
      return true;
    });
    assert.equal(await p.apply(square, [2]), 4);
    await assert.rejects(p.map(fail, ['in map']), /in map/);
  });

  test('a task whose value cannot be cloned back rejects with a TypeError naming the module; the worker goes on', async () => {
    const p = pool(1);
    const thread = await p.apply(uncloneable, ['thread'], { timeout: 30_000 });
    const cases: [string, RegExp][] = [
      [
        'function',
        /return value of the task module .*uncloneable\.js: .*structured clone.*got function/,
      ],
      [
        'symbol',
        /return value of the task module .*uncloneable\.js: .*structured clone.*got Symbol\(s\)/,
      ],
      [
        'nested',
        /return value of the task module .*uncloneable\.js: .*structured clone.*got Object \(.+\)/,
      ],
      [
        'throw',
        /error thrown by the task module .*uncloneable\.js: .*structured clone.*got Object \(.+\)/,
      ],
    ];
    for (const [kind, message] of cases) {
      await assert.rejects(p.apply(uncloneable, [kind], { timeout: 30_000 }), (e) => {
        assert.ok(e instanceof TypeError, `${kind}: a TypeError, got ${String(e)}`);
        assert.match(e.message, message);
        return true;
      });
    }
    // The same worker (not a replacement of one that crashed) goes on.
    assert.equal(await p.apply(uncloneable, ['thread'], { timeout: 30_000 }), thread);
    assert.equal(await p.apply(uncloneable, ['fine'], { timeout: 30_000 }), 'fine');
  });

  test('a task module that does not exist, or exports no function, fails with a clear error', async () => {
    const p = pool(1);
    await assert.rejects(
      p.apply(task('no-such-task'), []),
      /Cannot load the task module file:.*no-such-task\.js/,
    );
    await assert.rejects(
      p.apply(task('not-a-function'), []),
      /default export is not a function but number/,
    );
    assert.equal(await p.apply(square, [3]), 9, 'the pool goes on');
  });

  test('bad arguments: a relative path or a non-file URL reject with TypeError', async () => {
    const p = pool(1);
    await assertRejectsNoThrow(() => p.apply('./square.js', []), TypeError);
    await assertRejectsNoThrow(() => p.apply(new URL('https://example.com/x.js'), []), TypeError);
    await assertRejectsNoThrow(() => p.apply(square, 5 as never), /arguments as an array/);
    await assertRejectsNoThrow(() => p.spawn(42 as never), TypeError);
    await assertRejectsNoThrow(() => p.map(square, 5 as never), /iterable/);
    assert.throws(() => p.imap('x.js', []), TypeError);
  });

  test('a CPU-bound task never stalls the hub: a greenlet ticking every 10 ms keeps ticking', async () => {
    const p = pool(1);
    let ticks = 0;
    const ticker = spawn(async () => {
      for (;;) {
        await sleep(10);
        ticks++;
      }
    });
    const spun = await p.apply<number>(spin, [500]);
    await ticker.kill();
    assert.ok(spun >= 500);
    assert.ok(ticks >= 10, `the ticker ran while the task spun (${ticks} ticks)`);
  });

  test("a killed waiter's queued task is removed and never runs; the pool stays usable", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'verdant-tp-'));
    try {
      const p = pool(1);
      const busy = spawn(() => p.apply(spin, [300]));
      await sleep(0);
      const queued = spawn(() => p.apply(mark, [join(dir, 'queued')]));
      await sleep(50);
      await queued.kill();
      assert.ok((queued.value as unknown) instanceof GreenletExit);
      await busy.join();
      assert.ok(busy.successful());
      await p.apply(mark, [join(dir, 'later')]);
      assert.equal(existsSync(join(dir, 'queued')), false, 'the withdrawn task never ran');
      assert.equal(existsSync(join(dir, 'later')), true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a running task of a killed waiter is terminated with its worker, which is replaced', async () => {
    const p = pool(1);
    const log: string[] = [];
    const g = spawn(async () => {
      try {
        await p.apply(spin, [60_000]);
      } finally {
        log.push('finally');
      }
    });
    await sleep(200);
    const t0 = performance.now();
    await g.kill();
    assert.deepEqual(log, ['finally']);
    assert.ok(performance.now() - t0 < 5000);
    // Had the worker not been terminated, this would wait a minute behind the spin.
    assert.equal(await withTimeout(30_000, () => p.apply(square, [6])), 36);
  });

  test('a Timeout lands at apply() and the pool goes on', async () => {
    const p = pool(1);
    const g = spawn(() => withTimeout(100, () => p.apply(spin, [60_000])));
    await g.join();
    assert.ok((g.exception as unknown) instanceof Timeout);
    assert.equal(await p.apply(square, [5], { timeout: 30_000 }), 25);
  });

  test("map()'s timeout is one deadline for the whole call, not a timeout per item", async () => {
    const p = pool(1);
    assert.equal(await p.apply(square, [2]), 4); // the worker is up
    // Three 200 ms tasks one after another: each alone is within 300 ms, the call is not.
    for (const opts of [{ timeout: 300 }, 300]) {
      const g = spawn(() => p.map(spin, [200, 200, 200], opts));
      await g.join();
      assert.ok((g.exception as unknown) instanceof Timeout, `timed out (${String(g.value)})`);
    }
    // The withdrawn tasks leave the pool usable.
    assert.deepEqual(await p.map(square, [1, 2, 3], { timeout: 30_000 }), [1, 4, 9]);
    await assertRejectsNoThrow(() => p.map(square, [1], { timeout: -1 }), RangeError);
    await assertRejectsNoThrow(() => p.map(square, [1], { timeout: 'x' as never }), TypeError);
  });

  test("map()'s deadline and signal also bound reading an async iterable; the Timeout says the timeout asked for", async () => {
    const p = pool(1);
    assert.equal(await p.apply(square, [2]), 4); // the worker is up
    const stop = new AbortController(); // ends the slow iterables' foreign waits at the end
    let reached = 0;
    async function* slow(): AsyncGenerator<number> {
      yield 1;
      await delay(5000, undefined, { signal: stop.signal });
      reached++;
      yield 2;
    }
    try {
      // The timeout: the call rejects while the iterable is still being read.
      const t = await p.map(square, slow(), { timeout: 200 }).catch((e: unknown) => e);
      assert.ok(t instanceof Timeout, String(t));
      assert.equal(t.message, '200 ms');
      assert.equal(t.ms, 200);
      assert.equal(reached, 0, 'rejected before the iterable was read to its end');
      // The signal, aborted while the iterable is being read.
      const ac = new AbortController();
      const timer = setTimeout(() => ac.abort(new Error('stop reading')), 200);
      const s = await p.map(square, slow(), { signal: ac.signal }).catch((e: unknown) => e);
      clearTimeout(timer);
      assert.ok(s instanceof Error && s.message === 'stop reading', String(s));
      assert.equal(reached, 0, 'rejected before the iterable was read to its end');
      // A sync iterable's promise item is awaited under the same deadline.
      const never = new Promise<number>(() => {});
      const n = await p.map(square, [never], 100).catch((e: unknown) => e);
      assert.ok(n instanceof Timeout && n.message === '100 ms', String(n));
      // The tasks' part of the deadline says the asked timeout too, not the time left.
      const r = await p.map(spin, [60_000], 150).catch((e: unknown) => e);
      assert.ok(r instanceof Timeout && r.message === '150 ms' && r.ms === 150, String(r));
    } finally {
      stop.abort();
    }
    async function* quick(): AsyncGenerator<number> {
      yield 3;
      await delay(10);
      yield 4;
    }
    assert.deepEqual(await p.map(square, quick(), { timeout: 30_000 }), [9, 16]);
  });

  test('a task that throws something not an Error fails with an Error: throw null is no success (breaker)', async () => {
    const p = pool(1);
    // piscina sends `error: null` for "no error": `throw null` resolved with null, as a return.
    await assert.rejects(p.apply(throwValue, ['null']), {
      name: 'Error',
      message: /^The task module file:.*throw-value\.js threw a non-Error value: null$/,
    });
    await assert.rejects(p.apply(throwValue, ['undefined']), /threw a non-Error value: undefined$/);
    await assert.rejects(p.apply(throwValue, ['string']), {
      name: 'Error',
      message: 'a bare string',
    });
    // An object goes as structured clone copies it.
    await assert.rejects(p.apply(throwValue, ['object']), { message: 'a plain object', code: 42 });
    const r = await p.spawn(throwValue, 'null');
    await assert.rejects(r.get(), /threw a non-Error value: null$/);
    assert.equal(await p.apply(throwValue, ['fine']), 'fine', 'the worker goes on');
  });

  test('arguments that cannot be cloned to the worker reject with a TypeError naming the module (breaker)', async () => {
    const p = pool(1);
    // They rejected with Node's DataCloneError (a DOMException), unlike a value on the way back.
    const message =
      /^Cannot send the arguments to the task module file:.*square\.js: .*could not be cloned\. \(they cross by structured clone\), got \[ /;
    await assertRejectsNoThrow(() => p.apply(square, [() => 1]), { name: 'TypeError', message });
    await assertRejectsNoThrow(() => p.apply(square, [Symbol('s')]), {
      name: 'TypeError',
      message,
    });
    await assertRejectsNoThrow(() => p.map(square, [1, () => 1]), { name: 'TypeError', message });
    const r = await p.spawn(square, () => 1);
    await assert.rejects(r.get(), { name: 'TypeError', message });
    assert.equal(await p.apply(square, [5]), 25, 'the pool goes on');
  });

  test('apply() rejects bad options, and a pre-aborted signal, before the task is submitted (breaker)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'verdant-tp-'));
    try {
      const p = pool(1);
      // The message named `until`, and the task was submitted first (then withdrawn).
      await assertRejectsNoThrow(() => p.apply(mark, [join(dir, 'a')], -1), {
        name: 'RangeError',
        message: /^ThreadPool\.apply: timeout must be a non-negative number of ms, got -1$/,
      });
      await assertRejectsNoThrow(
        () => p.apply(mark, [join(dir, 'b')], { timeout: 'soon' as never }),
        { name: 'TypeError', message: /^ThreadPool\.apply: timeout must be a number/ },
      );
      const ac = new AbortController();
      ac.abort(new Error('aborted before'));
      await assertRejectsNoThrow(() => p.apply(mark, [join(dir, 'c')], { signal: ac.signal }), {
        message: 'aborted before',
      });
      await p.apply(mark, [join(dir, 'd')]);
      assert.deepEqual(readdirSync(dir), ['d'], 'no refused task ran');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('imap(): a Timeout or kill lands while it reads a foreign async iterable, whose return() is called (breaker)', async () => {
    const p = pool(1);
    const stop = new AbortController();
    let returned = 0;
    async function* slow(): AsyncGenerator<number> {
      try {
        yield 1;
        await delay(5000, undefined, { signal: stop.signal });
        yield 2;
      } finally {
        returned++;
      }
    }
    try {
      const values: number[] = [];
      const t0 = performance.now();
      // It waited for the iterable's next item in a foreign await: the Timeout landed at 5 s.
      const e = await withTimeout(300, async () => {
        for await (const v of p.imap<number>(square, slow())) values.push(v);
      }).catch((err: unknown) => err);
      assert.ok(e instanceof Timeout, String(e));
      assert.ok(performance.now() - t0 < 3000, 'the Timeout landed while the item was awaited');
      assert.equal(values.length, 1, 'the first item, then it waits for the second');
      const g = spawn(async () => {
        for await (const v of p.imap<number>(square, slow())) values.push(v);
      });
      await sleep(300);
      await g.kill({ timeout: 3000 });
      assert.ok(g.dead && (g.value as unknown) instanceof GreenletExit);
      stop.abort();
      await sleep(50);
      assert.equal(returned, 2, "each iterable's return() ran");
      // A promise a sync iterable yields is awaited, as map() and for await do.
      const out: number[] = [];
      for await (const v of p.imap<number>(square, [Promise.resolve(3), 4])) out.push(v);
      assert.deepEqual(out, [9, 16]);
    } finally {
      stop.abort();
    }
  });

  test('no unhandled rejection: a forgotten spawn, apply, map or imap next() ended by a kill or Timeout (breaker)', async () => {
    const p = pool(1);
    const calls: Record<string, () => Promise<unknown>> = {
      apply: () => p.apply(spin, [300]),
      map: () => p.map(spin, [300]),
      'imap next': () => p.imap(spin, [300])[Symbol.asyncIterator]().next(),
      'spawn, get': async () => (await p.spawn(spin, 300)).get(),
    };
    const seen = await noUnhandled(async () => {
      for (const [name, start] of Object.entries(calls)) {
        for (const how of ['kill', 'Timeout'] as const) await forgetThenEnd(start, how, name);
      }
    }, 200);
    assert.deepEqual(
      seen.map((e) => (e as Error).name),
      [],
    );
  });

  test('kill() makes waiting callers reject; the pool then starts new workers on demand', async () => {
    const p = pool(1);
    const g = spawn(() => p.apply(spin, [60_000]).catch((e: unknown) => e));
    await sleep(100);
    await p.kill();
    await g.join();
    assert.ok(g.value instanceof Error, 'the waiting caller got an error');
    assert.equal(await p.apply(square, [8]), 64);
  });
});

describe('gevent test__threadpool.py', () => {
  test('test_execute_async, TestSpawn.test_basics: spawn() never waits; on one worker tasks run in turn', async () => {
    const p = pool(1);
    const log: string[] = [];
    const t0 = performance.now();
    const a = await p.spawn(nap, 100, 'a');
    const b = await p.spawn(nap, 100, 'b');
    assert.ok(performance.now() - t0 < 100, 'spawn() did not wait for the tasks');
    assert.equal(a.ready() || b.ready(), false);
    const ga = spawn(async () => log.push(String(await a.get())));
    const gb = spawn(async () => log.push(String(await b.get())));
    await ga.join();
    assert.deepEqual(log, ['a']);
    assert.equal(b.ready(), false, 'b waits for the one worker');
    await gb.join();
    assert.deepEqual(log, ['a', 'b']);
  });

  test('test_async_timeout: get({timeout}) throws Timeout and the task goes on; a later get() has its value', async () => {
    const p = pool(1);
    const r = await p.spawn(nap, 300, 36);
    await assert.rejects(r.get({ timeout: 35 }), Timeout);
    assert.equal(await r.get(), 36);
  });

  test('test_imap_it_small, test_imap_it_large, test_imap_random: imap yields in input order', async () => {
    for (const size of [1, 2, 3, 10]) {
      const p = pool(size);
      const small: number[] = [];
      for await (const v of p.imap<number>(
        square,
        Array.from({ length: 10 }, (_, i) => i),
      ))
        small.push(v);
      assert.deepEqual(
        small,
        Array.from({ length: 10 }, (_, i) => i * i),
      );
      assert.deepEqual(
        await p.map(
          square,
          Array.from({ length: 200 }, (_, i) => i),
        ),
        Array.from({ length: 200 }, (_, i) => i * i),
      );
      // Tasks that finish out of order still come back in input order.
      const random: unknown[] = [];
      const items = Array.from({ length: 10 }, (_, i) => i);
      const naps = items.map((i) => (i * 37) % 50);
      for await (const v of p.imap(nap, naps)) random.push(v);
      assert.deepEqual(random, naps);
      await p.kill();
    }
  });

  test('test_terminate: kill() while a map runs ends it at once; the waiting map rejects', async () => {
    const p = pool(2);
    const g = spawn(() =>
      p.map(
        nap,
        Array.from({ length: 4 }, () => 60_000),
      ),
    );
    await sleep(100);
    const t0 = performance.now();
    await p.kill();
    assert.ok(performance.now() - t0 < 3000);
    await g.join(3000);
    assert.ok(g.exception instanceof Error, 'the waiting map rejected');
  });

  test('TestErrorInIterator: an iterable that throws makes map and imap throw its error', async () => {
    const p = pool(3);
    function* errorIter(): Generator<number> {
      yield 1;
      yield 2;
      throw new Error('from the iterable');
    }
    await assert.rejects(p.map(square, errorIter()), /from the iterable/);
    await assert.rejects(async () => {
      for await (const _ of p.imap(square, errorIter())) {
        // consume
      }
    }, /from the iterable/);
    assert.equal(await p.apply(square, [4]), 16, 'the pool goes on');
  });

  test('a kill and a Timeout pending at once at apply, map and AsyncResult.get: each delivered once, in order (breaker)', async () => {
    const p = pool(2);
    const calls: Record<string, () => Promise<unknown>> = {
      apply: () => p.apply(nap, [2000]),
      map: () => p.map(nap, [2000]),
      get: async () => (await p.spawn(nap, 2000)).get(),
    };
    for (const [name, start] of Object.entries(calls)) {
      const log: string[] = [];
      const g = spawn(async () => {
        const t = Timeout.startNew(30);
        try {
          for (let i = 0; i < 2; i++) {
            try {
              await Promise.all([start(), start()]);
              log.push('returned');
            } catch (e) {
              log.push(e === t ? 'Timeout' : (e as Error).name);
            }
          }
        } finally {
          t.cancel();
        }
      });
      await sleep(10);
      const t0 = Date.now();
      while (Date.now() - t0 < 40) {
        // block until the Timeout is due, then request the kill: both pending at once
      }
      void g.kill({ block: false });
      await g.join(5000);
      assert.deepEqual(log, ['GreenletExit', 'Timeout'], name);
    }
  });
});

describe('nothing stays alive', () => {
  test('a process that used a pool exits on its own, after kill() and without it', () => {
    const mod = new URL('../../src/process/threadpool.js', import.meta.url).href;
    for (const killIt of [true, false]) {
      const script = `
        const { ThreadPool } = await import(${JSON.stringify(mod)});
        const p = new ThreadPool(2);
        console.log(await p.map(${JSON.stringify(square.href)}, [1, 2, 3]));
        ${killIt ? 'await p.kill();' : ''}
      `;
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
        encoding: 'utf8',
        timeout: 30_000,
      });
      assert.equal(r.signal, null, `exited on its own (kill: ${killIt})`);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout.trim(), '[ 1, 4, 9 ]');
    }
  });
});
