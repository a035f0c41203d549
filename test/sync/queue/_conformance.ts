// The conformance suite every queue class of verdant/queue passes (STYLE §12): order, the
// nowait errors, timeouts, cancel points, signals, nothing-lost, shutdown, iteration and bad
// input. test/sync/queue.test.ts runs it once per class with a description of the class.
// Behaviours ported from gevent's src/gevent/tests/test__queue.py where it has them.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GreenletExit } from '../../../src/core/errors.js';
import { getHub } from '../../../src/core/hub.js';
import type { WaitOptions } from '../../../src/core/waiter.js';
import { type Greenlet, joinAll, sleep, spawn, Timeout } from '../../../src/index.js';
import {
  QueueEmpty,
  QueueFull,
  QueueShutDown,
  type ShutdownOptions,
} from '../../../src/sync/queue/index.js';
import { runVirtual } from '../../../src/testing/virtual.js';
import { assertRejectsNoThrow, captureReports } from '../../_util.js';

type Opts = WaitOptions | number | null;

/**
 * `runVirtual(fn)`, checking that no greenlet failure was reported to the hub: every greenlet
 * a test expects to fail is waited on when it dies.
 */
export function vrun(fn: () => unknown): Promise<void> {
  return runVirtual(async () => {
    const reports = captureReports();
    await fn();
    assert.deepEqual(reports, [], 'no failure was reported');
  });
}

/** What the suite uses of a queue: the surface every class shares. */
export interface QueueLike<T> extends AsyncIterable<T> {
  put(item: T, options?: Opts): Promise<void>;
  get(options?: Opts): Promise<T>;
  putNowait(item: T): void;
  getNowait(): T;
  peek(options?: Opts): Promise<T>;
  peekNowait(): T;
  qsize(): number;
  empty(): boolean;
  full(): boolean;
  shutdown(options?: ShutdownOptions): void;
  stats(): { getters: number; putters: number; peekers: number; shutdown: boolean };
}

/** A queue class as the suite sees it. */
export interface QueueKind {
  /** The class name, used in test names. */
  name: string;
  /** A new instance; `maxsize` is ignored by a channel. */
  make<T>(maxsize?: number | null): QueueLike<T>;
  /** The constructor, for the bad-input tests (null for a class that takes no maxsize). */
  construct: ((maxsize: unknown) => unknown) | null;
  /** The order in which items queued together come out. A channel serves putters FIFO. */
  order: 'fifo' | 'lifo' | 'priority';
  /** A rendezvous: holds nothing, `put` waits for a getter. */
  channel: boolean;
}

function isExit(g: Greenlet<unknown>): boolean {
  return (g.value as unknown) instanceof GreenletExit;
}

/** The order in which `items`, queued together, come out of a queue of this kind. */
function expectedOrder(kind: QueueKind, items: number[]): number[] {
  if (kind.order === 'lifo') return [...items].reverse();
  if (kind.order === 'priority') return [...items].sort((a, b) => a - b);
  return [...items];
}

/**
 * Make `q` hold `items` (in that order): put directly into a buffered queue; for a channel,
 * spawn one putter per item (each waits in `put`) and let them block.
 */
async function offer(kind: QueueKind, q: QueueLike<number>, items: number[]): Promise<Greenlet[]> {
  if (!kind.channel) {
    for (const x of items) q.putNowait(x);
    return [];
  }
  const gs = items.map((x) => spawn(() => q.put(x)));
  await sleep(0);
  return gs;
}

/** A queue on which `put` has to wait: a full `make(1)`, or an empty channel. */
function makeFull(kind: QueueKind): QueueLike<number> {
  const q = kind.make<number>(1);
  if (!kind.channel) q.putNowait(0);
  return q;
}

/** Spawns a greenlet that records 'other ran' when it runs. */
function witness(log: string[]): Greenlet<void> {
  return spawn(() => {
    log.push('other ran');
  });
}

/** Drain what `getNowait` gives until it throws. */
function drain(q: QueueLike<number>): number[] {
  const out: number[] = [];
  for (;;) {
    try {
      out.push(q.getNowait());
    } catch (e) {
      if (e instanceof QueueEmpty || e instanceof QueueShutDown) return out;
      throw e;
    }
  }
}

