// verdant/queue: the conformance suite for every class, then what is particular to each —
// priority order and compare, LIFO, the channel's rendezvous, task tracking and join, the
// boss/workers pattern — and gevent's test__queue.py behaviours. All on the virtual clock.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GreenletExit } from '../../../src/core/errors.js';
import { getHub } from '../../../src/core/hub.js';
import * as index from '../../../src/index.js';
import { type Greenlet, joinAll, sleep, spawn, Timeout, withTimeout } from '../../../src/index.js';
import { Deque, Heap } from '../../../src/sync/queue/_store.js';
import {
  Channel,
  JoinableQueue,
  LifoQueue,
  PriorityQueue,
  Queue,
  QueueEmpty,
  QueueFull,
  QueueShutDown,
  SimpleQueue,
} from '../../../src/sync/queue/index.js';
import { type QueueKind, type QueueLike, queueConformance, vrun } from './_conformance.js';

const kinds: QueueKind[] = [
  {
    name: 'SimpleQueue',
    make: (m) => new SimpleQueue(m),
    construct: (m) => new SimpleQueue(m as number),
    order: 'fifo',
    channel: false,
  },
  {
    name: 'Queue',
    make: (m) => new Queue(m),
    construct: (m) => new Queue(m as number),
    order: 'fifo',
    channel: false,
  },
  {
    name: 'PriorityQueue',
    make: (m) => new PriorityQueue(m),
    construct: (m) => new PriorityQueue(m as number),
    order: 'priority',
    channel: false,
  },
  {
    name: 'LifoQueue',
    make: (m) => new LifoQueue(m),
    construct: (m) => new LifoQueue(m as number),
    order: 'lifo',
    channel: false,
  },
  {
    name: 'Channel',
    make: <T>() => new Channel<T>() as QueueLike<T>,
    construct: null,
    order: 'fifo',
    channel: true,
  },
];

for (const kind of kinds) queueConformance(kind);

function isExit(g: Greenlet<unknown>): boolean {
  return (g.value as unknown) instanceof GreenletExit;
}

describe('the queue classes', () => {
  test('JoinableQueue is the same class object as Queue', () => {
    assert.equal(JoinableQueue, Queue);
    assert.ok(new JoinableQueue() instanceof Queue);
  });

  test('Queue, PriorityQueue and LifoQueue are joinable SimpleQueues; SimpleQueue tracks no tasks', () => {
    for (const q of [new Queue(), new PriorityQueue(), new LifoQueue()]) {
      assert.ok(q instanceof SimpleQueue);
      assert.ok(q instanceof Queue);
      assert.equal(typeof q.taskDone, 'function');
    }
    const s = new SimpleQueue();
    assert.equal('taskDone' in s, false);
    assert.equal('join' in s, false);
    assert.equal('unfinishedTasks' in s, false);
  });

  test('the errors are named Error subclasses', () => {
    for (const [E, name] of [
      [QueueEmpty, 'QueueEmpty'],
      [QueueFull, 'QueueFull'],
      [QueueShutDown, 'QueueShutDown'],
    ] as const) {
      const e = new E();
      assert.ok(e instanceof Error);
      assert.equal(e.name, name);
      assert.ok(e.message.length > 0);
    }
  });

  test('verdant re-exports the queue classes and errors', () => {
    assert.equal(index.Queue, Queue);
    assert.equal(index.JoinableQueue, Queue);
    assert.equal(index.Channel, Channel);
    assert.equal(index.QueueShutDown, QueueShutDown);
    assert.equal(index.SimpleQueue, SimpleQueue);
  });

  test('maxsize reads null when unbounded; 0 is unbounded, not a channel (gevent)', () => {
    assert.equal(new Queue().maxsize, null);
    assert.equal(new Queue(0).maxsize, null);
    assert.equal(new Queue(-3).maxsize, null);
    assert.equal(new Queue(Number.POSITIVE_INFINITY).maxsize, null);
    assert.equal(new Queue(5).maxsize, 5);
    const q = new Queue<number>(0);
    q.putNowait(1);
    assert.equal(q.getNowait(), 1);
  });

  test('raising maxsize lets blocked putters in, oldest first', () =>
    vrun(async () => {
      const q = new Queue<number>(1);
      q.putNowait(0);
      const ps = [1, 2, 3].map((x) => spawn(() => q.put(x)));
      await sleep(0);
      q.maxsize = 3;
      assert.equal(q.stats().reserved, 2);
      await sleep(0);
      assert.deepEqual([q.qsize(), q.stats().putters], [3, 1]);
      q.maxsize = null;
      await joinAll(ps, { raiseError: true });
      assert.deepEqual([q.getNowait(), q.getNowait(), q.getNowait(), q.getNowait()], [0, 1, 2, 3]);
      assert.throws(() => {
        q.maxsize = Number.NaN;
      }, /Cannot resize a Queue with a NaN maxsize: maxsize is NaN/);
      assert.throws(
        () => new PriorityQueue('3' as unknown as number),
        /Cannot create a PriorityQueue with a maxsize that is not a number: maxsize is string/,
      );
    }));
});

