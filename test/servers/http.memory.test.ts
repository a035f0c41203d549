// What HttpServer keeps in memory per connection: a keep-alive connection must not keep the
// request greenlets (with their requests and responses) of the requests it has served. Checked
// with WeakRefs and a full garbage collection, never with timings
// (test/core/greenlet.memory.test.ts does the same for greenlets).
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { getCurrent } from '../../src/index.js';
import { RawClient, serve, sleepReal } from './_http.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** A full collection, after the current job (a WeakRef made in this job keeps its target until it ends). */
async function collect(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
  gc();
  gc();
}

const GET = 'GET / HTTP/1.1\r\nHost: x\r\n\r\n';

/** How many complete `ok` responses `data` holds. */
const count = (data: string): number => data.split('\r\n\r\nok').length - 1;

test('a keep-alive connection keeps no request greenlet that has ended, also one whose response finished before its handler returned', async () => {
  const refs: WeakRef<object>[] = [];
  const server = await serve(async (_req: IncomingMessage, res: ServerResponse) => {
    refs.push(new WeakRef(getCurrent()));
    refs.push(new WeakRef(res));
    res.writeHead(200, { 'Content-Length': '2' });
    res.end('ok');
    // node:http detaches the response from its socket at its 'finish', before this greenlet ends
    // (a foreign await: a verdant wait's Waiter may be kept for reuse, naming its last greenlet).
    await sleepReal(20);
  });
  const client = new RawClient(server.serverPort as number);
  try {
    const N = 5;
    for (let i = 1; i <= N; i++) {
      client.send(GET);
      await client.until((d) => count(d) >= i);
    }
    for (let i = 0; i < 200 && server.pool.size > 0; i++) await sleepReal(5);
    assert.equal(server.pool.size, 0, 'every request greenlet has ended');
    // node:http's Date-header cache timer (at most 1 s) keeps the async context of the response
    // that started it, so the greenlet of that request until it fires.
    await sleepReal(1100);
    await collect();
    // The last request's objects may stay until the connection's next request (node:http's
    // keep-alive timer of the connection keeps its async context); the others not.
    const alive = refs.slice(0, 2 * (N - 1)).filter((r) => r.deref() !== undefined).length;
    assert.equal(
      alive,
      0,
      `${alive} greenlets or responses of ${N - 1} served requests still reachable`,
    );
    assert.equal(client.closed, false, 'the connection is still open');
  } finally {
    client.destroy();
    await server.stop();
  }
});
