// UDP sockets: bind/sendto/recvfrom, binding on the first sendto, truncation to n, the cancel
// point and nothing-lost rule of recvfrom, close() waking receivers, EADDRINUSE (ported from
// gevent's test__socket.py TestUDP where it applies).
import assert from 'node:assert/strict';
import type * as dgram from 'node:dgram';
import { after, describe, test } from 'node:test';
import { GreenletExit, getHub, sleep, spawn } from '../../src/index.js';
import { Socket, SocketTimeout } from '../../src/io/socket.js';
import { assertNoLiveHandles } from './_net.js';

async function bound(): Promise<[Socket, [string, number]]> {
  const s = new Socket({ type: 'udp4' });
  await s.bind(['127.0.0.1', 0]);
  return [s, s.getsockname() as [string, number]];
}

describe('UDP sockets', () => {
  test('sendto from an unbound socket binds it; recvfrom gets [data, [host, port]]', async () => {
    const [a, addr] = await bound();
    const b = new Socket();
    try {
      assert.equal(await b.sendto('ping', addr), 4);
      const [data, from] = await a.recvfrom(100);
      assert.equal(Buffer.from(data).toString(), 'ping');
      assert.equal(from[1], (b.getsockname() as [string, number])[1]);
      await a.sendto('pong', from);
      assert.equal(Buffer.from(await b.recv(100)).toString(), 'pong');
    } finally {
      a.close();
      b.close();
    }
  });

  test('udp6 sockets bind and answer on ::1; an unbound one binds on its first sendto', async () => {
    const a = new Socket({ type: 'udp6' });
    const b = new Socket({ type: 'udp6' });
    try {
      await a.bind(['::1', 0]);
      const addr = a.getsockname() as [string, number];
      assert.equal(addr[0], '::1');
      await b.sendto('six', addr);
      const [data, from] = await a.recvfrom(100, { timeout: 2000 });
      assert.equal(Buffer.from(data).toString(), 'six');
      assert.equal(from[0], '::1');
      assert.equal(from[1], (b.getsockname() as [string, number])[1], 'b was bound by its sendto');
      await a.sendto('back', from);
      assert.equal(Buffer.from((await b.recvfrom(100, { timeout: 2000 }))[0]).toString(), 'back');
    } finally {
      a.close();
      b.close();
    }
  });

  test('recvfrom(n) cuts a datagram to n bytes', async () => {
    const [a, addr] = await bound();
    const b = new Socket();
    try {
      await b.sendto('abcdef', addr);
      const [data] = await a.recvfrom(3);
      assert.equal(Buffer.from(data).toString(), 'abc');
    } finally {
      a.close();
      b.close();
    }
  });

  test('recvfrom with a timeout rejects with SocketTimeout', async () => {
    const [a] = await bound();
    try {
      await assert.rejects(a.recvfrom(10, { timeout: 10 }), SocketTimeout);
    } finally {
      a.close();
    }
  });

  test('a kill lands at recvfrom; a recvfrom woken and killed before it resumes loses no datagram', async () => {
    const [a, addr] = await bound();
    const b = new Socket();
    try {
      const g1 = spawn(() => a.recvfrom(10));
      await sleep(10);
      await g1.kill();
      assert.ok((g1.value as unknown) instanceof GreenletExit);
      const g2 = spawn(() => a.recvfrom(10));
      await sleep(10);
      (a._handle as dgram.Socket).once('message', () => void g2.kill({ block: false }));
      await b.sendto('kept', addr);
      await g2.join({ timeout: 2000 });
      assert.ok((g2.value as unknown) instanceof GreenletExit);
      const [data] = await a.recvfrom(10, { timeout: 2000 });
      assert.equal(Buffer.from(data).toString(), 'kept');
    } finally {
      a.close();
      b.close();
    }
  });

  test('receivers woken by datagrams in one turn and killed together hand them back in the order they came (found by the breaker: each went to the front, reversing them)', async () => {
    const [a] = await bound();
    try {
      const g1 = spawn(() => a.recvfrom(10));
      const g2 = spawn(() => a.recvfrom(10));
      await sleep(10);
      // Two datagrams read in one poll of the loop (libuv reads up to 32 in a row), then both
      // receivers killed before the hub resumes them.
      const h = a._handle as dgram.Socket;
      const from = { address: '127.0.0.1', family: 'IPv4', port: 9, size: 3 } as dgram.RemoteInfo;
      h.emit('message', Buffer.from('one'), from);
      h.emit('message', Buffer.from('two'), from);
      void g1.kill({ block: false });
      void g2.kill({ block: false });
      await g1.join({ timeout: 2000 });
      await g2.join({ timeout: 2000 });
      assert.ok((g1.value as unknown) instanceof GreenletExit);
      assert.ok((g2.value as unknown) instanceof GreenletExit);
      const got: string[] = [];
      for (let i = 0; i < 2; i++) got.push(Buffer.from((await a.recvfrom(10, 2000))[0]).toString());
      assert.deepEqual(got, ['one', 'two']);
    } finally {
      a.close();
    }
  });

  test("an unbound socket's address is the unspecified one with port 0, as Python's; once closed getsockname throws EBADF (found by the breaker: Node's bare EBADF, and toString called it closed)", async () => {
    const a = new Socket();
    const b = new Socket({ type: 'udp6' });
    try {
      assert.deepEqual(a.getsockname(), ['0.0.0.0', 0]);
      assert.deepEqual(b.getsockname(), ['::', 0]);
      assert.equal(String(a), '<Socket udp4 0.0.0.0:0>');
      await a.bind(['127.0.0.1', 0]);
      assert.equal((a.getsockname() as [string, number])[0], '127.0.0.1');
    } finally {
      a.close();
      b.close();
    }
    assert.throws(() => b.getsockname(), { code: 'EBADF', message: /^Socket\.getsockname: / });
  });

  test("binding a bound socket rejects with EINVAL naming the method, as Python (found by the breaker: Node's ERR_SOCKET_ALREADY_BOUND)", async () => {
    const [a, addr] = await bound();
    const b = new Socket();
    try {
      await assert.rejects(a.bind(['127.0.0.1', 0]), {
        code: 'EINVAL',
        message: /^Socket\.bind: the socket is already bound/,
      });
      await b.sendto('x', addr);
      await assert.rejects(b.bind(['127.0.0.1', 0]), { code: 'EINVAL' }, 'bound by its sendto');
      const c = new Socket();
      const first = c.bind(['127.0.0.1', 0]);
      await assert.rejects(c.bind(['127.0.0.1', 0]), { code: 'EINVAL' }, 'a bind in flight');
      await first;
      c.close();
      assert.equal(Buffer.from((await a.recvfrom(10, 2000))[0]).toString(), 'x');
    } finally {
      a.close();
      b.close();
    }
  });

  test("a failed receive (Node's dgram 'error', which goes on receiving) rejects one recvfrom, once, as Python; the next gets the next datagram (found by the breaker: every later recvfrom rejected with it)", async () => {
    const [a, addr] = await bound();
    const b = new Socket();
    try {
      const fail = (): Error =>
        Object.assign(new Error('recvmsg ENOMEM'), { code: 'ENOMEM', syscall: 'recvmsg' });
      const first = spawn(() => a.recvfrom(10));
      const second = spawn(() => a.recvfrom(10, 2000));
      await sleep(10);
      (a._handle as dgram.Socket).emit('error', fail());
      await first.join();
      assert.equal((first.exception as NodeJS.ErrnoException | undefined)?.code, 'ENOMEM');
      assert.equal(second.dead, false, 'only the oldest recvfrom is told');
      await b.sendto('next', addr);
      assert.equal(Buffer.from((await second.get())[0]).toString(), 'next');
      (a._handle as dgram.Socket).emit('error', fail());
      await assert.rejects(a.recvfrom(10), { code: 'ENOMEM' });
      await assert.rejects(a.recvfrom(10, 30), SocketTimeout);
    } finally {
      a.close();
      b.close();
    }
  });

  test('close() wakes a waiting recvfrom with EBADF; later calls reject with EBADF', async () => {
    const [a, addr] = await bound();
    const g = spawn(() => a.recvfrom(10));
    await sleep(10);
    a.close();
    await g.join();
    assert.equal((g.exception as NodeJS.ErrnoException).code, 'EBADF');
    await assert.rejects(a.sendto('x', addr), { code: 'EBADF' });
  });

  test('close() fails a bind and a sendto in flight with EBADF; they no longer count as I/O (found by the breaker: Node never calls them back, so they waited forever)', async () => {
    const before = getHub().ioCount;
    const a = new Socket();
    const binding = a.bind(['127.0.0.1', 0]).catch((e: unknown) => e);
    a.close();
    const b = new Socket();
    const sending = b.sendto('x', ['127.0.0.1', 9]).catch((e: unknown) => e);
    b.close();
    const [c, addr] = await bound();
    const sendingBound = c.sendto('x', addr).catch((e: unknown) => e);
    c.close();
    for (const [p, where] of [
      [binding, 'Socket.bind'],
      [sending, 'Socket.sendto'],
      [sendingBound, 'Socket.sendto'],
    ] as const) {
      const err = (await Promise.race([p, sleep(1000).then(() => 'still waiting')])) as Error;
      assert.equal((err as NodeJS.ErrnoException).code, 'EBADF', `${where}: ${String(err)}`);
      assert.match(err.message, new RegExp(`^${where}: the socket was closed`));
    }
    assert.equal(getHub().ioCount, before);
  });

  test('binding a port in use rejects with EADDRINUSE naming the address', async () => {
    const [a, [, port]] = await bound();
    const b = new Socket();
    try {
      const err = (await b
        .bind(['127.0.0.1', port])
        .catch((e: unknown) => e)) as NodeJS.ErrnoException;
      assert.equal(err.code, 'EADDRINUSE');
      assert.match(err.message, new RegExp(`${port}`));
    } finally {
      a.close();
      b.close();
    }
  });

  test("sendto port 0 rejects with a RangeError coded EINVAL naming the address, before anything is sent (Python: OSError EINVAL, the kernel's; found by review: Node's ERR_SOCKET_BAD_PORT 'Port should be > 0')", async () => {
    for (const [type, host, shown] of [
      ['udp4', '127.0.0.1', '127.0.0.1:0'],
      ['udp6', '::1', '[::1]:0'],
    ] as const) {
      const s = new Socket({ type });
      const err = await s.sendto('x', [host, 0]).catch((e: unknown) => e);
      assert.ok(err instanceof RangeError, `${type}: expected a RangeError, got ${String(err)}`);
      assert.equal((err as { code?: string }).code, 'EINVAL');
      assert.equal(
        err.message,
        `Socket.sendto: cannot send to port 0 (${shown}): invalid argument (EINVAL)`,
      );
      assert.equal(s._bound, false, 'nothing was sent: the socket did not bind for it');
      s.close();
    }
  });

  test('bad input: a stream type throws RangeError; bad ports reject with RangeError', async () => {
    assert.throws(() => new Socket({ type: 'tcp' as never }), {
      name: 'RangeError',
      message: /type must be 'udp4' or 'udp6'/,
    });
    const s = new Socket();
    await assert.rejects(s.sendto('x', ['127.0.0.1', 99999]), RangeError);
    await assert.rejects(s.bind(['127.0.0.1', -1]), RangeError);
    await assert.rejects(s.sendall('x'), { code: 'EDESTADDRREQ' });
    s.close();
  });
});

after(() => assertNoLiveHandles());
