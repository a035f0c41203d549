// A client that goes away while its request is in flight: the request greenlet is killed (its
// signal aborts) and ends quietly — a kill is not a failure — whether it was reading the request
// body or producing a streamed response. gevent: test__pywsgi.py (client disconnect).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Event, type Greenlet, GreenletExit, getCurrent, sleep } from '../../src/index.js';
import { Pool } from '../../src/pool/index.js';
import { noUnhandled } from '../_util.js';
import { assertNoLiveHandles } from '../io/_net.js';
import { captureHubReports, memoryLog, RawClient, serve, sleepReal } from './_http.js';

for (const kind of ['Content-Length', 'chunked'] as const) {
  const head =
    kind === 'chunked'
      ? 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n'
      : 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\nhello';

  test(`a client gone in the middle of a ${kind} body: the Fetch handler reading it is killed, nothing reported`, async () => {
    const cap = captureHubReports();
    const reading = new Event();
    let g: Greenlet | undefined;
    let caught: unknown;
    const server = await serve(async (req) => {
      g = getCurrent() as Greenlet;
      reading.set();
      try {
        return new Response(await req.text());
      } catch (err) {
        caught = err;
        throw err;
      }
    });
    try {
      const unhandled = await noUnhandled(async () => {
        const c = new RawClient(server.serverPort as number);
        c.send(head);
        await reading.wait({ timeout: 3000 });
        await sleepReal(20); // the handler waits for the rest of the body
        c.destroy();
        assert.ok(g !== undefined);
        await g.join({ timeout: 3000 });
      });
      assert.ok(g?.dead);
      assert.equal(g?.successful(), true, `ended by ${String(g?.exception)}`);
      assert.ok(g?.value instanceof GreenletExit, `ended by ${String(g?.value)}`);
      assert.ok(caught instanceof GreenletExit, `the read failed with ${String(caught)}`);
      assert.equal(g?.signal.aborted, true);
      assert.deepEqual(unhandled, []);
      assert.deepEqual(cap.reports, []);
    } finally {
      cap.restore();
      await server.stop();
    }
  });

  test(`a client gone in the middle of a ${kind} body: the Node handler reading it is killed, nothing reported`, async () => {
    const cap = captureHubReports();
    const reading = new Event();
    let g: Greenlet | undefined;
    const server = await serve(async (req: IncomingMessage, res: ServerResponse) => {
      g = getCurrent() as Greenlet;
      reading.set();
      let n = 0;
      for await (const chunk of req) n += (chunk as Buffer).length;
      res.end(String(n));
    });
    try {
      const unhandled = await noUnhandled(async () => {
        const c = new RawClient(server.serverPort as number);
        c.send(head);
        await reading.wait({ timeout: 3000 });
        await sleepReal(20);
        c.destroy();
        assert.ok(g !== undefined);
        await g.join({ timeout: 3000 });
      });
      assert.ok(g?.dead);
      assert.equal(g?.successful(), true, `ended by ${String(g?.exception)}`);
      assert.ok(g?.value instanceof GreenletExit, `ended by ${String(g?.value)}`);
      assert.deepEqual(unhandled, []);
      assert.deepEqual(cap.reports, []);
    } finally {
      cap.restore();
      await server.stop();
    }
  });
}

test('a client gone in the middle of the body of a request the handler sleeps through: killed at its sleep', async () => {
  const cap = captureHubReports();
  const entered = new Event();
  let g: Greenlet | undefined;
  const server = await serve(async () => {
    g = getCurrent() as Greenlet;
    entered.set();
    await sleep(60000);
    return new Response('never');
  });
  try {
    const c = new RawClient(server.serverPort as number);
    c.send('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nab');
    await entered.wait({ timeout: 3000 });
    c.destroy();
    await g?.join({ timeout: 3000 });
    assert.ok(g?.value instanceof GreenletExit);
    assert.deepEqual(cap.reports, []);
  } finally {
    cap.restore();
    await server.stop();
  }
});

