// An unknown key in an options object is a TypeError at once, as an unknown keyword argument is
// in gevent (Python): `new Queue().get({timout: 5})` (a typo) waited forever, ending in
// LoopExit, and `g.join({bogus: 1})` was silently taken. One table: for each public call that
// takes an options object, `{timout: 5}` rejects (a call that can wait never throws at once)
// with a TypeError naming the call, the key and the known keys; nothing is consumed (an item, a
// permit, a byte) and no wait is left pending. The second table passes every documented key.
// The check is `checkOptionKeys` (src/core/_util.ts), through `readWaitOptions` for the waits.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  Event as EvEvent,
  Queue as EvQueue,
  spawn as evSpawn,
} from '../../src/compat/eventlet/index.js';
import {
  AsyncResult,
  BoundedSemaphore,
  Channel,
  Event,
  Greenlet,
  idle,
  iwait,
  JoinableQueue,
  joinAll,
  killAll,
  Lock,
  PriorityQueue,
  Queue,
  RLock,
  race,
  Semaphore,
  sleep,
  spawn,
  Timeout,
  until,
  wait,
  withTimeout,
} from '../../src/index.js';
import { getaddrinfo, socketpair, waitRead } from '../../src/io/socket.js';
import { Group, Pool } from '../../src/pool/index.js';
import { Popen, run } from '../../src/process/subprocess.js';
import { StreamServer } from '../../src/servers/stream.js';
import { runVirtual } from '../../src/testing/virtual.js';

const TYPO = { timout: 5 };

/** What the call was given to use: made before the call, checked after it. */
interface Setup {
  /** The call under test, given the options. */
  call: (opts: object) => unknown;
  /**
   * After the typo (`typo` true): asserts nothing was consumed and no wait is pending. Either
   * way frees what the setup made.
   */
  after?: (typo: boolean) => void | Promise<void>;
}

interface Case {
  /** How the error names the call. */
  where: string;
  /** The known keys, as the error lists them. */
  keys: string;
  /** Every documented key with a value the call takes (a wait that ends at once). */
  good: object;
  /** Creation calls throw at once; every call that can wait rejects. */
  throws?: boolean;
  /** Runs on the real hub (sockets, child processes); default the virtual clock. */
  real?: boolean;
  setup: () => Setup | Promise<Setup>;
}

const signal = new AbortController().signal;

