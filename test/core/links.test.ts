// Links: link, linkValue, linkException, rawlink, unlink. Ports gevent's test__greenlet.py
// (TestLink, TestUnlink, TestReturn_link*, TestRaise_link*, test_multiple_listeners_error*) and
// test__order.py (links in insertion order) to DESIGN §3 "Links".
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Greenlet, GreenletExit, getCurrent, sleep, spawn, Timeout } from '../../src/index.js';
import { runVirtual } from '../../src/testing/index.js';
import { captureReports, ExpectedError } from '../_util.js';

test('link(cb) calls cb(greenlet) from the hub after the greenlet dies, not synchronously', async () => {
  await runVirtual(async () => {
    const log: string[] = [];
    const g = spawn(async () => {
      await sleep(5);
      log.push('body ends');
      return 25;
    });
    g.link((x) => {
      assert.equal(x, g);
      log.push(`link sees dead=${x.dead} value=${x.value}`);
    });
    assert.deepEqual(log, []);
    await g.join();
    assert.deepEqual(log, ['body ends', 'link sees dead=true value=25']);
  });
});

test('a link added after death is still called, from the hub, each time', async () => {
  await runVirtual(async () => {
    const g = spawn(() => 25);
    await g.join();
    const calls: Greenlet[] = [];
    for (let i = 0; i < 3; i++) {
      g.link((x) => calls.push(x));
      assert.equal(calls.length, i, 'not called synchronously by link()');
      await sleep(0);
      assert.equal(calls.length, i + 1);
    }
    assert.deepEqual(calls, [g, g, g]);
  });
});

for (const count of [2, 3, 4, 1000]) {
  test(`links run in the order they were added (${count} links, test__order)`, async () => {
    await runVirtual(async () => {
      const lst: number[] = [];
      const g = spawn((n: number) => lst.push(n), 0);
      for (let i = 1; i < count; i++) g.link(() => lst.push(i));
      await g.join();
      await sleep(0);
      assert.deepEqual(
        lst,
        Array.from({ length: count }, (_, i) => i),
      );
    });
  });
}

test('link, linkValue, linkException and rawlink on success: all but linkException fire', async () => {
  await runVirtual(async () => {
    const fired: string[] = [];
    const g = spawn(async () => {
      await sleep(1);
      return 25;
    });
    g.link(() => fired.push('link'));
    g.linkValue(() => fired.push('linkValue'));
    g.linkException(() => fired.push('linkException'));
    g.rawlink(() => fired.push('rawlink'));
    await g.join();
    await sleep(10);
    assert.deepEqual(fired, ['link', 'linkValue', 'rawlink']);
  });
});

test('the result is recorded before links run; links keep link order and joiners resume with it in the order they waited', async () => {
  // Inventory §1.20.5. gevent 22.10 runs the joiners' rawlinks in the same pass as the links
  // (joiner A resumes between link1 and link2 there); verdant resumes joiners through the ready
  // queue after the pass (DESIGN §3), so only the order within each kind is pinned here.
  for (const fails of [false, true]) {
    await runVirtual(async () => {
      const log: string[] = [];
      const err = new ExpectedError('boom');
      const g = spawn(async () => {
        await sleep(10);
        if (fails) throw err;
        return 42;
      });
      const seen = (x: Greenlet<number>): string =>
        `dead=${x.dead} ready=${x.ready()} ok=${x.successful()} value=${x.value} exc=${x.exception === err}`;
      g.link((x) => log.push(`link1 ${seen(x)}`));
      g.rawlink((x) => log.push(`rawlink1 ${seen(x)}`));
      spawn(async () => {
        await g.join();
        log.push(`joinerA ${seen(g)}`);
      });
      spawn(async () => {
        log.push(`getter ${await g.get().catch((e: unknown) => (e === err ? 'err' : 'other'))}`);
      });
      await sleep(0);
      g.link(() => log.push('link2'));
      g.rawlink(() => log.push('rawlink2'));
      spawn(async () => {
        await g.join();
        log.push('joinerB');
      });
      await sleep(50);
      const state = fails
        ? 'dead=true ready=true ok=false value=undefined exc=true'
        : 'dead=true ready=true ok=true value=42 exc=false';
      const links = log.filter((l) => l.startsWith('link') || l.startsWith('rawlink'));
      const joiners = log.filter((l) => !links.includes(l));
      assert.deepEqual(links, [`link1 ${state}`, `rawlink1 ${state}`, 'link2', 'rawlink2']);
      assert.deepEqual(joiners, [`joinerA ${state}`, `getter ${fails ? 'err' : 42}`, 'joinerB']);
    });
  }
});

test('link, linkValue, linkException and rawlink on failure: all but linkValue fire', async () => {
  await runVirtual(async () => {
    const fired: string[] = [];
    const g = spawn(async () => {
      await sleep(1);
      throw new ExpectedError('test_raise');
    });
    g.link(() => fired.push('link'));
    g.linkValue(() => fired.push('linkValue'));
    g.linkException((x) => fired.push(`linkException ${(x.exception as Error).message}`));
    g.rawlink(() => fired.push('rawlink'));
    await g.join();
    await sleep(10);
    assert.deepEqual(fired, ['link', 'linkException test_raise', 'rawlink']);
  });
});

