// select() over verdant sockets (ported from gevent's test__select.py: the timeout, readiness
// of many sockets, bad arguments) plus its cancel point; select takes nothing.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { GreenletExit, getHub, sleep, spawn, Timeout } from '../../src/index.js';
import { select } from '../../src/io/select.js';
import { createConnection, listen } from '../../src/io/socket.js';
import { runVirtual } from '../../src/testing/virtual.js';
import { assertRejectsNoThrow } from '../_util.js';
import { assertNoLiveHandles, nodeOf, streamKinds } from './_net.js';

const tcp = streamKinds[0] as (typeof streamKinds)[0];

describe('select', () => {
  test('with a timeout and nothing ready it resolves three empty lists', async () => {
    const p = await tcp.pair();
    try {
      assert.deepEqual(await select([p.server], [], [], 20), [[], [], []]);
      assert.deepEqual(await select([p.server], [], [], 0), [[], [], []], '0 polls');
    } finally {
      p.close();
    }
  });

  test('it resolves the readable and writable sockets, in the order given, and takes nothing', async () => {
    const pairs = await Promise.all([tcp.pair(), tcp.pair(), tcp.pair()]);
    try {
      const servers = pairs.map((p) => p.server);
      const g = spawn(() => select(servers, [], [], 2000));
      await sleep(10);
      assert.equal(g.dead, false);
      await (pairs[1] as (typeof pairs)[0]).client.sendall('x');
      const [r, w, x] = await g.get();
      assert.deepEqual(r, [servers[1]]);
      assert.deepEqual([w, x], [[], []]);
      assert.equal(Buffer.from(await (servers[1] as (typeof servers)[0]).recv(1)).toString(), 'x');
      const [, writable] = await select([], servers, []);
      assert.deepEqual(writable, servers);
    } finally {
      for (const p of pairs) p.close();
    }
  });

  test('a listening socket is readable when a connection waits to be accepted', async () => {
    const l = await listen({ port: 0 });
    try {
      const c = await createConnection(l.getsockname());
      const [r] = await select([l], [], [], 2000);
      assert.deepEqual(r, [l]);
      const [s] = await l.accept();
      c.close();
      s.close();
    } finally {
      l.close();
    }
  });

  test('a kill and a Timeout land at select', async () => {
    const p = await tcp.pair();
    try {
      const g = spawn(() => select([p.server], [], []));
      await sleep(10);
      await g.kill();
      assert.ok((g.value as unknown) instanceof GreenletExit);
      const t = Timeout.startNew(10);
      const err = await select([p.server], [], []).catch((e: unknown) => e);
      t.cancel();
      assert.equal(err, t);
    } finally {
      p.close();
    }
  });

  test('bad arguments reject with TypeError/RangeError; a closed socket with EBADF', async () => {
    const p = await tcp.pair();
    try {
      await assert.rejects(select([1 as never], [], []), /must hold verdant Sockets/);
      await assert.rejects(select(null as never, [], []), TypeError);
      await assert.rejects(select([], [], [], -1), RangeError);
      for (const bad of ['50', { timeout: 50 }]) {
        await assertRejectsNoThrow(() => select([p.server], [], [], bad as never), {
          name: 'TypeError',
          message: `select: timeout must be a number of ms or null, got ${typeof bad}`,
        });
      }
      await assert.rejects(select([], [], []), /nothing to wait for/);
      p.client.close();
      await assert.rejects(select([p.client], [], [], 0), { code: 'EBADF' });
    } finally {
      p.close();
    }
  });
});

test('a select woken by bytes another greenlet reads before it resumes waits on: it never resolves three empty lists before its timeout (found by the breaker: it did, with no timeout)', async () => {
  const p = await tcp.pair();
  try {
    const g = spawn(() => select([p.server], [], []));
    await sleep(10);
    // Runs right after the socket's own 'data' listener buffered the bytes and woke the select.
    let taken = '';
    nodeOf(p.server).once('data', () => {
      void p.server.recv(100).then((b) => {
        taken = Buffer.from(b).toString();
      });
    });
    await p.client.sendall('first');
    await sleep(30);
    assert.equal(taken, 'first');
    assert.equal(g.dead, false, 'nothing is readable: select waits on');
    await p.client.sendall('second');
    const [r, w, x] = (await g.get({ timeout: 2000 })) as Awaited<ReturnType<typeof select>>;
    assert.deepEqual([r.length, w.length, x.length], [1, 0, 0]);
  } finally {
    p.close();
  }
});