const CASES: Case[] = [
  {
    where: 'Queue.get',
    keys: 'timeout, signal',
    good: { timeout: 0, signal },
    setup: () => {
      const q = new Queue<number>();
      q.putNowait(1);
      return {
        call: (o) => q.get(o),
        after: (typo) => {
          if (typo) assert.equal(q.qsize(), 1, 'the item is still queued');
          assert.equal(q.stats().getters, 0);
        },
      };
    },
  },
  {
    where: 'Queue.peek',
    keys: 'timeout, signal',
    good: { timeout: 0, signal },
    setup: () => {
      const q = new Queue<number>();
      return {
        call: (o) => q.peek(o),
        after: () => assert.equal(q.stats().peekers, 0),
      };
    },
  },
  {
    where: 'Queue.put',
    keys: 'timeout, signal',
    good: { timeout: 0, signal },
    setup: () => {
      const q = new Queue<number>(1);
      return {
        call: (o) => q.put(1, o),
        after: (typo) => {
          if (typo) assert.equal(q.qsize(), 0, 'nothing was put');
          assert.equal(q.stats().putters, 0);
        },
      };
    },
  },
  {
    where: 'Queue.join', // JoinableQueue is Queue
    keys: 'timeout, signal',
    good: { timeout: 0, signal },
    setup: () => {
      const q = new JoinableQueue<number>();
      return { call: (o) => q.join(o) };
    },
  },
  {
    where: 'Queue.shutdown',
    keys: 'immediate',
    good: { immediate: false },
    throws: true,
    setup: () => {
      const q = new Queue<number>();
      q.putNowait(1);
      return {
        call: (o) => q.shutdown(o as { immediate?: boolean }),
        after: (typo) => {
          if (!typo) return;
          assert.equal(q.stats().shutdown, false, 'the queue is still open');
          assert.equal(q.qsize(), 1);
        },
      };
    },
  },
  {
    where: 'Cannot create a PriorityQueue',
    keys: 'compare',
    good: { compare: (a: number, b: number) => b - a },
    throws: true,
    setup: () => ({ call: (o) => new PriorityQueue<number>(null, o) }),
  },
  {
    where: 'Channel.get',
    keys: 'timeout, signal',
    good: { timeout: 0, signal },
    setup: () => {
      const ch = new Channel<number>();
      const putter = spawn(() => ch.put(1));
      return {
        call: async (o) => {
          await sleep(0);
          return ch.get(o);
        },
        after: async (typo) => {
          if (typo) {
            assert.equal(ch.stats().putters, 1, 'the putter still waits: nothing was taken');
            assert.equal(await ch.get(), 1);
          }
          await putter.join();
        },
      };
    },
  },
  {
    where: 'Event.wait',
    keys: 'timeout, signal',
    good: { timeout: 0, signal },
    setup: () => {
      const ev = new Event();
      return {
        call: (o) => ev.wait(o),
        after: () => assert.equal(ev.stats().waiters, 0),
      };
    },
  },
  {
    where: 'AsyncResult.get',
    keys: 'timeout, signal',
    good: { timeout: 0, signal },
    setup: () => {
      const r = new AsyncResult<number>();
      return {
        call: (o) => r.get(o),
        after: () => assert.equal(r.stats().waiters, 0),
      };
    },
  },
  ...(['Semaphore', 'BoundedSemaphore', 'Lock'] as const).map(
    (kind): Case => ({
      where: `${kind}.acquire`,
      keys: 'blocking, timeout, signal',
      good: { blocking: true, timeout: 0, signal },
      setup: () => {
        const s =
          kind === 'Semaphore'
            ? new Semaphore(1)
            : kind === 'BoundedSemaphore'
              ? new BoundedSemaphore(1)
              : new Lock();
        return {
          call: (o) => s.acquire(o),
          after: () => {
            if (!s.locked()) return;
            s.release();
          },
        };
      },
    }),
  ),
  {
    where: 'RLock.acquire',
    keys: 'blocking, timeout, signal',
    good: { blocking: true, timeout: 0, signal },
    setup: () => {
      const l = new RLock();
      return {
        call: (o) => l.acquire(o),
        after: () => {
          if (l.locked()) l.release();
        },
      };
    },
  },
  {
    where: 'Semaphore.wait',
    keys: 'timeout, signal',
    good: { timeout: 0, signal },
    setup: () => {
      const s = new Semaphore(0);
      return { call: (o) => s.wait(o), after: () => assert.equal(s.stats().waiters, 0) };
    },
  },
  {
    where: 'sleep',
    keys: 'signal',
    good: { signal },
    setup: () => ({ call: (o) => sleep(0, o) }),
  },
  {
    where: 'idle',
    keys: 'timeout, signal',
    good: { timeout: 0 },
    setup: () => ({ call: (o) => idle(o) }),
  },
  {
    where: 'until',
    keys: 'timeout, signal',
    good: { timeout: 5, signal },
    setup: () => ({ call: (o) => until(Promise.resolve(1), o) }),
  },
  {
    where: 'race',
    keys: 'timeout, signal',
    good: { timeout: 5, signal },
    setup: () => ({ call: (o) => race(() => 1, o) }),
  },
  {
    where: 'Greenlet.join',
    keys: 'timeout, signal',
    good: { timeout: 0, signal },
    setup: () => {
      const g = spawn(() => sleep(10));
      return { call: (o) => g.join(o), after: () => void g.kill({ block: false }) };
    },
  },
  {
    where: 'Greenlet.get',
    keys: 'timeout, signal',
    good: { timeout: 5, signal },
    setup: () => {
      const g = spawn(() => 1);
      return { call: (o) => g.get(o) };
    },
  },
  {
    where: 'Greenlet.kill',
    keys: 'exception, block, timeout, signal',
    good: { exception: undefined, block: true, timeout: 5, signal },
    setup: () => {
      const g = spawn(() => sleep(10));
      return {
        call: (o) => g.kill(o),
        after: async (typo) => {
          if (!typo) return;
          await sleep(0);
          assert.equal(g.dead, false, 'the greenlet was not killed');
          await g.kill();
        },
      };
    },
  },
  {
    where: 'joinAll',
    keys: 'timeout, signal, raiseError, count',
    good: { timeout: 5, signal, raiseError: false, count: 1 },
    setup: () => ({ call: (o) => joinAll([spawn(() => 1)], o) }),
  },
  {
    where: 'killAll',
    keys: 'exception, block, timeout, signal',
    good: { exception: undefined, block: true, timeout: 5, signal },
    setup: () => {
      const g = spawn(() => sleep(10));
      return {
        call: (o) => killAll([g], o),
        after: async (typo) => {
          if (!typo) return;
          await sleep(0);
          assert.equal(g.dead, false, 'the greenlet was not killed');
          await g.kill();
        },
      };
    },
  },
  {
    where: 'wait',
    keys: 'timeout, signal, count',
    good: { timeout: 5, signal, count: 1 },
    setup: () => ({ call: (o) => wait([spawn(() => 1)], o) }),
  },
  {
    where: 'iwait',
    keys: 'timeout, signal, count',
    good: { timeout: 5, signal, count: 1 },
    setup: () => ({
      call: async (o) => {
        for await (const _ of iwait([spawn(() => 1)], o)) break;
      },
    }),
  },
  {
    where: 'Timeout',
    keys: 'exception',
    good: { exception: 'late' },
    throws: true,
    setup: () => ({ call: (o) => new Timeout(5, o) }),
  },
  {
    where: 'withTimeout',
    keys: 'timeoutValue',
    good: { timeoutValue: 0 },
    setup: () => ({ call: (o) => withTimeout(5, o as { timeoutValue: number }, () => 1) }),
  },
  ...(['Group', 'Pool'] as const).map(
    (kind): Case => ({
      where: `${kind}.join`,
      keys: 'timeout, signal, raiseError',
      good: { timeout: 5, signal, raiseError: false },
      setup: async () => {
        const group = kind === 'Group' ? new Group() : new Pool(2);
        await group.spawn(() => 1);
        return { call: (o) => group.join(o) };
      },
    }),
  ),
  {
    where: 'Pool.kill',
    keys: 'exception, block, timeout, signal',
    good: { exception: undefined, block: true, timeout: 5, signal },
    setup: async () => {
      const pool = new Pool(2);
      await pool.spawn(() => sleep(10));
      return {
        call: (o) => pool.kill(o),
        after: async (typo) => {
          if (!typo) return;
          assert.equal(pool.size, 1, 'the member lives on');
          await pool.kill();
        },
      };
    },
  },
  {
    where: 'Pool.waitAvailable',
    keys: 'timeout, signal',
    good: { timeout: 0, signal },
    setup: () => {
      const pool = new Pool(1);
      return { call: (o) => pool.waitAvailable(o) };
    },
  },
  {
    where: 'Group.imap',
    keys: 'maxsize',
    good: { maxsize: 2 },
    throws: true,
    setup: () => {
      const group = new Group();
      return {
        call: (o) => group.imap((x: number) => x, [1, 2], o),
        after: () => assert.equal(group.size, 0, 'no call started'),
      };
    },
  },
  {
    where: 'Queue.get',
    keys: 'timeout, signal',
    good: { timeout: 0, signal },
    setup: () => {
      const q = new EvQueue<number>();
      q.putNowait(1);
      return {
        call: (o) => q.get(o),
        after: (typo) => {
          if (typo) assert.equal(q.qsize(), 1, 'the item is still queued');
        },
      };
    },
  },
  {
    where: 'Event.wait',
    keys: 'timeout, signal',
    good: { timeout: 0, signal },
    setup: () => {
      const ev = new EvEvent<number>();
      return { call: (o) => ev.wait(o) };
    },
  },
  {
    where: 'GreenThread.wait',
    keys: 'timeout, signal',
    good: { timeout: 5, signal },
    setup: () => {
      const gt = evSpawn(() => 1);
      return { call: (o) => gt.wait(o) };
    },
  },
  {
    where: 'GreenThread.kill',
    keys: 'exception, block, timeout, signal',
    good: { exception: undefined, block: true, timeout: 5, signal },
    setup: () => {
      const gt = evSpawn(() => sleep(10));
      return {
        call: (o) => gt.kill(o),
        after: async (typo) => {
          if (!typo) return;
          await sleep(0);
          assert.equal(gt.dead, false, 'the thread was not killed');
          await gt.kill();
        },
      };
    },
  },
  {
    where: 'Socket.recv',
    keys: 'timeout, signal',
    good: { timeout: 50, signal },
    real: true,
    setup: async () => {
      const [a, b] = await socketpair();
      await a.sendall('x');
      return {
        call: (o) => b.recv(1, o),
        after: async (typo) => {
          if (typo) {
            assert.equal(Buffer.from(await b.recv(1)).toString(), 'x', 'the byte is still there');
          }
          a.close();
          b.close();
        },
      };
    },
  },
  {
    where: 'waitRead',
    keys: 'timeout, signal',
    good: { timeout: 50, signal },
    real: true,
    setup: async () => {
      const [a, b] = await socketpair();
      await a.sendall('x');
      return {
        call: (o) => waitRead(b, o),
        after: () => {
          a.close();
          b.close();
        },
      };
    },
  },
  {
    where: 'SocketFile.read',
    keys: 'timeout, signal',
    good: { timeout: 50, signal },
    real: true,
    setup: async () => {
      const [a, b] = await socketpair();
      await a.sendall('x');
      const f = b.makefile();
      return {
        call: (o) => f.read(1, o),
        after: () => {
          f.close();
          a.close();
          b.close();
        },
      };
    },
  },
  {
    where: 'socketpair',
    keys: 'timeout, signal',
    good: { timeout: 5000, signal },
    real: true,
    setup: () => ({
      call: async (o) => {
        const pair = await socketpair(o);
        for (const s of pair) s.close();
      },
    }),
  },
  {
    where: 'getaddrinfo',
    keys: 'timeout, signal, family',
    good: { timeout: 5000, signal, family: 4 },
    real: true,
    setup: () => ({ call: (o) => getaddrinfo('127.0.0.1', 80, o) }),
  },
  {
    where: 'Server.stop',
    keys: 'timeout',
    good: { timeout: 0 },
    real: true,
    setup: async () => {
      const server = new StreamServer(['127.0.0.1', 0], () => undefined);
      await server.start();
      return {
        call: (o) => server.stop(o),
        after: async (typo) => {
          if (!typo) return;
          assert.equal(server.started, true, 'the server still serves');
          await server.stop();
        },
      };
    },
  },
  {
    where: 'Popen.wait',
    keys: 'timeout, signal',
    good: { timeout: 5000, signal },
    real: true,
    setup: () => {
      const p = new Popen(['true']);
      return { call: (o) => p.wait(o), after: async () => void (await p.wait()) };
    },
  },
  {
    where: 'Popen.communicate',
    keys: 'input, timeout, signal',
    good: { input: '', timeout: 5000, signal },
    real: true,
    setup: () => {
      const p = new Popen(['cat'], { stdin: 'pipe', stdout: 'pipe' });
      return { call: (o) => p.communicate(o), after: async () => void (await p.communicate()) };
    },
  },
  {
    where: 'Popen',
    keys: 'stdin, stdout, stderr, env, cwd, text',
    good: {
      stdin: 'ignore',
      stdout: 'ignore',
      stderr: 'ignore',
      env: process.env,
      cwd: '.',
      text: false,
    },
    throws: true,
    real: true,
    setup: () => ({
      call: (o) => {
        const p = new Popen(['true'], o);
        return p.wait();
      },
    }),
  },
  {
    where: 'run',
    keys: 'stdin, stdout, stderr, env, cwd, text, input, captureOutput, check, timeout, signal',
    good: { input: '', captureOutput: true, check: true, text: true, timeout: 5000, signal },
    real: true,
    setup: () => ({ call: (o) => run(['cat'], o) }),
  },
];

