// The door out of core (src/core/lowlevel.ts): a small primitive — a mailbox of numbers with a
// blocking take() and a "take exactly one, committed at resume" variant — built from the door
// alone, as a socket or a subprocess will be. It must get kill, Timeout, timeout, signal and
// nothing-lost right without touching anything else of core.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  getHub,
  ioEnded,
  ioStarted,
  NONE,
  readWaitOptions,
  Waiter,
  WaitList,
  type WaitOptions,
  type WaitOwner,
  waitArgs,
} from '../../src/core/lowlevel.js';
import { GreenletExit, sleep, spawn, Timeout, wait } from '../../src/index.js';
import { runVirtual } from '../../src/testing/virtual.js';

class MailboxEmpty extends Error {
  override name = 'MailboxEmpty';
}

function throwEmpty(): never {
  throw new MailboxEmpty('take() timed out');
}

/** The primitive under test: `put` never waits, `take` waits for an item. */
class Mailbox implements WaitOwner {
  readonly items: number[] = [];
  readonly takers = new WaitList();
  /** Items a taker got at resume (commitWait), for the commit test. */
  readonly committed: number[] = [];

  put(n: number): void {
    const w = this.takers.shiftLive();
    if (w !== null) w.wake(n);
    else this.items.push(n);
  }

  take(opts?: WaitOptions | number): Promise<number> {
    const err = readWaitOptions(opts, 'Mailbox.take');
    if (err !== NONE) return Promise.reject(err);
    if (this.items.length > 0) return Promise.resolve(this.items.shift() as number);
    const w = new Waiter<number>(this, throwEmpty);
    this.takers.push(w);
    return w.start(waitArgs.timeout, waitArgs.signal);
  }

  abortWait(w: Waiter, held: boolean): void {
    if (!held) {
      this.takers.remove(w);
      return;
    }
    // Nothing lost: what the interrupted taker held goes to the next live taker, or back first.
    const next = this.takers.shiftLive();
    if (next !== null) next.wake(w.value);
    else this.items.unshift(w.value as number);
  }

  commitWait(w: Waiter): void {
    this.committed.push(w.value as number);
  }
}

