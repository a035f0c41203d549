// eventlet's listen/connect/serve (verdant/eventlet) on real loopback sockets: eventlet's
// tests/convenience_test.py ported (with_timeout(0.01) becomes 50 ms), plus the cancel-point
// and nothing-lost tests of serve's accept loop and slot wait, and the errors for bad input.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import {
  connect,
  Event,
  GreenletExit,
  listen,
  StopServe,
  serve,
  sleep,
  spawn,
  Timeout,
  withTimeout,
} from '../../../src/compat/eventlet/index.js';
import { getHub } from '../../../src/index.js';
import type { Socket } from '../../../src/io/socket.js';
import { assertRejectsNoThrow, ExpectedError } from '../../_util.js';
import { assertNoLiveHandles, unixPath } from '../../io/_net.js';

function portOf(l: Socket): number {
  return (l.getsockname() as [string, number])[1];
}

/** Route hub failure reports into an array for the duration of `fn`. */
async function quietHub<T>(fn: (reports: string[]) => Promise<T>): Promise<T> {
  const hub = getHub();
  const saved = hub.exceptionStream;
  const reports: string[] = [];
  hub.exceptionStream = { write: (t: string) => void reports.push(t) };
  try {
    return await fn(reports);
  } finally {
    hub.exceptionStream = saved;
  }
}

async function withListener(fn: (l: Socket, port: number) => Promise<void>): Promise<void> {
  const l = await listen(['127.0.0.1', 0]);
  try {
    await fn(l, portOf(l));
  } finally {
    l.close();
  }
}

after(assertNoLiveHandles);

