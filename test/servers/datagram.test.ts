// DatagramServer (ported from gevent's test__server.py's DatagramServer cases): a handler per
// datagram answering with sendto, failures reported while the server goes on, stop.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { getHub, sleep, spawn } from '../../src/index.js';
import { listen, Socket } from '../../src/io/socket.js';
import { DatagramServer } from '../../src/servers/index.js';
import { assertNoLiveHandles } from '../io/_net.js';
import { FlakyGroup } from './_flaky.js';

const text = (b: Uint8Array): string => Buffer.from(b).toString();

describe('DatagramServer', () => {
  test('runs handle(data, address) per datagram; the handler answers with sendto', async () => {
    const server: DatagramServer = new DatagramServer(['127.0.0.1', 0], async (data, address) => {
      await server.sendto(Buffer.from(text(data).toUpperCase()), address);
    });
    await server.start();
    assert.equal(server.started, true);
    const port = server.serverPort as number;
    const c = new Socket();
    try {
      await c.sendto('ping', ['127.0.0.1', port]);
      const [reply, from] = await c.recvfrom(100, { timeout: 2000 });
      assert.equal(text(reply), 'PING');
      assert.deepEqual(from, ['127.0.0.1', port]);
    } finally {
      c.close();
      await server.stop();
    }
    assert.equal(server.closed, true);
  });

  test("sendto's errors name DatagramServer.sendto: after stop() EBADF, bad data or address a TypeError (they named Socket.sendto)", async () => {
    const server = new DatagramServer(['127.0.0.1', 0], () => {});
    await server.start();
    const port = server.serverPort as number;
    await assert.rejects(server.sendto(42 as never, ['127.0.0.1', port]), (e: Error) => {
      assert.ok(e instanceof TypeError, String(e));
      assert.match(e.message, /^DatagramServer\.sendto: /);
      return true;
    });
    await assert.rejects(
      server.sendto('x', 'nowhere' as never),
      /^TypeError: DatagramServer\.sendto: /,
    );
    await server.stop();
    await assert.rejects(server.sendto('late', ['127.0.0.1', port]), (e: NodeJS.ErrnoException) => {
      assert.equal(e.code, 'EBADF');
      assert.match(e.message, /^DatagramServer\.sendto: /);
      return true;
    });
  });

  test('a handler that throws is reported and the server goes on', async () => {
    const hub = getHub();
    const saved = hub.exceptionStream;
    const reports: string[] = [];
    hub.exceptionStream = { write: (t: string) => void reports.push(t) };
    const server: DatagramServer = new DatagramServer(['127.0.0.1', 0], async (data, address) => {
      if (text(data) === 'bad') throw new Error('bad datagram');
      await server.sendto(data, address);
    });
    const c = new Socket();
    try {
      await server.start();
      await c.sendto('bad', ['127.0.0.1', server.serverPort as number]);
      await c.sendto('good', ['127.0.0.1', server.serverPort as number]);
      const [reply] = await c.recvfrom(100, { timeout: 2000 });
      assert.equal(text(reply), 'good');
      assert.equal(reports.filter((r) => r.includes('bad datagram')).length, 1);
    } finally {
      hub.exceptionStream = saved;
      c.close();
      await server.stop();
    }
  });

  test('lifecycle as StreamServer: started/closed before and after, serveForever ends on close(), no start after close, sendto before start rejects (test__server.py test_serve_forever, test_server_repr)', async () => {
    const server: DatagramServer = new DatagramServer(['127.0.0.1', 0], async (data, address) => {
      await server.sendto(data, address);
    });
    assert.deepEqual([server.started, server.closed], [false, false]);
    await assert.rejects(server.sendto('x', ['127.0.0.1', 9]), /the server is not started/);
    const g = spawn(() => server.serveForever());
    await sleep(10);
    assert.deepEqual([server.started, server.closed], [true, false]);
    const port = server.serverPort as number;
    assert.ok(port > 0);
    assert.equal(String(server), `<DatagramServer 127.0.0.1:${port}>`);
    const c = new Socket();
    try {
      await c.sendto('echo', ['127.0.0.1', port]);
      assert.equal(text((await c.recvfrom(100, { timeout: 2000 }))[0]), 'echo');
      await server.close();
      assert.deepEqual([server.started, server.closed], [false, true]);
      await g.get({ timeout: 2000 });
      await assert.rejects(server.start(), /cannot start again/);
      await assert.rejects(server.sendto('x', ['127.0.0.1', port]), { code: 'EBADF' });
      await server.stop();
    } finally {
      c.close();
    }
  });

  test('spawn as a number bounds the handlers running at once; stop({timeout}) kills what still runs (test__server.py TestPoolSpawn, stop)', async () => {
    let running = 0;
    let most = 0;
    let finallies = 0;
    const server = new DatagramServer(
      ['127.0.0.1', 0],
      async () => {
        running++;
        most = Math.max(most, running);
        try {
          await sleep(60_000);
        } finally {
          running--;
          finallies++;
        }
      },
      { spawn: 2 },
    );
    await server.start();
    const c = new Socket();
    try {
      for (let i = 0; i < 5; i++)
        await c.sendto(`d${i}`, ['127.0.0.1', server.serverPort as number]);
      await sleep(50);
      assert.equal(most, 2);
      await server.stop({ timeout: 10 });
      assert.equal(running, 0);
      assert.equal(finallies, 2, 'the two running handlers were killed; the rest never started');
    } finally {
      c.close();
    }
  });

  test('a spawn that fails is reported, drops that datagram, and the server goes on (test__server.py test_error_in_spawn)', async () => {
    const hub = getHub();
    const saved = hub.exceptionStream;
    const reports: string[] = [];
    hub.exceptionStream = { write: (t: string) => void reports.push(t) };
    const server: DatagramServer = new DatagramServer(
      ['127.0.0.1', 0],
      async (data, address) => {
        await server.sendto(data, address);
      },
      { spawn: new FlakyGroup() },
    );
    const c = new Socket();
    try {
      await server.start();
      await c.sendto('lost', ['127.0.0.1', server.serverPort as number]);
      await sleep(20);
      await c.sendto('kept', ['127.0.0.1', server.serverPort as number]);
      assert.equal(text((await c.recvfrom(100, { timeout: 2000 }))[0]), 'kept');
      assert.equal(server.started, true);
      assert.equal(reports.filter((r) => r.includes('test_error_in_spawn')).length, 1);
    } finally {
      hub.exceptionStream = saved;
      c.close();
      await server.stop();
    }
  });

  test("a bound UDP Socket with its own timeout (settimeout) is served as long as the server runs (found by the breaker: the receive loop timed out, reported it and closed the server; gevent's does not)", async () => {
    const hub = getHub();
    const saved = hub.exceptionStream;
    const reports: string[] = [];
    hub.exceptionStream = { write: (t: string) => void reports.push(t) };
    const u = new Socket();
    await u.bind(['127.0.0.1', 0]);
    u.settimeout(20);
    const server: DatagramServer = new DatagramServer(u, async (data, address) => {
      await server.sendto(data, address);
    });
    const c = new Socket();
    try {
      await server.start();
      await sleep(100);
      assert.deepEqual([server.started, server.closed], [true, false]);
      await c.sendto('ping', u.getsockname());
      const [reply] = await c.recvfrom(100, { timeout: 2000 });
      assert.equal(text(reply), 'ping');
      assert.deepEqual(reports, []);
    } finally {
      hub.exceptionStream = saved;
      c.close();
      await server.stop();
    }
  });

  test('a failed receive is reported and the server receives again after a short pause (gevent BaseServer._do_read; found by the breaker: the server closed for good)', async () => {
    const hub = getHub();
    const saved = hub.exceptionStream;
    const reports: string[] = [];
    hub.exceptionStream = { write: (t: string) => void reports.push(t) };
    const u = new Socket();
    await u.bind(['127.0.0.1', 0]);
    const server: DatagramServer = new DatagramServer(u, async (data, address) => {
      await server.sendto(data, address);
    });
    const c = new Socket();
    try {
      await server.start();
      await sleep(10);
      const err = Object.assign(new Error('recvmsg ENOMEM'), { code: 'ENOMEM' });
      (u._handle as import('node:dgram').Socket).emit('error', err);
      await sleep(30);
      assert.deepEqual([server.started, server.closed], [true, false]);
      assert.equal(reports.filter((r) => r.includes('recvmsg ENOMEM')).length, 1);
      await c.sendto('ping', u.getsockname());
      const [reply] = await c.recvfrom(100, { timeout: 2000 });
      assert.equal(text(reply), 'ping');
    } finally {
      hub.exceptionStream = saved;
      c.close();
      await server.stop();
    }
  });

  test('bad arguments throw; a path listener is refused', () => {
    assert.throws(() => new DatagramServer({ path: '/tmp/x' }, () => {}), /needs \[host, port\]/);
    assert.throws(() => new DatagramServer(['127.0.0.1', 0], null as never), TypeError);
    assert.throws(() => new DatagramServer(['127.0.0.1', 0], () => {}, { type: 'udp5' as never }), {
      name: 'RangeError',
      message: "DatagramServer: type must be 'udp4' or 'udp6', got 'udp5'",
    });
    assert.throws(() => new DatagramServer(['127.0.0.1', 0], () => {}, { type: 4 as never }), {
      name: 'TypeError',
      message: "DatagramServer: type must be 'udp4' or 'udp6', got number",
    });
  });

  test('an unknown option throws TypeError naming it and the options', () => {
    assert.throws(() => new DatagramServer(['127.0.0.1', 0], () => {}, { typ: 'udp6' } as never), {
      name: 'TypeError',
      message: 'DatagramServer: unknown option "typ"; the options are spawn, type',
    });
    new DatagramServer(['127.0.0.1', 0], () => {}, { spawn: 2, type: 'udp4' });
  });

  test('a listener Socket of the wrong kind throws TypeError at construction (found by the breaker: the server failed only once serving)', async () => {
    const tcp = await listen({ host: '127.0.0.1', port: 0 });
    const unbound = new Socket({ type: 'udp4' });
    try {
      assert.throws(() => new DatagramServer(tcp, () => {}), {
        name: 'TypeError',
        message:
          'DatagramServer: the listener socket must be a bound UDP socket, got a listening tcp socket',
      });
      assert.throws(() => new DatagramServer(unbound, () => {}), {
        name: 'TypeError',
        message:
          'DatagramServer: the listener socket must be a bound UDP socket (bind() it first, or give an address), got an unbound one',
      });
      await unbound.bind(['127.0.0.1', 0]);
      const server: DatagramServer = new DatagramServer(unbound, async (data, address) => {
        await server.sendto(data, address);
      });
      await server.start();
      const c = new Socket({ type: 'udp4' });
      try {
        await c.sendto('ping', ['127.0.0.1', server.serverPort as number]);
        const [reply] = await c.recvfrom(100, { timeout: 2000 });
        assert.equal(text(reply), 'ping');
      } finally {
        c.close();
        await server.stop();
      }
    } finally {
      tcp.close();
      unbound.close();
    }
  });
});

after(() => assertNoLiveHandles());

test('a DatagramServer start() killed while binding leaves no socket open', async () => {
  const srv = new DatagramServer(['127.0.0.1', 0], () => {});
  const g = spawn(() => srv.start());
  await sleep(0);
  await g.kill();
  assert.equal(srv.closed, true);
  await sleep(20);
  await assertNoLiveHandles();
});

test('stop() or close() while start() binds: the start resolves, nothing is left listening, stop resolves (found by the breaker: the start waited forever)', async () => {
  for (const end of ['stop', 'close'] as const) {
    const srv = new DatagramServer(['127.0.0.1', 0], () => {});
    const starting = srv.start();
    const ending = srv[end]();
    const got = await Promise.race([
      starting.then(() => 'resolved'),
      sleep(1000).then(() => 'still waiting'),
    ]);
    assert.equal(got, 'resolved', end);
    await ending;
    assert.equal(srv.started, false);
    assert.equal(srv.closed, true);
    await assert.rejects(srv.start(), /closed and cannot start again/);
  }
  await sleep(20);
  await assertNoLiveHandles();
});
