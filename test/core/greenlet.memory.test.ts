// What a greenlet keeps in memory: a worker that spawns its successor and returns must not keep
// the chain of its dead predecessors (each held its spawner), while spawningGreenlet and
// spawnTreeLocals keep gevent's meaning (test__greenlet.py test_tree_locals). Collectability is
// checked with WeakRefs and a full garbage collection, never with timings.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { type Greenlet, getCurrent, sleep, spawn, Timeout } from '../../src/index.js';
import { runVirtual } from '../../src/testing/index.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** A full collection, after the current job (a WeakRef made in this job keeps its target until it ends). */
async function collect(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
  gc();
  gc();
}

/** Spawn `fn` and keep only a WeakRef (a local of an async test would keep it alive). */
function weakSpawn(fn: () => Promise<void>): WeakRef<Greenlet> {
  return new WeakRef(spawn(fn));
}

test('a worker that respawns itself 50k times leaves its dead predecessors collectable', async () => {
  const N = 50_000;
  const early: WeakRef<Greenlet>[] = [];
  let n = 0;
  let last: Greenlet | undefined;
  const step = (): void => {
    if (n < 100) early.push(new WeakRef(getCurrent() as Greenlet));
    last = ++n < N ? spawn(step) : spawn(() => sleep(10_000));
  };
  spawn(step);
  for (let i = 0; i < 1000 && n < N; i++) await sleep(5);
  assert.equal(n, N);
  const sleeper = last as Greenlet;
  await sleep(0);
  await collect();
  const alive = early.filter((r) => r.deref() !== undefined).length;
  assert.equal(alive, 0, `${alive} of the first 100 dead workers are still reachable`);
  // The live end of the chain still names its (dead) spawner, which has let go of its own.
  const spawner = sleeper.spawningGreenlet as Greenlet;
  assert.equal(spawner.dead, true);
  assert.equal(spawner.spawningGreenlet, null);
  await sleeper.kill();
});

test('spawningGreenlet: kept while alive; a greenlet dying after its spawner lets go of it (null)', async () => {
  await runVirtual(async () => {
    const me = getCurrent();
    let child: Greenlet | undefined;
    let grandchild: Greenlet | undefined;
    const parent = spawn(async () => {
      child = spawn(async () => {
        grandchild = spawn(() => sleep(20));
        await sleep(10);
      });
      await sleep(5);
    });
    await sleep(1);
    const c = child as Greenlet;
    const gc1 = grandchild as Greenlet;
    assert.equal(c.spawningGreenlet, parent);
    await parent.join();
    // A live greenlet keeps its dead spawner.
    assert.equal(c.dead, false);
    assert.equal(c.spawningGreenlet, parent);
    await c.join();
    // child died after parent: it let go of it. parent died while main was alive: kept.
    assert.equal(c.spawningGreenlet, null);
    assert.equal(parent.spawningGreenlet, me);
    // grandchild is alive: it keeps its dead spawner (which no longer keeps its own).
    assert.equal(gc1.spawningGreenlet, c);
    await gc1.join();
    assert.equal(gc1.spawningGreenlet, null);
  });
});

test('on the real hub too, with and without its rare state made (the spawner shares that slot)', async () => {
  // Under runVirtual every greenlet keeps its hub in its rare state; on the real hub only a
  // greenlet that needed it (a name here) has it: both must let go of a dead spawner alike.
  const plain: Greenlet[] = [];
  const named: Greenlet[] = [];
  const parent = spawn(() => {
    plain.push(spawn(() => sleep(5)));
    const n = spawn(() => sleep(5));
    n.name = 'named';
    named.push(n);
  });
  await parent.join();
  const [p, n] = [plain[0] as Greenlet, named[0] as Greenlet];
  assert.equal(p.spawningGreenlet, parent);
  assert.equal(n.spawningGreenlet, parent);
  await p.join();
  await n.join();
  assert.equal(p.spawningGreenlet, null);
  assert.equal(n.spawningGreenlet, null);
  assert.equal(n.name, 'named');
  assert.equal(p.spawnTreeLocals, n.spawnTreeLocals, 'one tree, one map');
});

test('a greenlet that dies before its spawner keeps naming it after both are dead', async () => {
  await runVirtual(async () => {
    let child: Greenlet | undefined;
    const parent = spawn(async () => {
      child = spawn(() => 1);
      await (child as Greenlet).join();
    });
    await parent.join();
    assert.equal(child?.spawningGreenlet, parent);
  });
});

test('spawnTreeLocals stays one map across a respawn chain whose links were let go', async () => {
  await runVirtual(async () => {
    const chain: Greenlet[] = [];
    const step = (i: number): void => {
      const me = getCurrent() as Greenlet;
      chain.push(me);
      if (i === 0) me.spawnTreeLocals.set('request', 'r1');
      if (i < 5) spawn(step, i + 1);
    };
    const first = spawn(step, 0);
    await sleep(1);
    assert.equal(chain.length, 6);
    for (const g of chain) {
      assert.equal(g.dead, true);
      assert.equal(g.spawnTreeLocals, first.spawnTreeLocals, String(g));
    }
    assert.equal(chain.at(-1)?.spawnTreeLocals.get('request'), 'r1');
  });
});

test('spawnTreeLocals made only after the chain died is still shared by all of it', async () => {
  await runVirtual(async () => {
    const chain: Greenlet[] = [];
    const step = (i: number): void => {
      chain.push(getCurrent() as Greenlet);
      if (i < 4) spawn(step, i + 1);
    };
    spawn(step, 0);
    await sleep(1);
    assert.equal(chain.length, 5);
    // Nobody touched the map while they lived: asked now, from both ends, it is one map.
    const last = chain[4] as Greenlet;
    const first = chain[0] as Greenlet;
    assert.equal(first.spawnTreeLocals, last.spawnTreeLocals);
    assert.equal((chain[2] as Greenlet).spawnTreeLocals, first.spawnTreeLocals);
  });
});

test('a cancelled Timeout kept for reuse does not keep the greenlet that started it', async () => {
  const t = new Timeout(50);
  // No wait inside: a pooled waiter keeps the greenlet it last served until it is reused.
  const ref = weakSpawn(async () => {
    t.start();
    t.cancel();
  });
  for (let i = 0; i < 100 && ref.deref()?.dead !== true; i++) await sleep(1);
  await collect();
  assert.equal(ref.deref(), undefined);
  // Still reusable after the cancel: it fires in the next greenlet that starts it.
  const h = spawn(async () => {
    t.start();
    await sleep(5000);
  });
  const caught = await h.join().then(() => h.exception);
  assert.equal(caught, t);
});