describe('select, from gevent', () => {
  test('select([], [], [], timeout) waits the whole timeout, then resolves three empty lists (test__select.py TestSelect test_returns_none_after_timeout)', async () => {
    await runVirtual(async () => {
      const t0 = getHub().now();
      assert.deepEqual(await select([], [], [], 250), [[], [], []]);
      assert.equal(getHub().now() - t0, 250);
    });
  });

  test('close() from another greenlet wakes a select waiting on the socket: it is readable, and recv then rejects with EBADF (test__select.py test_closing_object_while_selecting)', async () => {
    const p = await tcp.pair();
    try {
      const g = spawn(() => select([p.server], [], [], 2000));
      await sleep(10);
      p.server.close();
      const [r, w, x] = (await g.get({ timeout: 2000 })) as Awaited<ReturnType<typeof select>>;
      assert.deepEqual(r, [p.server]);
      assert.deepEqual([w, x], [[], []]);
      await assert.rejects(p.server.recv(1), { code: 'EBADF' });
    } finally {
      p.close();
    }
  });

  test('a socket holding an error (the peer reset the connection) is in the errored list, and readable; recv then rejects with it', async () => {
    const p = await tcp.pair();
    try {
      const g = spawn(() => select([], [], [p.server], 2000));
      await sleep(10);
      (nodeOf(p.client) as import('node:net').Socket).resetAndDestroy();
      const [r, w, x] = (await g.get({ timeout: 2000 })) as Awaited<ReturnType<typeof select>>;
      assert.deepEqual([r, w, x], [[], [], [p.server]]);
      const [readable] = await select([p.server], [], [], 0);
      assert.deepEqual(readable, [p.server]);
      await assert.rejects(p.server.recv(10), { code: 'ECONNRESET' });
    } finally {
      p.close();
    }
  });

  test('bytes arriving on a socket only in xlist do not end the wait (found by the breaker: it resolved three empty lists at once, then spun)', async () => {
    const p = await tcp.pair();
    try {
      const g = spawn(() => select([], [], [p.server], 300));
      await sleep(10);
      await p.client.sendall('data');
      await sleep(50);
      assert.equal(g.dead, false, 'still waiting for an error');
      const t0 = performance.now();
      assert.deepEqual(await g.get({ timeout: 2000 }), [[], [], []]);
      assert.ok(performance.now() - t0 > 150, 'resolved empty at its timeout, not at the bytes');
      // The bytes are still there: select took nothing.
      assert.equal(Buffer.from(await p.server.recv(10)).toString(), 'data');
    } finally {
      p.close();
    }
  });

  test('a socket in xlist closed by another greenlet during the wait is in the errored list', async () => {
    const p = await tcp.pair();
    try {
      const g = spawn(() => select([], [], [p.server], 2000));
      await sleep(10);
      p.server.close();
      const [r, w, x] = (await g.get({ timeout: 2000 })) as Awaited<ReturnType<typeof select>>;
      assert.deepEqual([r, w, x], [[], [], [p.server]]);
    } finally {
      p.close();
    }
  });

  test('the lists may be any iterables; a string in a list is a TypeError (test__select.py TestSelectTypes test_iterable, test_string)', async () => {
    const p = await tcp.pair();
    try {
      await p.client.sendall('x');
      function* readers() {
        yield p.server;
      }
      const [r] = await select(readers(), new Set(), [], 2000);
      assert.deepEqual(r, [p.server]);
      await assert.rejects(select(['hello' as never], [], [], 1), {
        name: 'TypeError',
        message: 'select: rlist must hold verdant Sockets, got string',
      });
    } finally {
      p.close();
    }
  });
});

after(() => assertNoLiveHandles());

// gevent's test__selectors.py (GeventSelectorTest) on verdant's select: no selectors module,
// the loop that calls each ready key's callback is written out.
describe('selectors (test__selectors.py) on select()', () => {
  test('test_select_using_socketpair: a greenlet selecting once reads the ready socket and replies; the client gets its data back', async () => {
    for (const kind of streamKinds) {
      const p = await kind.pair();
      const glet = spawn(async () => {
        const [readable] = await select([p.server], [], [], 3000);
        for (const conn of readable) {
          const data = await conn.recv(100);
          if (data.length > 0) await conn.send(data);
          conn.close();
          await sleep();
        }
      });
      try {
        await p.client.sendall('abcdef');
        assert.equal(Buffer.from(await p.client.recv(50, { timeout: 5000 })).toString(), 'abcdef');
      } finally {
        p.close();
        await glet.join(10_000);
      }
      assert.ok(glet.ready(), kind.name);
      assert.ok(glet.successful(), `${kind.name}: ${String(glet.exception)}`);
    }
  });

  test('test_select_many_sockets: ten pairs; one select of the servers serves all ten, then one select of the clients finds every answer', async () => {
    const pairs = await Promise.all(
      Array.from({ length: 10 }, (_, i) => (streamKinds[i % 2] as typeof tcp).pair()),
    );
    try {
      for (const [i, p] of pairs.entries()) await p.client.send(String(i));
      await sleep(20);
      const waiting = new Set(pairs.map((p) => p.server));
      for (let tries = 0; waiting.size > 0 && tries < 50; tries++) {
        const [ready] = await select([...waiting], [], [], 3000);
        for (const conn of ready) {
          const data = await conn.recv(100);
          if (data.length > 0) await conn.send(data);
          waiting.delete(conn);
        }
      }
      assert.equal(waiting.size, 0);
      const index = new Map(pairs.map((p, i) => [p.client, i]));
      let found = 0;
      for (let tries = 0; index.size > 0 && tries < 50; tries++) {
        const [answered] = await select([...index.keys()], [], [], 3000);
        for (const c of answered) {
          assert.equal(Buffer.from(await c.recv(50)).toString(), String(index.get(c)));
          index.delete(c);
          found++;
        }
      }
      assert.equal(found, pairs.length);
    } finally {
      for (const p of pairs) p.close();
    }
  });
});
