// Interop: a Hono app (a Fetch handler: `app.fetch`) and an Express app (a Node handler:
// `(req, res)`) served by HttpServer, each request in its own greenlet.
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { after, test } from 'node:test';
import express from 'express';
import { Hono } from 'hono';
import { Greenlet, getCurrent, sleep, Timeout } from '../../src/index.js';
import { assertNoLiveHandles } from '../io/_net.js';
import { memoryLog, serve, sleepReal } from './_http.js';

test('a Hono app is a Fetch handler: routes, params, JSON, a streamed body', async () => {
  const app = new Hono();
  app.get('/hello/:name', (c) => c.text(`hello ${c.req.param('name')}`));
  app.post('/json', async (c) =>
    c.json({ got: await c.req.json(), greenlet: getCurrent() instanceof Greenlet }),
  );
  app.get('/slow', async (c) => {
    await sleep(10); // a verdant wait inside a Hono route
    return c.text('slept');
  });
  const server = await serve((req: Request) => app.fetch(req));
  const base = `http://127.0.0.1:${server.serverPort}`;
  assert.equal(await (await fetch(`${base}/hello/world`)).text(), 'hello world');
  const r = await fetch(`${base}/json`, {
    method: 'POST',
    body: JSON.stringify({ a: 1 }),
    headers: { 'content-type': 'application/json' },
  });
  assert.deepEqual(await r.json(), { got: { a: 1 }, greenlet: true });
  assert.equal(await (await fetch(`${base}/slow`)).text(), 'slept');
  assert.equal((await fetch(`${base}/nope`)).status, 404);
  await server.stop();
});

test('an Express app is a Node handler: routing, middleware, req.params, res.json', async () => {
  const app = express();
  app.use(express.json());
  app.get('/hello/:name', (req, res) => {
    res.send(`hello ${req.params.name}`);
  });
  app.post('/json', (req, res) => {
    res.json({ got: req.body as unknown, greenlet: getCurrent() instanceof Greenlet });
  });
  const server = await serve((req: IncomingMessage, res: ServerResponse) => {
    app(req as never, res as never);
  });
  assert.equal(server.isNodeHandler, true);
  const base = `http://127.0.0.1:${server.serverPort}`;
  assert.equal(await (await fetch(`${base}/hello/there`)).text(), 'hello there');
  const r = await fetch(`${base}/json`, {
    method: 'POST',
    body: JSON.stringify({ b: 2 }),
    headers: { 'content-type': 'application/json' },
  });
  assert.deepEqual(await r.json(), { got: { b: 2 }, greenlet: true });
  assert.equal((await fetch(`${base}/nope`)).status, 404);
  await server.stop();
});

test('an async Express route that makes verdant waits answers: the greenlet lives until its response ends (found by a newcomer: the route hung, its sleep abandoned with the ended greenlet)', async () => {
  const app = express();
  const seen: unknown[] = [];
  app.get('/slow', async (_req, res) => {
    const g = getCurrent();
    await sleep(20); // app(req, res) has returned long before this wait settles
    seen.push(getCurrent() === g && g instanceof Greenlet && !g.dead);
    res.send('slept');
  });
  app.get('/timed', async (_req, res) => {
    try {
      using _t = Timeout.startNew(10);
      await sleep(1000);
      res.send('late');
    } catch (e) {
      res.status(504).send(e instanceof Timeout ? 'timeout' : String(e));
    }
  });
  const server = await serve((req: IncomingMessage, res: ServerResponse) => {
    app(req as never, res as never);
  });
  const base = `http://127.0.0.1:${server.serverPort}`;
  const bounded = { signal: AbortSignal.timeout(5000) }; // hung before the fix: fail, not hang
  const slow = await Promise.all([fetch(`${base}/slow`, bounded), fetch(`${base}/slow`, bounded)]);
  assert.deepEqual(await Promise.all(slow.map((r) => r.text())), ['slept', 'slept']);
  assert.deepEqual(seen, [true, true]);
  const t = await fetch(`${base}/timed`, bounded);
  assert.deepEqual([t.status, await t.text()], [504, 'timeout']);
  await server.stop();
});

test('a Node handler that returns with its response open is in flight for stop({timeout}): answered when it ends in time, killed and dropped when not, and the log says which', async () => {
  const log = memoryLog();
  let finallyRan = 0;
  let started = 0;
  const server = await serve(
    (req: IncomingMessage, res: ServerResponse) => {
      started++;
      const ms = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('ms'));
      // As Express runs a route: called, not returned, its rejection caught.
      (async () => {
        try {
          await sleep(ms); // a verdant wait in the handler greenlet's context
          res.end(`after ${ms}`);
        } finally {
          finallyRan++;
        }
      })().catch(() => undefined);
    },
    { log },
  );
  const base = `http://127.0.0.1:${server.serverPort}`;
  const quick = fetch(`${base}/?ms=30`).then((r) => r.text());
  const stuck = fetch(`${base}/?ms=5000`).then(
    (r) => r.text(),
    (e: unknown) => `failed: ${(e as Error).name}`,
  );
  for (let i = 0; i < 200 && started < 2; i++) await sleepReal(5); // both are in their handlers
  assert.equal(started, 2);
  await server.stop({ timeout: 150 });
  assert.equal(await quick, 'after 30');
  assert.match(await stuck, /^failed: /); // dropped at the stop's timeout, no answer
  for (let i = 0; i < 100 && log.lines.length < 2; i++) await sleepReal(10);
  assert.deepEqual(log.lines.map((l) => / (\d{3}) /.exec(l)?.[1]).sort(), ['000', '200']);
  // The kill that ended the stuck request landed in its route's sleep too: every finally ran.
  assert.equal(finallyRan, 2);
});

after(() => assertNoLiveHandles());