describe('Queue (FIFO) specifics', () => {
  test("a bounded put blocks until a get frees a slot (gevent's test_max_size)", () =>
    vrun(async () => {
      const q = new Queue<string>(2);
      const results: string[] = [];
      const p = spawn(async () => {
        for (const x of ['a', 'b', 'c']) {
          await q.put(x);
          results.push(x);
        }
        return 'OK';
      });
      await sleep(0);
      assert.deepEqual(results, ['a', 'b']);
      assert.equal(await q.get(), 'a');
      await sleep(0);
      assert.deepEqual(results, ['a', 'b', 'c']);
      assert.equal(await q.get(), 'b');
      assert.equal(await q.get(), 'c');
      assert.equal(await p.get({ timeout: 0 }), 'OK');
    }));

  test('full() counts a slot freed for a blocked putter that has not resumed yet', () =>
    vrun(async () => {
      const q = new Queue<string>(1);
      q.putNowait('a');
      const p = spawn(() => q.put('b'));
      await sleep(0);
      assert.equal(q.getNowait(), 'a');
      assert.equal(q.qsize(), 0);
      assert.equal(q.full(), true, "the slot is b's");
      assert.throws(() => q.putNowait('late'), QueueFull);
      await p.get();
      assert.deepEqual([q.qsize(), q.getNowait()], [1, 'b']);
    }));

  test("the blocked putter's item enters when it resumes, not when the slot frees", () =>
    vrun(async () => {
      const q = new Queue<string>(1);
      q.putNowait('a');
      const p = spawn(() => q.put('b'));
      await sleep(0);
      assert.equal(q.getNowait(), 'a');
      assert.throws(() => q.getNowait(), QueueEmpty, 'b is not in yet');
      const got = spawn(() => q.get());
      await sleep(0);
      assert.equal(await got.get(), 'b');
      await p.get();
    }));

  test('a reserved putter that resumes after shutdown() fails with QueueShutDown: nothing enters', () =>
    vrun(async () => {
      const q = new Queue<string>(1);
      q.putNowait('a');
      const p = spawn(() => q.put('b'));
      await sleep(0);
      assert.equal(q.getNowait(), 'a');
      q.shutdown();
      await assert.rejects(p.get(), QueueShutDown);
      assert.equal(q.qsize(), 0);
      assert.equal(q.unfinishedTasks, 1, "only a's task");
    }));

  test('interrupted getters hand their items back in order, ahead of later items', () =>
    vrun(async () => {
      const q = new Queue<number>();
      const gs = [spawn(() => q.get()), spawn(() => q.get()), spawn(() => q.get())];
      await sleep(0);
      q.putNowait(1);
      q.putNowait(2);
      q.putNowait(3);
      for (const g of gs) void g.kill({ block: false });
      q.putNowait(4);
      await joinAll(gs);
      assert.ok(gs.every(isExit));
      assert.deepEqual([q.getNowait(), q.getNowait(), q.getNowait(), q.getNowait()], [1, 2, 3, 4]);
    }));

  test('an item handed back may leave more than maxsize items queued (nothing is dropped)', () =>
    vrun(async () => {
      const q = new Queue<string>(1);
      const g = spawn(() => q.get());
      await sleep(0);
      q.putNowait('a'); // handed to g
      q.putNowait('b'); // fills the queue
      void g.kill({ block: false });
      await g.join();
      assert.equal(q.qsize(), 2);
      assert.ok(q.full());
      assert.deepEqual([q.getNowait(), q.getNowait()], ['a', 'b']);
      assert.equal(q.full(), false);
    }));

  test("several greenlets waiting each get one of the items (gevent's test_multiple_waiters)", () =>
    vrun(async () => {
      const q = new Queue<string>();
      const gs = ['1', '2', '3', '4'].map(() => spawn(() => q.get()));
      await sleep(10);
      q.putNowait('1');
      await sleep(1);
      assert.equal(gs.filter((g) => g.dead).length, 1);
      q.putNowait('2');
      q.putNowait('3');
      q.putNowait('4');
      const got = await Promise.all(gs.map((g) => g.get()));
      assert.deepEqual(new Set(got), new Set(['1', '2', '3', '4']));
    }));

  test("a getter inside withTimeout(0) times out and the queue still works (gevent's test_waiters_that_cancel)", () =>
    vrun(async () => {
      const q = new Queue<string>();
      const g = spawn(() => withTimeout(0, { timeoutValue: 'timed out' }, () => q.get()));
      assert.equal(await g.get(), 'timed out');
      await q.put('hi');
      assert.equal(await q.get(), 'hi');
    }));

  test("a putter that finished before the get still delivers (gevent's test_senders_that_die)", () =>
    vrun(async () => {
      const q = new Queue<string>();
      spawn(() => q.put('sent'));
      assert.equal(await q.get(), 'sent');
    }));

  test("peek() wakes with the next item and leaves it queued (gevent's test_peek_multi_greenlet)", () =>
    vrun(async () => {
      const q = new Queue<number>();
      const g = spawn(() => q.peek());
      await sleep(0);
      q.putNowait(1);
      assert.equal(await g.get(), 1);
      assert.equal(q.peekNowait(), 1);
      assert.equal(q.qsize(), 1);
    }));

  test("put() then peek() and get() without switching (gevent's test_send_first)", () =>
    vrun(async () => {
      const q = new Queue<string>();
      await q.put('hi');
      assert.equal(await q.peek(), 'hi');
      assert.equal(await q.get(), 'hi');
    }));

  test('a getter woken with an item keeps it when killed after it resumed', () =>
    vrun(async () => {
      const q = new Queue<number>();
      const got: number[] = [];
      const g = spawn(async () => {
        got.push(await q.get());
        await sleep(100);
      });
      await sleep(0);
      q.putNowait(1);
      await sleep(0);
      await g.kill();
      assert.deepEqual(got, [1]);
      assert.equal(q.qsize(), 0);
    }));

  test('a kill requested before a get that need not wait does not land there', () =>
    vrun(async () => {
      const q = new Queue<number>();
      q.putNowait(1);
      const log: string[] = [];
      const g: Greenlet<void> = spawn(async () => {
        void g.kill({ block: false });
        log.push(`got ${await q.get()}`);
        await sleep(0);
        log.push('not reached');
      });
      await g.join();
      assert.deepEqual(log, ['got 1']);
      assert.ok(isExit(g));
    }));
});