describe('eventlet listen and connect', () => {
  test('listen gives a listening socket that connect reaches (AF_INET)', async () => {
    await withListener(async (l, port) => {
      assert.equal(l.type, 'tcp');
      assert.ok(port > 0);
      const c = await connect(['127.0.0.1', port]);
      const [s] = await l.accept({ timeout: 2000 });
      await c.sendall('hi');
      assert.equal(Buffer.from(await s.recv(10, { timeout: 2000 })).toString(), 'hi');
      c.close();
      s.close();
    });
  });

  test('AF_INET6 on ::1 and AF_UNIX on a path', async () => {
    const l6 = await listen(['::1', 0], 'AF_INET6');
    const c6 = await connect(['::1', portOf(l6)], 'AF_INET6');
    assert.equal((c6.getpeername() as [string, number])[0], '::1');
    c6.close();
    l6.close();
    const path = unixPath();
    const lu = await listen(path, 'AF_UNIX', 5);
    assert.equal(lu.type, 'unix');
    const cu = await connect(path, 'AF_UNIX');
    const [su] = await lu.accept({ timeout: 2000 });
    await cu.sendall('u');
    assert.equal(Buffer.from(await su.recv(1, { timeout: 2000 })).toString(), 'u');
    cu.close();
    su.close();
    lu.close();
  });

  test('a port in use rejects with EADDRINUSE (listen without reusePort)', async () => {
    await withListener(async (_l, port) => {
      await assert.rejects(listen(['127.0.0.1', port]), { code: 'EADDRINUSE' });
    });
  });

  test('bad input rejects (never throws) with a message naming the value', async () => {
    await assertRejectsNoThrow(
      () => listen(['127.0.0.1', 0], 'AF_PACKET' as 'AF_INET'),
      /eventlet\.listen: family must be 'AF_INET', 'AF_INET6' or 'AF_UNIX', got AF_PACKET/,
    );
    await assertRejectsNoThrow(
      () => listen('/tmp/x.sock'),
      /eventlet\.listen: an AF_INET address must be a \[host, port\] pair, got string/,
    );
    await assertRejectsNoThrow(
      () => listen(['127.0.0.1', 0], 'AF_UNIX'),
      /an AF_UNIX address must be a path string, got object/,
    );
    await assertRejectsNoThrow(() => listen(['127.0.0.1', 0], 'AF_INET', -1), {
      name: 'RangeError',
      message: /backlog must be a non-negative integer, got -1/,
    });
    await assertRejectsNoThrow(() => listen(['127.0.0.1', 0], 'AF_INET', '5' as never), {
      name: 'TypeError',
      message: 'eventlet.listen: backlog must be a number of connections, got string',
    });
    await assertRejectsNoThrow(
      () => connect(['127.0.0.1', 1], 'AF_INET', ['127.0.0.1', 0] as unknown as null),
      /eventlet\.connect: binding the local address is not supported/,
    );
    await assertRejectsNoThrow(
      () => serve({} as Socket, () => undefined),
      /eventlet\.serve: sock must be a listening Socket, got object/,
    );
    await withListener(async (l) => {
      await assertRejectsNoThrow(
        () => serve(l, 'x' as unknown as () => void),
        /handle must be a function, got string/,
      );
      await assertRejectsNoThrow(() => serve(l, () => undefined, 0), {
        name: 'RangeError',
        message: /concurrency must be an integer >= 1, got 0/,
      });
      await assertRejectsNoThrow(() => serve(l, () => undefined, '10' as never), {
        name: 'TypeError',
        message: 'eventlet.serve: concurrency must be a number of handlers, got string',
      });
    });
  });

  test('what the socket layer checks is named eventlet.listen / eventlet.connect, the calls the user made', async () => {
    const cases: Array<[() => Promise<unknown>, string, string]> = [
      [
        () => listen(['127.0.0.1', 70000]),
        'RangeError',
        'eventlet.listen: port must be an integer from 0 to 65535, got 70000',
      ],
      [
        () => listen(['127.0.0.1', 1.5]),
        'RangeError',
        'eventlet.listen: port must be an integer from 0 to 65535, got 1.5',
      ],
      [
        () => listen('', 'AF_UNIX'),
        'TypeError',
        'eventlet.listen: path must be a non-empty string, got an empty string',
      ],
      [
        () => listen(['127.0.0.1', 0], 'AF_INET', 2 ** 40),
        'RangeError',
        'eventlet.listen: backlog must be an integer from 0 to 2147483647, got 1099511627776',
      ],
      [
        () => listen(['127.0.0.1', 0], 'AF_INET', 50, { reusePort: 'yes' as never }),
        'TypeError',
        'eventlet.listen: reusePort must be a boolean, got string',
      ],
      [
        () => listen(['127.0.0.1', 0], 'AF_INET', 50, { timeout: -5 }),
        'RangeError',
        'eventlet.listen: timeout must be a non-negative number of ms, got -5',
      ],
      [
        // Its own options only: a host or port there would be overridden by the address.
        () => listen(['127.0.0.1', 0], 'AF_INET', 50, { host: '0.0.0.0' } as never),
        'TypeError',
        'eventlet.listen: unknown option "host"; the options are reusePort, timeout, signal',
      ],
      [
        () => listen(['127.0.0.1', 0], 'AF_INET', 50, [] as never),
        'TypeError',
        'eventlet.listen: options must be an object, got an array',
      ],
      [
        () => connect(['127.0.0.1', 0]),
        'RangeError',
        'eventlet.connect: port must be an integer from 1 to 65535 to connect to (0 means any free port only to listen), got 0',
      ],
      [
        () => connect(['127.0.0.1', 70000]),
        'RangeError',
        'eventlet.connect: port must be an integer from 0 to 65535, got 70000',
      ],
      [
        () => connect('', 'AF_UNIX'),
        'TypeError',
        'eventlet.connect: path must be a non-empty string, got an empty string',
      ],
    ];
    for (const [call, name, message] of cases) {
      await assertRejectsNoThrow(call, { name, message });
    }
  });

  test('connect to a closed port rejects with ECONNREFUSED', async () => {
    const l = await listen(['127.0.0.1', 0]);
    const port = portOf(l);
    l.close();
    await sleep(10);
    await assert.rejects(connect(['127.0.0.1', port]), { code: 'ECONNREFUSED' });
  });

  test('a kill at connect lands there and finally runs (cancel point)', async () => {
    await withListener(async (_l, port) => {
      let cleaned = false;
      const g = spawn(async () => {
        try {
          await connect(['127.0.0.1', port]);
          await sleep(60_000);
        } finally {
          cleaned = true;
        }
      });
      await sleep(0);
      await g.kill();
      assert.ok(cleaned);
      await assert.rejects(g.wait(), GreenletExit);
    });
  });
});

