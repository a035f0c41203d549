// RawGreenlet: greenlet's explicit switch/throw model, the main greenlet, spawnRaw. Ports seed
// 004's sample and the switch/throw/parent/dead basics of greenlet's test_greenlet.py and
// test_throw.py to DESIGN §3 "verdant/greenlet". Values travel as JS values: one argument as
// itself, several as an array, none as undefined (greenlet's tuples).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as greenletModule from '../../src/compat/greenlet.js';
import {
  Greenlet,
  GreenletExit,
  getCurrent,
  getHub,
  kill,
  killAll,
  RawGreenlet,
  sleep,
  spawn,
  spawnRaw,
  Timeout,
} from '../../src/index.js';
import { runVirtual } from '../../src/testing/index.js';
import { captureReports } from '../_util.js';

class SomeError extends Error {
  constructor(message?: string) {
    super(message);
    this.name = 'SomeError';
  }
}

class IndexError extends Error {
  constructor(message?: string) {
    super(message);
    this.name = 'IndexError';
  }
}

/** The current raw greenlet's parent (a RawGreenlet in these tests). */
function parent(): RawGreenlet {
  return (getCurrent() as RawGreenlet).parent as RawGreenlet;
}

/** greenlet's test_throw.py helper: switch to the parent. */
function switchUp(...args: unknown[]): Promise<unknown> {
  return parent().switch(...args);
}

test('verdant/greenlet re-exports the core RawGreenlet, getCurrent and GreenletExit', () => {
  assert.equal(greenletModule.RawGreenlet, RawGreenlet);
  assert.equal(greenletModule.getCurrent, getCurrent);
  assert.equal(greenletModule.GreenletExit, GreenletExit);
});

test("seed 004's sample prints test1: 2, test2: 32, test1: over", async () => {
  const lines: string[] = [];
  const current = getCurrent() as RawGreenlet;
  const gr1: RawGreenlet = new RawGreenlet(async (n: number) => {
    lines.push(`test1: ${n}`);
    await gr2.switch(32);
    lines.push('test1: over');
  }, current);
  const gr2: RawGreenlet = new RawGreenlet(async (n: number) => {
    lines.push(`test2: ${n}`);
    await gr1.switch(23);
    lines.push('test2: over');
  }, current);
  const r = await gr1.switch(2);
  assert.deepEqual(lines, ['test1: 2', 'test2: 32', 'test1: over']);
  assert.equal(r, undefined, 'gr1 returned undefined to its parent, main');
  assert.equal(gr1.dead, true);
  assert.equal(gr2.dead, false, 'gr2 stays suspended in gr1.switch(23)');
  await sleep(10);
  assert.deepEqual(lines, ['test1: 2', 'test2: 32', 'test1: over'], 'nothing resumes gr2');
});

test('the main greenlet: named main, parent null, never dead, not a Greenlet', () => {
  const main = getCurrent() as RawGreenlet;
  assert.ok(main instanceof RawGreenlet);
  assert.ok(!(main instanceof Greenlet));
  assert.equal(main.parent, null);
  assert.equal(main.dead, false);
  assert.equal(String(main), '<RawGreenlet "main">');
});

test('new RawGreenlet(run) does not start it; its parent defaults to the current greenlet', async () => {
  let called = false;
  const g = new RawGreenlet(() => {
    called = true;
  });
  assert.equal(g.dead, false);
  assert.equal(g.parent, getCurrent());
  await sleep(5);
  assert.equal(called, false, 'the hub never schedules a raw greenlet on its own');
  assert.equal(g.dead, false);
  assert.match(String(g), /^<RawGreenlet ".+">$/);
  await runVirtual(async () => {
    const inner = new RawGreenlet(() => 1);
    assert.equal(inner.parent, getCurrent());
  });
});

test('new RawGreenlet(non-function) throws TypeError at once', () => {
  assert.throws(() => new RawGreenlet(42 as never), TypeError);
  assert.throws(() => new RawGreenlet('f' as never), TypeError);
});

test('switch, return to parent, switch again (test_simple)', async () => {
  const lst: number[] = [];
  const g = new RawGreenlet(async () => {
    lst.push(1);
    await parent().switch();
    lst.push(3);
  });
  lst.push(0);
  await g.switch();
  lst.push(2);
  await g.switch();
  lst.push(4);
  assert.deepEqual(lst, [0, 1, 2, 3, 4]);
  assert.equal(g.dead, true);
});

