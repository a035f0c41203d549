// makefile() and the socket's lifetime (ported from gevent's test__makefile_ref.py: the
// connection stays open while a file made from it is open, and closes when both are closed),
// plus the file's cancel point and nothing-lost rule.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { GreenletExit, race, sleep, spawn, Timeout } from '../../src/index.js';
import { SocketTimeout } from '../../src/io/socket.js';
import { assertNoLiveHandles, streamKinds } from './_net.js';

const tcp = streamKinds[0] as (typeof streamKinds)[0];
const text = (b: Uint8Array): string => Buffer.from(b).toString();

describe('makefile', () => {
  test('closing the socket while a file is open keeps the connection until the file closes', async () => {
    const p = await tcp.pair();
    try {
      const f = p.server.makefile();
      p.server.close();
      assert.equal(p.server.closed, true);
      await assert.rejects(p.server.recv(1), { code: 'EBADF' }, 'the socket itself is closed');
      await p.client.sendall('still here\n');
      assert.equal(text(await f.readline()), 'still here\n', 'the file still reads');
      f.close();
      assert.equal(
        (await p.client.recv(10)).length,
        0,
        'closing the last file closed the connection',
      );
    } finally {
      p.close();
    }
  });

  test('closing the file first leaves the socket open', async () => {
    const p = await tcp.pair();
    try {
      const f = p.server.makefile();
      f.close();
      f.close();
      await assert.rejects(f.readline(), { code: 'EBADF' });
      await p.client.sendall('x');
      assert.equal(text(await p.server.recv(1)), 'x');
    } finally {
      p.close();
    }
  });

  test('a readline killed mid-line keeps what it read: the next readline returns the whole line', async () => {
    const p = await tcp.pair();
    try {
      const f = p.server.makefile();
      await p.client.sendall('half ');
      const g = spawn(() => f.readline());
      await sleep(20);
      await g.kill();
      assert.ok((g.value as unknown) instanceof GreenletExit);
      await p.client.sendall('line\n');
      assert.equal(text(await f.readline()), 'half line\n');
      f.close();
    } finally {
      p.close();
    }
  });

  test('one reader at a time: a second readline while one waits rejects with EBUSY, and no line is left behind', async () => {
    const p = await tcp.pair();
    try {
      const f = p.server.makefile();
      const a = spawn(() => f.readline({ timeout: 2000 }));
      await sleep(10);
      // It would wait for new bytes while `a` takes what arrives, missing the second line.
      await assert.rejects(f.readline({ timeout: 2000 }), { code: 'EBUSY' });
      await assert.rejects(f.read(1), /another read of this file is in progress/);
      await p.client.sendall('one\ntwo\n');
      assert.equal(text((await a.get()) as Uint8Array), 'one\n');
      assert.equal(
        text(await f.readline({ timeout: 2000 })),
        'two\n',
        'reads go on once it is done',
      );
      f.close();
    } finally {
      p.close();
    }
  });

  test("a read's or readline's timeout option bounds the whole call, not each wait: a peer trickling bytes cannot stretch it, and what was read stays for the next call (found by the breaker: a 100 ms readline took the whole trickle)", async () => {
    const p = await tcp.pair();
    try {
      const f = p.server.makefile();
      const trickle = (s: string) =>
        spawn(async () => {
          for (const ch of s) {
            await sleep(25);
            await p.client.sendall(ch);
          }
        });
      for (const [call, sent] of [
        [() => f.readline({ timeout: 100 }), 'abcdefghijklmnop\n'],
        [() => f.readline(null, 100), 'qrstuvwxyz012345\n'],
        [() => f.read(17, { timeout: 100 }), 'ABCDEFGHIJKLMNOPQ'],
      ] as const) {
        const g = trickle(sent);
        const t0 = performance.now();
        await assert.rejects(call(), SocketTimeout);
        const took = performance.now() - t0;
        assert.ok(took < 300, `timed out after ${took} ms, not at the end of the trickle`);
        await g.join();
        const rest = sent.endsWith('\n') ? await f.readline(null, 2000) : await f.read(17, 2000);
        assert.equal(text(rest), sent, 'nothing read before the timeout is lost');
      }
      f.close();
    } finally {
      p.close();
    }
  });

  test('a flush or write refused for bad options or an aborted signal keeps the buffered bytes', async () => {
    const p = await tcp.pair();
    try {
      const f = p.client.makefile();
      await f.write('line-1\n');
      await assert.rejects(f.flush({ timeout: -1 }), RangeError);
      await assert.rejects(f.flush({ signal: AbortSignal.abort() }), { name: 'AbortError' });
      await assert.rejects(f.flush('abc' as never), TypeError, 'checked with an empty buffer too');
      await assert.rejects(f.write('line-2\n', -5), RangeError);
      await f.write('line-2\n');
      await f.flush();
      const fs = p.server.makefile();
      assert.equal(text(await fs.readline()), 'line-1\n');
      assert.equal(text(await fs.readline()), 'line-2\n');
      f.close();
      await assert.rejects(f.flush(), { code: 'EBADF' }, 'flush of a closed file');
      fs.close();
    } finally {
      p.close();
    }
  });

  test("read(-1) reads to the end of stream, as Python's read(-1) (gevent's makefile('rb').read(-1); it was a RangeError, while readline(-1) was taken)", async () => {
    const p = await tcp.pair();
    try {
      await p.client.sendall('abc\ndef');
      p.client.close();
      const f = p.server.makefile();
      assert.equal(Buffer.from(await f.read(-1, { timeout: 5000 })).toString(), 'abc\ndef');
      assert.equal((await f.read(-1)).length, 0);
      f.close();
    } finally {
      p.close();
    }
  });

  test('write copies the bytes: an array refilled before the flush does not change what is sent (as BufferedWriter)', async () => {
    const p = await tcp.pair();
    try {
      const f = p.client.makefile();
      const line = Buffer.from('hello\n');
      await f.write(line);
      line.set(Buffer.from('XXXXX\n'));
      await f.flush();
      const fs = p.server.makefile();
      assert.equal(text(await fs.readline()), 'hello\n');
      fs.close();
      f.close();
    } finally {
      p.close();
    }
  });

  test('write sends once 8 KiB are queued; flush sends the rest; lines iterate with for await', async () => {
    const p = await tcp.pair();
    try {
      const f = p.client.makefile();
      await f.write('a\n');
      await sleep(10);
      assert.deepEqual(
        await Promise.race([p.server.recv(10, { timeout: 10 }).catch(() => 'nothing')]),
        'nothing',
      );
      await f.write(Buffer.alloc(9000, 0x62));
      await f.write('\nc\n');
      await f.flush();
      p.client.shutdown('write');
      const lines: number[] = [];
      const fs = p.server.makefile();
      for await (const line of fs) lines.push(line.length);
      assert.deepEqual(lines, [2, 9001, 2]);
      f.close();
      fs.close();
    } finally {
      p.close();
    }
  });

  for (const how of ['kill', 'Timeout'] as const) {
    test(`a write interrupted by a ${how} while the peer does not read keeps what Node did not take: a later flush sends every byte exactly once, in order (BufferedWriter)`, async () => {
      const p = await tcp.pair();
      try {
        const f = p.client.makefile();
        // More than the kernel's buffers, the peer's read-ahead and Node's 1 MiB: the send waits.
        const data = Buffer.alloc(32 * 1024 * 1024);
        for (let i = 0; i < data.length; i += 4) data.writeUInt32LE(i / 4, i);
        if (how === 'kill') {
          const g = spawn(() => f.write(data));
          await sleep(100);
          await g.kill();
          assert.ok((g.value as unknown) instanceof GreenletExit, 'the write was waiting');
        } else {
          const t = Timeout.startNew(100);
          const err = await f.write(data).catch((e: unknown) => e);
          t.cancel();
          assert.equal(err, t, 'the write was waiting');
        }
        const reader = spawn(async () => {
          const parts: Uint8Array[] = [];
          for (let i = 0; i < 100_000; i++) {
            const d = await p.server.recv(1 << 20, { timeout: 5000 });
            if (d.length === 0) break;
            parts.push(d);
          }
          return Buffer.concat(parts);
        });
        await f.write('tail');
        await f.flush({ timeout: 10_000 });
        p.client.shutdown('write');
        const got = (await reader.get({ timeout: 10_000 })) as Buffer;
        const want = Buffer.concat([data, Buffer.from('tail')]);
        assert.equal(got.length, want.length, 'every byte arrived, none twice');
        assert.ok(got.equals(want), 'in order');
        f.close();
      } finally {
        p.close();
      }
    });
  }

  test('one send at a time: a flush while another waits for the socket waits its turn (a kill lands there and passes the turn on), and the bytes arrive in order', async () => {
    const p = await tcp.pair();
    try {
      const f = p.client.makefile();
      const data = Buffer.alloc(32 * 1024 * 1024, 0x61);
      const first = spawn(() => f.write(data));
      await sleep(50);
      await f.write('tail'); // queued behind the bytes the first send still holds
      const killed = spawn(() => f.flush());
      const second = spawn(() => f.flush());
      await sleep(20);
      assert.equal(first.ready() || killed.ready() || second.ready(), false, 'all three wait');
      await killed.kill();
      assert.ok((killed.value as unknown) instanceof GreenletExit);
      const reader = spawn(async () => {
        const parts: Uint8Array[] = [];
        for (let i = 0; i < 100_000; i++) {
          const d = await p.server.recv(1 << 20, { timeout: 5000 });
          if (d.length === 0) break;
          parts.push(d);
        }
        return Buffer.concat(parts);
      });
      await first.get({ timeout: 10_000 });
      await second.get({ timeout: 10_000 });
      p.client.shutdown('write');
      const got = (await reader.get({ timeout: 10_000 })) as Buffer;
      assert.ok(got.equals(Buffer.concat([data, Buffer.from('tail')])), 'in order, each byte once');
      f.close();
    } finally {
      p.close();
    }
  });

  test('write takes any ArrayBufferView (a DataView, an Int16Array at an offset) or an ArrayBuffer: its bytes are sent, and it resolves their count (as sendall)', async () => {
    const p = await tcp.pair();
    try {
      const f = p.client.makefile();
      const raw = new Uint8Array([0x2e, 0x2e, 0x61, 0x62, 0x2e, 0x2e]).buffer; // '..ab..'
      assert.equal(await f.write(new DataView(raw, 2, 2)), 2);
      const words = new Int16Array(new ArrayBuffer(8), 2, 2);
      words.set([0x6463, 0x6665]); // 'cdef' little-endian
      assert.equal(await f.write(words), 4);
      assert.equal(await f.write(new Uint8Array([0x67, 0x0a]).buffer), 2);
      await f.flush();
      const fs = p.server.makefile();
      assert.equal(text(await fs.readline({ timeout: 2000 })), 'abcdefg\n');
      await assert.rejects(f.write([1, 2] as never), {
        name: 'TypeError',
        message:
          'SocketFile.write: data must be a Uint8Array (or another ArrayBufferView, or an ArrayBuffer) or a string, got object',
      });
      fs.close();
      f.close();
    } finally {
      p.close();
    }
  });

  test('bad input: read(n) with a negative n other than -1 (RangeError), an n that is not a number (TypeError) and write of a number reject; makefile(mode) throws TypeError', async () => {
    const p = await tcp.pair();
    try {
      const f = p.server.makefile();
      await assert.rejects(f.read(-2), {
        name: 'RangeError',
        message: /read: n must be a non-negative integer \(or -1: to the end\), got -2$/,
      });
      await assert.rejects(f.read('4' as never), {
        name: 'TypeError',
        message: /read: n must be a number of bytes, got string$/,
      });
      await assert.rejects(f.write(5 as never), TypeError);
      f.close();
      // A mode would be ignored (the file is always bytes both ways): refused, not dropped.
      const makefile = p.server.makefile as (mode?: unknown) => unknown;
      for (const mode of ['r', 'rwb', { text: true }, null]) {
        assert.throws(() => makefile.call(p.server, mode), {
          name: 'TypeError',
          message:
            /^Cannot make a file with a mode: Socket\.makefile\(\) takes no argument .*, got /,
        });
      }
    } finally {
      p.close();
    }
  });
});

