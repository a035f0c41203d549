// Failure reports: what the hub writes to exceptionStream, and when it stays quiet. DESIGN §1.5
// and §3 ("A failure is reported when the greenlet dies, unless ..."); gevent's
// Hub.handle_error / print_exception format, test__hub.py TestHandleError and
// test__greenlet.py test_recursion_error. (gevent reports even joined greenlets; verdant does not.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kQuietLink } from '../../src/core/greenlet.js';
import {
  type Greenlet,
  GreenletExit,
  getHub,
  iwait,
  joinAll,
  killAll,
  sleep,
  spawn,
  Timeout,
  wait,
} from '../../src/index.js';
import { runVirtual } from '../../src/testing/index.js';
import { captureReports, ExpectedError } from '../_util.js';

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Split one report into its stack, time and context line; check the blank line. */
function parseReport(text: string, context: string, name: string): { stack: string; time: string } {
  const m = new RegExp(
    `^([\\s\\S]*)\\n(\\S+) ${escapeRegExp(context)} failed with ${escapeRegExp(name)}\\n\\n$`,
  ).exec(text);
  assert.ok(m, `report format: ${JSON.stringify(text)}`);
  return { stack: m[1] as string, time: m[2] as string };
}

async function boom(x: number): Promise<never> {
  await sleep(1);
  throw new ExpectedError(`bad ${x}`);
}

test('an unobserved failure is reported: the stack, then <ISO time> <String(g)> failed with Name, then a blank line', async () => {
  await runVirtual(async () => {
    const reports = captureReports();
    const before = Date.now();
    const g = spawn(boom, 1);
    await sleep(10);
    const after = Date.now();
    assert.equal(reports.length, 1);
    const err = g.exception as Error;
    const { stack, time } = parseReport(reports.join(''), String(g), 'ExpectedError');
    assert.equal(stack, err.stack);
    assert.ok(stack.startsWith('ExpectedError: bad 1'));
    assert.match(time, ISO);
    const t = Date.parse(time);
    assert.ok(t >= before - 1 && t <= after + 1, 'the time of death, from new Date()');
    assert.ok(String(g).endsWith(': boom(1)>'));
  });
});

test('ErrorName is err.name, also for built-in errors and Timeout', async () => {
  await runVirtual(async () => {
    const reports = captureReports();
    const a = spawn(() => {
      throw new RangeError('range');
    });
    const b = spawn(async () => {
      Timeout.startNew(5);
      await sleep(100);
    });
    await sleep(50);
    assert.equal(reports.length, 2);
    parseReport(reports[0] as string, String(a), 'RangeError');
    parseReport(reports[1] as string, String(b), 'Timeout');
  });
});

test('a failure is not reported when someone waits on the greenlet at its death', async () => {
  const observers: [string, (g: Greenlet) => Promise<unknown>][] = [
    ['join', (g) => g.join()],
    ['get', (g) => g.get().catch(() => 'caught')],
    ['wait', (g) => wait([g])],
    [
      'iwait',
      async (g) => {
        for await (const _ of iwait([g])) break;
      },
    ],
    ['joinAll', (g) => joinAll([g])],
    ['joinAll raiseError', (g) => joinAll([g], { raiseError: true }).catch(() => 'caught')],
  ];
  for (const [name, observe] of observers) {
    await runVirtual(async () => {
      const reports = captureReports();
      const g = spawn(boom, 2);
      const watcher = spawn(observe, g);
      await watcher.join();
      await sleep(10);
      assert.equal(g.dead, true);
      assert.deepEqual(reports, [], name);
    });
  }
});

/** Sleeps; its `finally` throws: a greenlet that fails while dying of a kill. */
async function sleepThenFailCleanup(): Promise<void> {
  try {
    await sleep(1000);
  } finally {
    // biome-ignore lint/correctness/noUnsafeFinally: the failure under test
    throw new ExpectedError('cleanup failed');
  }
}

