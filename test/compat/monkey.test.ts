// verdant/monkey: patchAll() makes fetch, node:timers/promises and node:dns/promises lookups
// verdant waits inside greenlets. Real sockets on 127.0.0.1 and real timers on the real hub
// (short real timeouts); node --test runs this file in a process of its own, so patching the
// globals here touches no other test file.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { lookup } from 'node:dns/promises';
import http from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo, Socket } from 'node:net';
import { after, describe, test } from 'node:test';
import { setImmediate as immediateP, setTimeout as sleepP } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { isPatched, patchAll } from '../../src/compat/monkey.js';
import { GreenletExit, getHub, spawn, spawnRaw, Timeout } from '../../src/index.js';

const require = createRequire(import.meta.url);
const originalFetch = globalThis.fetch;
const originalSleep = sleepP;
const originalLookup = lookup;

/** A server on 127.0.0.1 that answers /ok and never answers anything else. */
async function startServer(): Promise<{
  url: string;
  /** Resolves at the next request that will hang. */
  nextHang: () => Promise<void>;
  /** One promise per connection, resolved when the server sees it close. */
  closes: Promise<void>[];
  close: () => Promise<void>;
}> {
  const closes: Promise<void>[] = [];
  const sockets = new Set<Socket>();
  let hang: (() => void) | null = null;
  const server = http.createServer((req, res) => {
    if (req.url === '/ok') {
      res.writeHead(200, { 'content-type': 'text/plain', connection: 'close' });
      res.end('hello');
      return;
    }
    hang?.();
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    closes.push(new Promise((resolve) => s.on('close', () => resolve())));
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    nextHang: () =>
      new Promise<void>((resolve) => {
        hang = resolve;
      }),
    closes,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Resolves with `p`, or rejects after `ms` real milliseconds (a bounded wait of the test). */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}

function countResources(kind: string): number {
  return process.getActiveResourcesInfo().filter((r) => r === kind).length;
}

describe('verdant/monkey', () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  after(async () => {
    await server?.close();
  });

  test('before patchAll() nothing is patched', () => {
    assert.equal(isPatched('fetch'), false);
    assert.equal(isPatched('timers'), false);
    assert.equal(isPatched('dns'), false);
    assert.equal(globalThis.fetch, originalFetch);
  });

  test('patchAll() patches fetch, timers and dns, also named imports bound before it; a second call adds nothing', async () => {
    server = await startServer();
    await patchAll();
    assert.equal(isPatched('fetch'), true);
    assert.equal(isPatched('timers'), true);
    assert.equal(isPatched('dns'), true);
    assert.equal(isPatched('socket'), false);
    assert.notEqual(globalThis.fetch, originalFetch);
    const tp = require('node:timers/promises');
    const dp = require('node:dns/promises');
    assert.equal(
      sleepP,
      tp.setTimeout,
      'the named import bound before patchAll() is the patched one',
    );
    assert.notEqual(sleepP, originalSleep);
    assert.equal(immediateP, tp.setImmediate);
    assert.equal(lookup, dp.lookup);
    assert.notEqual(lookup, originalLookup);
    assert.equal(require('node:timers').promises.setTimeout, sleepP);
    assert.equal(require('node:dns').promises.lookup, lookup);
    assert.equal(sleepP.name, 'setTimeout');
    const fetchNow = globalThis.fetch;
    await patchAll();
    assert.equal(globalThis.fetch, fetchNow, 'a second call adds nothing');
    assert.equal(tp.setTimeout, sleepP);
  });

  test('inside a greenlet the patched calls work as the originals do', async () => {
    const g = spawn(async () => {
      const res = await fetch(`${server.url}/ok`);
      const body = await res.text();
      const v = await sleepP(5, 'slept');
      const i = await immediateP('immediate');
      const { address } = await lookup('localhost', { family: 4 });
      return { status: res.status, body, v, i, address };
    });
    assert.deepEqual(await g.get(), {
      status: 200,
      body: 'hello',
      v: 'slept',
      i: 'immediate',
      address: '127.0.0.1',
    });
  });

  test('a kill at a patched fetch throws GreenletExit there and the server sees the connection close', async () => {
    const hung = server.nextHang();
    const before = server.closes.length;
    let caught: unknown;
    let finallyRan = false;
    const g = spawn(async () => {
      try {
        await fetch(`${server.url}/hang`);
      } catch (e) {
        caught = e;
        throw e;
      } finally {
        finallyRan = true;
      }
    });
    await within(hung, 5000, 'the request');
    await g.kill({ timeout: 2000 });
    assert.ok(g.dead);
    assert.ok(caught instanceof GreenletExit, `caught ${String(caught)}`);
    assert.equal(caught, g.value);
    assert.ok(finallyRan);
    assert.equal(server.closes.length, before + 1);
    await within(server.closes[before] as Promise<void>, 5000, 'the connection to close');
  });

  test('a Timeout at a patched fetch throws that Timeout (never an AbortError) and aborts the request', async () => {
    const hung = server.nextHang();
    const before = server.closes.length;
    const g = spawn(async () => {
      const t = Timeout.startNew(100);
      try {
        await fetch(`${server.url}/hang`);
        return 'fetched';
      } catch (e) {
        return e === t ? 'that timeout' : `other: ${String(e)}`;
      } finally {
        t.cancel();
      }
    });
    await within(hung, 5000, 'the request');
    assert.equal(await g.get({ timeout: 5000 }), 'that timeout');
    await within(server.closes[before] as Promise<void>, 5000, 'the connection to close');
  });

  test('inside a greenlet bad options reject as the originals reject them (not spread away)', async () => {
    const calls: [string, () => Promise<unknown>][] = [
      ['setTimeout options 5', () => sleepP(1, 'v', 5 as never)],
      ['setTimeout options null', () => sleepP(1, 'v', null as never)],
      ['setTimeout options []', () => sleepP(1, 'v', [] as never)],
      ['setImmediate options []', () => immediateP('v', [] as never)],
      ['setTimeout signal 5', () => sleepP(1, 'v', { signal: 5 as never })],
      ['setImmediate options 5', () => immediateP('v', 5 as never)],
      ['fetch init 5', () => fetch(`${server.url}/ok`, 5 as never)],
      ['fetch signal 5', () => fetch(`${server.url}/ok`, { signal: 5 as never })],
    ];
    for (const [what, call] of calls) {
      const outside = await call().then(
        (v) => `resolved ${String(v)}`,
        (e: Error) => `${e.name}: ${e.message}`,
      );
      const inside = await spawn(call)
        .get({ timeout: 5000 })
        .then(
          (v) => `resolved ${String(v)}`,
          (e: Error) => `${e.name}: ${e.message}`,
        );
      assert.match(outside, /^TypeError: /, what);
      assert.equal(inside, outside, what);
    }
  });

  test("the call's own signal still works as unpatched", async () => {
    const outside = await fetch(`${server.url}/hang`, { signal: AbortSignal.timeout(20) }).catch(
      (e: Error) => e.name,
    );
    const g = spawn(async () => {
      const ac = new AbortController();
      spawn(() => sleepP(20).then(() => ac.abort()));
      const f = await fetch(`${server.url}/hang`, { signal: ac.signal }).catch(
        (e: Error) => e.name,
      );
      const ac2 = new AbortController();
      const reason = new Error('mine');
      const p = sleepP(10_000, undefined, { signal: ac2.signal });
      ac2.abort(reason);
      const s = await p.catch(
        (e: Error & { cause?: unknown }) => `${e.name} ${e.cause === reason}`,
      );
      return { f, s };
    });
    assert.equal(outside, 'TimeoutError');
    assert.deepEqual(await g.get({ timeout: 5000 }), { f: 'AbortError', s: 'AbortError true' });
  });

  test('a kill or Timeout at a patched setTimeout lands there and clears the timer', async () => {
    const timersBefore = countResources('Timeout');
    const killed = spawn(() => sleepP(60_000));
    const timedOut = spawn(async () => {
      const t = Timeout.startNew(20);
      try {
        await sleepP(60_000);
      } catch (e) {
        return e === t;
      }
      return false;
    });
    const immediate = spawn(async () => {
      const t = Timeout.startNew(0);
      try {
        for (;;) await immediateP();
      } catch (e) {
        return e === t;
      }
    });
    await within(new Promise<void>((resolve) => setTimeout(resolve, 10)), 1000, 'a moment');
    assert.equal(countResources('Timeout') >= timersBefore + 1, true, 'the 60 s timer is live');
    await killed.kill();
    assert.ok((killed.value as unknown) instanceof GreenletExit);
    assert.equal(await timedOut.get({ timeout: 5000 }), true);
    assert.equal(await immediate.get({ timeout: 5000 }), true);
    assert.equal(countResources('Timeout'), timersBefore, 'no timer of ours is left');
  });

  test('a kill at a patched dns lookup throws GreenletExit there', async () => {
    const g = spawn(() => lookup('localhost'));
    const res = spawn(() => lookup('localhost'));
    await new Promise<void>((resolve) => setImmediate(resolve)); // both are in their lookup
    assert.equal(getHub().stats().until, 2, 'each lookup is a verdant wait');
    await g.kill();
    assert.ok((g.value as unknown) instanceof GreenletExit);
    assert.equal(typeof (await res.get({ timeout: 5000 })).address, 'string');
  });

  test('outside any Greenlet (main, a raw greenlet) the patched functions are the originals: no verdant wait', async () => {
    const p = sleepP(5, 'main');
    assert.equal(getHub().stats().until, 0);
    assert.equal(await p, 'main');
    const res = await fetch(`${server.url}/ok`);
    assert.equal(await res.text(), 'hello');
    assert.equal((await lookup('localhost', { family: 4 })).address, '127.0.0.1');
    let inRaw = -1;
    let rawValue = '';
    const done = new Promise<void>((resolve) => {
      spawnRaw(async () => {
        const q = sleepP(5, 'raw');
        inRaw = getHub().stats().until;
        rawValue = await q;
        resolve();
      });
    });
    await within(done, 5000, 'the raw greenlet');
    assert.deepEqual({ inRaw, rawValue }, { inRaw: 0, rawValue: 'raw' });
    const g = spawn(() => {
      const q = sleepP(5);
      const n = getHub().stats().until;
      return q.then(() => n);
    });
    assert.equal(await g.get(), 1, 'inside a greenlet it is one');
  });
});

test('nothing left keeps the process alive: a program whose greenlet is killed in a fetch and a setTimeout exits', () => {
  const monkey = fileURLToPath(new URL('../../src/compat/monkey.js', import.meta.url));
  const verdant = fileURLToPath(new URL('../../src/index.js', import.meta.url));
  const program = `
    import http from 'node:http';
    import { setTimeout as sleepP } from 'node:timers/promises';
    import { patchAll } from ${JSON.stringify(monkey)};
    import { spawn } from ${JSON.stringify(verdant)};
    await patchAll();
    let seen;
    const closed = new Promise((r) => (seen = r));
    const got = new Promise((resolve) => {
      const server = http.createServer(() => resolve(server));
      server.on('connection', (s) => s.on('close', () => { server.close(); seen(); }));
      server.listen(0, '127.0.0.1', () => {
        const url = 'http://127.0.0.1:' + server.address().port + '/hang';
        globalThis.g1 = spawn(() => fetch(url));
        globalThis.g2 = spawn(() => sleepP(600000));
      });
    });
    await got;
    await globalThis.g1.kill();
    await globalThis.g2.kill();
    await closed;
    console.log('killed both');
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', program], {
    encoding: 'utf8',
    timeout: 20_000,
  });
  assert.equal(r.error, undefined, String(r.error));
  assert.equal(r.stderr, '');
  assert.equal(r.stdout, 'killed both\n');
  assert.equal(r.status, 0, 'it exited on its own, well before the 600 s timer');
});

test("test__issue_728.py: patchAll() first, then every verdant subpath imports (gevent's patch_all then the stdlib imports at top level)", () => {
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  const script = `
    const m = await import('verdant/monkey');
    await m.patchAll();
    const { readFileSync } = await import('node:fs');
    const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
    const names = Object.keys(pkg.exports).filter((k) => !k.endsWith('.json'));
    for (const k of names) {
      const mod = await import(k === '.' ? 'verdant' : 'verdant/' + k.slice(2));
      if (Object.keys(mod).length === 0) throw new Error('empty: ' + k);
    }
    console.log(names.length, m.isPatched('fetch'), m.isPatched('timers'), m.isPatched('dns'));
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: root,
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^\d+ true true true\n$/);
  assert.ok(Number.parseInt(r.stdout, 10) >= 16, r.stdout);
});