describe('makefile references (gevent test__makefile_ref.py), for every stream kind', () => {
  for (const kind of streamKinds) {
    test(`${kind.name}: the socket closed first stays open (getsockname works) until its file closes, then getsockname and accept throw EBADF, on the connecting and the accepted side (test_makefile1, test_server_makefile1, test_serverssl_makefile1)`, async () => {
      for (const side of ['client', 'server'] as const) {
        const p = await kind.pair();
        try {
          const sock = p[side];
          const peer = side === 'client' ? p.server : p.client;
          const f = sock.makefile();
          const name = sock.getsockname();
          sock.close();
          assert.deepEqual(sock.getsockname(), name, 'still open: the file holds it');
          await peer.sendall('x\n');
          assert.equal(text(await f.readline({ timeout: 2000 })), 'x\n');
          f.close();
          assert.throws(() => sock.getsockname(), { code: 'EBADF' });
          await assert.rejects(sock.accept(), { code: 'EBADF' });
          assert.equal((await peer.recv(10, { timeout: 2000 })).length, 0, 'the peer sees EOF');
        } finally {
          p.close();
        }
      }
    });

    test(`${kind.name}: closing the file first leaves the socket open until it is closed itself; the file reads what the peer sent, then end of stream (test_makefile2, test_server_makefile2, test_serverssl_makefile2)`, async () => {
      const p = await kind.pair();
      try {
        const f = p.server.makefile();
        await p.client.sendall('test_serverssl_makefile2');
        p.client.shutdown('write');
        assert.equal(text(await f.read(null, { timeout: 2000 })), 'test_serverssl_makefile2');
        assert.equal((await f.read(null, { timeout: 2000 })).length, 0);
        const name = p.server.getsockname();
        f.close();
        assert.deepEqual(p.server.getsockname(), name, 'closing the file does not close it');
        await p.server.sendall('still open');
        assert.equal(text(await p.client.recv(100, { timeout: 2000 })), 'still open');
        p.server.close();
        assert.throws(() => p.server.getsockname(), { code: 'EBADF' });
      } finally {
        p.close();
      }
    });
  }

  test("the socket closed right after makefile(): the file still reads the peer's line, then end of stream (test__socket.py test_makefile)", async () => {
    const p = await tcp.pair();
    try {
      const server = spawn(async () => {
        const w = p.server.makefile();
        await w.write('hello\n');
        await w.flush();
        w.close();
        p.server.close();
      });
      const f = p.client.makefile();
      p.client.close();
      assert.equal(text(await f.readline({ timeout: 2000 })), 'hello\n');
      assert.equal((await f.read(null, { timeout: 2000 })).length, 0);
      f.close();
      await server.get({ timeout: 2000 });
    } finally {
      p.close();
    }
  });

  test("an error names the file's method called: readline, read, write (found by review: readline's and write's said SocketFile.read and SocketFile.flush, the raw calls under them)", async () => {
    const p = await tcp.pair();
    try {
      const f = p.client.makefile();
      await assert.rejects(f.readline({ timeout: -1 }), /^RangeError: SocketFile\.readline: /);
      await assert.rejects(f.readline(5, { timeout: -1 }), /^RangeError: SocketFile\.readline: /);
      await assert.rejects(f.read(5, { timeout: -1 }), /^RangeError: SocketFile\.read: /);
      p.client.shutdown('write');
      await assert.rejects(f.write(new Uint8Array(9000)), {
        code: 'EPIPE',
        message: /^SocketFile\.write: broken pipe/,
      });
      await assert.rejects(f.flush(), {
        code: 'EPIPE',
        message: /^SocketFile\.flush: broken pipe/,
      });
      f.close();
    } finally {
      p.close();
    }
  });

  test("the socket's timeout applies to its file: readline rejects with SocketTimeout (test__socket.py test_makefile_timeout)", async () => {
    const p = await tcp.pair();
    try {
      p.client.settimeout(20);
      const f = p.client.makefile();
      const err = await f.readline().catch((e: unknown) => e);
      assert.ok(err instanceof SocketTimeout, `expected a SocketTimeout, got ${String(err)}`);
      assert.equal(err.message, 'timed out');
      p.client.close();
      f.close();
    } finally {
      p.close();
    }
  });

  test('race() over a buffered line and buffered bytes: the line wins and the recv is not made, so no byte is lost', async () => {
    const p = await tcp.pair();
    const q = await tcp.pair();
    try {
      const f = p.server.makefile();
      await p.client.sendall('one\ntwo\n');
      await q.client.sendall('data');
      assert.equal(text(await f.readline()), 'one\n'); // 'two\n' is now in f's buffer
      await sleep(20); // 'data' has arrived at q.server
      const r = await race(
        () => f.readline(),
        () => q.server.recv(1024),
      );
      assert.equal(r.index, 0);
      assert.equal(text(r.value as Uint8Array), 'two\n');
      assert.equal(text(await q.server.recv(1024, { timeout: 1000 })), 'data');
      f.close();
    } finally {
      p.close();
      q.close();
    }
  });

  test('a readline or read withdrawn by race() while it waits leaves the file usable: the next read takes over (found by the breaker: every later read of the file rejected with EBUSY)', async () => {
    const p = await tcp.pair();
    try {
      const f = p.server.makefile();
      const r = await race(
        () => f.readline(), // nothing sent yet: it waits, and loses
        () => sleep(30),
      );
      assert.equal(r.index, 1);
      await p.client.sendall('ab\ncd');
      assert.equal(text(await f.readline({ timeout: 1000 })), 'ab\n');
      const r2 = await race(
        () => f.read(4), // 'cd' is buffered: it waits for two more bytes, and loses
        () => sleep(30),
      );
      assert.equal(r2.index, 1);
      await p.client.sendall('ef');
      assert.equal(text(await f.read(4, { timeout: 1000 })), 'cdef');
      // A second reader while one waits is still refused.
      const g = spawn(() => f.readline());
      await sleep(10);
      await assert.rejects(f.readline(), { code: 'EBUSY' });
      await g.kill();
      f.close();
    } finally {
      p.close();
    }
  });

  test('a write or flush withdrawn by race() while it waits for the socket keeps what the socket did not take: the next flush sends every byte once, in order (found by the breaker: the send turn stayed taken, so every later flush waited forever and the rest was never sent)', async () => {
    const p = await tcp.pair();
    try {
      const f = p.client.makefile();
      const big = new Uint8Array(16 * 1024 * 1024);
      for (let i = 0; i < big.length; i++) big[i] = i % 251;
      const r = await race(
        () => f.write(big), // the peer does not read: it waits for the socket, and loses
        () => sleep(50),
      );
      assert.equal(r.index, 1);
      await f.write('tail');
      const reader = spawn(async () => {
        const chunks: Uint8Array[] = [];
        for (let d = await p.server.recv(65536); d.length > 0; d = await p.server.recv(65536)) {
          chunks.push(d);
        }
        return Buffer.concat(chunks);
      });
      await f.flush({ timeout: 10_000 });
      f.close();
      p.client.close();
      const got = await reader.get();
      assert.equal(got.length, big.length + 4);
      assert.ok(Buffer.from(big).equals(got.subarray(0, big.length)), 'every byte once, in order');
      assert.equal(got.subarray(big.length).toString(), 'tail');
    } finally {
      p.close();
    }
  });

  test("the file's line iterator survives a next() withdrawn by race() (an idle timeout): the next next() gets the line (found by the breaker: the async generator's step never settled, so every later next() lost its race or hung)", async () => {
    const p = await tcp.pair();
    try {
      const f = p.server.makefile();
      const lines = f[Symbol.asyncIterator]();
      const idle = await race(
        () => lines.next(),
        () => sleep(30),
      );
      assert.equal(idle.index, 1);
      await p.client.sendall('hello\n');
      const r = await race(
        () => lines.next(),
        () => sleep(2000),
      );
      assert.equal(r.index, 0);
      const step = r.value as IteratorResult<Uint8Array>;
      assert.equal(text(step.value as Uint8Array), 'hello\n');
      p.client.close();
      assert.deepEqual(await lines.next(), { done: true, value: undefined });
      assert.deepEqual(await lines.next(), { done: true, value: undefined });
      f.close();
    } finally {
      p.close();
    }
  });

  test('race(() => f.readline(), () => sleep(ms)) with part of a line in the socket: the sleep is called and wins, and the next readline gets the whole line (found by the breaker: the readline counted as completed at once, so the sleep was never called and the race waited for the rest of the line)', async () => {
    const p = await tcp.pair();
    try {
      const f = p.server.makefile();
      await p.client.sendall('ab');
      await sleep(20); // 'ab' is in the socket, not yet in the file
      const r = await race(
        () => f.readline(),
        () => sleep(30),
        { timeout: 2000 },
      );
      assert.equal(r.index, 1);
      await p.client.sendall('c\nde');
      assert.equal(text(await f.readline({ timeout: 1000 })), 'abc\n');
      await sleep(20); // 'de' is in the file's buffer
      await p.client.sendall('f');
      await sleep(20); // 'f' is in the socket
      const r2 = await race(
        () => f.read(4),
        () => sleep(30),
        { timeout: 2000 },
      );
      assert.equal(r2.index, 1);
      await p.client.sendall('g');
      assert.equal(text(await f.read(4, { timeout: 1000 })), 'defg');
      // A whole line in the socket still completes at once: the sleep is not called.
      await p.client.sendall('line\n');
      await sleep(20);
      const r3 = await race(
        () => f.readline(),
        () => sleep(30),
      );
      assert.deepEqual([r3.index, text(r3.value as Uint8Array)], [0, 'line\n']);
      f.close();
    } finally {
      p.close();
    }
  });
});

after(() => assertNoLiveHandles());
