// The conformance suite every stream socket of verdant/socket passes (STYLE §12): TCP, Unix and
// TLS. test/io/stream.test.ts runs it once per kind. Behaviours ported from gevent's
// src/gevent/tests/test__socket.py (TestTCP: test_fullduplex, test_recv_timeout,
// test_sendall_timeout, test_makefile, test_close_while_reading …) plus verdant's own rules:
// every wait is a cancel point and a woken-then-killed recv loses no byte.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Greenlet, GreenletExit, getHub, sleep, spawn, Timeout } from '../../src/index.js';
import { SocketTimeout, waitRead, waitWrite } from '../../src/io/socket.js';
import { nodeOf, recvExactly, type StreamKind } from './_net.js';

const text = (b: Uint8Array): string => Buffer.from(b).toString();

export function streamConformance(kind: StreamKind): void {
  describe(`stream conformance: ${kind.name}`, () => {
    test('sendall then recv carries the bytes both ways at once (full duplex)', async () => {
      const p = await kind.pair();
      try {
        const big = Buffer.alloc(300_000, 7);
        // Each side writes in one greenlet and reads in another, as two threads would.
        const sends = [spawn(() => p.client.sendall(big)), spawn(() => p.server.sendall(big))];
        const a = spawn(() => recvExactly(p.client, big.length));
        const b = spawn(() => recvExactly(p.server, big.length));
        for (const s of sends) await s.get({ timeout: 5000 });
        assert.deepEqual(await a.get({ timeout: 5000 }), big);
        assert.deepEqual(await b.get({ timeout: 5000 }), big);
      } finally {
        p.close();
      }
    });

    test('recv(n) returns at most n bytes and keeps the rest for the next recv', async () => {
      const p = await kind.pair();
      try {
        await p.client.sendall('abcdef');
        const first = await p.server.recv(2);
        assert.equal(text(first), 'ab');
        assert.equal(text(await recvExactly(p.server, 4)), 'cdef');
      } finally {
        p.close();
      }
    });

    test('recvInto fills the given array and resolves the count', async () => {
      const p = await kind.pair();
      try {
        await p.client.sendall('xyz');
        const buf = new Uint8Array(10);
        let n = 0;
        while (n < 3) n += await p.server.recvInto(buf.subarray(n));
        assert.equal(text(buf.subarray(0, 3)), 'xyz');
      } finally {
        p.close();
      }
    });

    test("the peer's shutdown('write') reads as end of stream, and our side can still send (half-close)", async () => {
      const p = await kind.pair();
      try {
        await p.client.sendall('last');
        p.client.shutdown('write');
        assert.equal(text(await recvExactly(p.server, 4)), 'last');
        assert.equal((await p.server.recv(10)).length, 0, 'end of stream is an empty array');
        assert.equal((await p.server.recv(10)).length, 0, 'and stays so');
        await p.server.sendall('reply after half-close');
        assert.equal(text(await recvExactly(p.client, 22)), 'reply after half-close');
      } finally {
        p.close();
      }
    });

    test('sendall after our shutdown("write") rejects with EPIPE', async () => {
      const p = await kind.pair();
      try {
        p.client.shutdown('write');
        await assert.rejects(p.client.sendall('x'), { code: 'EPIPE' });
      } finally {
        p.close();
      }
    });

    test("our shutdown('write') or shutdown('both') wakes a sendall waiting for a peer that does not read: it rejects with EPIPE (gevent's shutdown cancels the write waits; found by the breaker: it waited forever)", async () => {
      for (const how of ['write', 'both'] as const) {
        const p = await kind.pair();
        const hub = getHub();
        const saved = hub.exceptionStream;
        hub.exceptionStream = { write: () => undefined }; // the writer's EPIPE is what is checked
        try {
          const writer = spawn(() => p.client.sendall(Buffer.alloc(64 * 1024 * 1024, 1)));
          await sleep(50);
          assert.equal(writer.dead, false, 'sendall waits for the peer');
          p.client.shutdown(how);
          await writer.join({ timeout: 2000 });
          assert.equal((writer.exception as NodeJS.ErrnoException | undefined)?.code, 'EPIPE', how);
          assert.match((writer.exception as Error).message, /shut down in another greenlet/);
        } finally {
          hub.exceptionStream = saved;
          p.close();
        }
      }
    });

    test("our shutdown('read') wakes a recv waiting in another greenlet with end of stream", async () => {
      const p = await kind.pair();
      try {
        const g = spawn(() => p.server.recv(10, { timeout: 2000 }));
        await sleep(5);
        p.server.shutdown('read');
        const got = await g.get({ timeout: 1000 });
        assert.equal(got.length, 0, 'end of stream, at once');
        assert.equal((await p.server.recv(10)).length, 0);
      } finally {
        p.close();
      }
    });

    test('sendall resolves once Node holds none of the bytes: the caller may refill its array at once', async () => {
      const p = await kind.pair();
      try {
        const CHUNKS = 3000;
        const SIZE = 1000;
        const reader = spawn(async () => {
          await sleep(100); // let Node's queue fill: writes are then not taken at once
          let n = 0;
          let bad = 0;
          let pending = Buffer.alloc(0);
          while (n < CHUNKS) {
            const d = await p.client.recv(65536, { timeout: 5000 });
            if (d.length === 0) break;
            pending = Buffer.concat([pending, d]);
            for (; pending.length >= SIZE && n < CHUNKS; n++) {
              if (pending.subarray(0, SIZE).some((b) => b !== (n & 0xff))) bad++;
              pending = pending.subarray(SIZE);
            }
          }
          return { counts: [n, bad], rest: pending };
        });
        const buf = new Uint8Array(SIZE);
        for (let r = 0; r < CHUNKS; r++) {
          buf.fill(r & 0xff);
          await p.server.sendall(buf);
        }
        const big = new Uint8Array(300_000).fill(7);
        const sent = p.server.sendall(big);
        await sent;
        big.fill(9); // after sendall: the peer must still get 7s
        const { counts, rest } = await reader.get({ timeout: 10_000 });
        assert.deepEqual(counts, [CHUNKS, 0], 'every chunk as it was sent');
        const tail = await recvExactly(p.client, big.length - rest.length);
        assert.ok(
          rest.every((b) => b === 7) && tail.every((b) => b === 7),
          'the big array as it was',
        );
      } finally {
        p.close();
      }
    });

    test('recv with a timeout rejects with SocketTimeout and the socket stays usable', async () => {
      const p = await kind.pair();
      try {
        await assert.rejects(p.server.recv(10, { timeout: 20 }), SocketTimeout);
        await p.client.sendall('ok');
        assert.equal(text(await recvExactly(p.server, 2)), 'ok');
      } finally {
        p.close();
      }
    });

    test('settimeout(ms) makes every later wait reject with SocketTimeout; null waits forever again', async () => {
      const p = await kind.pair();
      try {
        p.server.settimeout(20);
        assert.equal(p.server.gettimeout(), 20);
        const err = await p.server.recv(10).catch((e: unknown) => e);
        assert.ok(err instanceof SocketTimeout);
        assert.equal(err.message, 'timed out');
        p.server.settimeout(null);
        const later = spawn(() => p.server.recv(10));
        await sleep(30);
        assert.equal(later.dead, false, 'no timeout any more');
        await p.client.sendall('z');
        assert.equal(text(await later.get()), 'z');
        assert.throws(() => p.server.settimeout(-1), RangeError);
      } finally {
        p.close();
      }
    });

    test('a kill lands at recv (cancel point), finally runs, and the bytes sent later go to the next recv', async () => {
      const p = await kind.pair();
      try {
        const log: string[] = [];
        const g = spawn(async () => {
          try {
            await p.server.recv(10);
          } finally {
            log.push('finally');
          }
        });
        await sleep(10);
        await g.kill();
        assert.deepEqual(log, ['finally']);
        assert.ok((g.value as unknown) instanceof GreenletExit);
        await p.client.sendall('kept');
        assert.equal(text(await recvExactly(p.server, 4)), 'kept');
      } finally {
        p.close();
      }
    });

    test('a Timeout lands at recv and is the exception thrown there', async () => {
      const p = await kind.pair();
      try {
        const t = Timeout.startNew(20);
        const err = await p.server.recv(10).catch((e: unknown) => e);
        t.cancel();
        assert.equal(err, t);
      } finally {
        p.close();
      }
    });

    test('a recv woken by bytes and killed before it resumes loses nothing: the next recv gets them', async () => {
      const p = await kind.pair();
      try {
        // recv(4) of an 8-byte chunk: the bytes are buffered and the reader woken through the
        // hub's queue, so a kill requested in between wins.
        const g = spawn(() => p.server.recv(4));
        await sleep(10);
        // Runs right after the socket's own 'data' listener woke g, before the hub resumes it.
        nodeOf(p.server).once('data', () => void g.kill({ block: false }));
        await p.client.sendall('precious');
        await g.join({ timeout: 2000 });
        assert.ok(
          (g.value as unknown) instanceof GreenletExit,
          'the reader was killed, not resumed',
        );
        assert.equal(text(await recvExactly(p.server, 8)), 'precious');
      } finally {
        p.close();
      }
    });

    test('bytes a killed reader hands back come before an end of stream that came in the same turn: the other reader gets them, then end of stream (shutdown(read) with two readers)', async () => {
      const p = await kind.pair();
      try {
        // a waits on the socket and a sleep at once: the bytes wake it through the hub's queue,
        // so the kill requested in the same 'data' event wins and a hands them back.
        const a = spawn(() => Promise.all([p.server.recv(100), sleep(10_000)]));
        const b = spawn(() => p.server.recv(100));
        await sleep(10);
        nodeOf(p.server).once('data', () => {
          void a.kill({ block: false });
          p.server.shutdown('read'); // end of stream in the same turn, while a still holds them
        });
        await p.client.sendall('precious');
        await a.join({ timeout: 2000 });
        assert.ok((a.value as unknown) instanceof GreenletExit, 'a was killed, not resumed');
        assert.equal(
          text((await b.get({ timeout: 2000 })) as Uint8Array),
          'precious',
          'b: the bytes',
        );
        assert.equal((await p.server.recv(100, { timeout: 2000 })).length, 0, 'then end of stream');
      } finally {
        p.close();
      }
    });

    test('a kill requested from the data event that woke a lone recv loses nothing: resumed at once, or handed back', async () => {
      const p = await kind.pair();
      try {
        let got = '';
        const g = spawn(async () => {
          got = text(await p.server.recv(100));
          await sleep(1000);
        });
        await sleep(10);
        // With the hub free the 'data' event resumes g at once (as gevent's I/O watcher switches
        // into the greenlet): this kill then finds g past its recv, with the bytes, and lands at
        // the sleep. Were the hub busy, the kill would win and hand the bytes back.
        nodeOf(p.server).once('data', () => void g.kill({ block: false }));
        await p.client.sendall('precious');
        await g.join({ timeout: 2000 });
        assert.ok((g.value as unknown) instanceof GreenletExit, 'killed');
        const rest = got === '' ? text(await recvExactly(p.server, 8)) : '';
        assert.equal(got + rest, 'precious', 'every byte, once');
      } finally {
        p.close();
      }
    });

    test('readers woken by one chunk and killed together hand their bytes back in the order they arrived', async () => {
      const p = await kind.pair();
      try {
        const into = new Uint8Array(3);
        const a = spawn(() => p.server.recv(3));
        const b = spawn(() => p.server.recvInto(into));
        await sleep(10);
        // Runs right after the socket's own 'data' listener woke both, before the hub resumes them.
        nodeOf(p.server).once('data', () => {
          void a.kill({ block: false });
          void b.kill({ block: false });
        });
        await p.client.sendall('abcdefgh');
        await a.join({ timeout: 2000 });
        await b.join({ timeout: 2000 });
        assert.ok((a.value as unknown) instanceof GreenletExit, 'a was killed, not resumed');
        assert.ok((b.value as unknown) instanceof GreenletExit, 'b was killed, not resumed');
        assert.equal(text(await p.server.recv(1)), 'a');
        assert.equal(text(await recvExactly(p.server, 7)), 'bcdefgh', 'in order, none lost');
      } finally {
        p.close();
      }
    });

    test('a reader woken with bytes and killed hands them back at once: the killer reads on in order', async () => {
      const p = await kind.pair();
      try {
        let b: Greenlet | null = null;
        // a and b are both woken by one chunk (a with 'abc', b with 'def'; 'gh' stays buffered).
        const a = spawn(async () => {
          let got = text(await p.server.recv(3));
          void (b as Greenlet).kill({ block: false });
          while (got.length < 8) got += text(await p.server.recv(8 - got.length, 2000));
          return got;
        });
        b = spawn(() => p.server.recv(3));
        await sleep(10);
        await p.client.sendall('abcdefgh');
        assert.equal(await a.get({ timeout: 2000 }), 'abcdefgh', 'in order, none lost');
        await b.join({ timeout: 2000 });
        assert.ok((b.value as unknown) instanceof GreenletExit, 'b was killed, not resumed');
      } finally {
        p.close();
      }
    });

    test('recvInto: a bad nbytes rejects (never a false end of stream); 0 means the whole buffer, as Python', async () => {
      const p = await kind.pair();
      try {
        const buf = new Uint8Array(4);
        await assert.rejects(
          p.server.recvInto(buf, -1, 500),
          /nbytes must be an integer from 0 to/,
        );
        await assert.rejects(p.server.recvInto(buf, Number.NaN, 500), RangeError);
        await assert.rejects(p.server.recvInto(buf, 1.5, 500), RangeError);
        await assert.rejects(p.server.recvInto(buf, 5, 500), /buffer's length \(4\), got 5/);
        // Options given where nbytes goes: a TypeError, not an empty read that looks like EOF.
        await assert.rejects(
          p.server.recvInto(buf, { timeout: 10 } as never),
          /nbytes must be a number of bytes \(options come third\), got object/,
        );
        await assert.rejects(waitRead(null as never), /waitRead: sock must be a verdant Socket/);
        await assert.rejects(waitWrite({} as never), TypeError);
        await p.client.sendall('wxyz');
        assert.equal(await p.server.recvInto(buf, 0, { timeout: 2000 }), 4);
        assert.equal(text(buf), 'wxyz');
      } finally {
        p.close();
      }
    });

    test('a recvInto woken and killed before it resumes hands its bytes back', async () => {
      const p = await kind.pair();
      try {
        const buf = new Uint8Array(100);
        const g = spawn(() => p.server.recvInto(buf));
        await sleep(10);
        nodeOf(p.server).once('data', () => void g.kill({ block: false }));
        await p.client.sendall('into');
        await g.join({ timeout: 2000 });
        assert.ok((g.value as unknown) instanceof GreenletExit);
        assert.equal(text(await recvExactly(p.server, 4)), 'into');
      } finally {
        p.close();
      }
    });

    test('close() from another greenlet wakes a waiting recv with EBADF', async () => {
      const p = await kind.pair();
      try {
        const g = spawn(() => p.server.recv(10));
        await sleep(10);
        p.server.close();
        await g.join({ timeout: 2000 });
        assert.equal((g.exception as NodeJS.ErrnoException | undefined)?.code, 'EBADF');
      } finally {
        p.close();
      }
    });

    test('close() wakes every greenlet waiting on the socket: recv and recvInto reject with EBADF, a sendall waiting for the peer rejects with EBADF, waitRead resolves (gevent test__socket_close.py test_recv_closed, test__socket.py test_fullduplex)', async () => {
      const p = await kind.pair();
      const hub = getHub();
      const saved = hub.exceptionStream;
      // The woken greenlets fail with EBADF, which is what is checked: keep their reports quiet.
      hub.exceptionStream = { write: () => undefined };
      try {
        const size = 64 * 1024 * 1024;
        const readers = [
          spawn(() => p.client.recv(10)),
          spawn(() => p.client.recvInto(new Uint8Array(10))),
        ];
        const writer = spawn(() => p.client.sendall(Buffer.alloc(size, 1)));
        await sleep(50);
        assert.equal(writer.dead, false, 'sendall waits for the peer');
        const watcher = spawn(() => waitRead(p.client));
        await sleep(10);
        assert.deepEqual(
          [...readers, watcher].map((g) => g.dead),
          [false, false, false],
        );
        p.client.close();
        for (const g of [...readers, writer]) {
          await g.join({ timeout: 2000 });
          assert.equal((g.exception as NodeJS.ErrnoException | undefined)?.code, 'EBADF');
        }
        await watcher.get({ timeout: 2000 });
      } finally {
        hub.exceptionStream = saved;
        p.close();
      }
    });

    test('calls after close() reject with EBADF; close() twice is harmless', async () => {
      const p = await kind.pair();
      p.client.close();
      p.client.close();
      assert.equal(p.client.closed, true);
      await assert.rejects(p.client.recv(1), { code: 'EBADF' });
      await assert.rejects(p.client.sendall('x'), { code: 'EBADF' });
      assert.throws(() => p.client.shutdown('write'), { code: 'EBADF' });
      assert.equal((await p.server.recv(10)).length, 0, 'the peer sees end of stream');
      p.close();
    });

    test('the peer closing reads as end of stream', async () => {
      const p = await kind.pair();
      try {
        const g = spawn(() => p.server.recv(10));
        await sleep(10);
        p.client.close();
        assert.equal((await g.get({ timeout: 2000 })).length, 0);
      } finally {
        p.close();
      }
    });

    test('a kill during sendall to a peer that does not read stops sending what Node has not taken', async () => {
      const p = await kind.pair();
      try {
        const size = 64 * 1024 * 1024;
        const g = spawn(() => p.client.sendall(Buffer.alloc(size, 1)));
        await sleep(50);
        assert.equal(g.dead, false, 'sendall waits for the peer (back-pressure)');
        await g.kill();
        assert.ok((g.value as unknown) instanceof GreenletExit);
        p.client.shutdown('write');
        let got = 0;
        for (let d = await p.server.recv(1 << 20); d.length > 0; d = await p.server.recv(1 << 20))
          got += d.length;
        assert.ok(got < size, `only part was sent (${got} of ${size})`);
        assert.ok(got > 0);
      } finally {
        p.close();
      }
    });

    test('sendall with a timeout, or on a socket with settimeout, to a peer that does not read rejects with SocketTimeout (gevent test__socket.py test_sendall_timeout)', async () => {
      const p = await kind.pair();
      try {
        await assert.rejects(
          p.client.sendall(Buffer.alloc(32 * 1024 * 1024), { timeout: 50 }),
          SocketTimeout,
        );
        p.server.settimeout(50);
        await assert.rejects(p.server.sendall(Buffer.alloc(32 * 1024 * 1024)), {
          name: 'SocketTimeout',
          message: 'timed out',
        });
      } finally {
        p.close();
      }
    });

    test('bounded read-ahead: unread bytes pause the Node socket, reading resumes it', async () => {
      const p = await kind.pair();
      try {
        const size = 1024 * 1024;
        const writer = spawn(() => p.client.sendall(Buffer.alloc(size, 2)));
        const ns = nodeOf(p.server) as import('node:net').Socket;
        for (let i = 0; i < 200 && !ns.isPaused(); i++) await sleep(10);
        assert.equal(ns.isPaused(), true, 'paused while 64 KiB are unread');
        let ticks = 0;
        const ticker = spawn(async () => {
          for (;;) {
            ticks++;
            await sleep(0);
          }
        });
        const got = await recvExactly(p.server, size);
        await ticker.kill();
        await writer.join();
        assert.equal(got.length, size);
        assert.ok(ticks > 1, 'other greenlets ran while the reader drained the socket');
      } finally {
        p.close();
      }
    });

    test('waitRead resolves when bytes arrive and takes nothing; waitWrite resolves at once on an idle socket', async () => {
      const p = await kind.pair();
      try {
        await waitWrite(p.client);
        const g = spawn(() => waitRead(p.server));
        await sleep(10);
        assert.equal(g.dead, false);
        await p.client.sendall('r');
        await g.get({ timeout: 2000 });
        assert.equal(text(await p.server.recv(1)), 'r');
        await assert.rejects(waitRead(p.server, { timeout: 10 }), SocketTimeout);
      } finally {
        p.close();
      }
    });

    test('makefile: readline keeps the newline, read(n) and write/flush work, end of stream reads empty', async () => {
      const p = await kind.pair();
      try {
        const fc = p.client.makefile();
        await fc.write('line one\nline two\nrest');
        await fc.flush();
        p.client.shutdown('write');
        const fs = p.server.makefile();
        assert.equal(text(await fs.readline()), 'line one\n');
        assert.equal(text(await fs.read(4)), 'line');
        assert.equal(text(await fs.readline()), ' two\n');
        assert.equal(text(await fs.read()), 'rest');
        assert.equal((await fs.readline()).length, 0);
        fc.close();
        fs.close();
      } finally {
        p.close();
      }
    });

    test('a wait on a socket counts as I/O in flight', async () => {
      const p = await kind.pair();
      try {
        const before = getHub().ioCount;
        const g = spawn(() => p.server.recv(1));
        await sleep(10);
        assert.equal(getHub().ioCount, before + 1);
        await g.kill();
        assert.equal(getHub().ioCount, before);
      } finally {
        p.close();
      }
    });
  });
}
