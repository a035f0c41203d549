// The argument checks of verdant/socket's Socket and listen: a value of the wrong type is a
// TypeError naming the type it got, a number out of range a RangeError naming the number, and a
// call that can wait rejects (never throws). Then behaviours of gevent's test__socket.py,
// test__socket_send_memoryview.py, test__socket_timeout.py and test__makefile_ref.py that the
// conformance suite does not hold. The behaviour of each socket kind is in
// stream.conformance.ts, listener.test.ts and udp.test.ts.
import assert from 'node:assert/strict';
import { constants as osConstants } from 'node:os';
import { after, describe, test } from 'node:test';
import { getSystemErrorName } from 'node:util';
import { sleep, spawn } from '../../src/index.js';
import { select } from '../../src/io/select.js';
import {
  createConnection,
  type ListenOptions,
  listen,
  Socket,
  SocketTimeout,
  waitRead,
  waitReadwrite,
  waitWrite,
} from '../../src/io/socket.js';
import { assertRejectsNoThrow } from '../_util.js';
import { assertNoLiveHandles, recvExactly, streamKinds, testCert, unixPath } from './_net.js';

const tcp = streamKinds[0] as (typeof streamKinds)[0];

/** A predicate for assert.throws/rejects: an error of class `cls` whose message matches `re`. */
function error(cls: ErrorConstructor, re: RegExp): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof cls, `expected a ${cls.name}, got ${String(e)}`);
    assert.match(e.message, re);
    return true;
  };
}

describe('closed sockets, socket pairs, TLS without waiting (test__socket_ex.py, test__socketpair.py, test__ssl.py)', () => {
  for (const kind of streamKinds) {
    test(`${kind.name}: send with a timeout on a closed socket rejects with EBADF (test__socket_ex.py TestClosedSocket)`, async () => {
      const p = await kind.pair();
      p.client.close();
      p.close();
      await assert.rejects(p.client.send('a', { timeout: 1000 }), { code: 'EBADF' });
      await assert.rejects(p.client.sendall('a', { timeout: 1000 }), { code: 'EBADF' });
    });

    test(`${kind.name}: one end sends and closes; the other end's makefile().read() returns every byte (test__socketpair.py test_makefile)`, async () => {
      const p = await kind.pair();
      try {
        const msg = 'hello world';
        await p.client.sendall(msg);
        p.client.close();
        const f = p.server.makefile();
        assert.equal(Buffer.from(await f.read()).toString(), msg);
        f.close();
      } finally {
        p.close();
      }
    });

    test(`${kind.name}: sendall of more than the peer takes, on a socket with timeout 0, rejects with SocketTimeout instead of waiting (test__ssl.py test_ssl_sendall_timeout0: SSLWantWriteError)`, async () => {
      const p = await kind.pair();
      try {
        p.client.settimeout(0);
        const err = await p.client
          .sendall(new Uint8Array(64 * 1024 * 1024))
          .catch((e: unknown) => e);
        assert.ok(err instanceof SocketTimeout, `expected a SocketTimeout, got ${String(err)}`);
      } finally {
        p.close();
      }
    });
  }

  test('UDP: sendto on a closed socket rejects with EBADF (test__socket_ex.py TestClosedSocket)', async () => {
    const s = new Socket();
    s.close();
    await assert.rejects(s.sendto('a', ['127.0.0.1', 9], { timeout: 1000 }), { code: 'EBADF' });
  });
});