test('two children of main (test_two_children)', async () => {
  const lst: number[] = [];
  const f = async (): Promise<void> => {
    lst.push(1);
    await parent().switch();
    lst.push(1, 1);
  };
  const g = new RawGreenlet(f);
  const h = new RawGreenlet(f);
  await g.switch();
  assert.equal(lst.length, 1);
  await h.switch();
  assert.equal(lst.length, 2);
  await h.switch();
  assert.equal(lst.length, 4);
  assert.equal(h.dead, true);
  await g.switch();
  assert.equal(lst.length, 6);
  assert.equal(g.dead, true);
});

test('a child created inside a raw greenlet returns to it (test_two_recursive_children)', async () => {
  const lst: string[] = [];
  const f = async (): Promise<void> => {
    lst.push('b');
    await parent().switch();
  };
  const g = new RawGreenlet(async () => {
    lst.push('a');
    const child = new RawGreenlet(f);
    assert.equal(child.parent, getCurrent());
    await child.switch();
    lst.push('c');
  });
  await g.switch();
  assert.deepEqual(lst, ['a', 'b', 'c']);
});

test('the first switch calls run(...args); later ones pass one value as itself, several as an array, none as undefined', async () => {
  const got: unknown[] = [];
  const g = new RawGreenlet(async (a: number, b: number) => {
    got.push([a, b]);
    got.push(await parent().switch('to main'));
    got.push(await parent().switch());
    got.push(await parent().switch());
    got.push(await parent().switch());
    return 'end';
  });
  assert.equal(await g.switch(1, 2), 'to main');
  assert.equal(await g.switch('one'), undefined);
  await g.switch('x', 'y', 'z');
  await g.switch();
  assert.equal(await g.switch([1, 2]), 'end');
  assert.deepEqual(got, [[1, 2], 'one', ['x', 'y', 'z'], undefined, [1, 2]]);
});

test('values switched to the parent arrive the same way (test_switch_kwargs_to_parent)', async () => {
  const g = new RawGreenlet(async (x: number) => {
    await parent().switch(x);
    await parent().switch(2, x);
    await parent().switch();
    return [x, x ** 2];
  });
  assert.equal(await g.switch(3), 3);
  assert.deepEqual(await g.switch(), [2, 3]);
  assert.equal(await g.switch(), undefined);
  assert.deepEqual(await g.switch(), [3, 9]);
});

test('getCurrent() inside run is that RawGreenlet, also after waits', async () => {
  const seen: unknown[] = [];
  const g = new RawGreenlet(async () => {
    seen.push(getCurrent());
    await Promise.resolve();
    seen.push(getCurrent());
    await sleep(1);
    seen.push(getCurrent());
    await parent().switch();
    seen.push(getCurrent());
  });
  await g.switch();
  await g.switch();
  assert.deepEqual(seen, [g, g, g, g]);
  assert.equal(getCurrent().name, 'main');
});

test("a finished greenlet's value goes to its parent, not to whoever switched to it last", async () => {
  const main = getCurrent() as RawGreenlet;
  const log: unknown[] = [];
  let child: RawGreenlet;
  const other = new RawGreenlet(async () => {
    // other switches to child; child returns: the value goes to child's parent (main)
    log.push(await child.switch('from other'));
    log.push('other resumed');
  }, main);
  child = new RawGreenlet(async () => {
    const v = await main.switch('child ready');
    log.push(v);
    return 'child result';
  }, main);
  assert.equal(await child.switch(), 'child ready');
  const r = await other.switch();
  assert.equal(r, 'child result');
  assert.deepEqual(log, ['from other']);
  assert.equal(child.dead, true);
  assert.equal(other.dead, false, 'other is still suspended in child.switch()');
});

test('an error raised by run is thrown from the parent pending switch, which can catch it and go on', async () => {
  const err = new SomeError('from child');
  const g = new RawGreenlet(async () => {
    await parent().switch('first');
    throw err;
  });
  assert.equal(await g.switch(), 'first');
  await assert.rejects(g.switch(), (e) => e === err);
  assert.equal(g.dead, true);
  assert.equal(await g.switch('after'), 'after', 'a switch to a dead child of main comes back');
});

async function fmain(seen: unknown[]): Promise<never> {
  try {
    await parent().switch();
  } catch (e) {
    seen.push(
      e instanceof SomeError ? 'SomeError' : e instanceof GreenletExit ? 'GreenletExit' : e,
    );
    throw e;
  }
  throw new SomeError('fmain');
}