test('a greenlet killed with GreenletExit counts as success for linkValue (TestReturn_link_value._test_kill)', async () => {
  await runVirtual(async () => {
    const fired: unknown[] = [];
    const g = spawn(() => sleep(1000));
    g.linkValue((x) => fired.push(x.value));
    g.linkException(() => fired.push('linkException'));
    await sleep(1);
    await g.kill();
    await sleep(0);
    assert.equal(fired.length, 1);
    assert.ok(fired[0] instanceof GreenletExit);
  });
});

test('a greenlet killed with another exception counts as failure for linkException', async () => {
  await runVirtual(async () => {
    const fired: unknown[] = [];
    const g = spawn(() => sleep(1000));
    g.linkValue(() => fired.push('linkValue'));
    g.linkException((x) => fired.push(x.exception));
    await sleep(1);
    const err = new ExpectedError('kill');
    await g.kill({ exception: err });
    await sleep(0);
    assert.deepEqual(fired, [err]);
  });
});

test('linkValue and linkException added after death fire according to the outcome', async () => {
  await runVirtual(async () => {
    captureReports();
    const ok = spawn(() => 1);
    const bad = spawn(() => {
      throw new ExpectedError('late');
    });
    await ok.join();
    await bad.join();
    const fired: string[] = [];
    ok.linkValue(() => fired.push('ok value'));
    ok.linkException(() => fired.push('ok exception'));
    bad.linkValue(() => fired.push('bad value'));
    bad.linkException(() => fired.push('bad exception'));
    await sleep(0);
    assert.deepEqual(fired.sort(), ['bad exception', 'ok value']);
  });
});

for (const method of ['link', 'linkValue', 'linkException', 'rawlink'] as const) {
  test(`unlink(cb) removes a ${method} callback; unlinking an absent one is silent (TestUnlink)`, async () => {
    await runVirtual(async () => {
      captureReports();
      const fired: string[] = [];
      const removed = (): void => {
        fired.push('removed');
      };
      const kept = (): void => {
        fired.push('kept');
      };
      const g = spawn(async () => {
        await sleep(1);
        if (method === 'linkException') throw new ExpectedError('unlink');
        return 1;
      });
      g[method](removed);
      g[method](kept);
      g[method](removed);
      g.unlink(removed);
      g.unlink(() => {}); // never linked
      await g.join();
      await sleep(0);
      assert.deepEqual(fired, ['kept']);
    });
  });
}

test('link, unlink and friends never switch', async () => {
  await runVirtual(async () => {
    const log: string[] = [];
    const g = spawn(() => 1);
    spawn(() => log.push('other'));
    const cb = (): void => {};
    g.link(cb);
    g.linkValue(cb);
    g.linkException(cb);
    g.rawlink(cb);
    g.unlink(cb);
    assert.equal(log.length, 0);
    await g.join();
    const d = spawn(() => log.push('after death'));
    g.link(cb);
    g.unlink(cb);
    assert.equal(d.dead, false);
  });
});

test('link() and friends throw TypeError at once for a non-function', () => {
  const g = new Greenlet(() => 1);
  for (const method of ['link', 'linkValue', 'linkException', 'rawlink'] as const) {
    for (const bad of [1, 'cb', null, undefined, {}]) {
      assert.throws(() => g[method](bad as never), TypeError);
    }
  }
});

test('a link that throws is reported by the hub and the others still run (test_multiple_listeners_error)', async () => {
  for (const fails of [false, true]) {
    await runVirtual(async () => {
      const reports = captureReports();
      const results: number[] = [];
      const g = spawn(() => {
        if (fails) throw new ExpectedError('greenlet');
        return 5;
      });
      g.link(function listener1() {
        results.push(10);
        throw new ExpectedError('listener1');
      });
      g.link(function listener2() {
        results.push(20);
        throw new ExpectedError('listener2');
      });
      g.link(function listener3() {
        throw new ExpectedError('listener3');
      });
      await sleep(100);
      assert.deepEqual(results, [10, 20]);
      const text = reports.join('');
      for (const name of ['listener1', 'listener2', 'listener3']) {
        assert.ok(text.includes(`${name} for ${String(g)} failed with ExpectedError`), text);
      }
      assert.equal(g.successful(), !fails);
    });
  }
});

test('an async link whose promise rejects is reported too', async () => {
  await runVirtual(async () => {
    const reports = captureReports();
    const g = spawn(() => 1);
    let after = false;
    g.link(async function asyncListener() {
      await Promise.resolve();
      throw new ExpectedError('async link');
    });
    g.link(() => {
      after = true;
    });
    await g.join();
    await sleep(10);
    assert.equal(after, true);
    assert.ok(
      reports.join('').includes(`asyncListener for ${String(g)} failed with ExpectedError`),
      reports.join(''),
    );
  });
});