describe('Socket argument checks', () => {
  test('recv/recvfrom reject a size that is not a number with TypeError, a bad number with RangeError', async () => {
    const p = await tcp.pair();
    const udp = new Socket();
    try {
      await assertRejectsNoThrow(
        () => p.client.recv('4' as never),
        error(TypeError, /^Socket\.recv: size must be a number of bytes, got string$/),
      );
      await assertRejectsNoThrow(
        () => p.client.recv(null as never),
        error(TypeError, /size must be a number of bytes, got null$/),
      );
      await assertRejectsNoThrow(
        () => p.client.recv(-1),
        error(RangeError, /^Socket\.recv: size must be a non-negative integer, got -1$/),
      );
      await assertRejectsNoThrow(
        () => p.client.recv(1.5),
        error(RangeError, /size must be a non-negative integer, got 1\.5$/),
      );
      await assertRejectsNoThrow(
        () => udp.recvfrom('4' as never),
        error(TypeError, /^Socket\.recvfrom: size must be a number of bytes, got string$/),
      );
      await assertRejectsNoThrow(() => udp.recvfrom(Number.NaN), RangeError);
      // The socket still works after the rejected calls.
      await p.server.sendall('ok');
      assert.equal(Buffer.from(await p.client.recv(2)).toString(), 'ok');
    } finally {
      p.close();
      udp.close();
    }
  });

  test('settimeout throws TypeError for a value that is not a number, RangeError for a bad number', async () => {
    const p = await tcp.pair();
    try {
      assert.throws(
        () => p.client.settimeout('1' as never),
        error(
          TypeError,
          /^Socket\.settimeout: timeout must be a number of ms or null, got string$/,
        ),
      );
      assert.throws(
        () => p.client.settimeout(-1),
        error(RangeError, /must be a non-negative number of ms or null, got -1$/),
      );
      assert.throws(() => p.client.settimeout(Number.NaN), RangeError);
      p.client.settimeout(null);
      p.client.settimeout(0);
    } finally {
      p.close();
    }
  });

  test('new Socket checks its options: gevent-style numbers and unknown options are TypeErrors, a stream type a RangeError', () => {
    assert.throws(
      () => new Socket(5 as never),
      error(
        TypeError,
        /^new Socket: options must be \{ type: 'udp4' \} or \{ type: 'udp6' \} \(stream sockets come from createConnection and listen\), got number$/,
      ),
    );
    assert.throws(() => new Socket('udp4' as never), error(TypeError, /got string$/));
    assert.throws(() => new Socket([] as never), error(TypeError, /got an array$/));
    assert.throws(
      () => new Socket({ family: 6 } as never),
      error(TypeError, /^new Socket: the only option is type .*, got family$/),
    );
    assert.throws(
      () => new Socket({ type: 2 } as never),
      error(TypeError, /^new Socket: type must be the string 'udp4' or 'udp6', got number$/),
    );
    assert.throws(
      () => new Socket({ type: 'tcp' } as never),
      error(RangeError, /^new Socket: type must be 'udp4' or 'udp6' .*, got "tcp"$/),
    );
    for (const [opts, type] of [
      [undefined, 'udp4'],
      [null, 'udp4'],
      [{}, 'udp4'],
      [{ type: undefined }, 'udp4'],
      [{ type: 'udp6' }, 'udp6'],
    ] as const) {
      const s = new Socket(opts as never);
      assert.equal(s.type, type);
      s.close();
    }
  });

  test('listen rejects a backlog that is not a number with TypeError, a bad number with RangeError', async () => {
    await assertRejectsNoThrow(
      () => listen({ port: 0, backlog: '5' as never }),
      error(TypeError, /^listen: backlog must be a number of connections, got string$/),
    );
    await assertRejectsNoThrow(
      () => listen({ port: 0, backlog: 1.5 }),
      error(RangeError, /^listen: backlog must be an integer from 0 to 2147483647, got 1\.5$/),
    );
  });

  test('listen rejects options of the wrong type: reusePort not a boolean, tls not an object (null too), backlog out of range', async () => {
    const bad = [
      [{ reusePort: 'yes' }, TypeError, 'reusePort must be a boolean, got string'],
      [{ reusePort: 1 }, TypeError, 'reusePort must be a boolean, got number'],
      [
        { tls: null },
        TypeError,
        'tls must be an object of TLS server options (key, cert …), got null',
      ],
      [
        { tls: true },
        TypeError,
        'tls must be an object of TLS server options (key, cert …), got boolean',
      ],
      [
        { tls: [] },
        TypeError,
        'tls must be an object of TLS server options (key, cert …), got an array',
      ],
      [{ backlog: null }, TypeError, 'backlog must be a number of connections, got null'],
      [{ backlog: -1 }, RangeError, 'backlog must be an integer from 0 to 2147483647, got -1'],
      // Node hands it to listen(2) as a 32-bit int: 2 ** 32 was a backlog of 0 (the breaker).
      [
        { backlog: 2 ** 32 },
        RangeError,
        'backlog must be an integer from 0 to 2147483647, got 4294967296',
      ],
    ] as const;
    for (const [opts, cls, msg] of bad) {
      await assertRejectsNoThrow(
        () => listen({ host: '127.0.0.1', port: 0, ...(opts as object) }),
        {
          name: cls.name,
          message: `listen: ${msg}`,
        },
      );
    }
  });
});

