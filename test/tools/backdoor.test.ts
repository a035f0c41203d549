// BackdoorServer driven by a plain node:net client over loopback (gevent's test__backdoor.py,
// adapted to a JavaScript REPL): banner, locals, values, top-level await, errors, EOF, garbage,
// clients vanishing mid-line, and the token rules.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Queue, sleep } from '../../src/index.js';
import { BackdoorServer } from '../../src/tools/backdoor.js';

/** A client: send lines, collect everything until the server closes (or `ms` pass). */
function session(
  port: number,
  script: (send: (s: string | Uint8Array) => void, c: net.Socket) => void | Promise<void>,
  ms = 10_000,
): Promise<{ out: string; closedByServer: boolean }> {
  return new Promise((resolve) => {
    const c = net.connect(port, '127.0.0.1');
    let out = '';
    let closedByServer = false;
    c.on('data', (d) => {
      out += d;
    });
    c.on('end', () => {
      closedByServer = true;
    });
    c.on('error', () => {});
    const timer = setTimeout(() => c.destroy(), ms);
    c.on('close', () => {
      clearTimeout(timer);
      resolve({ out, closedByServer });
    });
    c.on('connect', () => void script((s) => c.write(s), c));
  });
}

/** Wait (outside verdant) until `cond()` holds, bounded. */
async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const t0 = Date.now();
  while (!cond() && Date.now() - t0 < ms) await new Promise((r) => setTimeout(r, 10));
}

describe('BackdoorServer', () => {
  let server: BackdoorServer;
  let port: number;
  before(async () => {
    server = new BackdoorServer(['127.0.0.1', 0], {
      banner: 'Hello from verdant backdoor!',
      locals: { foo: 'From defined scope!', sleep },
    });
    await server.start();
    port = server.serverPort as number;
  });
  after(async () => {
    await server.stop();
  });

  test('sends the banner, evaluates lines with locals, and EOF ends the session', async () => {
    const { out, closedByServer } = await session(port, (send, c) => {
      send('foo\n1 + 2\n');
      c.end();
    });
    assert.ok(out.startsWith('Hello from verdant backdoor!\n'), out);
    assert.match(out, /'From defined scope!'/);
    assert.match(out, />>> 3\n/);
    assert.ok(closedByServer, 'the server closed the connection after EOF');
  });

  test('`.exit`, quit() and exit() end only that session: the server closes it, later lines are not run', async () => {
    for (const cmd of ['.exit', 'quit()', 'exit()']) {
      // The client never ends its side: only the server can close this session.
      const { out, closedByServer } = await session(port, (send) => {
        send(`1 + 2\n${cmd}\n6 * 7\n`);
      });
      assert.ok(closedByServer, `${cmd}: the server closed the connection (out: ${out})`);
      assert.match(out, />>> 3\n/);
      assert.doesNotMatch(out, /42/, `${cmd}: nothing after it was evaluated`);
    }
    // The program and the server go on.
    const { out } = await session(port, (send, c) => {
      send('6 * 7\n');
      c.end();
    });
    assert.match(out, />>> 42\n/);
  });

  test('lines run one at a time, in order: a line typed during an await waits for it; quit() after it closes once it has answered', async () => {
    // Sent in one chunk, and split with the later line typed while the await is pending.
    const order = await session(port, (send, c) => {
      send('await sleep(300), 7\n8\n');
      c.end();
    });
    assert.match(order.out, />>> 7\n>>> 8\n/);
    for (const cmd of ['quit()', 'exit()', '.exit']) {
      const one = await session(port, (send) => {
        send(`await sleep(300), 7\n${cmd}\n6 * 7\n`);
      });
      assert.ok(one.closedByServer, `${cmd}: the server closed the session`);
      assert.match(one.out, />>> 7\n/, `${cmd} in the same chunk: the awaited answer came first`);
      assert.doesNotMatch(one.out, /42/, `${cmd}: nothing after it was evaluated`);
      const split = await session(port, async (send) => {
        send('await sleep(300), 7\n');
        await new Promise((r) => setTimeout(r, 50));
        send(`${cmd}\n`);
      });
      assert.ok(split.closedByServer, `${cmd}: the server closed the session`);
      assert.match(split.out, />>> 7\n/, `${cmd} typed during the await: its answer came first`);
    }
    // Input over several lines, typed during an await, is still one statement.
    const multi = await session(port, (send, c) => {
      send('await sleep(100), 7\nfunction f() {\n  return 5;\n}\nf() * 2\n');
      c.end();
    });
    assert.match(multi.out, />>> 7\n[\s\S]*>>> 10\n/);
    // A last line without its newline is evaluated at EOF, after the awaited one.
    const last = await session(port, (send, c) => {
      send('await sleep(100), 7\n6 * 7');
      c.end();
    });
    assert.match(last.out, />>> 7\n>>> 42\n/);
  });

  test('a throw and a syntax error are printed with name and message; the session goes on', async () => {
    const { out } = await session(port, async (send, c) => {
      send('throw new RangeError("boom")\n');
      send('let x = ;\n');
      send('6 * 7\n');
      c.end();
    });
    assert.match(out, /Uncaught RangeError: boom/);
    assert.match(out, /SyntaxError/);
    assert.match(out, /42/);
  });

  test('top-level await works and blocks only that client', async () => {
    let slowOut = '';
    const slow = session(port, async (send, c) => {
      send('await sleep(1500), "slept"\n');
      c.on('data', (d) => {
        slowOut += d;
        if (slowOut.includes("'slept'")) c.end();
      });
    });
    await new Promise((r) => setTimeout(r, 100));
    const fast = await session(port, (send, c) => {
      send('1 + 1\n');
      c.end();
    });
    assert.match(fast.out, />>> 2\n/);
    assert.ok(!slowOut.includes("'slept'"), 'the other client answered while this one awaited');
    const done = await slow;
    assert.match(done.out, /'slept'/);
  });

  test('garbage, and clients vanishing mid-line, never stop the server', async () => {
    await session(port, (send, c) => {
      send(new Uint8Array([0, 255, 254, 10, 1, 2, 3, 0x7b, 10, 0xc3]));
      setTimeout(() => c.destroy(), 200);
    });
    await session(port, (send, c) => {
      send('const half = "no newline');
      c.destroy();
    });
    await session(port, (send, c) => {
      send('(((((');
      c.end();
    });
    const { out } = await session(port, (send, c) => {
      send('"still " + "serving"\n');
      c.end();
    });
    assert.match(out, /'still serving'/);
  });
});