describe('core/lowlevel: a primitive built from the door alone', () => {
  test('take() waits for put() and gets the item; takers are served in FIFO order', async () => {
    const got = await runVirtual(async () => {
      const box = new Mailbox();
      const out: string[] = [];
      const a = spawn(async () => out.push(`a${await box.take()}`));
      const b = spawn(async () => out.push(`b${await box.take()}`));
      await sleep(0);
      box.put(1);
      box.put(2);
      await wait([a, b]);
      return { out, committed: box.committed };
    });
    assert.deepEqual(got.out, ['a1', 'b2']);
    assert.deepEqual(got.committed, [1, 2], 'commitWait ran at each resume');
  });

  test('a kill lands at take() (cancel point) and finally runs', async () => {
    const log = await runVirtual(async () => {
      const box = new Mailbox();
      const out: string[] = [];
      const g = spawn(async () => {
        try {
          await box.take();
        } finally {
          out.push('finally');
        }
      });
      await sleep(0);
      await g.kill();
      out.push((g.value as unknown) instanceof GreenletExit ? 'killed' : 'not killed');
      out.push(`takers ${box.takers.size}`);
      return out;
    });
    assert.deepEqual(log, ['finally', 'killed', 'takers 0']);
  });

  test('a woken taker killed before it resumes loses nothing: the next taker gets the item', async () => {
    const got = await runVirtual(async () => {
      const box = new Mailbox();
      const a = spawn(() => box.take());
      const b = spawn(() => box.take());
      await sleep(0);
      box.put(7); // wakes a …
      void a.kill({ block: false }); // … which is killed before it resumes
      await b.join();
      return {
        b: b.value,
        a: (a.value as unknown) instanceof GreenletExit,
        committed: box.committed,
      };
    });
    assert.equal(got.b, 7);
    assert.ok(got.a);
    assert.deepEqual(got.committed, [7], 'only the taker that resumed committed');
  });

  test('a woken taker timed out with no one else waiting puts the item back', async () => {
    const left = await runVirtual(async () => {
      const box = new Mailbox();
      const t = new Timeout(5);
      const a = spawn(async () => {
        t.start();
        return box.take();
      });
      await sleep(0);
      await sleep(5); // the Timeout fires …
      box.put(3); // … and then an item arrives, in the same turn
      await a.join();
      return { items: box.items, exc: a.exception === t };
    });
    assert.deepEqual(left.items, [3]);
    assert.ok(left.exc);
  });

  test('the timeout option ends the wait with onTimeout; a signal with its reason', async () => {
    const got = await runVirtual(async () => {
      const box = new Mailbox();
      const e1 = await box.take({ timeout: 10 }).catch((e: unknown) => e);
      const ac = new AbortController();
      const p = box.take({ signal: ac.signal }).catch((e: unknown) => e);
      ac.abort(new Error('stop'));
      const e2 = await p;
      return { e1, e2, takers: box.takers.size, now: getHub().now() };
    });
    assert.ok(got.e1 instanceof MailboxEmpty);
    assert.equal((got.e2 as Error).message, 'stop');
    assert.equal(got.takers, 0);
    assert.equal(got.now, 10);
  });

  test('bad options reject (never throw); a pre-aborted signal rejects even when an item is there', async () => {
    await runVirtual(async () => {
      const box = new Mailbox();
      box.put(1);
      await assert.rejects(box.take({ timeout: -1 }), RangeError);
      await assert.rejects(box.take('x' as never), TypeError);
      await assert.rejects(box.take({ signal: AbortSignal.abort(new Error('pre')) }), /pre/);
      assert.deepEqual(box.items, [1], 'nothing consumed by a rejected call');
    });
  });

  test('a commitWait that throws turns the resumption into a rejection and hands the item on', async () => {
    const got = await runVirtual(async () => {
      const box = new Mailbox();
      let first = true;
      box.commitWait = (w: Waiter): void => {
        if (first) {
          first = false;
          throw new Error('refused');
        }
        box.committed.push(w.value as number);
      };
      const a = spawn(() => box.take());
      const b = spawn(() => box.take());
      await sleep(0);
      box.put(9);
      await wait([a, b], { count: 1 });
      await sleep(0);
      return { a: (a.exception as Error)?.message, b: b.value, committed: box.committed };
    });
    assert.equal(got.a, 'refused');
    assert.equal(got.b, 9);
    assert.deepEqual(got.committed, [9]);
  });

  test('a completed wait reached by a kill resolves, and the kill lands at the next wait', async () => {
    const log = await runVirtual(async () => {
      const box = new Mailbox();
      const out: string[] = [];
      box.commitWait = (): void => {};
      const a = spawn(async () => {
        out.push(`took ${await box.take()}`);
        try {
          await sleep(0);
        } catch (e) {
          out.push(e instanceof GreenletExit ? 'kill at next wait' : 'other');
          throw e;
        }
      });
      await sleep(0);
      const w = box.takers.first as Waiter;
      box.put(4);
      w.completed = true; // the operation has happened: it cannot be undone
      void a.kill({ block: false });
      await a.join();
      return out;
    });
    assert.deepEqual(log, ['took 4', 'kill at next wait']);
  });

  test('ioStarted keeps wait() from calling the hub idle until ioEnded', async () => {
    const got = await runVirtual(async () => {
      const hub = getHub();
      ioStarted(hub);
      const busy = await wait({ timeout: 5 });
      ioEnded(hub);
      const idle = await wait({ timeout: 5 });
      return { busy, idle };
    });
    assert.deepEqual(got, { busy: false, idle: true });
  });
});