test("a failure while dying of a kill is reported even though the killer waits: kill({block}) and killAll never hand it over (gevent reports it too); dying of the kill's own exception is not", async () => {
  const killers: [string, (g: Greenlet) => Promise<unknown>][] = [
    ['g.kill()', (g) => g.kill()],
    ['g.kill({timeout})', (g) => g.kill({ timeout: 1000 })],
    ['killAll', (g) => killAll([g])],
  ];
  for (const [name, killer] of killers) {
    await runVirtual(async () => {
      const reports = captureReports();
      const g = spawn(sleepThenFailCleanup);
      await sleep(1);
      await killer(g);
      assert.equal(g.dead, true, name);
      assert.ok(g.exception instanceof ExpectedError, name);
      await sleep(1);
      assert.equal(reports.length, 1, `${name}: ${reports.join('')}`);
      parseReport(reports[0] as string, String(g), 'ExpectedError');
    });
  }
  // Dying of the exception the kill delivered: the killer knows it, no report (as for kill()).
  await runVirtual(async () => {
    const reports = captureReports();
    const g = spawn(() => sleep(1000));
    await sleep(1);
    await killAll([g], { exception: ExpectedError });
    assert.ok(g.exception instanceof ExpectedError);
    await sleep(1);
    assert.deepEqual(reports, []);
  });
  // A joiner beside the killer still counts: it gets the failure.
  await runVirtual(async () => {
    const reports = captureReports();
    const g = spawn(sleepThenFailCleanup);
    await sleep(1);
    const joiner = spawn(() => g.join());
    await sleep(1);
    await g.kill();
    await joiner.join();
    assert.deepEqual(reports, []);
  });
  // A greenlet that survived a first kill dies of a second one's exception: that killer knows
  // it too (only the first kill's exception counted, so this death was reported).
  for (const [name, second] of [
    ['g.kill({exception})', (g: Greenlet) => g.kill({ exception: RangeError })],
    ['killAll', (g: Greenlet) => killAll([g], { exception: RangeError })],
  ] as const) {
    await runVirtual(async () => {
      const reports = captureReports();
      const g = spawn(async () => {
        try {
          await sleep(1000);
        } catch {
          // survives the first kill
        }
        await sleep(1000);
      });
      await sleep(1);
      await g.kill({ exception: ExpectedError, block: false });
      await sleep(1);
      assert.equal(g.dead, false, name);
      await second(g);
      assert.ok(g.exception instanceof RangeError, name);
      await sleep(1);
      assert.deepEqual(reports, [], name);
    });
  }
});

test('a failure is not reported when user code linked to the greenlet', async () => {
  for (const method of ['link', 'linkException', 'rawlink'] as const) {
    await runVirtual(async () => {
      const reports = captureReports();
      const g = spawn(boom, 3);
      const seen: Greenlet[] = [];
      g[method]((x) => seen.push(x));
      await sleep(10);
      assert.deepEqual(seen, [g]);
      assert.deepEqual(reports, [], method);
    });
  }
});

test('a link removed before the death does not count: the failure is reported', async () => {
  await runVirtual(async () => {
    const reports = captureReports();
    const g = spawn(boom, 4);
    const cb = (): void => {};
    g.link(cb);
    g.unlink(cb);
    await sleep(10);
    assert.equal(reports.length, 1);
  });
});

test('a joiner that gave up (timeout) before the death does not count', async () => {
  await runVirtual(async () => {
    const reports = captureReports();
    const g = spawn(async () => {
      await sleep(20);
      throw new ExpectedError('late');
    });
    assert.equal(await g.join({ timeout: 5 }), false);
    await sleep(30);
    assert.equal(reports.length, 1);
  });
});

