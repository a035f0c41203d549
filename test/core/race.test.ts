// race(...fns): the first of several waits, the others withdrawn (DESIGN §3 "`Promise.race` over
// verdant waits …", issue 15 defect 9). Go's select; nothing a loser waited for is lost.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  AsyncResult,
  Event,
  type Greenlet,
  GreenletExit,
  getHub,
  Queue,
  race,
  Semaphore,
  sleep,
  spawn,
  Timeout,
} from '../../src/index.js';
import { runVirtual } from '../../src/testing/index.js';
import { assertRejectsNoThrow, captureReports, deferred, ExpectedError } from '../_util.js';

test('Promise.race over verdant waits leaves its loser registered: it eats the next item', async () => {
  await runVirtual(async () => {
    const q = new Queue<number>();
    await Promise.race([q.get(), sleep(10)]);
    q.putNowait(1);
    await sleep(0);
    assert.equal(q.qsize(), 0, 'the losing get took it (documented: use race)');
  });
});

test('race() in a loop loses no item: the losing get is withdrawn', async () => {
  await runVirtual(async () => {
    const q = new Queue<number>();
    spawn(async () => {
      for (let i = 0; i < 20; i++) {
        await sleep(13);
        q.putNowait(i);
      }
    });
    const got: number[] = [];
    let idle = 0;
    while (got.length < 20) {
      const r = await race(
        () => q.get(),
        () => sleep(5),
      );
      if (r.index === 0) got.push(r.value as number);
      else idle++;
    }
    assert.deepEqual(
      got,
      Array.from({ length: 20 }, (_, i) => i),
    );
    assert.ok(idle > 0);
  });
});

test('race() resolves with {index, value} of the first to settle', async () => {
  await runVirtual(async () => {
    const e = new Event();
    spawn(async () => {
      await sleep(5);
      e.set();
    });
    const r = await race(
      () => sleep(10).then(() => 'slow'),
      () => e.wait(),
    );
    assert.deepEqual(r, { index: 1, value: true });
    assert.equal(getHub().now(), 5);
  });
});

test('a loser that was woken hands back what it held; its promise never settles', async () => {
  await runVirtual(async () => {
    const q1 = new Queue<string>();
    const q2 = new Queue<string>();
    let loserSettled = false;
    spawn(() => {
      q1.putNowait('a');
      q2.putNowait('b'); // both getters are woken in the same step
    });
    const r = await race(
      () => q1.get(),
      () =>
        q2.get().then((v) => {
          loserSettled = true;
          return v;
        }),
    );
    assert.deepEqual(r, { index: 0, value: 'a' });
    assert.equal(q2.qsize(), 1, 'the item went back');
    assert.equal(q2.getNowait(), 'b');
    await sleep(10);
    assert.equal(loserSettled, false);
  });
});

test('a losing acquire hands its permit back', async () => {
  await runVirtual(async () => {
    const s = new Semaphore(0);
    const r = await race(
      () => s.acquire(),
      () => sleep(5),
    );
    assert.equal(r.index, 1);
    s.release();
    assert.equal(s.counter, 1, 'nobody took the permit');
  });
});

test('race() rejects with the first failure and withdraws the others', async () => {
  await runVirtual(async () => {
    const q = new Queue<number>();
    const err = new ExpectedError('first');
    await assert.rejects(
      race(
        () => q.get(),
        async () => {
          await sleep(3);
          throw err;
        },
      ),
      (e) => e === err,
    );
    q.putNowait(1);
    await sleep(0);
    assert.equal(q.qsize(), 1, 'the get was withdrawn');
  });
});

test('race({timeout}) rejects with a Timeout and withdraws every wait', async () => {
  await runVirtual(async () => {
    const q = new Queue<number>();
    await assert.rejects(
      race(() => q.get(), { timeout: 5 }),
      (e) => e instanceof Timeout,
    );
    assert.equal(getHub().now(), 5);
    q.putNowait(1);
    await sleep(0);
    assert.equal(q.qsize(), 1);
    await assert.rejects(
      race(() => q.get({ timeout: 100 }).then(() => sleep(100)), 5),
      (e) => e instanceof Timeout,
    );
  });
});

test('race({signal}) rejects with the reason when it aborts; pre-aborted at once', async () => {
  await runVirtual(async () => {
    const q = new Queue<number>();
    const ac = new AbortController();
    spawn(async () => {
      await sleep(5);
      ac.abort(new ExpectedError('stop'));
    });
    await assert.rejects(
      race(() => q.get(), { signal: ac.signal }),
      ExpectedError,
    );
    await assert.rejects(
      race(() => q.get(), { signal: ac.signal }),
      ExpectedError,
    );
    q.putNowait(1);
    await sleep(0);
    assert.equal(q.qsize(), 1);
  });
});

