// gevent's test__subprocess.py, test__subprocess_poll.py and test__subprocess_interrupted.py,
// ported where they apply to verdant's API (the child is `node -e` where gevent runs
// `sys.executable -c`), on real child processes. Where verdant answers differently the test says
// so (docs/gevent-test-coverage.md lists every case). Attacks on the waits (kill and Timeout
// at once, Promise.all, nothing lost) are at the end.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { describe, test } from 'node:test';
import { sleep, spawn, Timeout } from '../../src/index.js';
import {
  CalledProcessError,
  checkOutput,
  PIPE,
  Popen,
  run,
  TimeoutExpired,
} from '../../src/process/subprocess.js';

const NODE = process.execPath;
const node = (code: string): string[] => [NODE, '-e', code];
const dec = new TextDecoder();
const openFds = (): number => readdirSync('/proc/self/fd').length;

describe('gevent test__subprocess.py TestPopen', () => {
  test('test_exit, test_wait: wait() gives the exit status; poll() gives it after', async () => {
    const p = new Popen(node('process.exit(10)'));
    assert.equal(await p.wait(), 10);
    const q = new Popen(node('process.exit(11)'));
    assert.equal(q.poll(), null);
    await q.wait();
    assert.equal(q.poll(), 11);
  });

  test('test_child_exception, test_issue148: a command that does not exist fails with ENOENT, every time', async () => {
    for (let i = 0; i < 7; i++) {
      const p = new Popen(['this_name_must_not_exist']);
      assert.equal(p.pid, null);
      await assert.rejects(p.wait(), { code: 'ENOENT', errno: -2 });
    }
  });

  test('test_leak: a piped child that was waited for and whose pipe was closed leaves no descriptor open', async () => {
    await new Popen(node(''), { stdout: PIPE }).wait(); // warm up Node's own handles
    await sleep(50);
    const before = openFds();
    const p = new Popen(node('console.log()'), { stdout: PIPE });
    await p.wait();
    p.stdout?.close();
    await sleep(50); // handles close a loop turn after their close events
    assert.equal(openFds(), before);
  });

  test('test_communicate: input to stdin, stdout and stderr come back apart', async () => {
    const p = new Popen(
      node('process.stderr.write("pineapple"); process.stdin.pipe(process.stdout)'),
      { stdin: PIPE, stdout: PIPE, stderr: PIPE },
    );
    const [out, err] = await p.communicate({ input: 'banana' });
    assert.equal(dec.decode(out as Uint8Array), 'banana');
    assert.equal(dec.decode(err as Uint8Array), 'pineapple');
  });

  test('test_communicate_universal: text mode gives strings (differs: no newline translation, as Node)', async () => {
    const p = new Popen<string>(
      node(
        'process.stderr.write("pineapple\\r\\n\\xff\\xff\\xf2\\xf9\\r\\n"); process.stdin.pipe(process.stdout)',
      ),
      { stdin: PIPE, stdout: PIPE, stderr: PIPE, text: true },
    );
    const [out, err] = await p.communicate({ input: 'banana\r\n\xff\xff\xf2\xf9\r\n' });
    // Python's universal newlines turn '\r\n' into '\n'; verdant's text mode only decodes UTF-8.
    assert.equal(out, 'banana\r\n\xff\xff\xf2\xf9\r\n');
    assert.equal(err, 'pineapple\r\n\xff\xff\xf2\xf9\r\n');
  });

  test('test_communicate_undecodable: differs: bytes that are not UTF-8 decode to U+FFFD (Python raises UnicodeDecodeError)', async () => {
    const p = new Popen<string>(node('process.stdout.write(Buffer.from([0xff]))'), {
      stdout: PIPE,
      text: true,
    });
    const [out] = await p.communicate();
    assert.equal(out, '\ufffd');
  });

  test('test_check_output_keyword_error: checkOutput of a failing child throws CalledProcessError with its status', async () => {
    await assert.rejects(checkOutput(node('process.exit(44)')), (e: unknown) => {
      assert.ok(e instanceof CalledProcessError);
      assert.equal(e.returncode, 44);
      return true;
    });
  });

  test('test_popen_bufsize: a line written to stdin comes back by readline', async () => {
    const p = new Popen(
      node(
        'process.stdin.once("data", (d) => { process.stdout.write(d); process.stdin.destroy(); })',
      ),
      { stdin: PIPE, stdout: PIPE },
    );
    await p.stdin?.write('foobar\n');
    assert.equal(
      dec.decode(await (p.stdout as NonNullable<typeof p.stdout>).readline()),
      'foobar\n',
    );
    p.stdin?.close();
    assert.equal(await p.wait(), 0);
  });

  test('no output: communicate() gives an empty string in text mode, empty bytes otherwise, null for what is not piped', async () => {
    const t = new Popen<string>(node(''), { stdout: PIPE, text: true });
    assert.deepEqual(await t.communicate(), ['', null]);
    const b = new Popen(node(''), { stdout: PIPE });
    const [out, err] = await b.communicate();
    assert.ok(out instanceof Uint8Array && out.length === 0);
    assert.equal(err, null);
  });
});

