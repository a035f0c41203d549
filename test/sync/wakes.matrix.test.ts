// Every wait of sync/ and pool/, woken at the very instant its waiter is interrupted — killed,
// its Timeout firing, its `timeout` option elapsing, its signal aborting, or any mix of these
// pending at once — in every order within that instant: nothing is lost or duplicated. The
// item, permit or slot it was woken with goes to the next waiter or stays for a later one; a
// notification (an Event, a join, a free slot) still reaches the others. On the virtual clock.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  AsyncResult,
  BoundedSemaphore,
  Event,
  Lock,
  RLock,
  Semaphore,
  sleep,
  spawn,
  spawnLater,
  Timeout,
} from '../../src/index.js';
import { Group, Pool } from '../../src/pool/index.js';
import {
  Channel,
  LifoQueue,
  PriorityQueue,
  Queue,
  SimpleQueue,
} from '../../src/sync/queue/index.js';
import { runVirtual } from '../../src/testing/index.js';

type Opts = { timeout?: number; signal?: AbortSignal } | undefined;

/** One wait: `take` waits for what `give` provides; `left()` counts what nobody took. */
interface Subject {
  take(o: Opts): Promise<unknown>;
  give(): void;
  /** Units given and not taken (for a broadcast: unused). */
  left(): number;
  /** A notification every waiter sees (an Event, a join): the second waiter must see it too. */
  broadcast?: boolean;
  /** Checked at the end: what must hold once everything settled. */
  finish?(): Promise<void> | void;
}

/** A wait that resolves false (or 0) on its timeout option: make it throw, as a "not taken". */
function orThrow<T>(p: Promise<T>): Promise<T> {
  return p.then((v) => {
    if (v === false || v === 0) throw new Error('not taken');
    return v;
  });
}

const subjects: Record<string, () => Subject> = {
  'Queue.get': () => {
    const q = new Queue<number>();
    return { take: (o) => q.get(o), give: () => q.putNowait(1), left: () => q.qsize() };
  },
  'PriorityQueue.get': () => {
    const q = new PriorityQueue<number>();
    return { take: (o) => q.get(o), give: () => q.putNowait(1), left: () => q.qsize() };
  },
  'LifoQueue.get': () => {
    const q = new LifoQueue<number>();
    return { take: (o) => q.get(o), give: () => q.putNowait(1), left: () => q.qsize() };
  },
  'SimpleQueue.get': () => {
    const q = new SimpleQueue<number>();
    return { take: (o) => q.get(o), give: () => q.putNowait(1), left: () => q.qsize() };
  },
  'Queue(1).put': () => {
    const q = new Queue<number>(1);
    q.putNowait(0);
    return {
      take: (o) => q.put(1, o),
      give: () => void q.getNowait(),
      left: () => 1 - q.qsize(), // the slot the get freed, if no put took it
    };
  },
  'Channel.get': () => {
    const ch = new Channel<number>();
    return {
      take: (o) => ch.get(o),
      give: () => void spawn(() => ch.put(1)),
      left: () => ch.stats().putters,
    };
  },
  'Channel.put': () => {
    const ch = new Channel<number>();
    let got = 0;
    return {
      take: (o) => ch.put(1, o),
      give: () =>
        void spawn(async () => {
          await ch.get();
          got++;
        }),
      left: () => 1 - got,
    };
  },
  'Queue.peek': () => {
    const q = new Queue<number>();
    return { take: (o) => q.peek(o), give: () => q.putNowait(1), left: () => 0, broadcast: true };
  },
  'Queue.join': () => {
    const q = new Queue<number>();
    q.putNowait(1);
    q.getNowait();
    return {
      take: (o) => orThrow(q.join(o)),
      give: () => q.taskDone(),
      left: () => 0,
      broadcast: true,
    };
  },
  'Semaphore.acquire': () => {
    const s = new Semaphore(0);
    return { take: (o) => orThrow(s.acquire(o)), give: () => s.release(), left: () => s.counter };
  },
  'Semaphore.hold': () => {
    const s = new Semaphore(0);
    return { take: (o) => s.hold(o), give: () => s.release(), left: () => s.counter };
  },
  'Semaphore.wait': () => {
    const s = new Semaphore(0);
    return {
      take: (o) => orThrow(s.wait(o)),
      give: () => s.release(),
      left: () => 0,
      broadcast: true,
    };
  },
  'BoundedSemaphore.acquire': () => {
    const s = new BoundedSemaphore(1);
    void s.acquire();
    return { take: (o) => orThrow(s.acquire(o)), give: () => s.release(), left: () => s.counter };
  },
  'Lock.acquire': () => {
    const s = new Lock();
    void s.acquire();
    return { take: (o) => orThrow(s.acquire(o)), give: () => s.release(), left: () => s.counter };
  },
  'RLock.acquire': () => {
    const r = new RLock();
    const done = new Event();
    spawn(async () => {
      await r.acquire();
      await done.wait();
      r.release();
    });
    return {
      // The taker releases at once (from its own greenlet): the lock must end free.
      take: (o) =>
        orThrow(r.acquire(o)).then(() => {
          r.release();
        }),
      give: () => done.set(),
      left: () => 0,
      broadcast: true,
      finish: () => assert.equal(r.locked(), false, 'the RLock ends free'),
    };
  },
  'Event.wait': () => {
    const e = new Event();
    return { take: (o) => orThrow(e.wait(o)), give: () => e.set(), left: () => 0, broadcast: true };
  },
  'AsyncResult.get': () => {
    const r = new AsyncResult<number>();
    return { take: (o) => r.get(o), give: () => r.set(1), left: () => 0, broadcast: true };
  },
  'Pool.spawn': () => {
    const p = new Pool(1);
    const done = new Event();
    void p.spawn(() => done.wait());
    return {
      take: () => p.spawn(sleep, 1),
      give: () => done.set(),
      left: () => 0,
      broadcast: true,
      finish: async () => {
        await p.join();
        assert.equal(p.freeCount(), 1, 'every slot is back');
      },
    };
  },
  'Pool.waitAvailable': () => {
    const p = new Pool(1);
    const done = new Event();
    void p.spawn(() => done.wait());
    return {
      take: (o) => orThrow(p.waitAvailable(o)),
      give: () => done.set(),
      left: () => 0,
      broadcast: true,
    };
  },
  'Group.join': () => {
    const g = new Group();
    const done = new Event();
    void g.spawn(() => done.wait());
    return {
      take: (o) => orThrow(g.join(o)),
      give: () => done.set(),
      left: () => 0,
      broadcast: true,
    };
  },
};