test('a bookkeeping (quiet) link does not count as listening: the failure is reported', async () => {
  await runVirtual(async () => {
    const reports = captureReports();
    const g = spawn(boom, 5);
    const seen: Greenlet[] = [];
    g[kQuietLink]((x) => seen.push(x));
    await sleep(10);
    assert.deepEqual(seen, [g], 'the quiet link still fires');
    assert.equal(reports.length, 1);
    parseReport(reports[0] as string, String(g), 'ExpectedError');
  });
});

test('a failure is reported at death even if someone joins it later', async () => {
  await runVirtual(async () => {
    const reports = captureReports();
    const g = spawn(boom, 6);
    await sleep(10);
    assert.equal(reports.length, 1);
    await assert.rejects(g.get(), ExpectedError);
    assert.equal(reports.length, 1, 'reported once');
  });
});

test('GreenletExit is never reported: killed, killed before start, or thrown by the greenlet itself', async () => {
  await runVirtual(async () => {
    const reports = captureReports();
    const a = spawn(() => sleep(1000));
    const b = spawn(() => 'never');
    const c = spawn(async () => {
      await sleep(1);
      throw new GreenletExit('my own');
    });
    await sleep(5);
    await a.kill();
    await b.kill();
    await c.join();
    await sleep(10);
    assert.ok(c.successful());
    assert.deepEqual(reports, []);
  });
});

test('a greenlet killed with another exception, before it started or at a wait, with nobody listening, is reported', async () => {
  await runVirtual(async () => {
    const reports = captureReports();
    const g = spawn(() => 'never');
    await g.kill({ exception: new ExpectedError('killed') });
    const h = spawn(() => sleep(1000));
    await sleep(1);
    await h.kill({ exception: ExpectedError, block: false });
    await sleep(1);
    assert.equal(reports.length, 2);
    parseReport(reports[0] as string, String(g), 'ExpectedError');
    parseReport(reports[1] as string, String(h), 'ExpectedError');
  });
});

test('a killer waiting in kill({block: true}) counts as listening', async () => {
  await runVirtual(async () => {
    const reports = captureReports();
    const g = spawn(() => sleep(1000));
    await sleep(1);
    await g.kill({ exception: ExpectedError });
    assert.ok(g.exception instanceof ExpectedError);
    assert.deepEqual(reports, []);
  });
});

test('a link callback that throws is reported as its stack then <time> <callback name> for <Greenlet …> failed with Name', async () => {
  await runVirtual(async () => {
    const reports = captureReports();
    const g = spawn(() => 5);
    const err = new ExpectedError('link');
    g.link(function badListener() {
      throw err;
    });
    await sleep(10);
    assert.equal(reports.length, 1);
    const { stack, time } = parseReport(
      reports[0] as string,
      `badListener for ${String(g)}`,
      'ExpectedError',
    );
    assert.equal(stack, err.stack);
    assert.match(time, ISO);
  });
});

test('exceptionStream is assignable: null silences, anything with write(string) receives', async () => {
  await runVirtual(async () => {
    const hub = getHub();
    assert.equal(hub.exceptionStream, process.stderr, 'stderr by default');
    hub.exceptionStream = null;
    const g = spawn(boom, 7);
    await sleep(10);
    assert.ok(g.exception instanceof ExpectedError);
    const chunks: string[] = [];
    hub.exceptionStream = { write: (s: string) => chunks.push(s) };
    spawn(boom, 8);
    await sleep(10);
    assert.equal(chunks.length, 1);
  });
});

test('a stream whose write throws does not break get() or the hub (TestHandleError)', async () => {
  await runVirtual(async () => {
    getHub().exceptionStream = {
      write(): void {
        throw new Error('broken stream');
      },
    };
    const raises = spawn(() => {
      throw new ExpectedError('raises');
    });
    await sleep(1);
    await assert.rejects(raises.get(), ExpectedError);
    const ok = spawn(async () => {
      await sleep(1);
      return 'still works';
    });
    assert.equal(await ok.get(), 'still works');
  });
});