test('race() is a cancel point: a kill and a Timeout land there and withdraw every wait', async () => {
  await runVirtual(async () => {
    const q = new Queue<number>();
    const log: string[] = [];
    const g = spawn(async () => {
      try {
        await race(
          () => q.get(),
          () => sleep(1000),
        );
      } finally {
        log.push('finally');
      }
    });
    await sleep(1);
    await g.kill();
    assert.ok((g.value as unknown) instanceof GreenletExit);
    assert.deepEqual(log, ['finally']);
    const t = Timeout.startNew(5);
    await assert.rejects(
      race(
        () => q.get(),
        () => sleep(1000),
      ),
      (e) => e === t,
    );
    q.putNowait(1);
    await sleep(0);
    assert.equal(q.qsize(), 1);
  });
});

test('a foreign promise may win a race; as a loser it is only abandoned', async () => {
  await runVirtual(async () => {
    const d = deferred<string>();
    spawn(async () => {
      await sleep(5);
      d.resolve('foreign');
    });
    assert.deepEqual(
      await race(
        () => d.promise,
        () => sleep(10),
      ),
      { index: 0, value: 'foreign' },
    );
    const never = deferred<string>();
    assert.equal(
      (
        await race(
          () => never.promise,
          () => sleep(3),
        )
      ).index,
      1,
    );
  });
});

test('a call returning a plain value settles the race at once; later calls are not made', async () => {
  await runVirtual(async () => {
    const q = new Queue<number>();
    let called = false;
    const r = await race(
      () => q.get(),
      () => 7,
      () => {
        called = true;
        return sleep(1);
      },
    );
    assert.deepEqual(r, { index: 1, value: 7 });
    assert.equal(called, false);
    q.putNowait(1);
    await sleep(0);
    assert.equal(q.qsize(), 1);
  });
});

test('race() rejects bad arguments without throwing', async () => {
  await runVirtual(async () => {
    await assertRejectsNoThrow(
      () =>
        race(
          () => sleep(1),
          5 as never,
          () => sleep(1),
        ),
      TypeError,
    );
    await assertRejectsNoThrow(() => race(() => sleep(1), { timeout: -1 }), RangeError);
    await assertRejectsNoThrow(() => race('x' as never), TypeError);
  });
});

test('a call that completes at once wins over a wait that could resume: what it took is not lost', async () => {
  await runVirtual(async () => {
    const q = new Queue<number>();
    q.putNowait(5);
    const r = await race(
      () => q.get().then((x) => x * 2), // the get takes the item at once; its value settles later
      () => sleep(0),
    );
    assert.deepEqual(r, { index: 0, value: 10 });
  });
});

/** A child greenlet that logs its end: 'done', or 'finally' when it was cut. */
function loggedChild(log: string[], name: string, ms: number) {
  return spawn(async () => {
    let done = false;
    try {
      await sleep(ms);
      done = true;
      return name;
    } finally {
      log.push(`${name} ${done ? 'done' : 'finally'}`);
    }
  });
}

test('a greenlet a losing call spawned is killed (its finally runs); the winner keeps its own', async () => {
  await runVirtual(async () => {
    const log: string[] = [];
    const kids: Greenlet[] = [];
    const r = await race(
      () => {
        const g = loggedChild(log, 'slow', 100);
        kids.push(g);
        return g.get();
      },
      () => {
        kids.push(loggedChild(log, 'bystander', 50)); // started by the winner: not the race's to end
        return sleep(5).then(() => 'fast');
      },
    );
    assert.deepEqual(r, { index: 1, value: 'fast' });
    await (kids[0] as Greenlet).join();
    assert.ok((kids[0] as Greenlet).value instanceof GreenletExit);
    assert.deepEqual(log, ['slow finally']);
    await (kids[1] as Greenlet).join();
    assert.deepEqual(log, ['slow finally', 'bystander done']);
    assert.equal(getHub().now(), 50);
  });
});

