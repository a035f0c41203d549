// getCurrent, spawn and the async context (src/core/current.ts, src/core/context.ts). DESIGN §3
// "getCurrent() inside a greenlet …".
import assert from 'node:assert/strict';
import { AsyncLocalStorage } from 'node:async_hooks';
import { test } from 'node:test';
import {
  Greenlet,
  GreenletExit,
  getCurrent,
  sleep,
  spawn,
  spawnLater,
  until,
  wait,
} from '../../src/index.js';
import { runVirtual } from '../../src/testing/index.js';

// ---- getCurrent and the async context ----

test('getCurrent() is right after foreign awaits, in nested helpers and via until (real hub)', async () => {
  {
    const helper = async (): Promise<unknown> => {
      await new Promise((r) => setTimeout(r, 1));
      await Promise.resolve();
      return getCurrent();
    };
    const body = async (): Promise<unknown[]> => {
      const seen: unknown[] = [getCurrent()];
      await new Promise((r) => setImmediate(r));
      seen.push(getCurrent());
      seen.push(await helper());
      await until(new Promise((r) => setTimeout(r, 1)));
      seen.push(getCurrent());
      await sleep(1);
      seen.push(getCurrent());
      return seen;
    };
    const a = spawn(body);
    const b = spawn(body);
    const [ra, rb] = [await a.get(), await b.get()];
    assert.deepEqual(ra, [a, a, a, a, a]);
    assert.deepEqual(rb, [b, b, b, b, b]);
  }
});

test('getCurrent() outside any greenlet is main, also after runVirtual', async () => {
  const main = getCurrent();
  assert.equal(main.name, 'main');
  assert.ok(!(main instanceof Greenlet));
  await runVirtual(() => sleep(1));
  assert.equal(getCurrent(), main);
  await new Promise((r) => setTimeout(r, 1));
  assert.equal(getCurrent(), main);
});

test("a user's AsyncLocalStorage store set around spawn is visible inside the greenlet", async () => {
  const store = new AsyncLocalStorage<string>();
  const body = async (virtual = false): Promise<(string | undefined)[]> => {
    const seen = [store.getStore()];
    await sleep(1);
    seen.push(store.getStore());
    const foreign = new Promise((r) => setTimeout(r, 1));
    await (virtual ? until(foreign) : foreign);
    seen.push(store.getStore());
    return seen;
  };
  await runVirtual(async () => {
    const a = store.run('request-1', () => spawn(body, true));
    const b = store.run('request-2', () => spawn(body, true));
    const c = spawn(body, true);
    assert.deepEqual(await a.get(), ['request-1', 'request-1', 'request-1']);
    assert.deepEqual(await b.get(), ['request-2', 'request-2', 'request-2']);
    assert.deepEqual(await c.get(), [undefined, undefined, undefined]);
  });
  const top = store.run('top', () => spawn(body, false));
  assert.deepEqual(await top.get(), ['top', 'top', 'top']);
});

test('a call that completes without waiting is not a wait: a self-kill lands at the next real wait', async () => {
  await runVirtual(async () => {
    const done = spawn(() => 1);
    await done.join();
    const log: string[] = [];
    const g = spawn(async () => {
      void (getCurrent() as Greenlet).kill({ block: false });
      log.push(`join ${await done.join()}`);
      log.push(`get ${await done.get()}`);
      log.push(`kill ${await done.kill()}`);
      log.push(`wait ${(await wait([done])).length}`);
      try {
        await sleep(0);
      } catch (e) {
        log.push(e instanceof GreenletExit ? 'GreenletExit at sleep' : 'other');
        throw e;
      }
    });
    await g.join();
    assert.deepEqual(log, [
      'join true',
      'get 1',
      'kill undefined',
      'wait 1',
      'GreenletExit at sleep',
    ]);
  });
});

test('a store set around spawnLater or start() is visible inside too', async () => {
  const store = new AsyncLocalStorage<string>();
  await runVirtual(async () => {
    const later = store.run('later', () => spawnLater(5, () => store.getStore()));
    const g = new Greenlet(() => store.getStore());
    store.run('at start', () => g.start());
    assert.equal(await later.get(), 'later');
    assert.equal(await g.get(), 'at start');
  });
});

// gevent's test__contextvars.py test_context_threads_1: ten (patched) threads each set one
// ContextVar ten times, sleeping a random while between, and always read back their own value.
// verdant's form: ten greenlets, a user's AsyncLocalStorage changed inside each with enterWith,
// and store.run around each step; a greenlet never sees another's value. (The rest of that file
// tests Python's contextvars.Context API itself: not applicable.)
test('test__contextvars.py test_context_threads_1: an AsyncLocalStorage store set inside a greenlet stays its own across sleeps', async () => {
  const cvar = new AsyncLocalStorage<number>();
  const sub = async (num: number, delays: number[]): Promise<number> => {
    for (let i = 0; i < 10; i++) {
      cvar.enterWith(num + i);
      await sleep(delays[i] ?? 1);
      assert.equal(cvar.getStore(), num + i);
      await cvar.run(num * 100 + i, async () => {
        await sleep(delays[9 - i] ?? 1);
        assert.equal(cvar.getStore(), num * 100 + i);
      });
      assert.equal(cvar.getStore(), num + i);
    }
    return num;
  };
  let seed = 7;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return 1 + (seed % 50);
  };
  const plan = Array.from({ length: 10 }, () => Array.from({ length: 10 }, rand));
  await runVirtual(async () => {
    const gs = plan.map((delays, num) => spawn(sub, num, delays));
    assert.deepEqual(await Promise.all(gs.map((g) => g.get())), [...Array(10).keys()]);
    assert.equal(cvar.getStore(), undefined, 'nothing leaked into the spawner');
  });
  const gs = plan.slice(0, 3).map((delays, num) => spawn(sub, num, delays));
  assert.deepEqual(await Promise.all(gs.map((g) => g.get())), [0, 1, 2]);
  assert.equal(cvar.getStore(), undefined, 'nothing leaked into main');
});