describe('eventlet serve', () => {
  test('the server closes the client socket when handle returns (test_exiting_server)', async () => {
    await withListener(async (l, port) => {
      const gt = spawn(serve, l, () => undefined);
      const client = await connect(['127.0.0.1', port]);
      await client.sendall('a');
      assert.equal((await client.recv(100, { timeout: 2000 })).length, 0);
      client.close();
      await gt.kill();
    });
  });

  test('a throwing handle ends serve with its error and closes the client (test_excepting_server)', async () => {
    await quietHub(async () => {
      for (const closeFirst of [false, true]) {
        await withListener(async (l, port) => {
          const boom = new ExpectedError('0 // 0');
          const gt = spawn(serve, l, async (sock: Socket) => {
            await sock.recv(1024);
            if (closeFirst) sock.close(); // test_excepting_server_already_closed
            throw boom;
          });
          const client = await connect(['127.0.0.1', port]);
          await client.sendall('a');
          await assert.rejects(gt.wait({ timeout: 2000 }), (e) => e === boom);
          assert.equal((await client.recv(100, { timeout: 2000 })).length, 0);
          assert.equal(l.closed, false, 'the listening socket stays open');
          client.close();
        });
      }
    });
  });

  test('a handler that used makefile() and returns leaves no open connection: the client sees EOF', async () => {
    await withListener(async (l, port) => {
      let file: ReturnType<Socket['makefile']> | undefined;
      const gt = spawn(serve, l, async (sock: Socket) => {
        file = sock.makefile(); // never closed, as in eventlet code that drops its file
        const line = await file.readline();
        await file.write(`bye ${Buffer.from(line).toString()}`);
        await file.flush();
      });
      const client = await connect(['127.0.0.1', port]);
      await client.sendall('quit\n');
      let got = '';
      for (let i = 0; i < 10 && !got.endsWith('\n'); i++) {
        got += Buffer.from(await client.recv(100, { timeout: 2000 })).toString();
      }
      assert.equal(got, 'bye quit\n');
      assert.equal((await client.recv(100, { timeout: 2000 })).length, 0, 'EOF, not a leak');
      // The forgotten file belongs to a closed connection now (as under StreamServer).
      await assert.rejects(file!.readline(), { code: 'EBADF' });
      client.close();
      await gt.kill();
    });
  });

  test("the docs' makefile echo handler: StopServe resolves serve and closes that client", async () => {
    await withListener(async (l, port) => {
      async function handle(sock: Socket): Promise<void> {
        const fd = sock.makefile();
        for await (const line of fd) {
          if (Buffer.from(line).toString().trim() === 'shutdown') throw new StopServe();
          await fd.write(line);
          await fd.flush();
        }
      }
      const gt = spawn(serve, l, handle, 100);
      const client = await connect(['127.0.0.1', port]);
      await client.sendall('hello\n');
      assert.equal(Buffer.from(await client.recv(100, { timeout: 2000 })).toString(), 'hello\n');
      await client.sendall('shutdown\n');
      assert.equal(await gt.wait({ timeout: 2000 }), undefined);
      assert.equal((await client.recv(100, { timeout: 2000 })).length, 0, 'EOF, not a leak');
      client.close();
    });
  });

  test('handle is called once for each connection (test_called_for_each_connection)', async () => {
    await withListener(async (l, port) => {
      let hits = 0;
      const gt = spawn(serve, l, () => {
        hits++;
      });
      for (let i = 0; i < 30; i++) {
        const client = await connect(['127.0.0.1', port]);
        assert.equal((await client.recv(100, { timeout: 2000 })).length, 0);
        client.close();
      }
      await gt.kill();
      assert.equal(hits, 30);
    });
  });

  test('serve blocks its caller: a Timeout lands in the accept loop (test_blocking)', async () => {
    await withListener(async (l, port) => {
      let cleaned = false;
      const x = await withTimeout(50, { timeoutValue: 'timeout' }, async () => {
        try {
          await serve(l, () => undefined);
        } finally {
          cleaned = true;
        }
      });
      assert.equal(x, 'timeout');
      assert.ok(cleaned);
      // The listening socket stays open and usable after the loop ended.
      assert.equal(l.closed, false);
      const c = await connect(['127.0.0.1', port]);
      const [s] = await l.accept({ timeout: 2000 });
      c.close();
      s.close();
    });
  });

  test('a handle raising StopServe makes serve resolve (test_raising_stopserve)', async () => {
    await withListener(async (l, port) => {
      const gt = spawn(connect, ['127.0.0.1', port] as const);
      await serve(l, () => {
        throw new StopServe();
      });
      const client = await gt.wait();
      assert.equal((await client.recv(100, { timeout: 2000 })).length, 0);
      client.close();
    });
  });

  test('at `concurrency` handlers the next client waits and is served later (test_concurrency, nothing lost)', async () => {
    await withListener(async (l, port) => {
      const evt = new Event();
      const gt = spawn(
        serve,
        l,
        async (sock: Socket) => {
          await sock.sendall('hi');
          await evt.wait();
        },
        5,
      );
      const clients: Socket[] = [];
      for (let i = 0; i < 5; i++) {
        const c = await connect(['127.0.0.1', port]);
        assert.equal(Buffer.from(await c.recv(2, { timeout: 2000 })).toString(), 'hi');
        clients.push(c);
      }
      const sixth = await connect(['127.0.0.1', port]);
      await assert.rejects(sixth.recv(2, { timeout: 50 }), { name: 'SocketTimeout' });
      evt.send();
      assert.equal(Buffer.from(await sixth.recv(2, { timeout: 2000 })).toString(), 'hi');
      for (const c of [...clients, sixth]) c.close();
      await gt.kill();
    });
  });

  test('a kill lands in the accept loop; running handlers go on and sock stays open', async () => {
    await withListener(async (l, port) => {
      const release = new Event();
      let handled = 0;
      let cleaned = false;
      const gt = spawn(async () => {
        try {
          await serve(l, async (sock: Socket) => {
            await release.wait();
            await sock.sendall('bye');
            handled++;
          });
        } finally {
          cleaned = true;
        }
      });
      const c = await connect(['127.0.0.1', port]);
      await sleep(20); // the handler is running
      await gt.kill();
      assert.ok(cleaned);
      await assert.rejects(gt.wait(), GreenletExit);
      release.send();
      assert.equal(Buffer.from(await c.recv(3, { timeout: 2000 })).toString(), 'bye');
      assert.equal((await c.recv(3, { timeout: 2000 })).length, 0);
      assert.equal(handled, 1);
      assert.equal(l.closed, false);
      c.close();
    });
  });

  test('a kill while serve waits for a slot closes the accepted client, loses no other', async () => {
    await withListener(async (l, port) => {
      const release = new Event();
      const gt = spawn(
        serve,
        l,
        async (sock: Socket) => {
          await release.wait();
          await sock.sendall('ok');
        },
        1,
      );
      const first = await connect(['127.0.0.1', port]);
      const second = await connect(['127.0.0.1', port]);
      await sleep(20); // the loop accepted `second` and waits for a slot
      await gt.kill();
      assert.equal((await second.recv(2, { timeout: 2000 })).length, 0, 'closed, not leaked');
      release.send();
      assert.equal(Buffer.from(await first.recv(2, { timeout: 2000 })).toString(), 'ok');
      // A later connection stays in the backlog for the next accept.
      const third = await connect(['127.0.0.1', port]);
      const [s] = await l.accept({ timeout: 2000 });
      s.close();
      for (const c of [first, second, third]) c.close();
    });
  });

  test('closing the listening socket ends serve quietly', async () => {
    const l = await listen(['127.0.0.1', 0]);
    const gt = spawn(serve, l, () => undefined);
    await sleep(10);
    l.close();
    assert.equal(await gt.wait({ timeout: 2000 }), undefined);
  });

  test('a Timeout object from the caller stops serve with itself', async () => {
    await withListener(async (l) => {
      const t = new Timeout(30);
      t.start();
      await assert.rejects(
        serve(l, () => undefined),
        (e) => e === t,
      );
      t.cancel();
    });
  });
});
