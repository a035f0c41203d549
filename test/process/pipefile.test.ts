// A child's pipe files closed by one greenlet while another waits on them: the waiter is woken
// with EBADF, as a socket's close() wakes its waiters (gevent: closing a socket or a file object
// wakes the greenlets blocked on it with EBADF). Real child processes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getHub } from '../../src/core/hub.js';
import { type Greenlet, race, sleep, spawn, Timeout } from '../../src/index.js';
import { PIPE, Popen } from '../../src/process/subprocess.js';
import { runVirtual } from '../../src/testing/index.js';
import { noUnhandled } from '../_util.js';

async function closedUnder(
  read: (f: NonNullable<Popen<string>['stdout']>) => Promise<string>,
): Promise<void> {
  // The child writes a first line, then nothing for a long time.
  const p = new Popen<string>(['sh', '-c', 'echo first; exec sleep 30'], {
    stdout: PIPE,
    text: true,
  });
  try {
    const stdout = p.stdout as NonNullable<typeof p.stdout>;
    assert.equal(await stdout.readline(), 'first\n');
    const g: Greenlet = spawn(() => read(stdout));
    await sleep(50); // g waits in the read
    assert.equal(g.dead, false);
    stdout.close();
    await g.join({ timeout: 3000 });
    assert.ok(g.dead, 'the reader was woken');
    const err = g.exception as NodeJS.ErrnoException | undefined;
    assert.equal(
      err?.code,
      'EBADF',
      `the read ended with ${String(err ?? JSON.stringify(g.value))}`,
    );
    assert.match(err.message, /closed in another greenlet/);
    await assert.rejects(stdout.readline(), { code: 'EBADF' });
  } finally {
    p.kill();
    await p.wait();
  }
}

test('closing a pipe file wakes a greenlet blocked in readline() with EBADF', async () => {
  await closedUnder((f) => f.readline());
});

test('closing a pipe file wakes a greenlet blocked in read(n) or read() with EBADF', async () => {
  await closedUnder((f) => f.read(10));
  await closedUnder((f) => f.read());
});

// Found by the breaker: read options were only read when the call waited, so a line already
// buffered came back despite a bad timeout or an aborted signal (DESIGN: a pre-aborted signal
// rejects even a call that need not wait; bad arguments reject).
test('readline and read reject bad options and a pre-aborted signal also when the bytes are buffered, and lose nothing', async () => {
  const p = new Popen<string>(['sh', '-c', 'echo one; echo two; exec sleep 30'], {
    stdout: PIPE,
    text: true,
  });
  try {
    const stdout = p.stdout as NonNullable<typeof p.stdout>;
    assert.equal(await stdout.readline(), 'one\n'); // 'two\n' is in the buffer or on its way
    await sleep(100);
    await assert.rejects(stdout.readline({ timeout: -1 }), {
      name: 'RangeError',
      message: /^PipeFile\.readline: timeout must be a non-negative number of ms, got -1$/,
    });
    await assert.rejects(stdout.readline(10, 'soon' as never), TypeError);
    await assert.rejects(stdout.read(2, { timeout: Number.NaN }), RangeError);
    await assert.rejects(stdout.read(2, { signal: 'x' as never }), TypeError);
    const ac = new AbortController();
    ac.abort(new Error('aborted before'));
    await assert.rejects(stdout.readline({ signal: ac.signal }), { message: 'aborted before' });
    await assert.rejects(stdout.read(0, { signal: ac.signal }), { message: 'aborted before' });
    assert.equal(await stdout.readline({ timeout: 3000 }), 'two\n', 'nothing was taken');
  } finally {
    p.kill();
    await p.wait();
  }
});

