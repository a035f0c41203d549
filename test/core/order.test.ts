// Scheduling order: the ready FIFO, sleep(0), ready callbacks before timers, timers in creation
// order, and the one-greenlet turn. Ports gevent's test__order.py (TestSleep0) and the scheduling
// rules of DESIGN §1.1, §1.3 and §3.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  GreenletExit,
  getHub,
  kill,
  sleep,
  spawn,
  spawnLater,
  Timeout,
  wait,
} from '../../src/index.js';
import { runVirtual } from '../../src/testing/index.js';
import { deferred } from '../_util.js';

async function sleep0(lst: string[], param: string): Promise<void> {
  lst.push(`${param}A`);
  await sleep(0);
  lst.push(`${param}B`);
}

test('two greenlets doing A; sleep(0); B give 1A 2A 1B 2B (test__order TestSleep0)', async () => {
  await runVirtual(async () => {
    const lst: string[] = [];
    spawn(sleep0, lst, '1');
    spawn(sleep0, lst, '2');
    assert.equal(await wait(), true);
    assert.equal(lst.join(' '), '1A 2A 1B 2B');
  });
});

test('the same on the real hub, from the main program', async () => {
  const lst: string[] = [];
  const a = spawn(sleep0, lst, '1');
  const b = spawn(sleep0, lst, '2');
  await a.join();
  await b.join();
  assert.equal(lst.join(' '), '1A 2A 1B 2B');
});

test('links run in the order they were added; a join() made after them returns once all ran (test__order Test, TestM)', async () => {
  // test__order.py test_greenlet_link on the main program, counts 1, 2, 3, 4 and 1000.
  for (const count of [1, 2, 3, 4, 1000]) {
    const lst: number[] = [];
    const g = spawn((x: number) => lst.push(x), 0);
    for (let i = 1; i < count; i++) g.link(() => lst.push(i));
    await g.join();
    assert.deepEqual(
      lst,
      Array.from({ length: count }, (_, i) => i),
      `count ${count}`,
    );
  }
});

test('sleep(0) lets every other ready greenlet run once, then resumes', async () => {
  await runVirtual(async () => {
    const lst: string[] = [];
    const worker = async (name: string): Promise<void> => {
      for (let i = 0; i < 3; i++) {
        lst.push(`${name}${i}`);
        await sleep(0);
      }
    };
    spawn(worker, 'a');
    spawn(worker, 'b');
    spawn(worker, 'c');
    await wait();
    assert.deepEqual(lst, ['a0', 'b0', 'c0', 'a1', 'b1', 'c1', 'a2', 'b2', 'c2']);
  });
});

test('sleep() means sleep(0)', async () => {
  await runVirtual(async () => {
    const lst: string[] = [];
    spawn(async () => {
      lst.push('1A');
      await sleep();
      lst.push('1B');
    });
    spawn(sleep0, lst, '2');
    await wait();
    assert.equal(lst.join(' '), '1A 2A 1B 2B');
    assert.equal(getHub().now(), 0, 'no time passed');
  });
});

test('ready callbacks run before timers: spawnLater(0, f) runs after a spawn(g) made later', async () => {
  await runVirtual(async () => {
    const lst: string[] = [];
    spawnLater(0, () => lst.push('later0'));
    spawn(() => lst.push('spawn'));
    await wait();
    assert.deepEqual(lst, ['spawn', 'later0']);
  });
});

test('sleep(0) resumes before a timer that is already due', async () => {
  await runVirtual(async () => {
    const lst: string[] = [];
    spawnLater(0, () => lst.push('timer'));
    await sleep(0);
    lst.push('after sleep(0)');
    await sleep(0);
    await wait();
    assert.deepEqual(lst, ['after sleep(0)', 'timer']);
  });
});

test('timers with the same deadline fire in creation order', async () => {
  await runVirtual(async () => {
    const lst: number[] = [];
    for (let i = 0; i < 20; i++) spawnLater(10, () => lst.push(i));
    for (let i = 20; i < 25; i++) {
      spawn(async () => {
        await sleep(10);
        lst.push(i);
      });
    }
    await wait();
    assert.deepEqual(
      lst,
      Array.from({ length: 25 }, (_, i) => i),
    );
  });
});

test('timers fire by deadline, not by creation', async () => {
  await runVirtual(async () => {
    const lst: number[] = [];
    for (const ms of [30, 10, 20, 0, 15]) spawnLater(ms, () => lst.push(ms));
    await wait();
    assert.deepEqual(lst, [0, 10, 15, 20, 30]);
  });
});