describe('Socket behaviours from gevent', () => {
  test('sendall and send of nothing resolve and send nothing, with or without a timeout (test__socket.py test_sendall_empty, test_sendall_empty_with_timeout, test_empty_send)', async () => {
    const p = await tcp.pair();
    try {
      assert.equal(await p.client.sendall(new Uint8Array(0)), undefined);
      assert.equal(await p.client.sendall('', { timeout: 10_000 }), undefined);
      assert.equal(await p.client.send(''), 0);
      assert.equal(await p.client.send(new Uint8Array(0), 10_000), 0);
      p.client.shutdown('write');
      assert.equal((await p.server.recv(10, { timeout: 2000 })).length, 0, 'only end of stream');
    } finally {
      p.close();
    }
  });

  test('sendall on a socket with timeout 0 (non-blocking) makes its attempt; recv then takes what is there or times out at once (test__socket.py test_sendall_nonblocking)', async () => {
    const p = await tcp.pair();
    try {
      p.client.settimeout(0);
      p.server.settimeout(0);
      await p.client.sendall('hi\n');
      await waitRead(p.server, { timeout: 2000 });
      assert.equal(Buffer.from(await p.server.recv(10)).toString(), 'hi\n');
      const err = await p.server.recv(10).catch((e: unknown) => e);
      assert.ok(err instanceof SocketTimeout, `expected a SocketTimeout, got ${String(err)}`);
    } finally {
      p.close();
    }
  });

  test('sendall, send and sendto take any ArrayBufferView or an ArrayBuffer and send exactly its bytes (test__socket.py test_sendall_array, test__socket_send_memoryview.py)', async () => {
    const p = await tcp.pair();
    const a = new Socket();
    const b = new Socket();
    try {
      const raw = new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7]);
      await p.client.sendall(new DataView(raw.buffer, 2, 3));
      assert.deepEqual([...(await recvExactly(p.server, 3))], [2, 3, 4]);
      await p.client.sendall(raw.subarray(5));
      assert.deepEqual([...(await recvExactly(p.server, 3))], [5, 6, 7]);
      const words = new Uint16Array([0x0102, 0x0304]);
      assert.equal(await p.client.send(words), 4);
      assert.deepEqual(await recvExactly(p.server, 4), Buffer.from(words.buffer));
      await p.client.sendall(new Uint8Array([9, 8]).buffer);
      assert.deepEqual([...(await recvExactly(p.server, 2))], [9, 8]);
      // A struct-like record (gevent sends a ctypes Structure) over UDP.
      const struct = new DataView(new ArrayBuffer(4));
      struct.setInt32(0, 42, true);
      await b.bind(['127.0.0.1', 0]);
      await a.sendto(struct, b.getsockname());
      const [got] = await b.recvfrom(16, { timeout: 2000 });
      assert.equal(Buffer.from(got).readInt32LE(0), 42);
      await assert.rejects(p.client.sendall(42 as never), {
        name: 'TypeError',
        message:
          'Socket.sendall: data must be a Uint8Array (or another ArrayBufferView, or an ArrayBuffer) or a string, got number',
      });
    } finally {
      p.close();
      a.close();
      b.close();
    }
  });

  test('a detached ArrayBuffer (transferred) makes sendall, send, sendto, recvInto and a file write reject with a TypeError saying so (found by the breaker: they threw at the call, with V8\'s "Cannot perform Construct on a detached ArrayBuffer")', async () => {
    const p = await tcp.pair();
    const u = new Socket({ type: 'udp4' });
    try {
      const gone = new ArrayBuffer(8);
      structuredClone(gone, { transfer: [gone] });
      const halfGone = new ArrayBuffer(8);
      const view = new DataView(halfGone, 2, 4);
      structuredClone(halfGone, { transfer: [halfGone] });
      const detached = (where: string) => ({
        name: 'TypeError',
        message: `${where}: the buffer is detached (its ArrayBuffer was transferred), it holds no bytes`,
      });
      const f = p.client.makefile();
      for (const data of [gone, view]) {
        await assertRejectsNoThrow(() => p.client.sendall(data), detached('Socket.sendall'));
        await assertRejectsNoThrow(() => p.client.send(data), detached('Socket.send'));
        await assertRejectsNoThrow(
          () => u.sendto(data, ['127.0.0.1', 9]),
          detached('Socket.sendto'),
        );
        await assertRejectsNoThrow(() => p.server.recvInto(data), detached('Socket.recvInto'));
        await assertRejectsNoThrow(() => f.write(data), detached('SocketFile.write'));
      }
      f.close();
    } finally {
      p.close();
      u.close();
    }
  });

  test('a long sendall then shutdown and close reaches a peer reading to end of stream through makefile().read(), whole and in order (test__socket.py test_sendall_str)', async () => {
    const longData = Array.from({ length: 20000 }, (_, i) => String(i)).join(', ');
    const l = await listen({ port: 0 });
    try {
      const reader = spawn(async () => {
        const [conn] = await l.accept();
        const f = conn.makefile();
        try {
          return Buffer.from(await f.read(null, { timeout: 5000 })).toString();
        } finally {
          f.close();
          conn.close();
        }
      });
      const c = await createConnection(l.getsockname());
      await c.sendall(longData);
      c.shutdown('both');
      c.close();
      const got = (await reader.get({ timeout: 5000 })) as string;
      assert.equal(got.split(',').length, longData.split(',').length);
      assert.equal(got, longData);
    } finally {
      l.close();
    }
  });

  test('closing the file and the socket while another greenlet reads the file wakes it; the peer still gets what was sent (test__socket.py test_fullduplex: "close() used to hang")', async () => {
    const N = 100_000;
    const p = await tcp.pair();
    try {
      const sender = spawn(() => p.server.sendall(Buffer.alloc(N, 0x74)));
      const fromClient = spawn(() => p.server.recv(1000, { timeout: 5000 }));
      const f = p.client.makefile();
      const reader = spawn(() => f.read(N + 1));
      await sleep(20);
      await p.client.sendall('hello world');
      assert.equal(Buffer.from((await fromClient.get()) as Uint8Array).toString(), 'hello world');
      f.close();
      p.client.close();
      await reader.join({ timeout: 2000 });
      assert.equal(reader.dead, true, 'the blocked read was woken');
      assert.equal((reader.exception as NodeJS.ErrnoException | undefined)?.code, 'EBADF');
      await sender.join({ timeout: 2000 });
      assert.equal(sender.dead, true, 'the sender did not hang either');
    } finally {
      p.close();
    }
  });

  test('waitRead and waitWrite with a timeout reject with SocketTimeout("timed out") (test__socket.py TestFunctions.test_wait_timeout, test__socket_timeout.py)', async () => {
    const p = await tcp.pair();
    try {
      const err = await waitRead(p.client, { timeout: 10 }).catch((e: unknown) => e);
      assert.ok(err instanceof SocketTimeout);
      assert.equal(err.message, 'timed out');
      assert.equal(err.code, 'ETIMEDOUT');
      p.client.settimeout(10);
      await assert.rejects(waitRead(p.client), SocketTimeout, "the socket's timeout applies");
      await waitWrite(p.client, { timeout: 10 });
    } finally {
      p.close();
    }
  });

  test("a wait given timeout Infinity waits forever on a socket with a timeout of its own: Infinity is the call's own timeout, not an omitted one (found by the breaker: settimeout cut recv, recvInto, accept, recvfrom and waitRead short)", async () => {
    const p = await tcp.pair();
    const l = await listen({ host: '127.0.0.1', port: 0 });
    const u = new Socket();
    try {
      await u.bind(['127.0.0.1', 0]);
      for (const s of [p.server, l, u]) s.settimeout(10);
      const waits = [
        spawn(() => p.server.recv(10, Number.POSITIVE_INFINITY)),
        spawn(() =>
          p.server.recvInto(new Uint8Array(4), null, { timeout: Number.POSITIVE_INFINITY }),
        ),
        spawn(() => waitRead(p.server, { timeout: Number.POSITIVE_INFINITY })),
        spawn(() => l.accept({ timeout: Number.POSITIVE_INFINITY })),
        spawn(() => u.recvfrom(10, Number.POSITIVE_INFINITY)),
      ];
      await sleep(60);
      assert.deepEqual(
        waits.map((g) => [g.dead, (g.exception as Error | undefined)?.name]),
        waits.map(() => [false, undefined]),
      );
      for (const g of waits) await g.kill();
      await assert.rejects(
        p.server.recv(10, { timeout: null }),
        SocketTimeout,
        'null is no timeout of its own',
      );
    } finally {
      p.close();
      l.close();
      u.close();
    }
  });

  test("shutdown('read') makes later recvs resolve empty while we can still send; shutdown of a listener throws ENOTCONN (Python's SHUT_RD, test__socket.py test_shutdown_when_closed)", async () => {
    const p = await tcp.pair();
    const l = await listen({ port: 0 });
    try {
      const waiting = spawn(() => p.server.recv(10));
      await sleep(10);
      p.server.shutdown('read');
      assert.equal(((await waiting.get({ timeout: 2000 })) as Uint8Array).length, 0);
      assert.equal((await p.server.recv(10)).length, 0);
      await p.server.sendall('still');
      assert.equal(Buffer.from(await recvExactly(p.client, 5)).toString(), 'still');
      assert.throws(() => l.shutdown('both'), { code: 'ENOTCONN' });
      assert.throws(() => p.server.shutdown('sideways' as never), TypeError);
    } finally {
      p.close();
      l.close();
    }
  });

  test('close() right after sendall still delivers every byte sendall handed over, then end of stream (test__socket.py _test_sendall: send, then close)', async () => {
    const p = await tcp.pair();
    try {
      const size = 3 * 1024 * 1024;
      const reader = spawn(async () => {
        await sleep(20); // the peer starts reading late: Node still holds bytes at close()
        let n = 0;
        for (
          let d = await p.server.recv(65536, 5000);
          d.length > 0;
          d = await p.server.recv(65536, 5000)
        )
          n += d.length;
        return n;
      });
      await p.client.sendall(Buffer.alloc(size, 3));
      p.client.close();
      assert.equal(await reader.get({ timeout: 10_000 }), size);
    } finally {
      p.close();
    }
  });

  test('after the peer closed, sending fails with EPIPE or ECONNRESET while recv still reads end of stream, as on Linux', async () => {
    const p = await tcp.pair();
    try {
      p.client.close();
      assert.equal((await p.server.recv(10, { timeout: 2000 })).length, 0);
      const err = await (async () => {
        for (let i = 0; i < 50; i++) {
          await p.server.sendall('a');
          await sleep(10);
        }
      })().catch((e: NodeJS.ErrnoException) => e);
      assert.ok(
        err instanceof Error &&
          ['EPIPE', 'ECONNRESET'].includes(String((err as NodeJS.ErrnoException).code)),
        `expected EPIPE or ECONNRESET, got ${String(err)}`,
      );
      assert.equal((await p.server.recv(10)).length, 0, 'the end of stream, not the write error');
      assert.equal(await p.server.recvInto(new Uint8Array(4)), 0);
    } finally {
      p.close();
    }
  });

  test('recvInto takes any ArrayBufferView (a DataView, an Int16Array at an offset) or an ArrayBuffer and writes its bytes; nbytes counts bytes (test__socket.py test_recv_into with a bytearray/memoryview)', async () => {
    const p = await tcp.pair();
    try {
      const bytesOf = (v: ArrayBufferView): string =>
        Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString();
      const dv = new DataView(new ArrayBuffer(16), 2, 4);
      await p.client.sendall('abcd');
      assert.equal(await p.server.recvInto(dv, null, 2000), 4);
      assert.equal(bytesOf(dv), 'abcd');
      assert.equal(new Uint8Array(dv.buffer)[1], 0, 'nothing written before the view');
      const words = new Int16Array(new ArrayBuffer(12), 4, 2);
      await p.client.sendall(new Uint8Array([1, 0, 2, 0]));
      assert.equal(await p.server.recvInto(words, null, 2000), 4, 'a count of bytes');
      assert.deepEqual([...words], [1, 2]);
      const ab = new ArrayBuffer(2);
      await p.client.sendall('xy');
      assert.equal(await p.server.recvInto(ab, null, 2000), 2);
      assert.equal(Buffer.from(ab).toString(), 'xy');
      const w = new Int16Array(4); // 8 bytes
      await assert.rejects(p.server.recvInto(w, 9, 500), {
        name: 'RangeError',
        message:
          "Socket.recvInto: nbytes must be an integer from 0 to the buffer's length (8), got 9",
      });
      await p.client.sendall('123');
      assert.equal(await p.server.recvInto(w, 3, 2000), 3, 'an odd count of bytes is fine');
      assert.equal(bytesOf(w).slice(0, 3), '123');
      await assert.rejects(p.server.recvInto([1, 2] as never), {
        name: 'TypeError',
        message:
          'Socket.recvInto: buffer must be a Uint8Array (or another ArrayBufferView, or an ArrayBuffer), got object',
      });
    } finally {
      p.close();
    }
  });

  test("errors carry Node's code and errno, as Node's own system errors: EBADF after close, ECONNREFUSED naming 'refused' (test__socket_close.py test_recv_closed: errno EBADF; test__socket_errors.py test_connection_refused)", async () => {
    const p = await tcp.pair();
    p.client.close();
    p.server.close();
    const errors = [
      await p.client.recv(1).catch((e: unknown) => e),
      await p.client.sendall('x').catch((e: unknown) => e),
      await waitRead(p.client).catch((e: unknown) => e),
      await select([p.client], [], [], 0).catch((e: unknown) => e),
    ] as NodeJS.ErrnoException[];
    for (const e of errors) {
      assert.equal(e.code, 'EBADF');
      assert.equal(e.errno, -osConstants.errno.EBADF);
      assert.equal(getSystemErrorName(e.errno as number), 'EBADF');
    }
    const l = await listen({ port: 0 });
    const addr = l.getsockname();
    l.close();
    await sleep(10);
    const refused = (await createConnection(addr).catch(
      (e: unknown) => e,
    )) as NodeJS.ErrnoException;
    assert.equal(refused.code, 'ECONNREFUSED');
    assert.equal(refused.errno, -osConstants.errno.ECONNREFUSED);
    assert.match(refused.message.toLowerCase(), /refused/);
  });

  test('getsockname and getpeername throw EBADF once the socket is closed, as accept does; a listener too (test__makefile_ref.py test_simple_close, test_server_simple)', async () => {
    const l = await listen({ port: 0 });
    const [c, [s]] = await Promise.all([createConnection(l.getsockname()), l.accept()]);
    const [, port] = l.getsockname() as [string, number];
    assert.deepEqual(s.getsockname(), ['127.0.0.1', port]);
    for (const sock of [c, s, l]) sock.close();
    for (const sock of [c, s, l]) {
      assert.throws(() => sock.getsockname(), { code: 'EBADF' });
      await assert.rejects(sock.accept(), { code: 'EBADF' });
    }
    assert.throws(() => c.getpeername(), { code: 'EBADF' });
    assert.throws(() => s.getpeername(), { code: 'EBADF' });
    const udp = new Socket();
    await udp.bind(['127.0.0.1', 0]);
    udp.close();
    assert.throws(() => udp.getsockname(), { code: 'EBADF' });
    assert.match(String(c), /^<Socket tcp .* closed>$/, 'String() still works');
  });
});