test('a link unlinked by an earlier link during notification is not called (test_multiple_listeners_error_unlink)', async () => {
  for (const method of ['link', 'rawlink'] as const) {
    await runVirtual(async () => {
      captureReports();
      const results: number[] = [];
      const g = spawn(() => 5);
      const listener1 = (p: Greenlet): void => {
        p.unlink(listener2);
        results.push(5);
        throw new ExpectedError('listener1');
      };
      const listener2 = (p: Greenlet): void => {
        p.unlink(listener1);
        results.push(5);
        throw new ExpectedError('listener2');
      };
      const listener3 = (): void => {
        throw new ExpectedError('listener3');
      };
      g[method](listener1);
      g[method](listener2);
      g[method](listener3);
      await sleep(100);
      assert.deepEqual(results, [5], method);
    });
  }
});

test('each link is called once', async () => {
  await runVirtual(async () => {
    let calls = 0;
    const g = spawn(() => 1);
    g.link(() => calls++);
    await g.join();
    await sleep(10);
    await g.join();
    await sleep(10);
    assert.equal(calls, 1);
  });
});

test('a link callback runs from the hub, not as the greenlet that ran before it: a kill of that one does not reach it', async () => {
  await runVirtual(async () => {
    const log: string[] = [];
    let current: unknown;
    let g: Greenlet | undefined;
    const killer = spawn(async () => {
      g = new Greenlet(() => 'never');
      g.link(async () => {
        current = getCurrent();
        try {
          await sleep(10);
          log.push('link finished its sleep');
        } catch (e) {
          log.push(`link interrupted by ${(e as Error).name}`);
        }
      });
      await g.kill();
      await sleep(100);
    });
    await sleep(5);
    await killer.kill();
    await sleep(20);
    assert.notEqual(current, killer, 'getCurrent() in a link is not the greenlet that ran last');
    assert.notEqual(current, g, 'nor the dead greenlet');
    assert.deepEqual(log, ['link finished its sleep']);
  });
});

test('each link callback runs in a greenlet of its own, called at once in link order, and may wait', async () => {
  await runVirtual(async () => {
    const main = getCurrent();
    const log: string[] = [];
    const currents: unknown[] = [];
    const g = spawn(() => 1);
    g.link(async () => {
      currents.push(getCurrent());
      log.push('first starts');
      await sleep(10);
      log.push('first ends');
    });
    g.linkValue(async () => {
      currents.push(getCurrent());
      log.push('second starts');
      await sleep(5);
      log.push('second ends');
    });
    await g.join();
    await sleep(20);
    assert.deepEqual(log, ['first starts', 'second starts', 'second ends', 'first ends']);
    assert.equal(currents.length, 2);
    for (const c of currents) {
      assert.ok(c instanceof Greenlet, 'getCurrent() in a link is a Greenlet');
      assert.notEqual(c, main);
      assert.notEqual(c, g);
    }
    assert.notEqual(currents[0], currents[1]);
  });
});

test("the main program's Timeout never lands in a link callback that waits (real hub)", async () => {
  // outside runVirtual: the test body is the main program here
  const log: string[] = [];
  const g = spawn(() => 1);
  let linkDone: Greenlet | undefined;
  g.link(async () => {
    linkDone = getCurrent() as Greenlet;
    await sleep(30);
    log.push('link slept');
  });
  const t = Timeout.startNew(5);
  try {
    await g.join();
    await sleep(1000);
  } catch (e) {
    log.push(e === t ? 'main timed out' : `other ${String(e)}`);
  } finally {
    t.cancel();
  }
  await (linkDone as Greenlet).join();
  assert.deepEqual(log, ['main timed out', 'link slept']);
});

test('a failing link greenlet is reported as <callback name> for <Greenlet …>', async () => {
  await runVirtual(async () => {
    const reports = captureReports();
    const g = spawn(() => 1);
    g.link(async function waitsThenFails() {
      await sleep(1);
      throw new ExpectedError('late');
    });
    await g.join();
    await sleep(5);
    assert.equal(reports.length, 1);
    assert.ok(
      (reports[0] as string).includes(`waitsThenFails for ${String(g)} failed with ExpectedError`),
      reports[0],
    );
  });
});

test('a verdant wait started in a rawlink callback rejects with an Error that says so', async () => {
  await runVirtual(async () => {
    captureReports();
    let seen: unknown;
    let current: unknown;
    const g = spawn(() => 1);
    g.rawlink(async () => {
      current = getCurrent();
      try {
        await sleep(1);
        seen = 'slept';
      } catch (e) {
        seen = e;
      }
    });
    await g.join();
    await sleep(5);
    assert.ok(seen instanceof Error, String(seen));
    assert.match((seen as Error).message, /rawlink/);
    assert.notEqual(current, getCurrent(), 'a rawlink callback does not run as main');
  });
});