/** The conformance suite: run it once per queue class. */
export function queueConformance(kind: QueueKind): void {
  describe(`${kind.name} conformance`, () => {
    describe('order', () => {
      test(`get() returns queued items in ${kind.order} order`, () =>
        vrun(async () => {
          const q = kind.make<number>();
          const items = [3, 1, 4, 2];
          const putters = await offer(kind, q, items);
          const got: number[] = [];
          for (let i = 0; i < items.length; i++) got.push(await q.get());
          assert.deepEqual(got, expectedOrder(kind, items));
          await joinAll(putters, { raiseError: true });
        }));

      test('blocked getters are served oldest first, one item each', () =>
        vrun(async () => {
          const q = kind.make<number>();
          const got: string[] = [];
          const gs = ['a', 'b', 'c'].map((name) =>
            spawn(async () => {
              got.push(`${name}:${await q.get()}`);
            }),
          );
          await sleep(0);
          assert.equal(q.stats().getters, 3);
          for (const x of [1, 2, 3]) q.putNowait(x);
          await joinAll(gs, { raiseError: true });
          assert.deepEqual(got, ['a:1', 'b:2', 'c:3']);
        }));

      test('blocked putters are let in oldest first', () =>
        vrun(async () => {
          const q = makeFull(kind);
          const ps = [1, 2, 3].map((x) => spawn(() => q.put(x)));
          await sleep(0);
          assert.equal(q.stats().putters, 3);
          const got: number[] = [];
          if (!kind.channel) got.push(await q.get());
          for (let i = 0; i < 3; i++) got.push(await q.get());
          assert.deepEqual(got, kind.channel ? [1, 2, 3] : [0, 1, 2, 3]);
          await joinAll(ps, { raiseError: true });
        }));

      test('a put with a getter waiting hands the item over; nothing is left queued', () =>
        vrun(async () => {
          const q = kind.make<number>();
          const g = spawn(() => q.get());
          await sleep(0);
          if (kind.channel) await q.put(7);
          else q.putNowait(7);
          assert.equal(await g.get(), 7);
          assert.ok(q.empty());
          assert.equal(q.qsize(), 0);
        }));
    });

    describe('nowait calls and sizes', () => {
      test('getNowait() and peekNowait() on an empty queue throw QueueEmpty', () =>
        vrun(() => {
          const q = kind.make<number>();
          assert.throws(() => q.getNowait(), QueueEmpty);
          assert.throws(() => q.peekNowait(), QueueEmpty);
        }));

      test('putNowait() throws QueueFull when no slot (or no getter) is free', () =>
        vrun(() => {
          const q = makeFull(kind);
          assert.ok(q.full());
          assert.throws(() => q.putNowait(9), QueueFull);
          assert.equal(q.qsize(), kind.channel ? 0 : 1, 'the item was not added');
        }));

      test('qsize(), empty() and full() follow the contents', () =>
        vrun(async () => {
          const q = kind.make<number>(2);
          if (kind.channel) {
            assert.deepEqual([q.qsize(), q.empty(), q.full()], [0, true, true]);
            const p = spawn(() => q.put(1));
            await sleep(0);
            assert.deepEqual([q.qsize(), q.empty(), q.full()], [0, true, true]);
            assert.equal(q.getNowait(), 1);
            await p.get();
            return;
          }
          assert.deepEqual([q.qsize(), q.empty(), q.full()], [0, true, false]);
          q.putNowait(1);
          assert.deepEqual([q.qsize(), q.empty(), q.full()], [1, false, false]);
          q.putNowait(2);
          assert.deepEqual([q.qsize(), q.empty(), q.full()], [2, false, true]);
          q.getNowait();
          assert.deepEqual([q.qsize(), q.empty(), q.full()], [1, false, false]);
        }));

      if (!kind.channel) {
        test('an unbounded queue (maxsize undefined, null, 0 or negative) is never full', () =>
          vrun(() => {
            for (const maxsize of [undefined, null, 0, -1]) {
              const q = kind.make<number>(maxsize);
              for (let i = 0; i < 1000; i++) q.putNowait(i);
              assert.equal(q.full(), false, `maxsize ${maxsize}`);
              assert.equal(q.qsize(), 1000);
            }
          }));

        test('peekNowait() returns the next item without removing it', () =>
          vrun(() => {
            const q = kind.make<number>();
            for (const x of [3, 1, 2]) q.putNowait(x);
            const next = expectedOrder(kind, [3, 1, 2])[0];
            assert.equal(q.peekNowait(), next);
            assert.equal(q.qsize(), 3);
            assert.equal(q.getNowait(), next);
          }));
      }

      test('put() and get() that need not wait let no other greenlet run', () =>
        vrun(async () => {
          const q = kind.make<number>();
          const log: string[] = [];
          if (kind.channel) {
            const p = spawn(() => q.put(5));
            await sleep(0);
            witness(log);
            assert.equal(await q.get(), 5);
            assert.deepEqual(log, [], 'nothing switched');
            await p.get();
            return;
          }
          witness(log);
          await q.put(1);
          await q.put(2);
          assert.equal(await q.peek(), expectedOrder(kind, [1, 2])[0]);
          await q.get();
          assert.deepEqual(log, [], 'nothing switched');
          await sleep(0);
          assert.deepEqual(log, ['other ran']);
        }));

      test('putNowait() never switches; the getter it wakes runs later, from the hub', () =>
        vrun(async () => {
          const q = kind.make<number>();
          const log: string[] = [];
          const g = spawn(async () => {
            log.push(`got ${await q.get()}`);
          });
          await sleep(0);
          q.putNowait(1);
          log.push('put returned');
          await g.join();
          assert.deepEqual(log, ['put returned', 'got 1']);
        }));
    });

    describe('timeouts', () => {
      test('get({timeout}) throws QueueEmpty once the timeout elapses (a bare number too)', () =>
        vrun(async () => {
          const q = kind.make<number>();
          const t0 = getHub().now();
          await assert.rejects(q.get({ timeout: 50 }), QueueEmpty);
          assert.equal(getHub().now() - t0, 50);
          await assert.rejects(q.get(20), QueueEmpty);
          assert.equal(getHub().now() - t0, 70);
          assert.equal(q.stats().getters, 0, 'the timed-out getter left the queue');
        }));

      test('peek({timeout}) throws QueueEmpty once the timeout elapses', () =>
        vrun(async () => {
          const q = kind.make<number>();
          await assert.rejects(q.peek({ timeout: 10 }), QueueEmpty);
          assert.equal(getHub().now(), 10);
          assert.equal(q.stats().peekers, 0);
        }));

      test('put({timeout}) throws QueueFull once the timeout elapses and inserts nothing', () =>
        vrun(async () => {
          const q = makeFull(kind);
          await assert.rejects(q.put(9, { timeout: 30 }), QueueFull);
          assert.equal(getHub().now(), 30);
          assert.equal(q.stats().putters, 0);
          assert.deepEqual(drain(q), kind.channel ? [] : [0], 'the item never entered');
        }));

      test('get({timeout}) with an item ready returns it without waiting', () =>
        vrun(async () => {
          const q = kind.make<number>();
          const putters = await offer(kind, q, [4]);
          assert.equal(await q.get({ timeout: 0 }), 4);
          assert.equal(getHub().now(), 0);
          await joinAll(putters, { raiseError: true });
        }));

      test("a getter whose timeout fired before a put leaves the item to the next getter (gevent's test_two_waiters_one_dies)", () =>
        vrun(async () => {
          const q = kind.make<number>();
          const dying = spawn(() => q.get({ timeout: 0 }));
          const waiting = spawn(() => q.get());
          await assert.rejects(dying.get(), QueueEmpty);
          q.putNowait(1);
          assert.equal(await waiting.get(), 1);
        }));
    });

    describe('cancel points', () => {
      const blockers: {
        name: string;
        setup: () => QueueLike<number>;
        call: (q: QueueLike<number>, o?: Opts) => Promise<unknown>;
      }[] = [
        { name: 'get()', setup: () => kind.make<number>(), call: (q, o) => q.get(o) },
        { name: 'peek()', setup: () => kind.make<number>(), call: (q, o) => q.peek(o) },
        { name: 'put()', setup: () => makeFull(kind), call: (q, o) => q.put(42, o) },
      ];
      for (const b of blockers) {
        test(`${b.name} is a cancel point: a kill lands there and finally blocks run`, () =>
          vrun(async () => {
            const q = b.setup();
            const log: string[] = [];
            const g = spawn(async () => {
              try {
                await b.call(q);
                log.push('returned');
              } finally {
                log.push('finally');
              }
            });
            await sleep(0);
            await g.kill();
            assert.deepEqual(log, ['finally']);
            assert.ok(isExit(g));
            assert.deepEqual(q.stats().getters + q.stats().putters + q.stats().peekers, 0);
            assert.deepEqual(drain(q), kind.channel ? [] : b.name === 'put()' ? [0] : []);
          }));

        test(`a Timeout started around ${b.name} is thrown there (the same instance)`, () =>
          vrun(async () => {
            const q = b.setup();
            const t = Timeout.startNew(25);
            try {
              await b.call(q);
              assert.fail('should have timed out');
            } catch (e) {
              assert.equal(e, t);
            } finally {
              t.cancel();
            }
            assert.equal(getHub().now(), 25);
          }));

        test(`${b.name} with a pre-aborted signal rejects at once with its reason`, () =>
          vrun(async () => {
            const q = b.setup();
            const reason = new Error('stop');
            await assertRejectsNoThrow(
              () => b.call(q, { signal: AbortSignal.abort(reason) }),
              (e) => e === reason,
            );
          }));

        test(`${b.name} rejects with signal.reason when the signal aborts while it waits`, () =>
          vrun(async () => {
            const q = b.setup();
            const ac = new AbortController();
            const reason = new Error('cancelled');
            const g = spawn(() => b.call(q, { signal: ac.signal }));
            await sleep(0);
            ac.abort(reason);
            await assert.rejects(g.get(), (e) => e === reason);
            assert.equal(q.stats().getters + q.stats().putters + q.stats().peekers, 0);
          }));

        test(`bad options reject ${b.name} (never a synchronous throw)`, () =>
          vrun(async () => {
            const q = b.setup();
            await assertRejectsNoThrow(() => b.call(q, { timeout: -1 }), RangeError);
            await assertRejectsNoThrow(() => b.call(q, -5), RangeError);
            await assertRejectsNoThrow(() => b.call(q, Number.NaN), RangeError);
            await assertRejectsNoThrow(
              () => b.call(q, { timeout: '10' as unknown as number }),
              TypeError,
            );
            await assertRejectsNoThrow(() => b.call(q, 'soon' as unknown as number), TypeError);
            await assertRejectsNoThrow(() => b.call(q, { signal: {} as AbortSignal }), TypeError);
          }));
      }

      test('a pre-aborted signal rejects even a get() or put() that need not wait, taking nothing', () =>
        vrun(async () => {
          const q = kind.make<number>();
          const signal = AbortSignal.abort(new Error('no'));
          const putters = await offer(kind, q, [1]);
          await assert.rejects(q.get({ signal }), /no/);
          await assert.rejects(q.put(2, { signal }), /no/);
          assert.equal(q.getNowait(), 1, 'the item is still there');
          assert.throws(() => q.getNowait(), QueueEmpty, 'the rejected put added nothing');
          await joinAll(putters, { raiseError: true });
        }));
    });

    describe('nothing lost', () => {
      test('a getter woken with an item, then killed before it resumes, leaves it to the next getter', () =>
        vrun(async () => {
          const q = kind.make<number>();
          const first = spawn(() => q.get());
          const second = spawn(() => q.get());
          await sleep(0);
          q.putNowait(1);
          void first.kill({ block: false });
          assert.equal(await second.get(), 1);
          await first.join();
          assert.ok(isExit(first));
        }));

      test('a getter woken, then killed, with no other getter, leaves the item for a later get', () =>
        vrun(async () => {
          const q = kind.make<number>();
          const g = spawn(() => q.get());
          await sleep(0);
          q.putNowait(1);
          void g.kill({ block: false });
          await g.join();
          assert.ok(isExit(g));
          assert.equal(await q.get({ timeout: 0 }), 1);
        }));

      test('a getter woken, then aborted by its signal, leaves the item to the next getter', () =>
        vrun(async () => {
          const q = kind.make<number>();
          const ac = new AbortController();
          const first = spawn(() => q.get({ signal: ac.signal }));
          const second = spawn(() => q.get());
          await sleep(0);
          q.putNowait(1);
          ac.abort(new Error('changed my mind'));
          const [, got] = await Promise.all([
            assert.rejects(first.get(), /changed my mind/),
            second.get(),
          ]);
          assert.equal(got, 1);
        }));

      test('a greenlet blocked in two gets at once, killed after both were woken, hands both items back', () =>
        vrun(async () => {
          const q = kind.make<number>();
          const g = spawn(() => Promise.all([q.get(), q.get()]));
          await sleep(0);
          q.putNowait(1);
          q.putNowait(2);
          void g.kill({ block: false });
          await g.join();
          assert.ok(isExit(g));
          assert.deepEqual(drain(q), expectedOrder(kind, [1, 2]));
        }));

      test('a kill pending when a greenlet enters two gets at once ends both; none keeps a place in line', () =>
        vrun(async () => {
          const q = kind.make<number>();
          const g: Greenlet = spawn(async () => {
            void g.kill({ block: false });
            await Promise.all([q.get(), q.get()]);
          });
          await g.join();
          assert.ok(isExit(g));
          assert.equal(q.stats().getters, 0);
          const h = spawn(() => q.get());
          await sleep(0);
          q.putNowait(1);
          assert.equal(await h.get(), 1);
        }));

      test("two getters that both time out leave the item in the queue (gevent's test_two_bogus_waiters)", () =>
        vrun(async () => {
          const q = kind.make<number>();
          const a = spawn(() => q.get({ timeout: 0 }));
          const b = spawn(() => q.get({ timeout: 0 }));
          await Promise.all([
            assert.rejects(a.get(), QueueEmpty),
            assert.rejects(b.get(), QueueEmpty),
          ]);
          if (kind.channel) {
            const p = spawn(() => q.put(7));
            assert.equal(await q.get(), 7);
            await p.get();
          } else {
            q.putNowait(7);
            assert.equal(await q.get(), 7);
          }
        }));

      test('a killed blocked put inserts nothing', () =>
        vrun(async () => {
          const q = makeFull(kind);
          const p = spawn(() => q.put(9));
          await sleep(0);
          await p.kill();
          assert.ok(isExit(p));
          assert.deepEqual(drain(q), kind.channel ? [] : [0]);
        }));

      if (!kind.channel) {
        test('a putter woken for a freed slot, then killed, inserts nothing and gives the slot to the next putter', () =>
          vrun(async () => {
            const q = kind.make<number>(1);
            q.putNowait(0);
            const p1 = spawn(() => q.put(1));
            const p2 = spawn(() => q.put(2));
            await sleep(0);
            assert.equal(q.getNowait(), 0);
            void p1.kill({ block: false });
            await p2.get();
            await p1.join();
            assert.ok(isExit(p1));
            assert.deepEqual(drain(q), [2]);
          }));
      }
    });

    describe('shutdown', () => {
      test('after shutdown(), put() and putNowait() throw QueueShutDown', () =>
        vrun(async () => {
          const q = kind.make<number>();
          q.shutdown();
          await assertRejectsNoThrow(() => q.put(1), QueueShutDown);
          assert.throws(() => q.putNowait(1), QueueShutDown);
          assert.equal(q.stats().shutdown, true);
        }));

      test('get() then throws QueueShutDown at once, even with a timeout', () =>
        vrun(async () => {
          const q = kind.make<number>();
          q.shutdown();
          await assertRejectsNoThrow(() => q.get({ timeout: 1000 }), QueueShutDown);
          await assertRejectsNoThrow(() => q.peek({ timeout: 1000 }), QueueShutDown);
          assert.throws(() => q.getNowait(), QueueShutDown);
          assert.throws(() => q.peekNowait(), QueueShutDown);
          assert.equal(getHub().now(), 0);
        }));

      if (!kind.channel) {
        test("get() drains what is left, then throws QueueShutDown (gevent's shutdown in one thread)", () =>
          vrun(async () => {
            const q = kind.make<number>();
            await q.put(1);
            q.putNowait(2);
            q.shutdown();
            const got = [await q.get(), await q.get()];
            assert.deepEqual(got, expectedOrder(kind, [1, 2]));
            await assert.rejects(q.get(), QueueShutDown);
            assert.throws(() => q.getNowait(), QueueShutDown);
            await assert.rejects(q.get({ timeout: 1000 }), QueueShutDown);
            assert.equal(getHub().now(), 0);
          }));

        test('shutdown({immediate: true}) drops the items: get() throws at once', () =>
          vrun(async () => {
            const q = kind.make<number>();
            q.putNowait(1);
            q.putNowait(2);
            q.shutdown({ immediate: true });
            assert.equal(q.qsize(), 0);
            await assert.rejects(q.get(), QueueShutDown);
            assert.throws(() => q.getNowait(), QueueShutDown);
          }));
      }

      test('blocked getters, peekers and putters get QueueShutDown', () =>
        vrun(async () => {
          const empty = kind.make<number>();
          const full = makeFull(kind);
          const getter = spawn(() => empty.get());
          const peeker = spawn(() => empty.peek());
          const putter = spawn(() => full.put(1));
          await sleep(0);
          empty.shutdown();
          full.shutdown();
          await Promise.all(
            [getter, peeker, putter].map((g) => assert.rejects(g.get(), QueueShutDown)),
          );
          assert.deepEqual(drain(full), kind.channel ? [] : [0]);
        }));

      test('shutdown() never switches; the waiters it fails run later, from the hub', () =>
        vrun(async () => {
          const q = kind.make<number>();
          const log: string[] = [];
          const g = spawn(async () => {
            try {
              await q.get();
            } catch (e) {
              log.push((e as Error).name);
            }
          });
          await sleep(0);
          q.shutdown();
          log.push('shutdown returned');
          await g.join();
          assert.deepEqual(log, ['shutdown returned', 'QueueShutDown']);
        }));

      test('shutdown() with bad options throws TypeError', () =>
        vrun(() => {
          const q = kind.make<number>();
          assert.throws(() => q.shutdown('now' as unknown as ShutdownOptions), TypeError);
          assert.throws(() => q.shutdown({ immediate: 1 as unknown as boolean }), TypeError);
          assert.equal(q.stats().shutdown, false);
        }));
    });

    describe('iteration', () => {
      test('for await yields items until the queue is shut down and drained', () =>
        vrun(async () => {
          const q = kind.make<number>(1);
          const producer = spawn(async () => {
            for (let i = 1; i <= 5; i++) await q.put(i);
            q.shutdown();
          });
          const got: number[] = [];
          for await (const x of q) got.push(x);
          assert.deepEqual(got, [1, 2, 3, 4, 5]);
          await producer.get();
        }));

      test('a kill while iterating ends the loop by throwing there (finally runs)', () =>
        vrun(async () => {
          const q = kind.make<number>();
          const log: string[] = [];
          const g = spawn(async () => {
            try {
              for await (const x of q) log.push(`item ${x}`);
              log.push('loop ended');
            } finally {
              log.push('finally');
            }
          });
          await sleep(0);
          q.putNowait(1);
          await sleep(0);
          await g.kill();
          assert.deepEqual(log, ['item 1', 'finally']);
          assert.ok(isExit(g));
        }));

      test('iterating a queue shut down while empty yields nothing', () =>
        vrun(async () => {
          const q = kind.make<number>();
          q.shutdown();
          const got: number[] = [];
          for await (const x of q) got.push(x);
          assert.deepEqual(got, []);
        }));
    });

    if (kind.construct !== null) {
      const construct = kind.construct;
      describe('bad input', () => {
        test('a maxsize that is not a number throws TypeError', () => {
          for (const bad of ['10', {}, true, 10n]) {
            assert.throws(() => construct(bad), TypeError, String(bad));
          }
        });

        test('a NaN or fractional maxsize throws RangeError', () => {
          assert.throws(() => construct(Number.NaN), RangeError);
          assert.throws(() => construct(1.5), /fractional maxsize: maxsize is 1\.5/);
        });
      });
    }

    test('stats() is a snapshot of the waiters', () =>
      vrun(async () => {
        const q = kind.make<number>();
        const gs = [spawn(() => q.get()), spawn(() => q.get()), spawn(() => q.peek())];
        await sleep(0);
        const s = q.stats();
        assert.deepEqual([s.getters, s.peekers, s.putters, s.shutdown], [2, 1, 0, false]);
        q.shutdown();
        assert.deepEqual(s.getters, 2, 'an old snapshot does not change');
        assert.equal(q.stats().getters, 0);
        await joinAll(gs);
      }));
  });
}