test('errors travel up the parent chain; a switch to a dead greenlet goes to its parent (test_exception)', async () => {
  const seen: unknown[] = [];
  const g1 = new RawGreenlet(fmain);
  const g2 = new RawGreenlet(fmain);
  await g1.switch(seen);
  await g2.switch(seen);
  g2.parent = g1;
  assert.deepEqual(seen, []);
  await assert.rejects(g2.switch(), SomeError);
  assert.deepEqual(seen, ['SomeError']);
  assert.equal(g1.dead, true);
  assert.equal(g2.dead, true);
  assert.equal(await g2.switch(), undefined);
  assert.deepEqual(seen, ['SomeError']);
  assert.equal(await g2.switch(25), 25);
  assert.deepEqual(seen, ['SomeError']);
});

test('an error raised in a child reaches its parent suspended in a switch (test_send_exception)', async () => {
  const seen: unknown[] = [];
  const g1 = new RawGreenlet(fmain);
  await g1.switch(seen);
  const err = new SomeError('sent');
  const crasher = new RawGreenlet((e: Error) => {
    throw e;
  }, g1);
  await assert.rejects(crasher.switch(err), (e) => e === err);
  assert.deepEqual(seen, ['SomeError']);
  assert.equal(g1.dead, true);
});

test('a return falls off into a parent that never started: the parent starts with the value (test_falling_off_end)', async () => {
  const parentNeverStarted = new RawGreenlet((x: number) => [x, 24]);
  const child = new RawGreenlet(() => 42, parentNeverStarted);
  assert.deepEqual(await child.switch(), [42, 24]);
  assert.equal(parentNeverStarted.dead, true);
});

test('switching to a dead greenlet after re-parenting starts the new parent (test_switch_to_dead_greenlet_reparent)', async () => {
  const seen: number[] = [];
  const parentNeverStarted = new RawGreenlet(() => {
    seen.push(24);
  });
  const child = new RawGreenlet(() => {
    seen.push(42);
  });
  await child.switch();
  assert.deepEqual(seen, [42]);
  child.parent = parentNeverStarted;
  assert.equal(await child.switch(), undefined);
  assert.deepEqual(seen, [42, 24]);
});

test('a value sent to a parent that is not suspended in a switch is dropped; an error is reported', async () => {
  await runVirtual(async () => {
    const reports = captureReports();
    const holder = spawn(async () => {
      await sleep(50);
      return 'holder finished normally';
    });
    const err = new SomeError('to a busy parent');
    const g = new RawGreenlet(() => 'dropped', holder);
    const g2 = new RawGreenlet(() => {
      throw err;
    }, holder);
    spawnRaw(() => g.switch());
    spawnRaw(() => g2.switch());
    await sleep(10);
    assert.equal(g.dead, true);
    assert.equal(g2.dead, true);
    assert.equal(reports.length, 1);
    assert.ok(reports[0]?.startsWith(err.stack as string));
    assert.match(reports[0] as string, /failed with SomeError\n\n$/);
    assert.equal(await holder.get(), 'holder finished normally');
  });
});

// ---- throw ----

test('throw(err) raises at the pending switch; a greenlet that catches it goes on (test_throw test_class/test_val)', async () => {
  const f = async (): Promise<void> => {
    try {
      await switchUp('ok');
    } catch (e) {
      if (e instanceof SomeError && e.message === 'ciao') {
        await switchUp('ok');
        return;
      }
    }
    await switchUp('fail');
  };
  const g = new RawGreenlet(f);
  assert.equal(await g.switch(), 'ok');
  assert.equal(await g.throw(new SomeError('ciao')), 'ok');
  const h = new RawGreenlet(f);
  assert.equal(await h.switch(), 'ok');
  assert.equal(await h.throw(new SomeError('other')), 'fail');
});

test('throw() defaults to GreenletExit, which ends the greenlet and is its return value (test_throw test_kill)', async () => {
  const g = new RawGreenlet(async () => {
    await switchUp('ok');
    await switchUp('fail');
  });
  assert.equal(await g.switch(), 'ok');
  const res = await g.throw();
  assert.ok(res instanceof GreenletExit);
  assert.equal(g.dead, true);
  const again = await g.throw();
  assert.ok(
    again instanceof GreenletExit,
    'a GreenletExit thrown into a dead greenlet comes back as a value',
  );
});

test('throw() into a dead greenlet: another error goes to its parent', async () => {
  const g = new RawGreenlet(() => 1);
  assert.equal(await g.switch(), 1);
  const err = new SomeError('into the dead');
  await assert.rejects(g.throw(err), (e) => e === err);
});

