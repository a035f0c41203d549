// Interop: a Hono app (a Fetch handler: `app.fetch`) and an Express app (a Node handler:
// `(req, res)`) served by HttpServer, each request in its own greenlet.
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { after, test } from 'node:test';
import express from 'express';
import { Hono } from 'hono';
import { Greenlet, getCurrent, sleep } from '../../src/index.js';
import { assertNoLiveHandles } from '../io/_net.js';
import { serve } from './_http.js';

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

after(() => assertNoLiveHandles());