test('kills are delivered through the same FIFO as wake-ups and starts', async () => {
  await runVirtual(async () => {
    const lst: string[] = [];
    const target = (): Promise<void> =>
      (async () => {
        try {
          await sleep(1000);
        } catch (e) {
          lst.push(e instanceof GreenletExit ? 'killed' : 'other');
          throw e;
        }
      })();
    const a = spawn(target);
    const b = spawn(target);
    await sleep(1);
    await kill(a);
    spawn(() => lst.push('spawned after kill(a)'));
    spawn(() => lst.push('spawned before kill(b)'));
    await kill(b);
    await wait();
    assert.deepEqual(lst, ['killed', 'spawned after kill(a)', 'spawned before kill(b)', 'killed']);
  });
});

test('a Timeout is delivered through the FIFO too: a timer of the same deadline made first wakes first', async () => {
  await runVirtual(async () => {
    const lst: string[] = [];
    spawn(async () => {
      await sleep(10);
      lst.push('sleeper woke');
    });
    await sleep(0); // the sleeper's timer is made first: same deadline, earlier creation
    const t = Timeout.startNew(10);
    try {
      await sleep(1000);
    } catch (e) {
      assert.equal(e, t);
      lst.push('timeout');
    }
    assert.deepEqual(lst, ['sleeper woke', 'timeout']);
  });
});

// ---- the one-greenlet turn ----

async function helper(lst: string[], name: string, depth: number): Promise<void> {
  await Promise.resolve();
  lst.push(`${name} depth ${depth}`);
  if (depth > 0) await helper(lst, name, depth - 1);
  await Promise.resolve(null);
}

test('a resumed greenlet runs through nested async helpers before any other greenlet', async () => {
  await runVirtual(async () => {
    const lst: string[] = [];
    const body = async (name: string): Promise<void> => {
      await sleep(5);
      lst.push(`${name} resumed`);
      await helper(lst, name, 3);
      for (let i = 0; i < 20; i++) await Promise.resolve(i);
      lst.push(`${name} before next wait`);
      await sleep(5);
      lst.push(`${name} done`);
    };
    spawn(body, 'a');
    spawn(body, 'b');
    await wait();
    const turn = (name: string): string[] => [
      `${name} resumed`,
      `${name} depth 3`,
      `${name} depth 2`,
      `${name} depth 1`,
      `${name} depth 0`,
      `${name} before next wait`,
    ];
    assert.deepEqual(lst, [...turn('a'), ...turn('b'), 'a done', 'b done']);
  });
});

test('a started greenlet runs through foreign awaits of resolved promises before the next one starts', async () => {
  await runVirtual(async () => {
    const lst: string[] = [];
    const resolved = Promise.resolve('v');
    const body = async (name: string): Promise<void> => {
      lst.push(`${name} start`);
      await resolved;
      await new Promise<void>((r) => queueMicrotask(r));
      lst.push(`${name} after foreign awaits`);
    };
    spawn(body, 'a');
    spawn(body, 'b');
    spawn(body, 'c');
    await wait();
    assert.deepEqual(lst, [
      'a start',
      'a after foreign awaits',
      'b start',
      'b after foreign awaits',
      'c start',
      'c after foreign awaits',
    ]);
  });
});

test('the spawner keeps the turn through foreign awaits: spawned greenlets start at its next wait', async () => {
  await runVirtual(async () => {
    const lst: string[] = [];
    spawn(() => lst.push('child'));
    for (let i = 0; i < 10; i++) await Promise.resolve();
    lst.push('spawner after foreign awaits');
    await sleep(0);
    assert.deepEqual(lst, ['spawner after foreign awaits', 'child']);
  });
});

test('a greenlet left in a pending foreign await gives up the turn so others run', async () => {
  await runVirtual(async () => {
    const d = deferred<string>();
    const lst: string[] = [];
    const a = spawn(async () => {
      lst.push('a waits on a foreign promise');
      const v = await d.promise;
      lst.push(`a got ${v}`);
    });
    spawn(async () => {
      lst.push('b runs');
      await sleep(0);
      d.resolve('x');
      lst.push('b resolved it');
    });
    await a.join();
    assert.deepEqual(lst, ['a waits on a foreign promise', 'b runs', 'b resolved it', 'a got x']);
  });
});

test('the same program gives the same order (deterministic)', async () => {
  const program = async (): Promise<string[]> => {
    const lst: string[] = [];
    const worker = async (name: string, n: number): Promise<void> => {
      for (let i = 0; i < n; i++) {
        lst.push(`${name}${i}@${getHub().now()}`);
        await sleep((i * 7 + name.length * 3) % 5);
        if (i === 2) spawn(() => lst.push(`${name}-child@${getHub().now()}`));
      }
    };
    for (const [name, n] of [
      ['a', 5],
      ['bb', 4],
      ['ccc', 6],
    ] as const) {
      spawn(worker, name, n);
    }
    spawnLater(3, () => lst.push(`later@${getHub().now()}`));
    await wait();
    return lst;
  };
  const first = await runVirtual(program);
  const second = await runVirtual(program);
  assert.ok(first.length > 15);
  assert.deepEqual(second, first);
});