test('throw() into a never-started greenlet: it dies without running and the error reaches its parent', async () => {
  let ran = false;
  const g = new RawGreenlet(() => {
    ran = true;
  });
  const err = new SomeError('unstarted');
  await assert.rejects(g.throw(err), (e) => e === err);
  assert.equal(g.dead, true);
  assert.equal(ran, false);
  const h = new RawGreenlet(() => {
    ran = true;
  });
  const exit = await h.throw();
  assert.ok(exit instanceof GreenletExit, 'a GreenletExit comes back as the return value');
  assert.equal(h.dead, true);
  assert.equal(ran, false);
});

test('throw() goes to the original parent (test_throw_goes_to_original_parent)', async () => {
  const main = getCurrent() as RawGreenlet;
  const f1 = async (): Promise<string> => {
    try {
      await main.switch('f1 ready to catch');
    } catch (e) {
      if (e instanceof IndexError) return 'caught';
      throw e;
    }
    return 'normal exit';
  };
  const f2 = async (): Promise<void> => {
    await main.switch('from f2');
  };

  let g1 = new RawGreenlet(f1);
  let g2 = new RawGreenlet(f2, g1);
  await assert.rejects(g2.throw(new IndexError()), IndexError);
  assert.equal(g2.dead, true);
  assert.equal(g1.dead, true);

  g1 = new RawGreenlet(f1);
  g2 = new RawGreenlet(f2, g1);
  assert.equal(await g1.switch(), 'f1 ready to catch');
  assert.equal(await g2.throw(new IndexError()), 'caught');
  assert.equal(g2.dead, true);
  assert.equal(g1.dead, true);

  g1 = new RawGreenlet(f1);
  g2 = new RawGreenlet(f2, g1);
  assert.equal(await g1.switch(), 'f1 ready to catch');
  assert.equal(await g2.switch(), 'from f2');
  assert.equal(await g2.throw(new IndexError()), 'caught');
  assert.equal(g2.dead, true);
  assert.equal(g1.dead, true);
});

// ---- switch and throw are waits of the caller ----

test('switch() is a cancel point: a kill lands there and finally runs', async () => {
  await runVirtual(async () => {
    const log: string[] = [];
    const raw = new RawGreenlet(() => sleep(1000));
    const g = spawn(async () => {
      try {
        await raw.switch();
        log.push('returned');
      } finally {
        log.push('finally');
      }
    });
    await sleep(10);
    await g.kill();
    assert.deepEqual(log, ['finally']);
    assert.ok((g.value as unknown) instanceof GreenletExit);
  });
});

test('switch() and throw() are cancel points: a Timeout lands there', async () => {
  await runVirtual(async () => {
    const raw = new RawGreenlet(async () => {
      try {
        await sleep(1000);
      } catch {
        await sleep(1000);
      }
    });
    const t = Timeout.startNew(10);
    await assert.rejects(raw.switch(), (e) => e === t);
    assert.equal(getHub().now(), 10);
    const u = Timeout.startNew(10);
    await assert.rejects(raw.throw(new SomeError('x')), (e) => e === u);
    assert.equal(getHub().now(), 20);
  });
});

// ---- spawnRaw ----

test('spawnRaw(fn, ...args) runs fn from the hub when the spawner waits, without a Greenlet handle', async () => {
  await runVirtual(async () => {
    const got: unknown[] = [];
    const g = spawnRaw(
      (a: number, b: string) => {
        got.push(a, b, getCurrent());
      },
      1,
      'name',
    );
    assert.ok(g instanceof RawGreenlet);
    assert.ok(!(g instanceof Greenlet));
    assert.equal('link' in g, false, 'no links');
    assert.deepEqual(got, []);
    await sleep(10);
    assert.deepEqual(got, [1, 'name', g]);
    assert.equal(g.dead, true);
  });
});

test('spawnRaw starts in spawn order with spawned greenlets', async () => {
  await runVirtual(async () => {
    const lst: string[] = [];
    spawn(() => lst.push('a'));
    spawnRaw(() => lst.push('raw'));
    spawn(() => lst.push('b'));
    await sleep(0);
    assert.deepEqual(lst, ['a', 'raw', 'b']);
  });
});

test('spawnRaw throws TypeError at once for a non-function', () => {
  assert.throws(() => spawnRaw(1 as never), TypeError);
  assert.throws(() => spawnRaw(null as never), TypeError);
});

