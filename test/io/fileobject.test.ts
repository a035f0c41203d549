// gevent's test__fileobject.py, ported where it applies: verdant's FileObject is the file of a
// child's pipes and of Socket.makefile() (no file descriptors, modes or seeking), so the cases
// run over real pipes to real children (`cat`). What does not apply: FileObjectThread/Block,
// seek/tell, name, readinto, OpenDescriptor modes, `U` mode (verdant's text mode decodes UTF-8
// and translates no newline).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sleep, spawn } from '../../src/index.js';
import { PIPE, Popen } from '../../src/process/subprocess.js';

const dec = new TextDecoder();

/** gevent's Writer: write each piece, flushing after each, then close. */
async function writer(f: NonNullable<Popen['stdin']>, pieces: string[]): Promise<void> {
  for (const p of pieces) {
    await f.write(p);
    await f.flush();
  }
  f.close();
}

describe('gevent test__fileobject.py', () => {
  test('test_close_pipe: closing both files of a pipe raises nothing, and closing again does nothing', async () => {
    const p = new Popen(['cat'], { stdin: PIPE, stdout: PIPE });
    const stdin = p.stdin as NonNullable<typeof p.stdin>;
    const stdout = p.stdout as NonNullable<typeof p.stdout>;
    stdout.close();
    stdin.close();
    stdout.close();
    stdin.close();
    assert.ok(stdin.closed && stdout.closed);
    assert.equal(await p.wait(), 0, 'cat read end of file and exited');
  });

  test('test_bufsize_0, test_readinto: a byte written and flushed is read at once by read(1)', async () => {
    const p = new Popen(['cat'], { stdin: PIPE, stdout: PIPE });
    const stdin = p.stdin as NonNullable<typeof p.stdin>;
    const stdout = p.stdout as NonNullable<typeof p.stdout>;
    await stdin.write('a');
    assert.equal(dec.decode(await stdout.read(1, 3000)), 'a');
    await stdin.write(new Uint8Array([50])); // b'2'
    assert.equal(dec.decode(await stdout.read(1, 3000)), '2');
    stdin.close();
    assert.equal((await stdout.read()).length, 0, 'end of stream');
    await p.wait();
  });

  test('test_newlines (cooperative read): read() gets what a writer greenlet sends piece by piece; no newline is translated', async () => {
    const p = new Popen<string>(['cat'], { stdin: PIPE, stdout: PIPE, text: true });
    const lines = ['line1\n', 'line2\r', 'line3\r\n', 'line4\r\nline5', '\nline6'];
    const g = spawn(writer, p.stdin as NonNullable<typeof p.stdin>, lines);
    const result = await (p.stdout as NonNullable<typeof p.stdout>).read(null, 5000);
    await g.join();
    assert.ok(g.successful());
    // Python's universal newlines give 'line1\nline2\nline3\nline4\nline5\nline6'.
    assert.equal(result, lines.join(''));
    await p.wait();
  });

  test('test_del: what was written and flushed before close is read to the end', async () => {
    const p = new Popen(['cat'], { stdin: PIPE, stdout: PIPE });
    await writer(p.stdin as NonNullable<typeof p.stdin>, ['x']);
    assert.equal(dec.decode(await (p.stdout as NonNullable<typeof p.stdout>).read()), 'x');
    await p.wait();
  });

  test('reads are cooperative: a greenlet keeps running while another waits in readline', async () => {
    const p = new Popen(['cat'], { stdin: PIPE, stdout: PIPE });
    let ticks = 0;
    const ticker = spawn(async () => {
      for (;;) {
        await sleep(5);
        ticks++;
      }
    });
    const reader = spawn(() => (p.stdout as NonNullable<typeof p.stdout>).readline());
    await sleep(100);
    assert.ok(ticks >= 5, `ticked ${ticks} times while the reader waited`);
    await (p.stdin as NonNullable<typeof p.stdin>).write('done\n');
    assert.equal(dec.decode((await reader.get()) as Uint8Array), 'done\n');
    await ticker.kill();
    p.stdin?.close();
    await p.wait();
  });
});