async function inHub(c: Case, fn: () => Promise<void>): Promise<void> {
  if (c.real === true) await fn();
  else await runVirtual(fn);
}

describe('an unknown option is a TypeError naming the call, the key and the options', () => {
  for (const c of CASES) {
    test(`${c.where}({timout: 5}) ${c.throws === true ? 'throws' : 'rejects'}; nothing is consumed`, async () => {
      await inHub(c, async () => {
        const s = await c.setup();
        const message = `${c.where}: unknown option "timout"; the options are ${c.keys}`;
        if (c.throws === true) {
          assert.throws(() => s.call(TYPO), { name: 'TypeError', message });
        } else {
          let p: unknown;
          assert.doesNotThrow(() => {
            p = s.call(TYPO);
          }, 'a call that can wait rejects, never throws at once');
          assert.ok(p instanceof Promise);
          await assert.rejects(p, { name: 'TypeError', message });
        }
        await s.after?.(true);
      });
    });
  }
});

describe('every documented option is accepted', () => {
  for (const c of CASES) {
    test(`${c.where}(${Object.keys(c.good).join(', ')})`, async () => {
      await inHub(c, async () => {
        const s = await c.setup();
        try {
          await s.call(c.good);
        } catch (e) {
          // A wait that gives up (timeout 0) is fine; an option refused is not.
          assert.ok(!(e instanceof TypeError), `${c.where} refused ${String(e)}`);
        }
        await s.after?.(false);
      });
    });
  }
});

test('a Greenlet built elsewhere gets the same check (the class, not the spawn)', async () => {
  await runVirtual(async () => {
    const g = new Greenlet(() => 1);
    g.start();
    await assert.rejects(g.join({ bogus: 1 } as object), {
      name: 'TypeError',
      message: 'Greenlet.join: unknown option "bogus"; the options are timeout, signal',
    });
    assert.equal(await g.get(), 1);
  });
});