// Found by the breaker: a write or flush waiting for its turn counted the rest of its timeout on
// performance.now() while the turn's wait counted on the hub clock, so on a virtual hub (real
// time standing still) it got its whole timeout again after the turn: 150 ms instead of 100.
test('a write waiting for its turn counts its timeout on the hub clock: one deadline on virtual time', async () => {
  await runVirtual(async () => {
    const p = new Popen(['sleep', '30'], { stdin: PIPE }); // never reads: the pipe stays full
    try {
      const w = p.stdin as NonNullable<typeof p.stdin>;
      const first = spawn(() => w.write(new Uint8Array(1 << 20))); // waits for 'drain'
      await sleep(20);
      const t0 = getHub().now();
      let at = -1;
      const second = spawn(async () => {
        try {
          await w.write(new Uint8Array(10), { timeout: 100 }); // waits for the turn
        } finally {
          at = getHub().now() - t0;
        }
      });
      await sleep(50);
      await first.kill(); // the turn passes at 50 ms: 50 ms left for the pipe
      await second.join();
      assert.equal((second.exception as NodeJS.ErrnoException | undefined)?.code, 'ETIMEDOUT');
      assert.equal(at, 100, 'one deadline for the turn and the send');
    } finally {
      p.kill();
      await p.wait();
    }
  });
});

test('no unhandled rejection: a forgotten write, flush, read, readline or line iterator step rejected by a pre-aborted signal, a kill or a Timeout (breaker)', async () => {
  const p = new Popen(['sleep', '30'], { stdin: PIPE, stdout: PIPE });
  try {
    const stdin = p.stdin as NonNullable<typeof p.stdin>;
    const stdout = p.stdout as NonNullable<typeof p.stdout>;
    const seen = await noUnhandled(async () => {
      const ac = new AbortController();
      ac.abort();
      void stdin.write('x', { signal: ac.signal });
      void stdin.flush({ signal: ac.signal });
      void stdout.readline({ signal: ac.signal });
      void stdout.read(1, { signal: ac.signal });
      const g = spawn(async () => {
        void stdout.readline();
        await sleep(5000);
      });
      await sleep(20);
      await g.kill();
      const lines = spawn(async () => {
        void stdout[Symbol.asyncIterator]().next(); // for await's step, forgotten
        await sleep(5000);
      });
      await sleep(20);
      await lines.kill();
      const h = spawn(async () => {
        const t = Timeout.startNew(20);
        try {
          void stdout.read(5);
          await sleep(5000);
        } catch (e) {
          if (e !== t) throw e;
        }
      });
      await h.join();
    }, 100);
    assert.deepEqual(
      seen.map((e) => (e as Error).name),
      [],
    );
  } finally {
    p.kill();
    await p.wait();
  }
});

test('race(() => stdout.readline(), () => sleep(ms)) with part of a line in the pipe: the sleep wins and the next readline gets the whole line (found by the breaker: the losing readline parked after race() had looked, took the line, and the file refused every later read with EBUSY)', async () => {
  const p = new Popen(['sh', '-c', 'printf ab; sleep 0.3; echo c; echo d'], { stdout: PIPE });
  const stdout = p.stdout as NonNullable<typeof p.stdout>;
  const text = (b: Uint8Array): string => Buffer.from(b).toString();
  try {
    await sleep(150); // 'ab' is in the pipe
    const r = await race(
      () => stdout.readline(),
      () => sleep(20),
    );
    assert.equal(r.index, 1);
    assert.equal(text(await stdout.readline({ timeout: 5000 })), 'abc\n');
    assert.equal(text(await stdout.readline({ timeout: 5000 })), 'd\n');
  } finally {
    await p.wait();
  }
});

test('a write to a child that does not read, withdrawn by race(), keeps the send turn free: a later flush sends everything once the child reads (found by the breaker: every later flush waited forever)', async () => {
  const p = new Popen(['sh', '-c', 'sleep 0.3; wc -c'], { stdin: PIPE, stdout: PIPE });
  const stdin = p.stdin as NonNullable<typeof p.stdin>;
  const stdout = p.stdout as NonNullable<typeof p.stdout>;
  try {
    const big = new Uint8Array(4 * 1024 * 1024).fill(120);
    const r = await race(
      () => stdin.write(big), // the pipe fills: the write waits for 'drain', and loses
      () => sleep(20),
    );
    assert.equal(r.index, 1);
    await stdin.write('tail');
    await stdin.flush({ timeout: 5000 });
    stdin.close();
    const counted = Buffer.from(await stdout.read(null, { timeout: 5000 })).toString();
    assert.equal(Number(counted.trim()), big.length + 4);
  } finally {
    stdin.close();
    await p.wait();
  }
});