describe('task tracking (Queue, PriorityQueue, LifoQueue)', () => {
  test("join() of a queue nothing was put into returns true at once, without switching (gevent's test_issue_45)", () =>
    vrun(async () => {
      const q = new Queue();
      const log: string[] = [];
      spawn(() => log.push('other ran'));
      assert.equal(await q.join(), true);
      assert.deepEqual(log, []);
    }));

  test("every put counts a task; taskDone() marks one done (gevent's test_task_done)", () =>
    vrun(async () => {
      const q = new Queue<object>();
      const x = {};
      spawn(() => q.put(x));
      assert.equal(await q.get(), x);
      assert.equal(q.unfinishedTasks, 1);
      q.taskDone();
      assert.equal(q.unfinishedTasks, 0);
      assert.equal(q.stats().unfinishedTasks, 0);
    }));

  test('join() waits until every item put was marked done; joiners wake from the hub', () =>
    vrun(async () => {
      const q = new Queue<number>();
      q.putNowait(1);
      q.putNowait(2);
      const log: string[] = [];
      const j1 = spawn(async () => log.push(`j1 ${await q.join()}`));
      const j2 = spawn(async () => log.push(`j2 ${await q.join()}`));
      await sleep(0);
      assert.equal(q.stats().joiners, 2);
      q.getNowait();
      q.taskDone();
      await sleep(0);
      assert.equal(log.length, 0, 'one task is still unfinished');
      q.getNowait();
      q.taskDone();
      log.push('taskDone returned');
      await joinAll([j1, j2]);
      assert.deepEqual(log, ['taskDone returned', 'j1 true', 'j2 true']);
    }));

  test('join({timeout}) returns false when tasks stay unfinished', () =>
    vrun(async () => {
      const q = new LifoQueue<number>();
      q.putNowait(1);
      assert.equal(await q.join({ timeout: 40 }), false);
      assert.equal(getHub().now(), 40);
      assert.equal(q.stats().joiners, 0);
    }));

  test('join() is a cancel point and takes a signal', () =>
    vrun(async () => {
      const q = new PriorityQueue<number>();
      q.putNowait(1);
      const log: string[] = [];
      const g = spawn(async () => {
        try {
          await q.join();
        } finally {
          log.push('finally');
        }
      });
      await sleep(0);
      await g.kill();
      assert.deepEqual(log, ['finally']);
      const reason = new Error('abort');
      await assert.rejects(q.join({ signal: AbortSignal.abort(reason) }), (e) => e === reason);
      await assert.rejects(q.join({ timeout: -1 }), RangeError);
      const t = Timeout.startNew(5);
      await assert.rejects(q.join(), (e) => e === t);
    }));

  test('an extra taskDone() throws RangeError', () => {
    const q = new Queue<number>();
    assert.throws(
      () => q.taskDone(),
      /Cannot mark a task done when none is unfinished: unfinishedTasks is 0/,
    );
    q.putNowait(1);
    q.taskDone();
    assert.throws(() => q.taskDone(), RangeError);
  });

  test("shutdown({immediate: true}) counts each dropped item as done so join() returns (gevent's immediate shutdown)", () =>
    vrun(async () => {
      const q = new Queue<string>();
      await q.put('L');
      q.putNowait('O');
      const joiner = spawn(() => q.join());
      await sleep(0);
      q.shutdown({ immediate: true });
      await assert.rejects(q.put('E'), QueueShutDown);
      assert.throws(() => q.putNowait('W'), QueueShutDown);
      await assert.rejects(q.get(), QueueShutDown);
      assert.throws(() => q.getNowait(), QueueShutDown);
      assert.throws(() => q.taskDone(), RangeError);
      assert.equal(await joiner.get(), true);
      assert.equal(await q.join(), true);
    }));

  test('shutdown() without immediate: the drained items still need taskDone() before join() returns', () =>
    vrun(async () => {
      const q = new Queue<string>();
      await q.put('L');
      q.putNowait('O');
      q.shutdown();
      assert.ok(['L', 'O'].includes(await q.get()));
      q.taskDone();
      assert.equal(await q.join({ timeout: 0 }), false);
      assert.ok(['L', 'O'].includes(await q.get()));
      q.taskDone();
      assert.equal(await q.join(), true);
      await assert.rejects(q.get(), QueueShutDown);
    }));

  test('an item handed back by a getter killed after an immediate shutdown is dropped and counted done', () =>
    vrun(async () => {
      const q = new Queue<number>();
      const g = spawn(() => q.get());
      await sleep(0);
      q.putNowait(1);
      q.shutdown({ immediate: true });
      void g.kill({ block: false });
      await g.join();
      assert.equal(q.unfinishedTasks, 0);
      assert.equal(await q.join(), true);
      assert.throws(() => q.getNowait(), QueueShutDown);
    }));

  test('boss and workers: a boss feeds a bounded queue, workers drain it, join() waits for all', () =>
    vrun(async () => {
      const tasks = new Queue<number>(3);
      const done: string[] = [];
      const worker = async (name: string): Promise<void> => {
        for await (const task of tasks) {
          try {
            await sleep(10);
            done.push(`${name}:${task}`);
          } finally {
            tasks.taskDone();
          }
        }
      };
      const workers = ['steve', 'john', 'bob'].map((n) => spawn(worker, n));
      const boss = spawn(async () => {
        for (let i = 1; i <= 10; i++) await tasks.put(i);
      });
      await boss.get();
      assert.equal(await tasks.join(), true);
      assert.equal(done.length, 10);
      assert.deepEqual(
        done.map((d) => Number(d.split(':')[1])).sort((a, b) => a - b),
        [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
      );
      assert.deepEqual(done.slice(0, 3), ['steve:1', 'john:2', 'bob:3']);
      tasks.shutdown();
      await joinAll(workers, { raiseError: true });
    }));
});

describe('PriorityQueue specifics', () => {
  test('items come out lowest first by <, ties in the order they were put', () => {
    const q = new PriorityQueue<number | string>();
    for (const x of [5, 1, 3, 1, 4]) q.putNowait(x);
    assert.deepEqual(
      [1, 2, 3, 4, 5].map(() => q.getNowait()),
      [1, 1, 3, 4, 5],
    );
    const s = new PriorityQueue<string>();
    for (const x of ['pear', 'apple', 'fig']) s.putNowait(x);
    assert.equal(s.peekNowait(), 'apple');
    assert.deepEqual([s.getNowait(), s.getNowait(), s.getNowait()], ['apple', 'fig', 'pear']);
  });

  test("[priority, item] arrays come out by priority, element by element, as gevent's tuples", () => {
    // gevent's PriorityQueue holds (priority, item) tuples, compared element by element
    // (real gevent: [(1,'one'), (2,'a'), (2,'two'), (9,'nine'), (10,'ten')]). `<` on two arrays
    // compares their strings, which put [10, 'ten'] before [2, 'a'].
    const q = new PriorityQueue<[number, string]>();
    for (const x of [
      [10, 'ten'],
      [2, 'two'],
      [1, 'one'],
      [2, 'a'],
      [9, 'nine'],
    ] as const) {
      q.putNowait([...x]);
    }
    assert.deepEqual(
      [1, 2, 3, 4, 5].map(() => q.getNowait()),
      [
        [1, 'one'],
        [2, 'a'],
        [2, 'two'],
        [9, 'nine'],
        [10, 'ten'],
      ],
    );
    const p = new PriorityQueue<number[]>();
    for (const x of [[2, 1], [2], [1, 5, 5], [2, 0]]) p.putNowait(x);
    assert.deepEqual(
      [1, 2, 3, 4].map(() => p.getNowait()),
      [[1, 5, 5], [2], [2, 0], [2, 1]],
    );
  });

  test('an object between a number and a string cannot let both in: the put throws, the queue is intact', () => {
    // An object (not an array) ordered with anything, so with {} at the root a number and then
    // a string, each compared only with {}, both got in; every get then threw TypeError. Python
    // refuses dict < int ('<' not supported), as gevent's PriorityQueue.put({}) beside an int.
    const q = new PriorityQueue<unknown>();
    q.putNowait({ id: 'root' });
    assert.throws(
      () => q.putNowait(1),
      /PriorityQueue: cannot order (an object and a number|a number and an object)/,
    );
    assert.equal(q.qsize(), 1);
    // With several items: the new one is compared with its parent only, which is enough once
    // every value has one kind (numbers, strings, None, arrays, objects, symbols).
    const n = new PriorityQueue<unknown>();
    for (const x of [5, 3, 8, 1, 9, 2, 7]) n.putNowait(x);
    for (const bad of ['a', {}, new Date(4), Symbol('s'), [1], null]) {
      assert.throws(() => n.putNowait(bad), TypeError);
    }
    assert.equal(n.qsize(), 7);
    assert.deepEqual(
      Array.from({ length: 7 }, () => n.getNowait()),
      [1, 2, 3, 5, 7, 8, 9],
    );
    // Objects order among themselves with < (a Date by its time); symbols do not order at all.
    const d = new PriorityQueue<Date>();
    d.putNowait(new Date(20));
    d.putNowait(new Date(10));
    assert.equal(d.getNowait().getTime(), 10);
    const y = new PriorityQueue<symbol>();
    y.putNowait(Symbol('a'));
    assert.throws(
      () => y.putNowait(Symbol('b')),
      /PriorityQueue: cannot order a symbol and a symbol/,
    );
    assert.equal(y.qsize(), 1);
  });

  test('a string and a number, or undefined/null and a value, in the same place are a TypeError, as in gevent', () => {
    // Python: (1, 'a') < (1, 2) raises TypeError ('<' not supported between 'str' and 'int'),
    // so gevent's put((1, 'a')) fails. '<' here returned false both ways, the pair counted as
    // equal and the order stopped being transitive: put [1,5] [1,'a'] [1,1] [1,4] [1,2] [1,3]
    // came out 1, 5, 'a', 2, 3, 4.
    const q = new PriorityQueue<unknown[]>();
    q.putNowait([1, 3]);
    assert.throws(
      () => q.putNowait([1, 'a']),
      (e: unknown) =>
        e instanceof TypeError &&
        /PriorityQueue: cannot order a number and a string \(at index 1 of two arrays\)/.test(
          e.message,
        ),
    );
    assert.throws(
      () => q.putNowait([1, undefined]),
      /cannot order (undefined and a number|a number and undefined)/,
    );
    assert.throws(
      () => q.putNowait([1, [2]]),
      /cannot order (an array and a number|a number and an array)/,
    );
    assert.equal(q.qsize(), 1);
    q.putNowait([0, 'z']); // decided by the first element: no string is compared with a number
    q.putNowait([1]); // a prefix comes first
    q.putNowait([1, 3n]); // a bigint and a number order with <
    assert.deepEqual(
      [1, 2, 3, 4].map(() => q.getNowait()),
      [[0, 'z'], [1], [1, 3], [1, 3n]],
    );
    const s = new PriorityQueue<number | string>();
    s.putNowait(2);
    assert.throws(
      () => s.putNowait('1'),
      /cannot order (a string and a number|a number and a string)/,
    );
    const n = new PriorityQueue<unknown[]>();
    n.putNowait([1, null]);
    n.putNowait([1, null]); // equal, as Python's None == None
    assert.equal(n.qsize(), 2);
  });

  test('the compare option orders the items; equal ones stay in put order', () => {
    type Job = { pri: number; name: string };
    const q = new PriorityQueue<Job>(null, { compare: (a, b) => b.pri - a.pri });
    const jobs: Job[] = [
      { pri: 1, name: 'a' },
      { pri: 3, name: 'b' },
      { pri: 2, name: 'c' },
      { pri: 3, name: 'd' },
      { pri: 1, name: 'e' },
    ];
    for (const j of jobs) q.putNowait(j);
    assert.deepEqual(
      jobs.map(() => q.getNowait().name),
      ['b', 'd', 'c', 'a', 'e'],
    );
  });

  test('a large random load comes out sorted and stable', () => {
    const q = new PriorityQueue<[number, number]>(undefined, { compare: (a, b) => a[0] - b[0] });
    let seed = 7;
    const items: [number, number][] = [];
    for (let i = 0; i < 2000; i++) {
      seed = (seed * 48271) % 2147483647;
      items.push([seed % 50, i]);
    }
    const out: [number, number][] = [];
    for (let i = 0; i < items.length; i++) {
      q.putNowait(items[i] as [number, number]);
      if (i % 3 === 0) out.push(q.getNowait());
    }
    while (!q.empty()) out.push(q.getNowait());
    assert.equal(out.length, items.length);
    const rest = out.slice(667);
    for (let i = 1; i < rest.length; i++) {
      const [p, s] = rest[i - 1] as [number, number];
      const [p2, s2] = rest[i] as [number, number];
      assert.ok(p < p2 || (p === p2 && s < s2), `position ${i}`);
    }
  });

  test('a compare that throws makes put()/get() fail and leaves the queue unchanged', () =>
    vrun(async () => {
      let explode = false;
      const q = new PriorityQueue<number>(null, {
        compare: (a, b) => {
          if (explode) throw new Error('boom');
          return a - b;
        },
      });
      for (const x of [4, 2, 6, 1, 5, 3]) q.putNowait(x);
      explode = true;
      assert.throws(() => q.putNowait(0), /boom/);
      await assert.rejects(q.put(0), /boom/);
      assert.throws(() => q.getNowait(), /boom/);
      await assert.rejects(q.get(), /boom/);
      assert.equal(q.qsize(), 6);
      assert.equal(q.unfinishedTasks, 6);
      explode = false;
      assert.deepEqual(
        [1, 2, 3, 4, 5, 6].map(() => q.getNowait()),
        [1, 2, 3, 4, 5, 6],
      );
    }));

  test("a compare that changes the queue (put, get, shutdown) fails that change and the queue stays whole (Python: 'list changed size during iteration')", () =>
    vrun(async () => {
      // The heap moved items while a compare re-entered it: put 4 with a compare that puts
      // 100 and 101 drained 1,3,3,4,5,5,8,9,101,101 (100 lost, three duplicates); with one that
      // gets, 1, 3, 5 and 8 vanished. Python's heapq raises RuntimeError and changes nothing.
      let reenter: (() => void) | null = null;
      let uncaught: (() => void) | null = null;
      const errors: string[] = [];
      const q = new PriorityQueue<number>(null, {
        compare: (a, b) => {
          uncaught?.();
          const f = reenter;
          reenter = null;
          if (f !== null) {
            try {
              f();
            } catch (e) {
              errors.push((e as Error).message);
            }
          }
          return a - b;
        },
      });
      for (const x of [5, 3, 8, 1, 9]) q.putNowait(x);
      reenter = () => q.putNowait(100);
      q.putNowait(4);
      reenter = () => q.getNowait();
      assert.equal(q.getNowait(), 1);
      reenter = () => q.shutdown({ immediate: true });
      q.putNowait(2);
      assert.deepEqual(errors, [
        'Cannot change a PriorityQueue from its own compare: put while it orders the items',
        'Cannot change a PriorityQueue from its own compare: get while it orders the items',
        'Cannot change a PriorityQueue from its own compare: shutdown while it orders the items',
      ]);
      assert.equal(q.unfinishedTasks, 7);
      assert.deepEqual(
        Array.from({ length: 6 }, () => q.getNowait()),
        [2, 3, 4, 5, 8, 9],
      );
      // A compare that lets the error out fails the outer put, with the queue unchanged.
      q.putNowait(6); // the empty heap compares nothing
      q.putNowait(1);
      uncaught = () => q.putNowait(7);
      assert.throws(
        () => q.putNowait(0),
        /Cannot change a PriorityQueue from its own compare: put/,
      );
      uncaught = null;
      assert.deepEqual([q.getNowait(), q.getNowait()], [1, 6]);
      assert.equal(q.qsize(), 0);
    }));

  test('a blocked putter whose compare throws when it resumes gets the error and frees its slot', () =>
    vrun(async () => {
      let bombs = 0;
      const q = new PriorityQueue<number>(2, {
        compare: (a, b) => {
          if (bombs > 0) {
            bombs--;
            throw new Error('boom');
          }
          return a - b;
        },
      });
      q.putNowait(1);
      q.putNowait(2);
      const p = spawn(() => q.put(3));
      const p2 = spawn(() => q.put(4));
      await sleep(0);
      assert.equal(q.getNowait(), 1); // frees a slot for p; one item left, so no comparison
      bombs = 1; // p's insertion, when it resumes, throws
      await assert.rejects(p.get(), /boom/);
      await p2.get();
      assert.deepEqual([q.getNowait(), q.getNowait()], [2, 4]);
      assert.equal(q.unfinishedTasks, 3, '1, 2 and 4 entered; 3 did not');
    }));

  test('compare must be a function; a compare returning NaN is a TypeError', () => {
    assert.throws(
      () => new PriorityQueue(null, { compare: 'desc' as unknown as () => number }),
      TypeError,
    );
    assert.throws(() => new PriorityQueue(null, 'x' as unknown as object), TypeError);
    const q = new PriorityQueue<number>(null, { compare: () => Number.NaN });
    q.putNowait(1);
    assert.throws(() => q.putNowait(2), /compare that returned a non-number/);
  });
});

describe('PriorityQueue: items handed back', () => {
  test('an item handed back by an interrupted getter goes back by priority, behind a smaller one put meanwhile', () =>
    vrun(async () => {
      const q = new PriorityQueue<number>();
      const g = spawn(() => q.get());
      await sleep(0);
      q.putNowait(5); // handed to g, which has not resumed
      q.putNowait(1); // nobody waits: queued
      void g.kill({ block: false });
      await g.join();
      assert.ok(isExit(g));
      assert.deepEqual([q.getNowait(), q.getNowait()], [1, 5]);
    }));

  test('handed-back items go before later items of the same priority, in hand-back order', () =>
    vrun(async () => {
      const q = new PriorityQueue<[number, string]>(null, { compare: (a, b) => a[0] - b[0] });
      const gs = [spawn(() => q.get()), spawn(() => q.get())];
      await sleep(0);
      q.putNowait([2, 'first']);
      q.putNowait([2, 'second']);
      q.putNowait([2, 'later']);
      q.putNowait([1, 'urgent']);
      for (const g of gs) void g.kill({ block: false });
      await joinAll(gs);
      const out = [1, 2, 3, 4].map(() => q.getNowait()[1]);
      assert.deepEqual(out, ['urgent', 'first', 'second', 'later']);
    }));
});

describe('LifoQueue specifics', () => {
  test('the most recently put item comes out first; peek shows the top', () => {
    const q = new LifoQueue<number>();
    for (const x of [5, 1, 3]) q.putNowait(x);
    assert.equal(q.peekNowait(), 3);
    assert.deepEqual([q.getNowait(), q.getNowait(), q.getNowait()], [3, 1, 5]);
  });

  test('an item a woken getter was interrupted with goes back on top', () =>
    vrun(async () => {
      const q = new LifoQueue<number>();
      const g = spawn(() => q.get());
      await sleep(0);
      q.putNowait(1);
      q.putNowait(2);
      void g.kill({ block: false });
      await g.join();
      assert.deepEqual([q.getNowait(), q.getNowait()], [1, 2]);
    }));
});

describe('Channel specifics', () => {
  test("put() waits until a getter takes the item (gevent's test_send)", () =>
    vrun(async () => {
      const channel = new Channel<string>();
      const events: string[] = [];
      const g = spawn(async () => {
        events.push(await channel.get());
        events.push(await channel.get());
      });
      events.push('sending');
      await channel.put('hello');
      events.push('sent hello');
      await channel.put('world');
      events.push('sent world');
      assert.deepEqual(events, ['sending', 'hello', 'sent hello', 'world', 'sent world']);
      await g.get();
    }));

  test("get() waits for a putter; the putter resumes after the getter ran (gevent's test_wait)", () =>
    vrun(async () => {
      const channel = new Channel<string>();
      const events: string[] = [];
      const g = spawn(async () => {
        events.push('sending hello');
        await channel.put('hello');
        events.push('sending world');
        await channel.put('world');
        events.push('sent world');
      });
      events.push('waiting');
      events.push(await channel.get());
      events.push(await channel.get());
      assert.deepEqual(events, ['waiting', 'sending hello', 'hello', 'sending world', 'world']);
      await sleep(0);
      assert.deepEqual(events, [
        'waiting',
        'sending hello',
        'hello',
        'sending world',
        'world',
        'sent world',
      ]);
      await g.get();
    }));

  test("a put with the getter already waiting still waits until the getter has run (gevent's test_zero_max_size)", () =>
    vrun(async () => {
      const q = new Channel<string>();
      const log: string[] = [];
      const receiver = spawn(async () => {
        const x = await q.get();
        log.push(`received ${x}`);
        await sleep(0);
        log.push('receiver after sleep');
      });
      await sleep(0);
      const sender = spawn(async () => {
        await q.put('hi');
        log.push('put returned');
      });
      await joinAll([sender, receiver], { raiseError: true });
      assert.deepEqual(log, ['received hi', 'put returned', 'receiver after sleep']);
    }));

  test('putNowait() succeeds only when a getter waits', () =>
    vrun(async () => {
      const q = new Channel<number>();
      assert.throws(() => q.putNowait(1), /No getter is waiting/);
      const g = spawn(() => q.get());
      await sleep(0);
      q.putNowait(2);
      assert.throws(() => q.putNowait(3), QueueFull, 'the getter was served already');
      assert.equal(await g.get(), 2);
    }));

  test("getNowait() takes from a waiting putter, which resumes later (gevent's test_get_nowait_unlock_channel)", () =>
    vrun(async () => {
      const q = new Channel<number>();
      const p = spawn(() => q.put(5));
      await sleep(0);
      assert.equal(q.peekNowait(), 5);
      assert.equal(q.getNowait(), 5);
      assert.equal(p.dead, false);
      await sleep(0);
      assert.ok(p.dead);
      assert.throws(() => q.getNowait(), QueueEmpty);
    }));

  test('a getter killed after being handed an item returns it to the putter, who keeps waiting', () =>
    vrun(async () => {
      const q = new Channel<string>();
      const g1 = spawn(() => q.get());
      await sleep(0);
      const sender = spawn(async () => {
        await q.put('x');
        return getHub().now();
      });
      await sleep(0); // sender handed 'x' to g1 and waits
      void g1.kill({ block: false });
      await g1.join();
      assert.ok(isExit(g1));
      assert.equal(sender.dead, false);
      assert.equal(q.stats().putters, 1);
      await sleep(50);
      assert.equal(await q.get(), 'x');
      assert.equal(await sender.get(), 50);
    }));

  test('a getter killed after being handed an item passes it to the next waiting getter', () =>
    vrun(async () => {
      const q = new Channel<string>();
      const g1 = spawn(() => q.get());
      const g2 = spawn(() => q.get());
      await sleep(0);
      const log: string[] = [];
      const sender = spawn(async () => {
        await q.put('x');
        log.push('sent');
      });
      const killer = spawn(() => {
        void g1.kill({ block: false });
      });
      await joinAll([sender, killer, g1]);
      assert.equal(await g2.get(), 'x');
      assert.deepEqual(log, ['sent']);
      assert.ok(isExit(g1));
    }));

  test('the putter whose getter was killed is served before later putters', () =>
    vrun(async () => {
      const q = new Channel<string>();
      const g1 = spawn(() => q.get());
      await sleep(0);
      const first = spawn(() => q.put('first'));
      await sleep(0);
      void g1.kill({ block: false });
      const second = spawn(() => q.put('second'));
      await sleep(0);
      assert.deepEqual([q.getNowait(), q.getNowait()], ['first', 'second']);
      await joinAll([first, second], { raiseError: true });
    }));

  test('an item from putNowait whose getter was killed goes to the next get', () =>
    vrun(async () => {
      const q = new Channel<number>();
      const g = spawn(() => q.get());
      await sleep(0);
      q.putNowait(1);
      void g.kill({ block: false });
      await g.join();
      assert.equal(q.getNowait(), 1);
      assert.throws(() => q.getNowait(), QueueEmpty);
    }));

  test('a putter killed while waiting gives nobody its item', () =>
    vrun(async () => {
      const q = new Channel<number>();
      const p = spawn(() => q.put(1));
      await sleep(0);
      void p.kill({ block: false });
      assert.throws(() => q.getNowait(), QueueEmpty, 'a getter never takes a doomed put');
      await p.join();
      assert.ok(isExit(p));
      assert.throws(() => q.getNowait(), QueueEmpty);
    }));

  test('a putter killed after a getter took its item completes its put; the kill lands at its next wait', () =>
    vrun(async () => {
      const q = new Channel<number>();
      const log: string[] = [];
      const p = spawn(async () => {
        await q.put(1);
        log.push('put completed');
        try {
          await sleep(1000);
        } finally {
          log.push('killed at the next wait');
        }
      });
      await sleep(0);
      assert.equal(q.getNowait(), 1);
      void p.kill({ block: false });
      await p.join();
      assert.deepEqual(log, ['put completed', 'killed at the next wait']);
      assert.ok(isExit(p));
      assert.equal(getHub().now(), 0);
    }));

  test('an error thrown into a putter after a getter took its item lands at its next wait', () =>
    vrun(async () => {
      const q = new Channel<number>();
      const log: string[] = [];
      const p = spawn(async () => {
        await q.put(1);
        log.push('put completed');
        try {
          await sleep(0);
        } catch (e) {
          log.push((e as Error).message);
        }
      });
      await sleep(0);
      assert.equal(q.getNowait(), 1);
      p.throw(new Error('thrown in'));
      await p.get();
      assert.deepEqual(log, ['put completed', 'thrown in']);
    }));

  test("aborting the put's signal after a getter took its item is too late: the put completes", () =>
    vrun(async () => {
      const q = new Channel<number>();
      const ac = new AbortController();
      const log: string[] = [];
      const p = spawn(async () => {
        await q.put(1, { signal: ac.signal });
        log.push('put completed');
        await sleep(0);
        log.push('no error later');
      });
      await sleep(0);
      assert.equal(q.getNowait(), 1);
      ac.abort(new Error('too late'));
      await p.get();
      assert.deepEqual(log, ['put completed', 'no error later']);
    }));

  test('shutdown() lets a put whose item a getter already holds complete', () =>
    vrun(async () => {
      const q = new Channel<number>();
      const g = spawn(() => q.get());
      await sleep(0);
      const p = spawn(() => q.put(1));
      await sleep(0);
      q.shutdown();
      assert.equal(await g.get(), 1);
      await p.get();
    }));

  test('after shutdown(), a putter whose getter was interrupted fails with QueueShutDown', () =>
    vrun(async () => {
      const q = new Channel<number>();
      const g = spawn(() => q.get());
      await sleep(0);
      const p = spawn(() => q.put(1));
      await sleep(0);
      q.shutdown();
      void g.kill({ block: false });
      await assert.rejects(p.get(), QueueShutDown);
      await g.join();
      assert.ok(isExit(g));
    }));

  test('peek() waits for a putter and takes nothing', () =>
    vrun(async () => {
      const q = new Channel<number>();
      const peeker = spawn(() => q.peek());
      await sleep(0);
      const p = spawn(() => q.put(3));
      assert.equal(await peeker.get(), 3);
      assert.equal(q.getNowait(), 3);
      await p.get();
    }));

  test("a maxsize other than 1 is refused, as gevent's Channel(maxsize=2) raises ValueError", () => {
    // gevent: ValueError('Channels have a maxsize of 1'); verdant took new Channel(2) and
    // new Channel('x') silently and made an unbuffered channel of them.
    assert.throws(() => new Channel(2), /Cannot create a Channel with maxsize 2/);
    assert.throws(() => new Channel(2), /\(use Queue\(2\) for a buffer\)$/);
    // Queue(0) is unbounded and Queue(NaN) throws: only a capacity of 2 or more is suggested.
    for (const n of [0, -1, Number.NaN, 1.5]) {
      assert.throws(
        () => new Channel(n),
        (e: unknown) =>
          e instanceof RangeError &&
          e.message === `Cannot create a Channel with maxsize ${n}: a channel holds nothing`,
      );
    }
    assert.throws(() => new Channel('x' as never), TypeError);
    assert.equal(String(new Channel(1)), '<Channel>');
    assert.equal(new Channel(undefined).qsize(), 0);
  });

  test('bad options name the queue class that was called, not Queue', () =>
    vrun(async () => {
      // PriorityQueue.get(-1) said 'Queue.get: timeout must be …'.
      await assert.rejects(new PriorityQueue().get(-1), /^RangeError: PriorityQueue\.get:/);
      await assert.rejects(new LifoQueue(1).put(1, 'x' as never), /^TypeError: LifoQueue\.put:/);
      await assert.rejects(new SimpleQueue().peek(Number.NaN), /^RangeError: SimpleQueue\.peek:/);
      await assert.rejects(new Queue().join(-1), /^RangeError: Queue\.join:/);
      assert.throws(
        () => new PriorityQueue().shutdown(5 as never),
        /Cannot call PriorityQueue\.shutdown with options/,
      );
    }));

  test("new Channel(null) is refused, as gevent's Channel(None) raises ValueError", () => {
    // verdant took null as 'no argument'; gevent's Channel(maxsize=1) refuses None like 2.
    assert.throws(
      () => new Channel(null as never),
      (e: unknown) =>
        e instanceof TypeError &&
        e.message ===
          'Cannot create a Channel with a maxsize that is not a number: maxsize is null',
    );
  });

  test('maxsize reads 0 and cannot be set: assigning throws TypeError, not a silent new property', () => {
    // gevent's Channel has no maxsize attribute (reading and setting raise AttributeError);
    // `ch.maxsize = 5` added an own property here, as if the channel now buffered 5 items.
    const ch = new Channel<number>();
    assert.equal(ch.maxsize, 0);
    assert.throws(
      () => {
        (ch as unknown as { maxsize: number }).maxsize = 5;
      },
      (e: unknown) =>
        e instanceof TypeError &&
        e.message ===
          'Cannot set maxsize of a Channel: a channel holds nothing (use a Queue for a buffer)',
    );
    assert.equal(ch.maxsize, 0);
    assert.equal(Object.hasOwn(ch, 'maxsize'), false);
    assert.equal(ch.full(), true);
  });

  test('stats() counts waiting putters and getters', () =>
    vrun(async () => {
      const q = new Channel<number>();
      const ps = [spawn(() => q.put(1)), spawn(() => q.put(2))];
      await sleep(0);
      assert.deepEqual(q.stats(), { getters: 0, putters: 2, peekers: 0, shutdown: false });
      q.getNowait();
      q.getNowait();
      await joinAll(ps, { raiseError: true });
    }));
});

describe('String() of a queue', () => {
  test("names the class, the capacity and the counts that are not zero, as gevent's str(q) does", () =>
    // gevent: str(Queue(3)) after two puts is '<Queue maxsize=3 queue=deque([1, 2])>', an empty
    // unbounded one '<Queue>', one with a blocked getter '<Queue getters[1]>'; verdant printed
    // '[object Object]' for every queue (Event and Semaphore already had theirs).
    vrun(async () => {
      const q = new Queue<number>(3);
      assert.equal(String(q), '<Queue maxsize=3>');
      q.putNowait(1);
      q.putNowait(2);
      assert.equal(String(q), '<Queue maxsize=3 qsize=2 tasks=2>');
      assert.equal(String(new SimpleQueue()), '<SimpleQueue>');
      assert.equal(String(new PriorityQueue()), '<PriorityQueue>');
      assert.equal(String(new LifoQueue(2)), '<LifoQueue maxsize=2>');
      const e = new SimpleQueue<number>(1);
      const getter = spawn(() => e.get());
      const ch = new Channel<number>();
      const putters = [spawn(() => ch.put(1)), spawn(() => ch.put(2))];
      await sleep(0);
      assert.equal(String(e), '<SimpleQueue maxsize=1 getters[1]>');
      assert.equal(String(ch), '<Channel putters[2]>');
      e.putNowait(5);
      assert.equal(await getter.get(), 5);
      e.putNowait(6);
      const putter = spawn(() => e.put(7));
      await sleep(0);
      assert.equal(String(e), '<SimpleQueue maxsize=1 qsize=1 putters[1]>');
      e.getNowait();
      await putter.get();
      ch.getNowait();
      ch.getNowait();
      await joinAll(putters, { raiseError: true });
      assert.equal(String(ch), '<Channel>');
      q.shutdown();
      assert.equal(String(q), '<Queue maxsize=3 qsize=2 shutdown tasks=2>');
    }));
});

describe('the TSDoc examples run', () => {
  test('SimpleQueue: a bounded producer and a for-await consumer', () =>
    vrun(async () => {
      const q = new SimpleQueue<number>(2);
      spawn(async () => {
        for (let i = 0; i < 5; i++) await q.put(i);
        q.shutdown();
      });
      const out: number[] = [];
      for await (const n of q) out.push(n);
      assert.deepEqual(out, [0, 1, 2, 3, 4]);
    }));

  test('Queue: workers, taskDone() and join()', () =>
    vrun(async () => {
      const urls = ['a', 'b', 'c', 'd', 'e'];
      const fetched: string[] = [];
      const fetchOne = async (url: string): Promise<void> => {
        await sleep(url.charCodeAt(0) % 3);
        fetched.push(url);
      };
      const q = new Queue<string>();
      for (let i = 0; i < 3; i++) {
        spawn(async () => {
          for await (const url of q) {
            try {
              await fetchOne(url);
            } finally {
              q.taskDone();
            }
          }
        });
      }
      for (const url of urls) await q.put(url);
      await q.join();
      assert.deepEqual([...fetched].sort(), urls);
      q.shutdown();
    }));

  test('PriorityQueue with compare, LifoQueue, Channel', () =>
    vrun(async () => {
      const pq = new PriorityQueue<{ pri: number; name: string }>(null, {
        compare: (a, b) => a.pri - b.pri,
      });
      pq.putNowait({ pri: 5, name: 'low' });
      pq.putNowait({ pri: 1, name: 'urgent' });
      assert.equal(pq.getNowait().name, 'urgent');
      const lq = new LifoQueue<number>();
      lq.putNowait(1);
      lq.putNowait(2);
      assert.equal(lq.getNowait(), 2);
      const log: string[] = [];
      const ch = new Channel<string>();
      spawn(async () => {
        await ch.put('hello');
        log.push('sent');
      });
      log.push(await ch.get());
      await sleep(0);
      assert.deepEqual(log, ['hello', 'sent']);
    }));
});

describe('item stores (internal)', () => {
  function lcg(seed: number): () => number {
    let x = seed;
    return () => {
      x = (x * 48271) % 2147483647;
      return x;
    };
  }

  test('Deque matches an array model through growth, wrap-around, unget and shrinking', () => {
    const rnd = lcg(11);
    const d = new Deque<number>();
    const model: number[] = [];
    let front = 0;
    let next = 0;
    for (let step = 0; step < 20_000; step++) {
      const r = rnd() % 10;
      const burst = step > 10_000 && step < 12_000;
      if (r < 5 || burst) {
        d.push(next);
        model.push(next++);
      } else if (r < 8 && model.length > 0) {
        assert.equal(d.peek(), model[0]);
        assert.equal(d.take(), model.shift());
        if (front > 0) front--;
      } else if (r < 9) {
        // unget goes behind the items handed back before it, ahead of the rest
        d.unget(next);
        model.splice(front, 0, next++);
        front++;
      } else if (model.length === 0) {
        front = 0;
      }
      assert.equal(d.size, model.length);
    }
    while (model.length > 0) assert.equal(d.take(), model.shift());
    assert.equal(d.size, 0);
    d.push(1);
    assert.equal(d.clear(), 1);
  });

  test('Heap returns items in compare order, ties in arrival order, handed-back items by order', () => {
    const rnd = lcg(5);
    const h = new Heap<[number, number]>((a, b) => a[0] - b[0]);
    const model: [number, number][] = [];
    let seq = 0;
    for (let step = 0; step < 5000; step++) {
      if (rnd() % 3 !== 0 || model.length === 0) {
        const item: [number, number] = [rnd() % 20, seq++];
        h.push(item);
        model.push(item);
      } else {
        model.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
        assert.deepEqual(h.peek(), model[0]);
        assert.deepEqual(h.take(), model.shift());
      }
      assert.equal(h.size, model.length);
    }
    h.unget([-1, -1]);
    assert.deepEqual(h.take(), [-1, -1]);
    h.push([0, seq++]);
    h.unget([0, -2]); // ties: a handed-back item goes first
    assert.deepEqual(h.take(), [0, -2]);
    h.unget([99, -3]); // by priority: behind everything smaller
    assert.equal(h.clear(), model.length + 2);
  });
});