test('a kill and a Timeout pending at once at race() kill every greenlet its calls spawned', async () => {
  await runVirtual(async () => {
    const log: string[] = [];
    const kids: Greenlet[] = [];
    const q = new Queue<number>();
    const reports = captureReports();
    let t: Timeout | null = null;
    const racer = spawn(async () => {
      t = Timeout.startNew(10);
      try {
        await race(
          () => {
            const g = loggedChild(log, 'a', 1000);
            kids.push(g);
            return g.join();
          },
          () => {
            kids.push(loggedChild(log, 'b', 1000)); // not waited for: still the call's work
            return q.get();
          },
        );
      } finally {
        log.push('racer finally');
        t.cancel();
      }
    });
    // This sleep's timer was set before the racer's Timeout: at 10 ms both fire in one pass, so
    // the kill is requested here while the Timeout is armed and not yet delivered.
    await sleep(10);
    assert.deepEqual(log, [], 'the Timeout has not landed yet');
    await racer.kill();
    // The Timeout, armed first, ends the race; the kill finds no wait left.
    assert.equal(racer.exception, t);
    await Promise.all(kids.map((g) => g.join()));
    assert.ok(kids.every((g) => g.dead && g.value instanceof GreenletExit));
    assert.deepEqual([...log].sort(), ['a finally', 'b finally', 'racer finally']);
    q.putNowait(1);
    await sleep(0);
    assert.equal(q.qsize(), 1, 'the withdrawn get took nothing');
    assert.equal(reports.length, 1);
    assert.equal(getHub().now(), 10);
  });
});

test('race({timeout}) elapsing kills the greenlets its calls spawned', async () => {
  await runVirtual(async () => {
    const log: string[] = [];
    const kids: Greenlet[] = [];
    await assert.rejects(
      race(
        () => {
          const g = loggedChild(log, 'a', 1000);
          kids.push(g);
          return g.get();
        },
        { timeout: 5 },
      ),
      Timeout,
    );
    await (kids[0] as Greenlet).join();
    assert.deepEqual(log, ['a finally']);
    assert.equal(getHub().now(), 5);
  });
});

test("a race inside a losing call: the greenlets its calls spawned are the outer call's too", async () => {
  await runVirtual(async () => {
    const log: string[] = [];
    const kids: Greenlet[] = [];
    const r = await race(
      () =>
        race(
          () => {
            const g = loggedChild(log, 'inner', 100);
            kids.push(g);
            return g.get();
          },
          () => sleep(200),
        ),
      () => sleep(5),
    );
    assert.equal(r.index, 1);
    await (kids[0] as Greenlet).join();
    assert.deepEqual(log, ['inner finally']);
  });
});

test("a call's wait that ended before the race did is not withdrawn again: the waiter, reused by another greenlet's sleep, keeps that sleep", async () => {
  await runVirtual(async () => {
    const log: string[] = [];
    const reports = captureReports();
    // The first call's sleep(1) ends at 1 ms without settling the call; the greenlet its
    // continuation spawns then sleeps, and a sleep's waiter comes from the free list.
    const r = await race(
      () =>
        sleep(1).then(() => {
          spawn(async () => {
            await sleep(20);
            log.push('woke');
          });
          return new Promise<never>(() => {});
        }),
      () => sleep(10),
    );
    assert.equal(r.index, 1);
    await sleep(30);
    assert.deepEqual(log, ['woke'], "ending the race withdrew another greenlet's sleep");
    assert.deepEqual(reports, []);
  });
});

test("a call returning a thenable whose then throws: the race rejects with that error (it never throws), withdraws the waits before it and kills that call's greenlets", async () => {
  await runVirtual(async () => {
    const log: string[] = [];
    const q = new Queue<number>();
    const kids: Greenlet[] = [];
    const bad = new ExpectedError('then');
    for (const thenable of [
      {
        then(): never {
          throw bad;
        },
      },
      Object.defineProperty({}, 'then', {
        get(): never {
          throw bad;
        },
      }),
    ]) {
      await assertRejectsNoThrow(
        () =>
          race(
            () => q.get(),
            () => {
              kids.push(loggedChild(log, 'job', 100));
              return thenable;
            },
            () => sleep(5),
          ),
        (e: unknown) => e === bad,
      );
    }
    q.putNowait(1);
    await sleep(0);
    assert.equal(q.qsize(), 1, 'the gets before it were withdrawn');
    await Promise.all(kids.map((g) => g.join()));
    assert.ok(kids.every((g) => g.dead && g.value instanceof GreenletExit));
    assert.deepEqual(log, [], 'killed before they started: they never ran');
    // The race gave the turn back: two greenlets still alternate at every sleep(0).
    const order: string[] = [];
    const a = spawn(async () => {
      for (let i = 0; i < 2; i++) {
        order.push(`a${i}`);
        await sleep(0);
      }
    });
    const b = spawn(async () => {
      for (let i = 0; i < 2; i++) {
        order.push(`b${i}`);
        await sleep(0);
      }
    });
    await Promise.all([a.join(), b.join()]);
    assert.deepEqual(order, ['a0', 'b0', 'a1', 'b1']);
    assert.equal(getHub().now(), 0);
  });
});

