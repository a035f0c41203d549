// verdant/subprocess on real child processes (the real hub; short real timeouts). Ported from
// gevent's test__subprocess.py where it applies (communicate, wait, timeouts, output, ENOENT),
// plus verdant's cancellation rules: Popen waits are only waits, run/call own their child.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  constants,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { format } from 'node:util';
import { GreenletExit, joinAll, race, sleep, spawn, Timeout } from '../../src/index.js';
import { FileObject } from '../../src/io/fileobject.js';
import {
  CalledProcessError,
  CompletedProcess,
  call,
  checkCall,
  checkOutput,
  PIPE,
  Popen,
  run,
  TimeoutExpired,
} from '../../src/process/subprocess.js';
import { assertRejectsNoThrow, ExpectedError, forgetThenEnd, noUnhandled } from '../_util.js';

const dec = new TextDecoder();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('run, call, checkCall, checkOutput', () => {
  test('run() returns a CompletedProcess with bytes, or strings with text: true', async () => {
    const r = await run(['sh', '-c', 'echo out; echo err >&2; exit 3'], { captureOutput: true });
    assert.ok(r instanceof CompletedProcess);
    assert.deepEqual(r.args, ['sh', '-c', 'echo out; echo err >&2; exit 3']);
    assert.equal(r.returncode, 3);
    assert.ok(r.stdout instanceof Uint8Array);
    assert.equal(dec.decode(r.stdout), 'out\n');
    assert.equal(dec.decode(r.stderr as Uint8Array), 'err\n');
    const t = await run(['echo', 'hi'], { captureOutput: true, text: true });
    assert.equal(t.stdout, 'hi\n');
    assert.equal(t.stderr, '');
    // Printable as CPython's repr (it printed [object Object]; found by a newcomer).
    assert.equal(
      String(t),
      'CompletedProcess(args=["echo","hi"], returncode=0, stdout="hi\\n", stderr="")',
    );
    assert.equal(
      String(r),
      'CompletedProcess(args=["sh","-c","echo out; echo err >&2; exit 3"], returncode=3, stdout=<4 bytes>, stderr=<4 bytes>)',
    );
    assert.equal(String(await run(['true'])), 'CompletedProcess(args=["true"], returncode=0)');
  });

  test('run() leaves stdout/stderr null when not captured, and passes input to stdin', async () => {
    const r = await run(['sh', '-c', 'cat > /dev/null'], { input: 'abc' });
    assert.equal(r.returncode, 0);
    assert.equal(r.stdout, null);
    assert.equal(r.stderr, null);
    const c = await run(['cat'], { input: new Uint8Array([104, 105]), stdout: PIPE, text: true });
    assert.equal(c.stdout, 'hi');
  });

  test('call() returns the status; checkCall() returns 0 or throws CalledProcessError', async () => {
    assert.equal(await call(['sh', '-c', 'exit 7']), 7);
    assert.equal(await checkCall(['true']), 0);
    await assert.rejects(checkCall(['sh', '-c', 'exit 5']), (e: unknown) => {
      assert.ok(e instanceof CalledProcessError);
      assert.equal(e.name, 'CalledProcessError');
      assert.equal(e.message, "Command '['sh', '-c', 'exit 5']' returned non-zero exit status 5");
      assert.equal(e.returncode, 5);
      assert.deepEqual(e.cmd, ['sh', '-c', 'exit 5']);
      return true;
    });
  });

  test('checkOutput() returns stdout; a failure carries it as output and stdout', async () => {
    assert.equal(await checkOutput(['sh', '-c', 'echo hello'], { text: true }), 'hello\n');
    assert.equal(dec.decode(await checkOutput(['printf', 'x'])), 'x');
    await assert.rejects(checkOutput(['sh', '-c', 'echo partial; exit 2'], { text: true }), (e) => {
      assert.ok(e instanceof CalledProcessError);
      assert.equal(e.output, 'partial\n');
      assert.equal(e.stdout, 'partial\n');
      return true;
    });
  });

  test('run({check: true}) throws CalledProcessError; a signal-ended child says which', async () => {
    await assert.rejects(run(['false'], { check: true }), CalledProcessError);
    await assert.rejects(run(['sh', '-c', 'kill -9 $$'], { check: true }), (e) => {
      assert.ok(e instanceof CalledProcessError);
      assert.equal(e.returncode, -9);
      assert.match(e.message, /died with SIGKILL$/);
      return true;
    });
  });

  test('a timeout kills the child, reaps it, and throws TimeoutExpired with the output so far', async () => {
    const t0 = performance.now();
    await assert.rejects(
      run(['sh', '-c', 'echo $$; echo early; sleep 10'], { captureOutput: true, timeout: 300 }),
      (e: unknown) => {
        assert.ok(e instanceof TimeoutExpired);
        assert.ok(!(e instanceof Timeout), 'TimeoutExpired is not a verdant Timeout');
        assert.equal(e.name, 'TimeoutExpired');
        assert.equal(e.timeout, 300);
        assert.equal(
          e.message,
          "Command '['sh', '-c', 'echo $$; echo early; sleep 10']' timed out after 300 milliseconds",
        );
        const [pid, early] = dec.decode(e.output as Uint8Array).split('\n');
        assert.equal(early, 'early');
        assert.equal(alive(Number(pid)), false, 'the child was killed and reaped');
        assert.equal(e.stdout, e.output);
        return true;
      },
    );
    assert.ok(performance.now() - t0 < 5000, 'did not wait for the sleep');
  });

  test('a timeout closes our pipe ends even when a grandchild holds the other ends', async () => {
    let grandchild = 0;
    try {
      await assert.rejects(
        run(['sh', '-c', 'sleep 30 & echo $!; sleep 30'], {
          captureOutput: true,
          text: true,
          timeout: 300,
        }),
        (e: unknown) => {
          assert.ok(e instanceof TimeoutExpired);
          grandchild = Number.parseInt(String(e.output), 10);
          return true;
        },
      );
      assert.ok(grandchild > 0);
      assert.equal(alive(grandchild), true, 'the grandchild is not ours to kill');
    } finally {
      if (grandchild > 0) process.kill(grandchild, 'SIGKILL');
    }
  });

  test("a command that does not exist rejects with Node's ENOENT error naming it", async () => {
    for (const f of [run, call, checkCall, checkOutput]) {
      await assertRejectsNoThrow(
        () => f(['verdant-no-such-command', 'x']),
        (e: unknown) => {
          assert.equal((e as NodeJS.ErrnoException).code, 'ENOENT');
          assert.match((e as Error).message, /verdant-no-such-command/);
          return true;
        },
      );
    }
  });

  test('bad arguments reject with TypeError and never throw synchronously', async () => {
    await assertRejectsNoThrow(() => run('ls' as never), TypeError);
    await assertRejectsNoThrow(() => run([]), /non-empty array of strings/);
    await assertRejectsNoThrow(() => call(['ls', 1 as never]), TypeError);
    await assertRejectsNoThrow(() => run(['true'], { stdout: 'file' as never }), /stdout/);
    await assertRejectsNoThrow(() => run(['true'], { timeout: -1 }), RangeError);
    await assertRejectsNoThrow(
      () => run(['true'], { captureOutput: true, stdout: PIPE }),
      /captureOutput/,
    );
    await assertRejectsNoThrow(() => checkOutput(['true'], { stdout: PIPE }), /checkOutput/);
    // Python: TypeError for input, env and cwd of the wrong type (input: 5 used to be dropped).
    await assertRejectsNoThrow(
      () => run(['cat'], { input: 5 as never, captureOutput: true }),
      (e: unknown) => e instanceof TypeError && /input must be bytes .* got 5$/.test(e.message),
    );
    await assertRejectsNoThrow(() => run(['true'], { env: 5 as never }), /env: expected an object/);
    await assertRejectsNoThrow(
      () => call(['true'], { env: { A: 1 } as never }),
      (e: unknown) => e instanceof TypeError && /A must be a string, got 1$/.test(e.message),
    );
    await assertRejectsNoThrow(() => run(['true'], { cwd: 5 as never }), TypeError);
  });

  test('a cwd we cannot enter: the error names the cwd, not the command', async () => {
    const dir = '/verdant-no-such-dir/x';
    const names = (code: string, path: string) => (e: unknown) => {
      const err = e as NodeJS.ErrnoException;
      assert.equal(err.code, code);
      assert.equal(err.path, path);
      assert.equal(err.message.includes(`cwd '${path}'`), true, err.message);
      return true;
    };
    for (const f of [run, call, checkCall, checkOutput]) {
      await assertRejectsNoThrow(() => f(['true'], { cwd: dir }), names('ENOENT', dir));
    }
    const p = new Popen(['true'], { cwd: dir });
    assert.equal(p.pid, null);
    await assert.rejects(p.wait(), names('ENOENT', dir));
    // A file as cwd: Node refuses at once, so the constructor throws (as Python's Popen).
    const file = fileURLToPath(import.meta.url);
    assert.throws(() => new Popen(['true'], { cwd: file }), names('ENOTDIR', file));
    await assertRejectsNoThrow(() => run(['true'], { cwd: file }), /not a directory \(ENOTDIR\)$/);
    // A good cwd: a missing command is still named.
    await assert.rejects(run(['verdant-no-such-command'], { cwd: tmpdir() }), /verdant-no-such/);
  });
});