after(() => assertNoLiveHandles());

test('test__greenness.py test_urllib2: one process serves an HTTP request from a greenlet on a verdant socket while it fetches it', async () => {
  const listener = await listen({ host: '127.0.0.1', port: 0 });
  let requestsHandled = 0;
  const handleRequest = async () => {
    const [conn] = await listener.accept({ timeout: 5000 });
    const f = conn.makefile();
    try {
      for (;;) {
        const line = Buffer.from(await f.readline({ timeout: 5000 })).toString();
        if (line === '\r\n' || line === '') break;
      }
      await f.write(
        'HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello',
      );
      await f.flush();
      requestsHandled++;
    } finally {
      f.close();
      conn.close();
    }
  };
  const serverGreenlet = spawn(handleRequest);
  try {
    const port = (listener.getsockname() as [string, number])[1];
    const rsp = await fetch(`http://127.0.0.1:${port}/`);
    assert.equal(await rsp.text(), 'hello');
    await serverGreenlet.get();
    assert.equal(requestsHandled, 1);
  } finally {
    listener.close();
  }
});

describe('waitReadwrite (gevent wait_readwrite)', () => {
  test('resolves at once on a socket that can be written; on a listener (never writable) when a connection is queued, taking nothing', async () => {
    const p = await tcp.pair();
    const l = await listen({ host: '127.0.0.1', port: 0 });
    try {
      await waitReadwrite(p.client, { timeout: 1000 });
      const g = spawn(() => waitReadwrite(l, { timeout: 5000 }));
      await sleep(20);
      assert.equal(g.dead, false, 'an idle listener is neither readable nor writable');
      const c = await createConnection(l.getsockname());
      await g.join({ timeout: 5000 });
      assert.ok(g.successful(), String(g.exception));
      const [conn] = await l.accept({ timeout: 1000 });
      conn.close();
      c.close();
    } finally {
      p.close();
      l.close();
    }
  });

  test('a socket that cannot be written (the peer reads nothing) is woken by bytes to read', async () => {
    const p = await tcp.pair();
    try {
      const big = new Uint8Array(16 * 1024 * 1024);
      const sender = spawn(() => p.client.sendall(big));
      for (let i = 0; i < 100; i++) {
        const full = await waitWrite(p.client, { timeout: 10 }).then(
          () => false,
          () => true,
        );
        if (full) break;
        await sleep(10);
      }
      await assert.rejects(waitWrite(p.client, { timeout: 10 }), SocketTimeout, 'not writable');
      const g = spawn(() => waitReadwrite(p.client, { timeout: 5000 }));
      await sleep(10);
      assert.equal(g.dead, false);
      await p.server.sendall('x');
      await g.join({ timeout: 5000 });
      assert.ok(g.successful(), String(g.exception));
      assert.equal(Buffer.from(await p.client.recv(10)).toString(), 'x', 'it took nothing');
      await sender.kill();
    } finally {
      p.close();
    }
  });

  test('a kill lands there (cancel point); the timeout option and the socket timeout reject with SocketTimeout; close() in another greenlet ends it; bad input rejects', async () => {
    const l = await listen({ host: '127.0.0.1', port: 0 });
    try {
      const g = spawn(() => waitReadwrite(l));
      await sleep(10);
      await g.kill();
      assert.equal(g.exception, undefined);
      assert.equal(g.dead, true);
      await assert.rejects(waitReadwrite(l, { timeout: 10 }), SocketTimeout);
      l.settimeout(10);
      await assert.rejects(waitReadwrite(l), SocketTimeout, "the socket's timeout applies");
      l.settimeout(null);
      const w = spawn(() => waitReadwrite(l, { timeout: 5000 }).catch((e: unknown) => e));
      await sleep(10);
      l.close();
      await w.join({ timeout: 5000 });
      assert.ok(w.dead, 'close() ended the wait');
      await assert.rejects(waitReadwrite(l), { code: 'EBADF' });
      await assert.rejects(waitReadwrite(null as never), {
        name: 'TypeError',
        message: 'waitReadwrite: sock must be a verdant Socket, got null',
      });
      await assert.rejects(waitReadwrite(l, { timeout: -1 }), RangeError);
    } finally {
      l.close();
    }
  });
});