test('race({signal}) aborted by one of its calls as it starts rejects at once with the reason and withdraws every wait', async () => {
  await runVirtual(async () => {
    const q = new Queue<number>();
    const ac = new AbortController();
    const stop = new ExpectedError('stop');
    await assert.rejects(
      race(
        () => {
          ac.abort(stop); // after race() checked the signal, before its own wait listens
          return q.get();
        },
        () => sleep(1000),
        { signal: ac.signal },
      ),
      (e: unknown) => e === stop,
    );
    assert.equal(getHub().now(), 0, 'it waited for the sleep instead');
    q.putNowait(1);
    await sleep(0);
    assert.equal(q.qsize(), 1, 'the get was withdrawn');
  });
});

test('two calls that can both complete at once: the first takes, the later calls are not made, so nothing is lost (Go picks one ready case)', async () => {
  await runVirtual(async () => {
    const q = new Queue<number>();
    q.putNowait(1);
    q.putNowait(2);
    let made = 0;
    const r = await race(
      () => q.get(),
      () => {
        made++;
        return q.get();
      },
    );
    assert.deepEqual(r, { index: 0, value: 1 });
    assert.equal(made, 0, 'the second get was made and took 2');
    assert.equal(q.qsize(), 1);
    const sem = new Semaphore(1);
    const r2 = await race(
      () => sem.acquire(),
      () => q.get(),
    );
    assert.deepEqual(r2, { index: 0, value: true });
    assert.equal(q.qsize(), 1, 'the get took an item for nobody');
    sem.release();
    // Through a nested race and a then() too.
    const r3 = await race(
      () =>
        race(
          () => sleep(10),
          () => q.get(),
        ).then((x) => x.value),
      () => sem.acquire(),
    );
    assert.deepEqual(r3, { index: 0, value: 2 });
    assert.equal(sem.counter, 1, 'the acquire took the permit for nobody');
    assert.equal(getHub().now(), 0);
  });
});

test('a call that takes at once wins over an earlier call whose foreign promise has already settled (resolved or rejected): the item is not lost with it', async () => {
  await runVirtual(async () => {
    const q = new Queue<string>();
    q.putNowait('a');
    q.putNowait('b');
    const r = await race(
      () => Promise.resolve('x'),
      () => q.get(),
    );
    assert.deepEqual(r, { index: 1, value: 'a' }, 'the foreign promise won and the item was lost');
    const r2 = await race(
      () => Promise.reject(new ExpectedError('early')),
      () => q.get(),
    );
    assert.deepEqual(r2, { index: 1, value: 'b' });
    assert.equal(q.qsize(), 0);
    // With nothing queued, the foreign promise still wins and the get is withdrawn.
    const r3 = await race(
      () => Promise.resolve('x'),
      () => q.get(),
    );
    assert.deepEqual(r3, { index: 0, value: 'x' });
    q.putNowait('c');
    assert.equal(await q.get(), 'c', 'the withdrawn get took nothing');
    // Two settled foreign promises before it: the get still wins.
    q.putNowait('d');
    const r4 = await race(
      () => Promise.resolve('x'),
      () => Promise.resolve('y'),
      () => q.get(),
    );
    assert.deepEqual(r4, { index: 2, value: 'd' });
    // The precedence lasts only while the taking call's own chain settles: one that never does
    // leaves the race to an earlier call (it hung, waiting for nothing).
    q.putNowait('e');
    const r5 = await race(
      () => sleep(10),
      () => q.get().then(() => new Promise<never>(() => {})),
    );
    assert.deepEqual(r5, { index: 0, value: undefined });
    assert.equal(getHub().now(), 10);
  });
});

test('a call that completes at once without taking (a set Event, a ready AsyncResult, a dead greenlet) wins too: a get after it is not made', async () => {
  await runVirtual(async () => {
    const q = new Queue<number>();
    const stop = new Event();
    stop.set();
    const done = new AsyncResult<string>();
    done.set('x');
    const dead = spawn(() => 'v');
    await dead.join();
    q.putNowait(1);
    for (const first of [
      () => stop.wait(),
      () => done.get(),
      () => dead.get(),
      () => dead.join(),
    ]) {
      const r = await race(first, () => q.get());
      assert.equal(r.index, 0);
      assert.equal(q.qsize(), 1, 'the get took the item for nobody');
    }
  });
});