describe('cancellation: run/call own their child', () => {
  for (const [name, f] of [
    ['run', run],
    ['call', call],
    ['checkCall', checkCall],
    ['checkOutput', checkOutput],
  ] as const) {
    test(`a kill inside ${name}() kills and reaps the child, and finally runs`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'verdant-sp-'));
      const pidFile = join(dir, 'pid');
      const log: string[] = [];
      try {
        const g = spawn(async () => {
          try {
            await f(['sh', '-c', `echo $$ > ${pidFile}; exec sleep 30`]);
          } finally {
            log.push('finally');
          }
        });
        const t0 = performance.now();
        while (readdirSync(dir).length === 0 && performance.now() - t0 < 5000) await sleep(10);
        await sleep(20);
        const pid = Number(readFileSync(pidFile, 'utf8'));
        assert.equal(alive(pid), true);
        await g.kill();
        assert.ok((g.value as unknown) instanceof GreenletExit);
        assert.deepEqual(log, ['finally']);
        assert.equal(alive(pid), false, 'killed and reaped before the greenlet died');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  for (const how of ['kill', 'kill and Timeout at once'] as const) {
    test(`a ${how} at Promise.all of run, call and checkOutput kills every child, not only the one whose wait resumed (breaker)`, async () => {
      // The greenlet died after its first wait resumed; the other waits were withdrawn (never
      // settled), so their finally never ran and their children lived on, keeping Node alive.
      const dir = mkdtempSync(join(tmpdir(), 'verdant-sp-'));
      const cmd = (n: number): string[] => [
        'sh',
        '-c',
        `echo $$ > ${join(dir, `pid${n}`)}; exec sleep 30`,
      ];
      try {
        const g = spawn(async () => {
          using _t = how === 'kill' ? null : Timeout.startNew(400);
          await Promise.all([
            run(cmd(1), { captureOutput: true }),
            call(cmd(2)),
            checkOutput(cmd(3), { input: 'x'.repeat(1 << 20) }),
          ]);
        });
        const t0 = performance.now();
        while (readdirSync(dir).length < 3 && performance.now() - t0 < 5000) await sleep(10);
        await sleep(50);
        const pids = [1, 2, 3].map((n) => Number(readFileSync(join(dir, `pid${n}`), 'utf8')));
        assert.deepEqual(pids.map(alive), [true, true, true]);
        if (how === 'kill') await g.kill();
        else {
          const t1 = Date.now();
          while (Date.now() - t1 < 450) {
            // block past the Timeout, then request the kill: both pending at once
          }
          void g.kill({ block: false });
        }
        assert.ok(await g.join(5000));
        const t2 = performance.now();
        while (pids.some(alive) && performance.now() - t2 < 3000) await sleep(10);
        assert.deepEqual(pids.map(alive), [false, false, false], 'every child was killed');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  test('race(): run() in a greenlet of the losing call is killed with its child', async () => {
    // A withdrawn wait tells run nothing; the race kills the greenlet the losing call spawned.
    const dir = mkdtempSync(join(tmpdir(), 'verdant-sp-'));
    const pidFile = join(dir, 'pid');
    try {
      let job: ReturnType<typeof spawn> | null = null;
      const r = await race(
        () => {
          job = spawn(() => run(['sh', '-c', `echo $$ > ${pidFile}; exec sleep 30`]));
          return job.get();
        },
        async () => {
          const t0 = performance.now();
          while (readdirSync(dir).length === 0 && performance.now() - t0 < 5000) await sleep(10);
          await sleep(20);
        },
      );
      assert.equal(r.index, 1);
      const pid = Number(readFileSync(pidFile, 'utf8'));
      assert.ok(job !== null);
      assert.ok(await (job as ReturnType<typeof spawn>).join(5000));
      assert.equal(alive(pid), false, 'the child was killed and reaped');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a Timeout around run() throws itself (not TimeoutExpired) after killing the child', async () => {
    const g = spawn(async () => {
      using _t = Timeout.startNew(200);
      return await run(['sh', '-c', 'echo $$; exec sleep 30'], { stdout: PIPE, text: true });
    });
    await g.join();
    assert.ok((g.exception as unknown) instanceof Timeout);
  });

  test('an aborted signal kills the child of run()', async () => {
    const ac = new AbortController();
    const t0 = performance.now();
    setTimeout(() => ac.abort(new Error('stop')), 100);
    await assert.rejects(run(['sleep', '30'], { signal: ac.signal }), /stop/);
    assert.ok(performance.now() - t0 < 5000);
  });
});

describe('Popen', () => {
  test('pid is set at once; wait() and poll() give the returncode, the same every time', async () => {
    const p = new Popen(['sh', '-c', 'exit 4']);
    assert.equal(typeof p.pid, 'number');
    assert.equal(p.poll(), null);
    assert.equal(p.returncode, null);
    assert.equal(await p.wait(), 4);
    assert.equal(await p.wait(), 4);
    assert.equal(p.poll(), 4);
    assert.equal(p.returncode, 4);
  });

  test('kill() gives -9, terminate() -15, sendSignal() any signal', async () => {
    const a = new Popen(['sleep', '30']);
    a.kill();
    assert.equal(await a.wait(), -9);
    const b = new Popen(['sleep', '30']);
    b.terminate();
    assert.equal(await b.wait(), -15);
    const c = new Popen(['sleep', '30']);
    c.sendSignal('SIGINT');
    assert.equal(await c.wait(), -2);
    c.kill(); // after exit: does nothing
    assert.throws(() => c.sendSignal('SIGNOPE' as never), TypeError);
    // A number is checked too, the same way before and after the exit (breaker: it was ignored
    // after the exit, refused by Node with its own message before).
    for (const bad of [-5, 1.5, 99999, Number.NaN, null, '9']) {
      assert.throws(() => c.sendSignal(bad as never), {
        name: 'TypeError',
        message: /^Cannot send an unknown signal: got /,
      });
    }
    const d = new Popen(['sleep', '30']);
    assert.throws(
      () => d.sendSignal(99999),
      /^TypeError: Cannot send an unknown signal: got 99999$/,
    );
    d.sendSignal(0); // signal 0 only checks the child exists
    d.sendSignal(15);
    assert.equal(await d.wait(), -15);
  });

  test('a command that cannot start: pid null, the first wait rejects with ENOENT', async () => {
    const p = new Popen(['verdant-no-such-command']);
    assert.equal(p.pid, null);
    await assert.rejects(p.wait(), { code: 'ENOENT' });
    const q = new Popen(['verdant-no-such-command'], { stdout: PIPE });
    await assert.rejects(q.communicate(), /verdant-no-such-command/);
  });

  test('the constructor throws TypeError for bad arguments', () => {
    assert.throws(() => new Popen('ls' as never), TypeError);
    assert.throws(() => new Popen(['ls'], { stdin: 'file' as never }), /stdin/);
    assert.throws(() => new Popen(['ls'], 5 as never), TypeError);
    assert.throws(() => new Popen(['ls'], { env: [] as never }), /env/);
    assert.throws(() => new Popen(['ls'], { cwd: {} as never }), /cwd/);
  });

  test('options null or undefined mean the defaults, as run() and child_process take them; another non-object is a TypeError naming the argument', async () => {
    // new Popen(args, null) threw 'Popen options must be an object: got null' while
    // run(args, null) ran; Node's spawn(cmd, args, null) takes null as no options.
    for (const opts of [null, undefined]) {
      const p = new Popen(['true'], opts as never);
      assert.equal(await p.wait(), 0);
      assert.equal(p.stdout, null);
      const q = new Popen<string>(['echo', 'hi'], { stdout: PIPE, text: true });
      assert.deepEqual(await q.communicate(opts as never), ['hi\n', null]);
    }
    for (const bad of [5, 'x', true]) {
      assert.throws(
        () => new Popen(['true'], bad as never),
        (e: unknown) =>
          e instanceof TypeError &&
          e.message ===
            `Popen: the options argument must be an object, null or undefined, got ${format('%o', bad)}`,
      );
      const q = new Popen(['true']);
      // A number is the timeout of these waits (below), as in every blocking call.
      if (typeof bad !== 'number') {
        await assert.rejects(
          q.communicate(bad as never),
          (e: unknown) =>
            e instanceof TypeError &&
            e.message ===
              `Popen.communicate: the options argument must be an object, a timeout in ms, null or undefined, got ${format('%o', bad)}`,
        );
        await assert.rejects(
          run(['true'], bad as never),
          (e: unknown) =>
            e instanceof TypeError &&
            e.message ===
              `run: the options argument must be an object, a timeout in ms, null or undefined, got ${format('%o', bad)}`,
        );
      }
      await q.wait();
    }
  });

  test('communicate(ms) is communicate({timeout: ms}), as wait(ms) is (a bare number last is the timeout of a blocking call)', async () => {
    const p = new Popen<string>(['sleep', '5'], { stdout: PIPE, text: true });
    try {
      await assert.rejects(
        p.communicate(50 as never),
        (e: unknown) => e instanceof TimeoutExpired && e.timeout === 50,
      );
      await assert.rejects(p.communicate(-1 as never), RangeError);
    } finally {
      p.kill();
      await p.wait();
    }
  });

  test('run, call, checkCall and checkOutput take a bare number last as the timeout in ms, as communicate(ms) and every blocking call do (run(args, 5000) rejected with a TypeError)', async () => {
    const started = performance.now();
    for (const f of [run, call, checkCall, checkOutput] as ((
      a: string[],
      o: number,
    ) => Promise<unknown>)[]) {
      await assert.rejects(
        f(['sleep', '5'], 50),
        (e: unknown) => e instanceof TimeoutExpired && e.timeout === 50,
        f.name,
      );
      await assert.rejects(f(['true'], -1), RangeError, f.name);
    }
    assert.ok(performance.now() - started < 4000, 'each child was killed at its timeout');
    const r = await run(['echo', 'hi'], 5000);
    assert.equal(r.returncode, 0);
    assert.equal(r.stdout, null, 'a number sets only the timeout: nothing captured');
  });

  test('communicate() rejects input that is not bytes or a string, and takes any bytes-like input', async () => {
    const p = new Popen<string>(['cat'], { stdin: PIPE, stdout: PIPE, text: true });
    await assertRejectsNoThrow(() => p.communicate({ input: 5 as never }), TypeError);
    const bytes = new Uint16Array([0x6968]); // 'hi' on a little-endian machine
    assert.deepEqual(await p.communicate({ input: bytes }), ['hi', null]);
  });

  test('communicate() writes input, reads both pipes, returns [stdout, stderr]', async () => {
    const p = new Popen<string>(['sh', '-c', 'cat; echo e >&2'], {
      stdin: PIPE,
      stdout: PIPE,
      stderr: PIPE,
      text: true,
    });
    assert.deepEqual(await p.communicate({ input: 'ping' }), ['ping', 'e\n']);
    assert.equal(p.returncode, 0);
    const q = new Popen(['true']);
    assert.deepEqual(await q.communicate(), [null, null]);
  });

  test('communicate() of a large output is not limited by the pipe buffer', async () => {
    const p = new Popen(['head', '-c', '1000000', '/dev/zero'], { stdout: PIPE });
    const [out] = await p.communicate();
    assert.equal((out as Uint8Array).length, 1_000_000);
  });

  test('communicate({timeout}) throws TimeoutExpired, the child runs on, and a later call returns everything', async () => {
    const p = new Popen<string>(['sh', '-c', 'echo one; sleep 0.4; echo two'], {
      stdout: PIPE,
      text: true,
    });
    await assert.rejects(p.communicate({ timeout: 100 }), TimeoutExpired);
    assert.equal(p.poll(), null, 'still running');
    assert.deepEqual(await p.communicate(), ['one\ntwo\n', null]);
    assert.equal(p.returncode, 0);
  });

  test('wait({timeout}) throws TimeoutExpired and leaves the child running', async () => {
    const p = new Popen(['sleep', '30']);
    await assert.rejects(p.wait({ timeout: 50 }), (e) => e instanceof TimeoutExpired);
    assert.equal(p.poll(), null);
    p.kill();
    assert.equal(await p.wait(), -9);
  });

  test('a kill at wait() ends the wait at once; the child runs on and is reaped later', async () => {
    const p = new Popen(['sleep', '0.3']);
    const log: string[] = [];
    const g = spawn(async () => {
      try {
        await p.wait();
      } finally {
        log.push('finally');
      }
    });
    await sleep(20);
    await g.kill();
    assert.deepEqual(log, ['finally']);
    assert.equal(p.poll(), null);
    assert.equal(await p.wait(), 0);
  });

  test('a kill at communicate() leaves the child running and loses no output', async () => {
    const p = new Popen<string>(['sh', '-c', 'echo a; sleep 0.3; echo b'], {
      stdout: PIPE,
      text: true,
    });
    const g = spawn(() => p.communicate());
    await sleep(100);
    await g.kill();
    assert.ok(g.value instanceof GreenletExit);
    assert.deepEqual(await p.communicate(), ['a\nb\n', null]);
  });

  test('piped streams are file objects: write, flush, close, readline, read(n), read()', async () => {
    const p = new Popen<string>(['sh', '-c', 'read x; echo "got $x"; cat'], {
      stdin: PIPE,
      stdout: PIPE,
      text: true,
    });
    const stdin = p.stdin as NonNullable<typeof p.stdin>;
    const stdout = p.stdout as NonNullable<typeof p.stdout>;
    await stdin.write('first\n');
    await stdin.flush();
    assert.equal(await stdout.readline(), 'got first\n');
    await stdin.write('abcdef');
    stdin.close();
    assert.equal(await stdout.read(2), 'ab');
    assert.equal(await stdout.read(), 'cdef');
    assert.equal(await stdout.read(), '');
    assert.equal(await stdout.readline(), '');
    await assert.rejects(stdin.write('late'), /closed pipe/);
    assert.equal(await p.wait(), 0);
  });

  test('pipes are file objects: the FileObject of makefile(), lines by for await, a limit, a character split across chunks', async () => {
    // 'é' is two bytes; the child writes them in two writes, 100 ms apart.
    const p = new Popen<string>(
      ['sh', '-c', "printf 'one\\ntwo\\n\\303'; sleep 0.1; printf '\\251\\nlonger line\\n'"],
      { stdout: PIPE, text: true },
    );
    const stdout = p.stdout as NonNullable<typeof p.stdout>;
    assert.ok(stdout instanceof FileObject);
    const lines: string[] = [];
    for await (const line of stdout) {
      lines.push(line);
      if (lines.length === 3) break;
    }
    assert.deepEqual(lines, ['one\n', 'two\n', 'é\n']);
    assert.equal(await stdout.readline(6), 'longer');
    assert.equal(await stdout.readline(), ' line\n');
    assert.equal(await stdout.readline(), '');
    stdout.close();
    await assert.rejects(stdout.read(), { code: 'EBADF' });
    assert.equal(await p.wait(), 0);
  });

  test('readline(limit) rejects a limit that is not a non-negative integer (or -1), and loses nothing', async () => {
    const p = new Popen<string>(['sh', '-c', "printf 'a\\nb\\n'"], { stdout: PIPE, text: true });
    const stdout = p.stdout as NonNullable<typeof p.stdout>;
    await assertRejectsNoThrow(() => stdout.readline(Number.NaN), {
      name: 'RangeError',
      message: /limit must be a non-negative integer.*NaN/,
    });
    await assertRejectsNoThrow(() => stdout.readline(-2), {
      name: 'RangeError',
      message: /got -2/,
    });
    await assertRejectsNoThrow(() => stdout.readline(1.5), {
      name: 'RangeError',
      message: /got 1.5/,
    });
    await assertRejectsNoThrow(() => stdout.readline('2' as unknown as number), {
      name: 'TypeError',
      message: /limit must be a number of bytes or options, got string/,
    });
    assert.equal(await stdout.readline(-1), 'a\n');
    assert.equal(await stdout.readline(), 'b\n');
    assert.equal(await p.wait(), 0);
  });

  test('text mode: a limit never splits a character (it would decode to an empty string, read as end of stream)', async () => {
    // 'é' is two bytes, '€' three; the second '€' arrives in two writes 100 ms apart.
    const p = new Popen<string>(
      ['sh', '-c', "printf '\\303\\251\\342\\202\\254\\nx\\342\\202'; sleep 0.1; printf '\\254'"],
      { stdout: PIPE, text: true },
    );
    const stdout = p.stdout as NonNullable<typeof p.stdout>;
    const got = [];
    for (let i = 0; i < 4; i++) got.push(await stdout.readline(1));
    got.push(await stdout.read(1), await stdout.read(1));
    assert.deepEqual(got, ['é', '€', '\n', 'x', '€', '']);
    assert.equal(await p.wait(), 0);
  });

  test('a killed readline loses no bytes: the next read gets them', async () => {
    const p = new Popen(['sh', '-c', 'printf part; sleep 0.2; echo ial'], { stdout: PIPE });
    const stdout = p.stdout as NonNullable<typeof p.stdout>;
    const g = spawn(() => stdout.readline());
    await sleep(80);
    await g.kill();
    assert.ok(g.value instanceof GreenletExit);
    assert.equal(dec.decode(await stdout.readline()), 'partial\n');
    await p.wait();
  });

  test('readline({timeout}) rejects and takes no byte; read(n) rejects bad n', async () => {
    const p = new Popen(['sh', '-c', 'printf abc; sleep 0.3; echo'], { stdout: PIPE });
    const stdout = p.stdout as NonNullable<typeof p.stdout>;
    await assert.rejects(stdout.readline({ timeout: 50 }), { code: 'ETIMEDOUT' });
    await assertRejectsNoThrow(() => stdout.read(-2), RangeError); // -1 is to the end, as Python
    assert.equal(dec.decode(await stdout.readline()), 'abc\n');
    await p.wait();
  });

  test('writing to a child that exited rejects with EPIPE, never an unhandled error', async () => {
    const p = new Popen(['true'], { stdin: PIPE });
    await p.wait();
    const stdin = p.stdin as NonNullable<typeof p.stdin>;
    await assert.rejects(async () => {
      for (let i = 0; i < 100; i++) await stdin.write(new Uint8Array(65536));
    }, /EPIPE|closed|destroyed/);
  });
});

/**
 * A door a child waits at: the shell snippet {@link Gate.SH} (with the gate's dir as `$0`)
 * creates `ready`, then blocks reading a FIFO until {@link Gate.open} writes a line to it. So a
 * test knows what the child has written before it interrupts a call, without a guessed sleep.
 */
class Gate {
  static readonly SH = ': > "$0/ready"; read x < "$0/go"';
  readonly dir = mkdtempSync(join(tmpdir(), 'verdant-gate-'));
  readonly #fd: number;
  constructor() {
    spawnSync('mkfifo', [join(this.dir, 'go')]);
    // Open for reading and writing: neither we nor the child block in open().
    this.#fd = openSync(join(this.dir, 'go'), constants.O_RDWR);
  }
  async ready(): Promise<void> {
    const t0 = performance.now();
    while (!existsSync(join(this.dir, 'ready'))) {
      assert.ok(performance.now() - t0 < 10_000, 'the child reached its gate');
      await sleep(10);
    }
    await sleep(30); // what it wrote before reaches our side of the pipes
  }
  open(): void {
    writeSync(this.#fd, 'go\n');
  }
  close(): void {
    closeSync(this.#fd);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

describe('communicate: stdin, stdout and stderr at once', () => {
  // A pipe holds 64 KiB and a PipeStream reads 64 KiB ahead: anything larger used to deadlock
  // when communicate() fed stdin, then read stdout to its end, then stderr, one after another.
  test('run(cat) passes 1 MiB through (more than a pipe and the read-ahead hold)', async () => {
    const input = Buffer.alloc(1 << 20);
    for (let i = 0; i < input.length; i++) input[i] = (i * 7) & 0xff;
    const r = await run(['cat'], { input, captureOutput: true, timeout: 10_000 });
    assert.equal(r.returncode, 0);
    assert.equal(r.stdout?.length, input.length);
    assert.ok(Buffer.from(r.stdout as Uint8Array).equals(input), 'every byte, in order');
    assert.equal(r.stderr?.length, 0);
  });

  test('a child that fills stderr before it writes stdout does not deadlock', async () => {
    const p = new Popen(['sh', '-c', 'head -c 300000 /dev/zero >&2; echo out'], {
      stdout: PIPE,
      stderr: PIPE,
    });
    const [out, err] = await p.communicate({ timeout: 10_000 });
    assert.equal(dec.decode(out as Uint8Array), 'out\n');
    assert.equal(err?.length, 300_000);
  });

  test('a child that fills stdout before it reads stdin does not deadlock', async () => {
    const r = await run(['sh', '-c', 'head -c 300000 /dev/zero; wc -c'], {
      input: Buffer.alloc(1 << 20, 120),
      captureOutput: true,
      timeout: 10_000,
    });
    const out = r.stdout as Uint8Array;
    assert.equal(out.length, 300_000 + '1048576\n'.length);
    assert.equal(dec.decode(out.subarray(300_000)), '1048576\n');
  });

  test('TimeoutExpired carries the output read so far, and a later call returns it again with the rest', async () => {
    // Cut while stderr is still open (stdout already ended), then while waiting for the exit
    // (both ended): the part read before the cut used to be lost.
    for (const sh of [
      `echo out; exec 1>&-; ${Gate.SH}; echo err >&2`,
      `echo out; echo err >&2; exec 1>&- 2>&-; ${Gate.SH}`,
    ]) {
      const gate = new Gate();
      try {
        const p = new Popen<string>(['sh', '-c', sh, gate.dir], {
          stdout: PIPE,
          stderr: PIPE,
          text: true,
        });
        await gate.ready();
        await assert.rejects(p.communicate({ timeout: 100 }), (e: unknown) => {
          assert.ok(e instanceof TimeoutExpired);
          assert.equal(e.stdout, 'out\n');
          assert.equal(e.output, 'out\n');
          assert.equal(e.stderr, sh.includes('echo err >&2; exec') ? 'err\n' : '');
          return true;
        });
        assert.equal(p.poll(), null, 'the child runs on');
        gate.open();
        assert.deepEqual(await p.communicate({ timeout: 10_000 }), ['out\n', 'err\n']);
        assert.deepEqual(await p.communicate(), ['out\n', 'err\n'], 'the same on every call');
        assert.equal(p.returncode, 0);
      } finally {
        gate.close();
      }
    }
  });

  test('run(): TimeoutExpired carries what the child wrote before it was killed', async () => {
    await assert.rejects(
      run(['sh', '-c', 'echo out; echo err >&2; exec 1>&-; exec sleep 30'], {
        captureOutput: true,
        text: true,
        timeout: 300,
      }),
      (e: unknown) => {
        assert.ok(e instanceof TimeoutExpired);
        assert.equal(e.stdout, 'out\n');
        assert.equal(e.stderr, 'err\n');
        return true;
      },
    );
  });

  // Cancel point and nothing lost: each interrupt stops all three pieces at once (none keeps
  // running), the child runs on, and a later communicate() sends the rest of the input (each
  // byte once) and returns all the output. The child ends stdout before the cut: the output
  // read from it used to be lost. With 300 kB of input the feed is still waiting at the cut
  // (more than the pipe holds); with 1 kB it is done and stdin closed.
  for (const [how, size] of ['kill', 'Timeout', 'signal', 'timeout'].flatMap((h) =>
    [300_000, 1000].map((n) => [h, n] as const),
  )) {
    test(`a ${how} at communicate() (${size} bytes of input) stops every piece and loses nothing`, async () => {
      const gate = new Gate();
      const input = Buffer.alloc(size, 120);
      const p = new Popen<string>(
        [
          'sh',
          '-c',
          `echo o1; exec 1>&-; echo e1 >&2; ${Gate.SH}; wc -c >&2; echo e2 >&2`,
          gate.dir,
        ],
        { stdin: PIPE, stdout: PIPE, stderr: PIPE, text: true },
      );
      try {
        const log: string[] = [];
        const ac = new AbortController();
        const g = spawn(async () => {
          await gate.ready();
          const t = how === 'Timeout' ? Timeout.startNew(100) : null;
          log.push('in');
          try {
            return await p.communicate({
              input,
              signal: ac.signal,
              timeout: how === 'timeout' ? 100 : null,
            });
          } finally {
            t?.close();
            log.push('finally');
          }
        });
        const inside = async (): Promise<void> => {
          const t0 = performance.now();
          while (!log.includes('in') && performance.now() - t0 < 10_000) await sleep(5);
          await sleep(50); // o1 and e1 are read, the feed waits for the pipe to drain
        };
        if (how === 'kill') {
          await inside();
          await g.kill();
          assert.ok((g.value as unknown) instanceof GreenletExit);
        } else {
          if (how === 'signal') {
            await inside();
            ac.abort(new ExpectedError('stop'));
          }
          await g.join();
          const e = g.exception;
          if (how === 'Timeout') assert.ok((e as unknown) instanceof Timeout);
          if (how === 'signal') assert.ok(e instanceof ExpectedError);
          if (how === 'timeout') {
            assert.ok(e instanceof TimeoutExpired);
            assert.deepEqual([e.stdout, e.stderr], ['o1\n', 'e1\n']);
          }
        }
        assert.deepEqual(log, ['in', 'finally']);
        assert.equal(p.poll(), null, 'the child runs on');
        gate.open();
        const [out, err] = await p.communicate({ timeout: 10_000 });
        assert.equal(out, 'o1\n');
        assert.equal(err?.replace(/ +/g, ''), `e1\n${size}\ne2\n`, 'the input went once');
        assert.equal(p.returncode, 0);
      } finally {
        p.kill(); // only if a failed assertion left it waiting
        gate.close();
      }
    });
  }

  test('a kill inside run() with input and both pipes busy kills and reaps the child', async () => {
    const gate = new Gate();
    try {
      const g = spawn(() =>
        run(['sh', '-c', `echo $$ > "$0/pid"; echo e >&2; ${Gate.SH}; cat`, gate.dir], {
          input: Buffer.alloc(300_000, 120),
          captureOutput: true,
        }),
      );
      await gate.ready();
      const pid = Number(readFileSync(join(gate.dir, 'pid'), 'utf8'));
      assert.equal(alive(pid), true);
      await g.kill();
      assert.ok((g.value as unknown) instanceof GreenletExit);
      assert.equal(alive(pid), false, 'killed and reaped before the greenlet died');
    } finally {
      gate.close();
    }
  });

  test('input goes once: a later call with input rejects (RangeError); one without it sends the rest', async () => {
    // CPython: ValueError "Cannot send input after starting communication"; the retry goes on
    // from where the first call stopped. The old code sent the input a second time.
    const gate = new Gate();
    const input = 'x'.repeat(1_000_000);
    const p = new Popen<string>(['sh', '-c', `${Gate.SH}; wc -c`, gate.dir], {
      stdin: PIPE,
      stdout: PIPE,
      text: true,
    });
    try {
      await gate.ready();
      await assert.rejects(p.communicate({ input, timeout: 100 }), TimeoutExpired);
      await assertRejectsNoThrow(
        () => p.communicate({ input, timeout: 2000 }),
        (e: unknown) => {
          assert.ok(e instanceof RangeError);
          assert.match(e.message, /^Cannot send input after starting communication/);
          return true;
        },
      );
      gate.open();
      const [out] = await p.communicate({ input: '', timeout: 10_000 }); // empty input is none
      assert.equal(out?.trim(), '1000000');
    } finally {
      p.kill(); // only if a failed assertion left it waiting
      gate.close();
    }
  });

  test('input after stdin.close() rejects (RangeError) instead of being dropped (breaker)', async () => {
    const p = new Popen(['cat'], { stdin: PIPE, stdout: PIPE });
    p.stdin?.close();
    await assertRejectsNoThrow(
      () => p.communicate({ input: 'abc' }),
      (e: unknown) =>
        e instanceof RangeError &&
        e.message === 'Cannot communicate input: stdin was closed, got 3 bytes to send',
    );
    const [out] = await p.communicate({ timeout: 5000 }); // without input it goes on
    assert.equal(out?.length, 0);
    assert.equal(p.returncode, 0);
  });

  test('two communicate() calls at once both return all the output', async () => {
    const p = new Popen<string>(['sh', '-c', 'echo a; sleep 0.1; echo b; echo c >&2'], {
      stdout: PIPE,
      stderr: PIPE,
      text: true,
    });
    const [x, y] = await Promise.all([p.communicate(), p.communicate()]);
    assert.deepEqual(x, ['a\nb\n', 'c\n']);
    assert.deepEqual(y, ['a\nb\n', 'c\n']);
  });

  test('what a readline read ahead is part of what communicate() returns', async () => {
    const p = new Popen<string>(['sh', '-c', 'printf "one\\ntwo\\nthree\\n"'], {
      stdout: PIPE,
      text: true,
    });
    assert.equal(await p.stdout?.readline(), 'one\n');
    assert.deepEqual(await p.communicate(), ['two\nthree\n', null]);
  });
});

describe('cooperation', () => {
  test('seed 000: a cron greenlet keeps ticking while communicate() waits', async () => {
    let ticks = 0;
    const cron = spawn(async () => {
      for (;;) {
        ticks++;
        await sleep(20);
      }
    });
    const sub = new Popen<string>(['sh', '-c', 'sleep 0.2; uname'], { stdout: PIPE, text: true });
    const [out] = await sub.communicate();
    await cron.kill();
    assert.equal(out?.trimEnd(), 'Linux');
    assert.ok(ticks >= 3, `the cron greenlet ran while we waited (${ticks} ticks)`);
  });

  test('100 children from 100 greenlets run at once: each exits only once all 100 are alive', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'verdant-100-'));
    const fifo = join(dir, 'go');
    spawnSync('mkfifo', [fifo]);
    // We hold the FIFO open for writing: each child opens it (at once), marks itself alive, and
    // blocks reading it until we close our end. Run one at a time, the first child would never
    // exit; run at once, all 100 are alive together and all end when we close.
    const held = openSync(fifo, constants.O_RDWR);
    let closed = false;
    try {
      const n = 100;
      const script = `exec 3<${fifo}; : > ${dir}/alive-$1; cat <&3; echo done $1`;
      const gs = Array.from({ length: n }, (_, i) =>
        spawn(() =>
          run(['sh', '-c', script, 'sh', String(i)], {
            captureOutput: true,
            text: true,
            timeout: 120_000,
          }),
        ),
      );
      const count = (): number => readdirSync(dir).filter((f) => f.startsWith('alive-')).length;
      const t0 = performance.now();
      while (count() < n && performance.now() - t0 < 100_000) await sleep(20);
      assert.equal(count(), n, 'all 100 children were alive at the same time');
      assert.ok(
        gs.every((g) => !g.dead),
        'and none had finished',
      );
      closeSync(held);
      closed = true;
      await joinAll(gs, { raiseError: true });
      gs.forEach((g, i) => {
        assert.equal(g.value?.stdout, `done ${i}\n`);
        assert.equal(g.value?.returncode, 0);
      });
    } finally {
      if (!closed) closeSync(held);
      rmSync(dir, { recursive: true, force: true });
    }
  });
  test('test__issue6.py: a child whose greenlet reads a line of its stdin answers communicate(input) on stdout, nothing on stderr', async () => {
    const mod = new URL('../../src/index.js', import.meta.url).href;
    // gevent's child reads sys.stdin (patched) in a spawned greenlet; ours reads process.stdin
    // through until(), the verdant wait over a foreign promise, and main joins it.
    const script = `
      const v = await import(${JSON.stringify(mod)});
      const { createInterface } = await import('node:readline');
      const { once } = await import('node:events');
      const printline = async () => {
        const rl = createInterface({ input: process.stdin });
        const [line] = await v.until(once(rl, 'line'), { timeout: 10000 });
        rl.close();
        console.log(line.length + ' chars.');
      };
      await v.spawn(printline).get();
    `;
    const p = new Popen([process.execPath, '--input-type=module', '-e', script], {
      stdin: PIPE,
      stdout: PIPE,
      stderr: PIPE,
    });
    const [out, err] = await p.communicate({ input: 'hello world\n', timeout: 20_000 });
    assert.equal(p.poll(), 0, dec.decode(err ?? new Uint8Array()));
    assert.equal(dec.decode(out ?? new Uint8Array()).trim(), '11 chars.');
    assert.equal(dec.decode(err ?? new Uint8Array()), '');
  });

  test('test__issue600.py test_process (a child process instead of multiprocessing.Process): wait({timeout: 10 s}) under a 3 s Timeout returns once the 0.5 s child exits', async () => {
    const p = new Popen([process.execPath, '-e', 'setTimeout(() => {}, 500)']);
    const t = Timeout.startNew(3000);
    try {
      assert.equal(await p.wait({ timeout: 10_000 }), 0);
    } finally {
      t.cancel();
    }
  });

  test('test__issue600.py test_invoke: Popen with stdout and stderr piped, sleep(0), communicate(), sleep(0)', async () => {
    const p = new Popen([process.execPath, '-v'], { stdout: PIPE, stderr: PIPE });
    await sleep(0);
    const [out, err] = await p.communicate();
    await sleep(0);
    assert.equal(p.returncode, 0);
    assert.match(dec.decode(out ?? new Uint8Array()), /^v\d+\./);
    assert.equal(err?.length, 0);
  });
});

describe('no unhandled rejection (breaker)', () => {
  // Each call is started and forgotten (`void`, as a Promise.race loser is), then its greenlet
  // is killed, or a Timeout fires there. The waits under it are marked handled by the core; the
  // call's own promise was not (these methods are async functions): Node reported an unhandled
  // GreenletExit or Timeout for each, which ends a program run with default flags.
  const children: Popen<Uint8Array>[] = [];
  const popen = (args: string[], opts: ConstructorParameters<typeof Popen>[1] = {}) => {
    const p = new Popen(args, opts);
    children.push(p);
    return p;
  };
  const calls: Record<string, () => Promise<unknown>> = {
    'Popen.wait': () => popen(['sleep', '5']).wait(),
    'Popen.communicate': () => popen(['sleep', '5'], { stdout: PIPE }).communicate(),
    'stdout.readline': () =>
      (popen(['sleep', '5'], { stdout: PIPE }).stdout as FileObject).readline(),
    'stdout.read': () => (popen(['sleep', '5'], { stdout: PIPE }).stdout as FileObject).read(),
    run: () => run(['sleep', '5']),
    call: () => call(['sleep', '5']),
    checkCall: () => checkCall(['sleep', '5']),
    checkOutput: () => checkOutput(['sleep', '5']),
  };
  for (const how of ['kill', 'Timeout'] as const) {
    test(`a forgotten call ended by a ${how}: wait, communicate, readline, read, run, call, checkCall, checkOutput`, async () => {
      try {
        const seen = await noUnhandled(async () => {
          for (const [name, start] of Object.entries(calls)) await forgetThenEnd(start, how, name);
        }, 200);
        assert.deepEqual(
          seen.map((e) => (e as Error).name),
          [],
          'no rejection escaped as unhandled',
        );
      } finally {
        for (const p of children.splice(0)) {
          p.kill();
          await p.wait();
        }
      }
    });
  }
});

describe('nothing stays alive', () => {
  test('after run, call, timeouts, kills and a failed spawn the process exits on its own', () => {
    const mod = new URL('../../src/process/subprocess.js', import.meta.url).href;
    const core = new URL('../../src/index.js', import.meta.url).href;
    const script = `
      console.log('start'); // our own stdout pipe exists from here on
      const before = process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap');
      const sp = await import(${JSON.stringify(mod)});
      const v = await import(${JSON.stringify(core)});
      await sp.run(['echo', 'x'], { captureOutput: true });
      await sp.call(['true']);
      await sp.run(['sleep', '10'], { timeout: 50 }).catch(() => {});
      await sp.run(['sh', '-c', 'sleep 10 & echo $!; sleep 10'], { captureOutput: true, text: true, timeout: 50 })
        .catch((e) => {
          // Under load sh may not have said the grandchild's pid within 50 ms (then it may not
          // exist: sh was killed first; if it does, it holds no pipe end of ours).
          const pid = Number.parseInt(e.output, 10);
          if (pid > 0) process.kill(pid, 'SIGKILL');
        });
      await sp.run(['verdant-no-such-command']).catch(() => {});
      const g = v.spawn(() => sp.run(['sleep', '10']));
      await v.sleep(50);
      await g.kill();
      const p = new sp.Popen(['cat'], { stdin: 'pipe', stdout: 'pipe' });
      await p.communicate({ input: 'x' });
      // Handles close a loop turn or more after their exit/close events: look a while later.
      setTimeout(() => {
        const left = process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap' && r !== 'Timeout');
        for (const r of before) {
          const i = left.indexOf(r);
          if (i >= 0) left.splice(i, 1);
        }
        console.log(JSON.stringify(left));
      }, 1000);
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 15_000,
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.signal, null, 'exited on its own, not by the spawnSync timeout');
    // No child handle is left. (Exiting on its own already proves no ref'ed pipe is open; on
    // Node 24 the list may still show an unref'ed PipeWrap of the script's own stdout.)
    const left = JSON.parse(r.stdout.trim().split('\n').pop() as string) as string[];
    assert.deepEqual(
      left.filter((x) => x === 'ProcessWrap'),
      [],
      `handles left: ${left.join(', ')}`,
    );
  });
});