test('kill() and killAll() kill a spawnRaw greenlet at its wait, as gevent.kill throws into a raw greenlet (TestKillallRawGreenlet)', async () => {
  // gevent 22.10: killall([spawn_raw(lambda: 1)]) returns quietly; gevent.kill(raw) raises
  // GreenletExit at its sleep one loop turn later (finally runs, nothing reported);
  // killall([raw]) returns with raw dead; kill(raw, MyError()) lands that exception.
  await runVirtual(async () => {
    const reports = captureReports();
    const log: string[] = [];
    const body = async (tag: string): Promise<void> => {
      try {
        await sleep(10_000);
      } catch (e) {
        log.push(`${tag} ${(e as Error).name}`);
        throw e;
      } finally {
        log.push(`${tag} finally`);
      }
    };
    const never = spawnRaw(() => log.push('never runs'));
    await killAll([never]);
    assert.equal(never.dead, true, 'killed before it ran: it never runs');

    const a = spawnRaw(body, 'a');
    await sleep(0);
    await kill(a);
    assert.equal(a.dead, false, 'kill() does not wait');
    await sleep(0);
    assert.equal(a.dead, true);

    const b = spawnRaw(body, 'b');
    await sleep(0);
    await killAll([b, spawn(() => sleep(10_000))]);
    assert.equal(b.dead, true, 'killAll() returns with the raw greenlet dead');

    const c = spawnRaw(async () => {
      try {
        await sleep(10_000);
      } catch (e) {
        log.push(`c caught ${(e as Error).name}`);
      }
    });
    await sleep(0);
    await kill(c, { exception: SomeError });
    await sleep(0);
    assert.equal(c.dead, true);
    assert.deepEqual(log, [
      'a GreenletExit',
      'a finally',
      'b GreenletExit',
      'b finally',
      'c caught SomeError',
    ]);
    assert.deepEqual(reports, [], 'a GreenletExit is not reported');
    await kill(a);
    await killAll([a, b]);
  });
});

test('kill() and killAll() refuse the main greenlet with a TypeError, never throwing', async () => {
  const main = getCurrent() as RawGreenlet;
  await assert.rejects(kill(main), TypeError);
  await assert.rejects(killAll([main]), TypeError);
  await assert.rejects(
    kill(
      spawnRaw(() => 1),
      { exception: 42 as never },
    ),
    TypeError,
  );
  await sleep(0);
});

test('a spawnRaw failure is reported', async () => {
  await runVirtual(async () => {
    const reports = captureReports();
    const err = new SomeError('raw failure');
    const g = spawnRaw(async () => {
      await sleep(1);
      throw err;
    });
    await sleep(10);
    assert.equal(reports.length, 1);
    assert.ok(reports[0]?.startsWith(err.stack as string));
    assert.ok(reports[0]?.includes(`${String(g)} failed with SomeError`), reports[0]);
  });
});

test('a Timeout started in a raw greenlet is thrown at its own wait', async () => {
  await runVirtual(async () => {
    const out: string[] = [];
    spawnRaw(async () => {
      const t = Timeout.startNew(10);
      try {
        await sleep(1000);
        out.push('slept');
      } catch (e) {
        out.push(e === t ? 'timeout' : 'other');
      }
    });
    await sleep(50);
    assert.deepEqual(out, ['timeout']);
  });
  const r = new RawGreenlet(async () => {
    const t = Timeout.startNew(5);
    try {
      await sleep(10000);
      return 'slept';
    } catch (e) {
      return e === t ? 'timeout' : 'other';
    }
  });
  assert.equal(await r.switch(), 'timeout', 'its value goes to main');
});

test('switching to yourself returns the arguments at once', async () => {
  const main = getCurrent() as RawGreenlet;
  assert.equal(await main.switch(5), 5);
  assert.deepEqual(await main.switch(1, 2), [1, 2]);
  const g = new RawGreenlet(async () => {
    const me = getCurrent() as RawGreenlet;
    return await me.switch('self');
  });
  assert.equal(await g.switch(), 'self');
});

test('a Greenlet can be the parent of a raw greenlet: the return value resumes its switch', async () => {
  await runVirtual(async () => {
    const me = getCurrent();
    const r = new RawGreenlet(async (x: number) => {
      await sleep(5);
      return x * 2;
    });
    assert.equal(r.parent, me);
    assert.equal(await r.switch(21), 42);
    const err = new SomeError('to a Greenlet parent');
    const bad = new RawGreenlet(() => {
      throw err;
    });
    await assert.rejects(bad.switch(), (e) => e === err);
  });
});

test('a spawnRaw greenlet ending by GreenletExit is not reported', async () => {
  await runVirtual(async () => {
    const reports = captureReports();
    const g = spawnRaw(() => {
      throw new GreenletExit();
    });
    await sleep(5);
    assert.equal(g.dead, true);
    assert.deepEqual(reports, []);
  });
});