const INTERRUPTS = ['kill', 'Timeout', 'timeout option', 'signal'] as const;
type Interrupt = (typeof INTERRUPTS)[number];
const ORDERS = ['give then interrupt', 'interrupt then give', 'two timers'] as const;

function subsets(): Interrupt[][] {
  const out: Interrupt[][] = [];
  for (let m = 0; m < 1 << INTERRUPTS.length; m++) {
    out.push(INTERRUPTS.filter((_, i) => (m & (1 << i)) !== 0));
  }
  return out;
}

const AT = 10;

/** W1 waits (interrupted at AT by `mix`), W2 maybe waits behind it; `give` comes at AT too. */
async function play(
  make: () => Subject,
  mix: Interrupt[],
  order: (typeof ORDERS)[number],
  second: boolean,
): Promise<void> {
  await runVirtual(async () => {
    const s = make();
    const ac = new AbortController();
    const o: Opts = {};
    if (mix.includes('timeout option')) o.timeout = AT;
    if (mix.includes('signal')) o.signal = ac.signal;
    let first = 'waiting';
    const w1 = spawn(async () => {
      const t = mix.includes('Timeout') ? Timeout.startNew(AT) : null;
      try {
        await s.take(o);
        first = 'took';
      } catch (e) {
        first = e === t ? 'Timeout' : String(e);
      } finally {
        t?.cancel();
      }
    });
    await sleep(0);
    let other = 'none';
    const w2 = second
      ? spawn(async () => {
          try {
            await s.take({ timeout: 5 * AT });
            other = 'took';
          } catch (e) {
            other = String(e);
          }
        })
      : null;
    await sleep(0);
    const interrupt = (): void => {
      if (mix.includes('kill')) void w1.kill({ block: false });
      if (mix.includes('signal')) ac.abort(new Error('aborted'));
    };
    if (order === 'give then interrupt') {
      spawnLater(AT, () => {
        s.give();
        interrupt();
      });
    } else if (order === 'interrupt then give') {
      spawnLater(AT, () => {
        interrupt();
        s.give();
      });
    } else {
      spawnLater(AT, () => s.give());
      spawnLater(AT, interrupt);
    }
    await sleep(10 * AT);
    await w1.join();
    await w2?.join();
    const where = `${mix.join('+') || 'nothing'}, ${order}, ${second ? 'two waiters' : 'one waiter'}: ${first} / ${other}`;
    if (s.broadcast) {
      if (second) assert.equal(other, 'took', `the other waiter is notified (${where})`);
    } else {
      const taken = (first === 'took' ? 1 : 0) + (other === 'took' ? 1 : 0);
      assert.equal(taken + s.left(), 1, `one unit, taken once or left (${where})`);
    }
    if (mix.length === 0) assert.equal(first, 'took', `uninterrupted, it takes (${where})`);
    await s.finish?.();
  });
}

describe('a waiter woken at the instant it is interrupted loses nothing', () => {
  for (const [name, make] of Object.entries(subjects)) {
    test(`${name}: any mix of kill, Timeout, timeout option and signal, in any order`, async () => {
      for (const mix of subsets()) {
        for (const order of ORDERS) {
          await play(make, mix, order, true);
          await play(make, mix, order, false);
        }
      }
    });
  }
});
