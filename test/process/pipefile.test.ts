// A child's pipe files closed by one greenlet while another waits on them: the waiter is woken
// with EBADF, as a socket's close() wakes its waiters (gevent: closing a socket or a file object
// wakes the greenlets blocked on it with EBADF). Real child processes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Greenlet, sleep, spawn } from '../../src/index.js';
import { PIPE, Popen } from '../../src/process/subprocess.js';

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