test('a thrown non-Error is still reported', async () => {
  await runVirtual(async () => {
    const reports = captureReports();
    const g = spawn(() => {
      throw 'a string';
    });
    await sleep(1);
    assert.equal(g.exception, 'a string');
    assert.equal(reports.length, 1);
    assert.ok(reports[0]?.includes(`${String(g)} failed with `), reports[0]);
  });
});

test('a stack overflow in a greenlet does not break things (test_recursion_error)', async () => {
  await runVirtual(async () => {
    const reports = captureReports();
    const recur = (n: number): number => recur(n + 1) + 1;
    const g = spawn(recur, 0);
    const g2 = spawn(() => joinAll([g]));
    await joinAll([g2]);
    await assert.rejects(g.get(), RangeError);
    assert.equal(g.successful(), false);
    assert.equal(g.dead, true);
    assert.equal(reports.length, 1);
    parseReport(reports[0] as string, String(g), 'RangeError');
  });
});

test('no unhandled promise rejection escapes the library', async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };
  process.on('unhandledRejection', onUnhandled);
  try {
    await runVirtual(async () => {
      captureReports();
      const g = spawn(boom, 9);
      g.link(async () => {
        throw new ExpectedError('async link');
      });
      g.link(() => {
        throw new ExpectedError('sync link');
      });
      const h = spawn(() => sleep(1000));
      const many = spawn(() => Promise.all([h.join(), h.get(), sleep(500)]));
      await sleep(1);
      await many.kill();
      await h.kill({ exception: ExpectedError });
      spawn(boom, 10);
      const t = spawn(async () => {
        Timeout.startNew(1);
        await Promise.all([sleep(100), sleep(200)]);
      });
      await t.join();
      await sleep(20);
    });
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setTimeout(r, 5));
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
  assert.deepEqual(unhandled, []);
});

test('a failure that cannot be printed is reported as <unprintable> and still reaches links and joiners', async () => {
  await runVirtual(async () => {
    const reports = captureReports();
    const nullProto = Object.create(null) as object;
    const badToString = {
      toString(): string {
        throw new ExpectedError('toString');
      },
    };
    const badStack = new ExpectedError('stack');
    Object.defineProperty(badStack, 'stack', {
      get(): string {
        throw new ExpectedError('stack getter');
      },
    });
    for (const value of [nullProto, badToString, badStack]) {
      reports.length = 0;
      const g = spawn(async () => {
        await sleep(1);
        throw value;
      });
      let linked = 0;
      g[kQuietLink](() => {
        linked++;
      });
      await sleep(5);
      assert.equal(g.dead, true);
      assert.equal(g.exception, value);
      assert.equal(linked, 1, 'the death reached the link');
      assert.equal(await g.join(), true);
      assert.equal(reports.length, 1);
      const text = reports[0] as string;
      assert.match(text, /^<unprintable>\n|^ExpectedError: stack\n|<unprintable>/);
      assert.match(text, / failed with \S+\n\n$/);
    }
  });
});

test('test__exc_info.py test1: a greenlet spawned and joined inside a catch block fails with its own error; the caught one is untouched (differs: joined, so not reported)', async () => {
  await runVirtual(async () => {
    const reports = captureReports();
    const error = new Error('hello');
    const expected = new ExpectedError('expected exception in hello');
    try {
      throw error;
    } catch (caught) {
      const g = spawn((err: Error) => {
        throw err;
      }, expected);
      await g.join();
      assert.equal(g.exception, expected);
      assert.equal(caught, error);
    }
    assert.equal(
      reports.length,
      0,
      'joined before it died: DESIGN says no report (gevent reports)',
    );
    const g2 = spawn(() => {
      throw expected;
    });
    await sleep(1);
    assert.equal(g2.exception, expected);
    assert.equal(reports.join('').match(/failed with ExpectedError/g)?.length, 1);
  });
});