describe('Socket.family', () => {
  test("4, 6 or 'unix', as the socket was made: listeners, clients and accepted sockets by their address, UDP by its type, TLS over a Unix socket 'unix'; still readable after close()", async () => {
    const cases: [ListenOptions, 4 | 6 | 'unix'][] = [
      [{ host: '127.0.0.1', port: 0 }, 4],
      [{ host: '::1', port: 0 }, 6],
      [{ path: unixPath() }, 'unix'],
      [{ path: unixPath(), tls: await testCert() }, 'unix'],
      [{ host: '127.0.0.1', port: 0, tls: await testCert() }, 4],
    ];
    for (const [lo, family] of cases) {
      const l = await listen(lo);
      const tls =
        lo.tls === undefined ? undefined : { ca: lo.tls.cert as string, servername: 'localhost' };
      const [c, [a]] = await Promise.all([
        createConnection(l.getsockname(), tls === undefined ? {} : { tls }),
        l.accept(),
      ]);
      const what = JSON.stringify(lo.host ?? lo.path ?? '');
      assert.deepEqual([l.family, c.family, a.family], [family, family, family], what);
      for (const s of [l, c, a]) s.close();
      assert.deepEqual([l.family, c.family, a.family], [family, family, family], `${what} closed`);
    }
    const u4 = new Socket({ type: 'udp4' });
    const u6 = new Socket({ type: 'udp6' });
    assert.deepEqual([u4.family, u6.family], [4, 6]);
    u4.close();
    u6.close();
  });
});
