// signalHandler with real signals: sent to this process (SIGWINCH/SIGHUP, which have listeners
// while the tests run) and to a child process (the program does not stay alive because of a
// handler). Ported from gevent's test__signal.py where it applies. SIGWINCH and SIGHUP, not SIGUSR1/2:
// Node reserves SIGUSR1 for the inspector, and a test runner may write a report on SIGUSR2.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import {
  Greenlet,
  getCurrent,
  getHub,
  type SignalHandle,
  signalHandler,
  sleep,
  spawn,
} from '../../src/index.js';

/** Wait (a verdant sleep loop, bounded) until `cond()` holds. */
async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const t0 = performance.now();
  while (!cond() && performance.now() - t0 < ms) await sleep(5);
}

describe('signalHandler', () => {
  test('each delivery runs fn(...args) in a new Greenlet, never main nor the installer', async () => {
    const seen: { g: unknown; args: unknown[] }[] = [];
    const installer = spawn(() =>
      signalHandler(
        'SIGWINCH',
        (...args: unknown[]) => seen.push({ g: getCurrent(), args }),
        1,
        'two',
      ),
    );
    await installer.join();
    const h = installer.value as SignalHandle;
    try {
      process.kill(process.pid, 'SIGWINCH');
      await waitFor(() => seen.length === 1);
      process.kill(process.pid, 'SIGWINCH');
      await waitFor(() => seen.length === 2);
      assert.equal(seen.length, 2);
      for (const s of seen) {
        assert.ok(s.g instanceof Greenlet);
        assert.notEqual(s.g, installer);
        assert.deepEqual(s.args, [1, 'two']);
      }
      assert.notEqual(seen[0]?.g, seen[1]?.g, 'a new greenlet per delivery');
    } finally {
      h.cancel();
    }
  });

  test('several handlers of one signal all run; cancel() removes only its own', async () => {
    const log: string[] = [];
    const a = signalHandler('SIGHUP', () => log.push('a'));
    const b = signalHandler('SIGHUP', () => log.push('b'));
    try {
      process.kill(process.pid, 'SIGHUP');
      await waitFor(() => log.length === 2);
      assert.deepEqual(log.sort(), ['a', 'b']);
      a.cancel();
      a.cancel(); // idempotent
      assert.equal(a.cancelled, true);
      assert.equal(b.cancelled, false);
      process.kill(process.pid, 'SIGHUP');
      await waitFor(() => log.length === 3);
      assert.deepEqual(log, ['a', 'b', 'b']);
    } finally {
      b.cancel();
    }
  });

  test('an async handler may wait; a handler that throws is reported by the hub', async () => {
    const reports: string[] = [];
    const hub = getHub();
    const stream = hub.exceptionStream;
    hub.exceptionStream = { write: (t: string) => reports.push(t) };
    let waited = false;
    const h1 = signalHandler('SIGWINCH', async () => {
      await sleep(10);
      waited = true;
    });
    const h2 = signalHandler('SIGWINCH', () => {
      throw new Error('handler failed');
    });
    try {
      process.kill(process.pid, 'SIGWINCH');
      await waitFor(() => waited && reports.length > 0);
      assert.ok(waited);
      assert.match(reports.join(''), /handler failed/);
    } finally {
      h1.cancel();
      h2.cancel();
      hub.exceptionStream = stream;
    }
  });

  test('gevent test_alarm: SIGALRM from another process runs the handler each time, it stays installed (differs: its failure is reported, gevent raises it in main)', async () => {
    const reports: string[] = [];
    const hub = getHub();
    const stream = hub.exceptionStream;
    hub.exceptionStream = { write: (t: string) => reports.push(t) };
    let runs = 0;
    const h = signalHandler('SIGALRM', () => {
      runs++;
      throw new Error('TestSignal');
    });
    try {
      for (let i = 1; i <= 2; i++) {
        // As signal.alarm(1): the signal arrives while the program sleeps.
        const kill = spawnSync('sh', ['-c', `sleep 0.05; kill -ALRM ${process.pid}`]);
        assert.equal(kill.status, 0);
        await waitFor(() => runs === i);
        assert.equal(runs, i);
        await waitFor(() => reports.filter((r) => r.includes('failed with Error')).length === i);
      }
      assert.equal(reports.join('').match(/Error: TestSignal/g)?.length, 2);
    } finally {
      h.cancel();
      hub.exceptionStream = stream;
    }
  });

  test('bad input: an unknown or uncatchable signal, or a non-function, throw TypeError', () => {
    const before = process.listenerCount('SIGWINCH');
    assert.throws(() => signalHandler('SIGNOPE' as never, () => {}), /unknown signal/);
    assert.throws(() => signalHandler('SIGKILL', () => {}), /Cannot handle SIGKILL/);
    assert.throws(() => signalHandler('SIGSTOP', () => {}), TypeError);
    assert.throws(() => signalHandler('SIGWINCH', 'nope' as never), TypeError);
    assert.equal(process.listenerCount('SIGWINCH'), before, 'nothing was installed');
  });

  test('a handler does not keep the program alive, and it handles a signal from another process', () => {
    const mod = new URL('../../src/index.js', import.meta.url).href;
    // The child installs a SIGTERM handler, asks us (its parent's shell) to signal it, and ends
    // on its own once its greenlet saw the signal, with the handler still installed.
    const script = `
      const v = await import(${JSON.stringify(mod)});
      const got = new v.Event();
      v.signalHandler('SIGTERM', (x) => { console.log('handled', x); got.set(); }, 'SIGTERM');
      (await import('node:child_process')).spawn('kill', ['-TERM', String(process.pid)]);
      await got.wait({ timeout: 10000 });
      console.log('end');
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(r.signal, null, `ended on its own: ${r.stderr}`);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'handled SIGTERM\nend\n');
  });
  // gevent's test__issues461_471.py: Ctrl-C while main waits in spawn(task).get() on a greenlet
  // in a 30 s sleep must end the program (gevent 1.0 on Python 3 hung printing the traceback).
  // Node has no KeyboardInterrupt: without a listener SIGINT ends the process at once; with
  // signalHandler('SIGINT', …) killing the task, main's get() returns and the program exits 0.
  for (const [how, handler, want] of [
    ['no SIGINT handler: the signal ends the process', '', { status: null, signal: 'SIGINT' }],
    [
      "signalHandler('SIGINT') kills the task: get() returns and the program exits 0",
      "v.signalHandler('SIGINT', () => void g.kill({ block: false }));",
      { status: 0, signal: null },
    ],
  ] as const) {
    test(`test__issues461_471.py test_hang: SIGINT while main waits in spawn(task).get() does not hang; ${how}`, async () => {
      const mod = new URL('../../src/index.js', import.meta.url).href;
      const script = `
        const v = await import(${JSON.stringify(mod)});
        const g = v.spawn(async () => { process.stdout.write('ready\\n'); await v.sleep(30000); });
        ${handler}
        await g.get();
        process.stdout.write('end\\n');
      `;
      const { spawn: spawnChild } = await import('node:child_process');
      const child = spawnChild(process.execPath, ['--input-type=module', '-e', script], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const killer = setTimeout(() => child.kill('SIGKILL'), 25_000);
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (err += d));
      const exited = new Promise<[number | null, string | null]>((resolve) =>
        child.once('exit', (code, sig) => resolve([code, sig])),
      );
      try {
        for (let i = 0; i < 400 && !out.includes('ready'); i++) await sleep(25);
        assert.equal(out, 'ready\n', err);
        child.kill('SIGINT');
        const [status, signal] = await exited;
        assert.deepEqual({ status, signal }, want, err);
        assert.equal(out, want.status === 0 ? 'ready\nend\n' : 'ready\n');
      } finally {
        clearTimeout(killer);
      }
    });
  }
});
