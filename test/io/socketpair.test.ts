// socketpair(): two connected Unix stream sockets made through a private directory (Node has no
// socketpair(2)); gevent's test__socketpair.py, and what a kill or timeout leaves behind. The
// stream behaviour itself is the conformance suite's (test/io/_net.ts runs it for socketpair).
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, beforeEach, describe, test } from 'node:test';
import { type Greenlet, GreenletExit, sleep, spawn, Timeout } from '../../src/index.js';
import { type Socket, SocketTimeout, socketpair } from '../../src/io/socket.js';
import { runVirtual } from '../../src/testing/virtual.js';
import { assertNoLiveHandles, liveHandles } from './_net.js';

const text = (b: Uint8Array): string => Buffer.from(b).toString();

/**
 * Each test makes its pairs under a TMPDIR of its own (os.tmpdir() reads TMPDIR at each call),
 * so what a pairing leaves behind is what that directory holds.
 */
let scratch = '';
let savedTmp: string | undefined;
beforeEach(() => {
  savedTmp = process.env.TMPDIR;
  scratch = mkdtempSync(join(tmpdir(), 'verdant-sp-test-'));
  process.env.TMPDIR = scratch;
});
afterEach(() => {
  if (savedTmp === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = savedTmp;
  rmSync(scratch, { recursive: true, force: true });
});

/** Wait (real time, bounded) until the scratch directory is empty and no socket is open. */
async function assertNothingLeft(what: string): Promise<void> {
  for (let i = 0; i < 150 && (readdirSync(scratch).length > 0 || liveHandles().length > 0); i++)
    await sleep(20);
  assert.deepEqual(readdirSync(scratch), [], `${what}: no directory or socket file is left`);
  assert.deepEqual(liveHandles(), [], `${what}: no listener or socket is left open`);
}

describe('socketpair', () => {
  test('gives two connected Unix stream sockets: addresses {path: ""}, family "unix", no timeout; the directory is gone when it resolves', async () => {
    const [a, b] = await socketpair();
    try {
      assert.deepEqual(readdirSync(scratch), [], 'no directory and no listener file stay');
      for (const s of [a, b]) {
        assert.equal(s.type, 'unix');
        assert.equal(s.family, 'unix');
        assert.deepEqual(s.getsockname(), { path: '' });
        assert.deepEqual(s.getpeername(), { path: '' });
        assert.equal(s.gettimeout(), null);
        assert.equal(String(s), '<Socket unix>', 'no path, no trailing space');
      }
      await a.sendall('ping');
      assert.equal(text(await b.recv(4, { timeout: 2000 })), 'ping');
      await b.sendall('pong');
      assert.equal(text(await a.recv(4, { timeout: 2000 })), 'pong');
    } finally {
      a.close();
      b.close();
    }
    assert.equal(String(a), '<Socket unix closed>');
    await assertNothingLeft('after close');
  });

  test('test__socketpair.py test_makefile: one end sends and closes; the other reads it all from a file', async () => {
    const [x, y] = await socketpair();
    await x.sendall('hello world');
    x.close();
    const f = y.makefile();
    assert.equal(text(await f.read(null, { timeout: 2000 })), 'hello world');
    f.close();
    y.close();
    await assertNothingLeft('after close');
  });

  test('pairs are independent: ten made at once each carry their own bytes', async () => {
    const pairs = await Promise.all(Array.from({ length: 10 }, () => socketpair()));
    try {
      await Promise.all(pairs.map(([a], i) => a.sendall(`pair ${i}`)));
      for (const [i, [, b]] of pairs.entries())
        assert.equal(text(await b.recv(100, { timeout: 2000 })), `pair ${i}`);
    } finally {
      for (const [a, b] of pairs) {
        a.close();
        b.close();
      }
    }
    await assertNothingLeft('after close');
  });

  test('a kill at any point of the pairing (cancel point) ends it with GreenletExit and leaves no listener, no file and no socket', async () => {
    let killedWhileMaking = 0;
    let made = 0;
    // Kill after 0, 1, 2 … turns of the event loop: before mkdtemp answers, between listen and
    // connect, once connected; until a round sees the pair made (a loaded machine takes more
    // turns: bounded by 300).
    for (let turns = 0; turns < 300 && made === 0; turns++) {
      const g = spawn(() => socketpair());
      for (let i = 0; i < turns; i++) await new Promise((r) => setImmediate(r));
      if (g.dead) {
        made++;
        const [a, b] = g.value as [Socket, Socket];
        a.close();
        b.close();
      } else {
        await g.kill();
        assert.ok((g.value as unknown) instanceof GreenletExit, `killed after ${turns} turns`);
        killedWhileMaking++;
      }
      await assertNothingLeft(`after ${turns} turns`);
    }
    assert.ok(killedWhileMaking > 0, 'some kills landed while the pair was being made');
    assert.ok(made > 0, 'the pairing completes within 300 turns');
  });

  test('a pair the wait was woken with but that a kill reached first is closed, not lost open (nothing-lost)', async () => {
    type Emit = (...args: unknown[]) => boolean;
    const sockProto = net.Socket.prototype as unknown as { emit: Emit };
    const serverProto = net.Server.prototype as unknown as { emit: Emit };
    const origSocket = sockProto.emit;
    const origServer = serverProto.emit;
    let seen = 0;
    let g: Greenlet<[Socket, Socket]> | null = null;
    // The pair is handed over from the second of 'connect' (client) and 'connection' (listener):
    // a kill requested right after it, before the hub resumes the waiter, must close the pair.
    const spied = (orig: Emit): Emit =>
      function (this: unknown, ...args: unknown[]) {
        const r = Reflect.apply(orig, this, args);
        if ((args[0] === 'connect' || args[0] === 'connection') && ++seen === 2 && g !== null)
          void g.kill({ block: false });
        return r;
      };
    sockProto.emit = spied(origSocket);
    serverProto.emit = spied(origServer);
    try {
      g = spawn(() => socketpair());
      await g.join({ timeout: 5000 });
    } finally {
      sockProto.emit = origSocket;
      serverProto.emit = origServer;
    }
    assert.equal(seen, 2);
    assert.ok((g.value as unknown) instanceof GreenletExit, 'killed, not resumed with the pair');
    await assertNothingLeft('after the kill');
  });

  test('the timeout option bounds the making with SocketTimeout; a Timeout lands there as itself; neither leaves anything (virtual clock: it jumps before mkdtemp can answer)', async () => {
    const err = await runVirtual(() => socketpair({ timeout: 50 }).catch((e: unknown) => e));
    assert.ok(err instanceof SocketTimeout, String(err));
    const t = new Timeout(50);
    const e2 = await runVirtual(async () => {
      t.start();
      try {
        return await socketpair().catch((e: unknown) => e);
      } finally {
        t.close();
      }
    });
    assert.equal(e2, t);
    await assertNothingLeft('after the timeouts');
  });

  test('an aborted signal rejects at once with its reason; bad options reject with TypeError/RangeError', async () => {
    const ac = new AbortController();
    ac.abort(new Error('no pair'));
    await assert.rejects(socketpair({ signal: ac.signal }), { message: 'no pair' });
    await assert.rejects(socketpair({ timeout: -1 }), RangeError);
    await assert.rejects(socketpair('soon' as never), TypeError);
    await assertNothingLeft('after the rejections');
  });

  test('an unusable temporary directory rejects with the error of mkdtemp, naming it', async () => {
    process.env.TMPDIR = join(scratch, 'missing', 'dir');
    await assert.rejects(socketpair(), (e: NodeJS.ErrnoException) => {
      assert.equal(e.code, 'ENOENT');
      assert.match(e.message, /missing/);
      return true;
    });
    process.env.TMPDIR = scratch;
    await assertNothingLeft('after the failure');
  });
});

after(() => assertNoLiveHandles());