test('a client gone while a ReadableStream body sleeps in pull(): the stream is cancelled and the sleep ends', async () => {
  const cap = captureHubReports();
  let pulls = 0;
  let cancelled: unknown = 'not cancelled';
  let pullEnded = false;
  let g: Greenlet | undefined;
  const server = await serve(() => {
    g = getCurrent() as Greenlet;
    return new Response(
      new ReadableStream<Uint8Array>({
        async pull(ctrl): Promise<void> {
          pulls++;
          try {
            await sleep(pulls === 1 ? 1 : 60000);
          } finally {
            pullEnded = pulls > 1;
          }
          ctrl.enqueue(new TextEncoder().encode(`piece${pulls}\n`));
        },
        cancel(reason): void {
          cancelled = reason;
        },
      }),
    );
  });
  try {
    const unhandled = await noUnhandled(async () => {
      const c = new RawClient(server.serverPort as number);
      c.send('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
      await c.until((d) => d.includes('piece1'));
      await sleepReal(20); // the second pull sleeps
      c.destroy();
      await g?.join({ timeout: 3000 });
      for (let i = 0; i < 100 && !pullEnded; i++) await sleepReal(10);
    });
    assert.ok(g?.dead);
    assert.ok(g?.value instanceof GreenletExit, `ended by ${String(g?.exception ?? g?.value)}`);
    assert.notEqual(cancelled, 'not cancelled', 'the source was cancelled');
    assert.ok(pullEnded, 'the sleep in pull() ended');
    assert.deepEqual(unhandled, []);
    assert.deepEqual(cap.reports, []);
  } finally {
    cap.restore();
    await server.stop();
  }
});

test('a client gone while a ReadableStream body sleeps in pull(): nothing keeps the process alive', async () => {
  const app = fileURLToPath(new URL('./_disconnect/app.js', import.meta.url));
  const child = spawn(process.execPath, [app], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d: string) => {
    out += d;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
  const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
  clearTimeout(timer);
  assert.equal(signal, null, `the process had to be killed; it printed ${JSON.stringify(out)}`);
  assert.equal(code, 0);
  assert.deepEqual(JSON.parse(out), { cancelled: true, pullEnded: true });
});

test('a request pipelined behind another that waits for a slot of a full Pool, whose client goes away meanwhile, never runs', async () => {
  const pool = new Pool(1);
  const entered = new Event();
  const release = new Event();
  const ran: string[] = [];
  const server = await serve(
    async (req) => {
      const path = new URL(req.url).pathname;
      ran.push(path);
      if (path === '/first') {
        entered.set();
        await release.wait();
        return new Response('first');
      }
      if (path === '/ok') return new Response('ok');
      // A long poll: it would hold the pool's one slot for as long as it runs.
      await sleep(60000);
      return new Response('never');
    },
    { spawn: pool },
  );
  try {
    const c = new RawClient(server.serverPort as number);
    c.send('GET /first HTTP/1.1\r\nHost: x\r\n\r\nGET /second HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.ok(await entered.wait({ timeout: 3000 }));
    c.destroy(); // /first is killed; /second still waits for the slot
    assert.ok(await pool.join({ timeout: 3000 }));
    await sleepReal(30);
    assert.deepEqual(ran, ['/first'], 'the request of a gone client is not dispatched');
    assert.equal(pool.size, 0, 'the slot is free');
    const res = await fetch(`http://127.0.0.1:${server.serverPort}/ok`);
    assert.equal(await res.text(), 'ok', 'the server still answers');
  } finally {
    release.set();
    await server.stop({ timeout: 100 });
  }
});

for (const node of [false, true]) {
  test(`a client gone while the ${node ? 'Node' : 'Fetch'} handler is in a foreign await: its response with a Content-Length afterwards is not reported as a failure`, async () => {
    const cap = captureHubReports();
    const entered = new Event();
    let g: Greenlet | undefined;
    let gone: () => void = () => {};
    const clientGone = new Promise<void>((resolve) => {
      gone = resolve;
    });
    const server = node
      ? await serve(async (_req: IncomingMessage, res: ServerResponse) => {
          g = getCurrent() as Greenlet;
          entered.set();
          await clientGone; // a foreign await (a database call): no kill lands there
          res.writeHead(200, { 'Content-Length': '2' });
          res.end('ok');
        })
      : await serve(async () => {
          g = getCurrent() as Greenlet;
          entered.set();
          await clientGone;
          return new Response('ok');
        });
    try {
      const c = new RawClient(server.serverPort as number);
      c.send('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
      await entered.wait({ timeout: 3000 });
      c.destroy();
      await sleepReal(50); // the server has seen the connection close
      gone();
      // Not joined: a failure of a greenlet nobody waits on would be reported.
      for (let i = 0; i < 300 && g?.dead !== true; i++) await sleepReal(10);
      await sleepReal(10);
      assert.equal(g?.dead, true);
      assert.ok(
        g?.value instanceof GreenletExit,
        `ends as killed, not failed: ${String(g?.exception)}`,
      );
      assert.deepEqual(cap.reports, [], 'a client that left is not a failure of the app');
    } finally {
      cap.restore();
      await server.stop();
    }
  });
}

after(() => assertNoLiveHandles());

test('a kill that lands while the server looks whether an unread chunked body has ended (one turn of the loop): the request ends killed, quietly, its response body cancelled, its connection closed', async () => {
  const cap = captureHubReports();
  let cancelled = 0;
  let g: Greenlet | undefined;
  const server = await serve(() => {
    const me = getCurrent() as Greenlet;
    g = me;
    // Lands once the server waits (it gets there without a switch after the app returns).
    process.nextTick(() => void me.kill({ block: false }));
    return new Response(
      new ReadableStream({
        pull(ctrl) {
          ctrl.enqueue(new TextEncoder().encode('x'));
        },
        cancel() {
          cancelled++;
        },
      }),
    );
  });
  try {
    const c = new RawClient(server.serverPort as number);
    // The head and part of a chunked body the app leaves unread.
    c.send('POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n');
    const d = await c.untilClosed();
    assert.ok(g !== undefined);
    await g.join({ timeout: 3000 });
    assert.ok(g.value instanceof GreenletExit, `ended by ${String(g.value)}`);
    assert.equal(cancelled, 1, 'the response body was cancelled');
    assert.equal(d, '', 'nothing of the response went out');
    assert.deepEqual(cap.reports, []);
  } finally {
    cap.restore();
    await server.stop();
  }
});

/** The lines of `log` without client, time and duration: `"GET /x HTTP/1.1" 200 3`. */
function logged(lines: string[]): string[] {
  return lines.map((l) => {
    const m = /^127\.0\.0\.1 - - \[[^\]]+\] (".*" \d{3} (?:\d+|-)) \d+\.\d{6}\n$/.exec(l);
    assert.ok(m, `an access-log line: ${JSON.stringify(l)}`);
    return m[1] as string;
  });
}

for (const kind of ['Fetch', 'Node', 'Fetch in a Pool of 1'] as const) {
  test(`requests pipelined behind a slow one whose client leaves each get one access-log line, 000 (${kind} handler)`, async () => {
    const log = memoryLog();
    const ran: string[] = [];
    const entered = new Event();
    const opts = { log, ...(kind === 'Fetch in a Pool of 1' ? { spawn: new Pool(1) } : {}) };
    const server =
      kind === 'Node'
        ? await serve((req: IncomingMessage, res: ServerResponse) => {
            ran.push(req.url as string);
            if (req.url === '/slow') {
              entered.set();
              return sleep(60000).then(() => res.end('slow'));
            }
            res.end('x');
            return undefined;
          }, opts)
        : await serve(async (req) => {
            const path = new URL(req.url).pathname;
            ran.push(path);
            if (path === '/slow') {
              entered.set();
              await sleep(60000);
            }
            return new Response('x');
          }, opts);
    try {
      const c = new RawClient(server.serverPort as number);
      c.send(
        'GET /slow HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\nGET /c HTTP/1.1\r\nHost: x\r\n\r\n',
      );
      assert.ok(await entered.wait({ timeout: 3000 }));
      await sleepReal(30); // /b and /c have run (or wait for the pool's slot)
      assert.deepEqual(ran, kind === 'Fetch in a Pool of 1' ? ['/slow'] : ['/slow', '/b', '/c']);
      c.destroy();
      for (let i = 0; i < 100 && log.lines.length < 3; i++) await sleepReal(10);
      await sleepReal(30); // no line more
      assert.deepEqual(logged(log.lines), [
        '"GET /slow HTTP/1.1" 000 -',
        '"GET /b HTTP/1.1" 000 -',
        '"GET /c HTTP/1.1" 000 -',
      ]);
    } finally {
      await server.stop({ timeout: 100 });
    }
  });
}

test('stop({timeout}) that kills a slow request logs the request pipelined behind it too (000: nothing of it went out)', async () => {
  const log = memoryLog();
  const ran: string[] = [];
  const entered = new Event();
  const server = await serve(
    async (req) => {
      const path = new URL(req.url).pathname;
      ran.push(path);
      if (path === '/slow') {
        entered.set();
        await sleep(60000);
      }
      return new Response('x');
    },
    { log },
  );
  const c = new RawClient(server.serverPort as number);
  c.send('GET /slow HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n');
  assert.ok(await entered.wait({ timeout: 3000 }));
  await sleepReal(30);
  await server.stop({ timeout: 50 });
  // Written by the time stop() resolves (found by a newcomer: they came a few ms after).
  assert.deepEqual(logged(log.lines), ['"GET /slow HTTP/1.1" 000 -', '"GET /b HTTP/1.1" 000 -']);
  await sleepReal(30);
  c.destroy();
  assert.deepEqual(ran, ['/slow', '/b']);
  assert.deepEqual(logged(log.lines), ['"GET /slow HTTP/1.1" 000 -', '"GET /b HTTP/1.1" 000 -']);
});