describe('gevent test__subprocess.py RunFuncTestCase', () => {
  test('test_returncode, test_check, test_check_zero', async () => {
    const cp = await run(node('process.exit(47)'));
    assert.equal(cp.returncode, 47);
    assert.throws(() => cp.checkReturncode(), CalledProcessError);
    await assert.rejects(run(node('process.exit(47)'), { check: true }), { returncode: 47 });
    assert.equal((await run(node('process.exit(0)'), { check: true })).returncode, 0);
  });

  test('test_timeout: a busy child is killed when a tiny timeout elapses', async () => {
    await assert.rejects(run(node('for (;;);'), { timeout: 0.1 }), TimeoutExpired);
  });

  test('test_capture_stdout, test_capture_stderr, test_check_output_input_arg', async () => {
    assert.match(
      dec.decode((await run(node('console.log("BDFL")'), { stdout: PIPE })).stdout as Uint8Array),
      /BDFL/,
    );
    const e = await run(node('process.stderr.write("BDFL")'), { stderr: PIPE });
    assert.match(dec.decode(e.stderr as Uint8Array), /BDFL/);
    const up = await run(
      node(
        'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => process.stdout.write(s.toUpperCase()))',
      ),
      { input: 'pear', stdout: PIPE },
    );
    assert.match(dec.decode(up.stdout as Uint8Array), /PEAR/);
  });

  test('test_check_output_stdin_with_input_arg: stdin and input together are refused, naming both', async () => {
    await assert.rejects(
      run(node('console.log("will not be run")'), { stdin: 'inherit', input: 'hare' }),
      (e: unknown) => {
        assert.ok(e instanceof TypeError);
        assert.match(e.message, /input/);
        assert.match(e.message, /stdin/);
        return true;
      },
    );
  });

  test('test_check_output_timeout: TimeoutExpired carries what the child wrote, as output and stdout', async () => {
    const e = await run(node('process.stdout.write("BDFL"); setTimeout(() => {}, 3_600_000)'), {
      timeout: 3000,
      stdout: PIPE,
    }).catch((err: unknown) => err);
    assert.ok(e instanceof TimeoutExpired);
    assert.equal(dec.decode(e.output as Uint8Array), 'BDFL');
    assert.equal(e.stdout, e.output);
  });

  test('test_run_kwargs: env reaches the child', async () => {
    const cp = await run(node('process.exit(process.env.FRUIT === "banana" ? 33 : 31)'), {
      env: { ...process.env, FRUIT: 'banana' },
    });
    assert.equal(cp.returncode, 33);
  });

  test('test_run_with_shell_timeout_and_capture_output: capturing after a timeout does not hang on a grandchild', async () => {
    const t0 = performance.now();
    await assert.rejects(
      run(['sh', '-c', 'sleep 3'], { timeout: 100, captureOutput: true }),
      TimeoutExpired,
    );
    assert.ok(performance.now() - t0 < 2000, 'did not wait for the grandchild `sleep 3`');
  });
});

describe('gevent test__subprocess_poll.py and test__subprocess_interrupted.py', () => {
  test('poll() in a loop that yields to the hub sees the child exit', async () => {
    const p = new Popen(node(''));
    let turns = 0;
    while (p.poll() === null) {
      await sleep(0); // verdant's poll() never waits: the loop must yield for 'exit' to arrive
      assert.ok(++turns < 1_000_000, 'the exit arrived');
    }
    assert.equal(p.returncode, 0);
  });

  test('a program that exits while its child runs prints nothing but its own message', () => {
    const mod = new URL('../../src/process/subprocess.js', import.meta.url).href;
    const core = new URL('../../src/index.js', import.meta.url).href;
    for (let i = 0; i < 3; i++) {
      const r = spawnSync(
        NODE,
        [
          '--input-type=module',
          '-e',
          `const sp = await import(${JSON.stringify(mod)});
           const v = await import(${JSON.stringify(core)});
           v.spawn(() => { process.stderr.write('bye'); process.exit(1); });
           new sp.Popen([process.execPath, '-e', '"1/0"']);
           await v.sleep(1000);`,
        ],
        { encoding: 'utf8', timeout: 15_000 },
      );
      assert.equal(r.stderr, 'bye');
      assert.equal(r.status, 1);
    }
  });
});

describe('attacks on the waits (breaker)', () => {
  test('a kill and a Timeout pending at once at Popen.wait, communicate and readline: each delivered once, in order', async () => {
    const calls: Record<string, () => Promise<unknown>> = {
      wait: () => new Popen(['sleep', '2']).wait(),
      communicate: () => new Popen(['sleep', '2'], { stdout: PIPE }).communicate(),
      readline: () =>
        (
          new Popen(['sleep', '2'], { stdout: PIPE }).stdout as NonNullable<Popen['stdout']>
        ).readline(),
    };
    for (const [name, start] of Object.entries(calls)) {
      const log: string[] = [];
      let t: Timeout | null = null;
      const g = spawn(async () => {
        t = Timeout.startNew(30);
        try {
          for (let i = 0; i < 2; i++) {
            try {
              await Promise.all([start(), start()]); // two waits of one greenlet
              log.push('returned');
            } catch (e) {
              log.push(e === t ? 'Timeout' : (e as Error).name);
            }
          }
          await sleep(10);
          log.push('slept');
        } finally {
          t.cancel();
        }
      });
      await sleep(10);
      const t0 = Date.now();
      while (Date.now() - t0 < 40) {
        // block until the Timeout is due, then request the kill: both pending at once
      }
      void g.kill({ block: false });
      await g.join(3000);
      assert.deepEqual(log, ['GreenletExit', 'Timeout', 'slept'], name);
    }
  });
});