describe('BackdoorServer tokens', () => {
  test('a non-loopback address without a token throws naming the token option; nothing listens', () => {
    assert.throws(() => new BackdoorServer(['0.0.0.0', 0]), /token option/);
    assert.throws(() => new BackdoorServer(':0'), /token option/);
    assert.throws(() => new BackdoorServer(['127.0.0.1', 0], { token: 'a\nb' }), TypeError);
    assert.throws(() => new BackdoorServer(['127.0.0.1', 0], { locals: 5 as never }), TypeError);
    assert.throws(() => new BackdoorServer(['127.0.0.1', 0], { tokn: 's' } as never), {
      name: 'TypeError',
      message:
        'BackdoorServer: unknown option "tokn"; the options are spawn, backlog, reusePort, tls, locals, banner, token',
    });
    new BackdoorServer(['127.0.0.1', 0], { spawn: 2, backlog: 5, locals: {}, banner: 'b' });
    new BackdoorServer(['0.0.0.0', 0], { token: 'secret' }); // allowed with a token
    new BackdoorServer(['localhost', 0]);
    new BackdoorServer(['::1', 0]);
  });

  test('with a token: a wrong first line closes the connection before anything is sent', async () => {
    const server = new BackdoorServer(['127.0.0.1', 0], { token: 's3cret', banner: 'hi' });
    await server.start();
    try {
      const port = server.serverPort as number;
      const wrong = await session(port, (send) => send('guess\n1 + 1\n'));
      assert.equal(wrong.out, '');
      assert.ok(wrong.closedByServer);
      const right = await session(port, (send, c) => {
        send('s3cret\n20 + 22\n');
        c.end();
      });
      assert.ok(right.out.startsWith('hi\n'), right.out);
      assert.match(right.out, /42/);
    } finally {
      await server.stop();
    }
  });

  test('a session is killed when the server stops', async () => {
    const server = new BackdoorServer(['127.0.0.1', 0], { locals: { sleep } });
    await server.start();
    let got = '';
    let closed = false;
    const c = net.connect(server.serverPort as number, '127.0.0.1');
    c.on('data', (d) => {
      got += d;
    });
    c.on('error', () => {});
    c.on('close', () => {
      closed = true;
    });
    await until(() => got.includes('>>>'));
    await server.stop({ timeout: 100 });
    await until(() => closed);
    assert.ok(closed);
  });
});

describe('gevent test__backdoor.py', () => {
  test('test_multi, test_quit: ten clients at once, lines ending in CRLF, each gets 4 and quit() closes it', async () => {
    const server = new BackdoorServer(['127.0.0.1', 0]);
    await server.start();
    try {
      const results = await Promise.all(
        Array.from({ length: 10 }, () =>
          session(server.serverPort as number, (send) => send('2+2\r\nquit()\r\n')),
        ),
      );
      for (const { out, closedByServer } of results) {
        assert.match(out, /^>>> 4\n>>> $/, JSON.stringify(out));
        assert.ok(closedByServer);
      }
    } finally {
      await server.stop();
    }
  });

  test('test_switch_exc: a line that waits on a Queue with a timeout and sleeps prints in order, then the prompt', async () => {
    const server = new BackdoorServer(['127.0.0.1', 0], { locals: { Queue, sleep } });
    await server.start();
    try {
      const code =
        "await (async () => { const q = new Queue(); console.log('switching out, then throwing in'); " +
        "try { await q.get({ timeout: 100 }); } catch (e) { console.log('Got', e.name); } " +
        "console.log('switching out'); await sleep(100); console.log('switched in'); })()\r\n";
      const { out } = await session(server.serverPort as number, async (send, c) => {
        send(code);
        await until(() => false, 600);
        c.end();
      });
      assert.equal(
        out.replace(/\r\n/g, '\n'),
        '>>> switching out, then throwing in\nGot QueueEmpty\nswitching out\nswitched in\nundefined\n>>> ',
      );
    } finally {
      await server.stop();
    }
  });

  test('TestUnixSocket: the same session over a Unix socket, no token needed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'verdant-bd-'));
    const path = join(dir, 'backdoor.sock');
    const server = new BackdoorServer({ path }, { banner: 'Welcome stranger!' });
    await server.start();
    try {
      const out = await new Promise<string>((resolve) => {
        const c = net.connect(path);
        let got = '';
        c.on('data', (d) => {
          got += d;
        });
        c.on('error', () => {});
        c.on('close', () => resolve(got));
        c.on('connect', () => c.write('2+2\r\nquit()\r\n'));
        setTimeout(() => c.destroy(), 10_000);
      });
      assert.equal(out, 'Welcome stranger!\n>>> 4\n>>> ');
    } finally {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
