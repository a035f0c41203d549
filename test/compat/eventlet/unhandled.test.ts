// Rejections by cancellation are marked handled (DESIGN §3 "A rejection by cancellation …") also
// for verdant/eventlet's waits: each one below is started and not awaited (a forgotten `await`)
// in a greenlet that is then killed, or timed out, at another wait. None may surface as an
// unhandled rejection (it would end the process). (A stored failure is not hidden: node:test
// fails a test on it, so test/core/unhandled.test.ts checks that in a child process.)
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  Event,
  GreenPile,
  GreenPool,
  LightQueue,
  listen,
  Queue,
  serve,
  sleep,
  spawn,
  Timeout,
} from '../../../src/compat/eventlet/index.js';
import { spawn as verdantSpawn } from '../../../src/index.js';
import { runVirtual } from '../../../src/testing/virtual.js';
import { noUnhandled } from '../../_util.js';

type Start = () => Promise<unknown>;

/** Each case makes what it needs (on the current hub), then returns the wait to forget. */
const cases: Record<string, () => Promise<Start>> = {
  'GreenThread.wait': async () => {
    const gt = spawn(() => sleep(1e9));
    return () => gt.wait();
  },
  'Event.wait': async () => {
    const evt = new Event();
    return () => evt.wait();
  },
  'LightQueue.get': async () => {
    const q = new LightQueue();
    return () => q.get();
  },
  'Queue.get': async () => {
    const q = new Queue(2);
    return () => q.get();
  },
  'Queue(0).get': async () => {
    const q = new Queue(0);
    return () => q.get();
  },
  'Queue(0).put': async () => {
    const q = new Queue(0);
    return () => q.put(1);
  },
  'Queue(0).join': async () => {
    const q = new Queue(0);
    spawn(() => q.put(1));
    await sleep(0);
    q.getNowait();
    return () => q.join();
  },
  'GreenPool.spawn': async () => {
    const pool = new GreenPool(1);
    await pool.spawn(() => sleep(1e9));
    return () => pool.spawn(() => 1);
  },
  'GreenPool.spawnN': async () => {
    const pool = new GreenPool(1);
    await pool.spawn(() => sleep(1e9));
    return () => pool.spawnN(() => 1);
  },
  'GreenPool.waitall': async () => {
    const pool = new GreenPool(1);
    await pool.spawn(() => sleep(1e9));
    return () => pool.waitall();
  },
  'GreenPile.spawn': async () => {
    const pile = new GreenPile(1);
    await pile.spawn(() => sleep(1e9));
    return () => pile.spawn(() => 1);
  },
  'GreenPile.next': async () => {
    const pile = new GreenPile(1);
    await pile.spawn(() => sleep(1e9));
    return () => pile.next();
  },
  'GreenPool.imap next()': async () => {
    const pool = new GreenPool(1);
    const it = pool.imap((ms: number) => sleep(ms), [1e9]);
    return () => it.next();
  },
};

describe('verdant/eventlet: a forgotten wait interrupted by a kill or a Timeout', () => {
  for (const [name, make] of Object.entries(cases)) {
    for (const by of ['kill', 'Timeout'] as const) {
      test(`${name}, interrupted by a ${by}, is no unhandled rejection`, async () => {
        const seen = await noUnhandled(() =>
          runVirtual(async () => {
            const start = await make();
            const g = verdantSpawn(async () => {
              const t = by === 'Timeout' ? Timeout.startNew(5) : null;
              void start();
              try {
                await sleep(1e9);
              } catch (e) {
                if (e !== t) throw e;
              }
            });
            await sleep(5);
            if (by === 'kill') await g.kill();
            else await g.join();
            assert.equal(g.dead, true);
          }),
        );
        assert.deepEqual(seen, []);
      });
    }
  }

  test('eventlet.serve, killed while it accepts, is no unhandled rejection', async () => {
    const seen = await noUnhandled(async () => {
      const sock = await listen(['127.0.0.1', 0]);
      const g = verdantSpawn(async () => {
        void serve(sock, () => undefined);
        await sleep(1e9);
      });
      await sleep(5);
      await g.kill();
      sock.close();
    });
    assert.deepEqual(seen, []);
  });
});
