// The whole-call timeout of sendall and of a socket file's flush runs on the hub's clock, as
// every other wait: under the virtual clock (verdant/testing) it is virtual milliseconds. They
// measured it with performance.now(), so real time spent while the virtual clock stood still
// ate their timeout (found by review). Real time passes here with the virtual clock standing
// still: a synchronous wait of the whole thread (Atomics.wait).
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { getHub, sleep, spawn } from '../../src/index.js';
import { SocketTimeout } from '../../src/io/socket.js';
import { runVirtual } from '../../src/testing/virtual.js';
import { assertNoLiveHandles, streamKinds } from './_net.js';

const tcp = streamKinds[0] as (typeof streamKinds)[0];

/** Let `ms` real milliseconds pass without a turn of the loop: the virtual clock stands still. */
function spinReal(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Read from `sock` until end of stream (a greenlet's body). */
async function drain(sock: { recv(n: number): Promise<Uint8Array> }): Promise<void> {
  while ((await sock.recv(1 << 20)).length > 0) {}
}

describe('sendall and flush deadlines follow the hub clock', () => {
  test('sendall(big, {timeout}) under the virtual clock times out after exactly that many virtual ms, however much real time passed (found by review: real time spent while the virtual clock stood still ate the timeout)', async () => {
    await runVirtual(async () => {
      const p = await tcp.pair();
      try {
        const t0 = getHub().now();
        const g = spawn(() => p.client.sendall(new Uint8Array(64 << 20), { timeout: 200 }));
        await sleep(0); // the sender fills Node's buffer and waits for 'drain'
        spinReal(300);
        assert.equal(getHub().now(), t0, 'the virtual clock stood still');
        const reader = spawn(drain, p.server);
        const err = await g.get().catch((e: unknown) => e);
        assert.ok(err instanceof SocketTimeout, `expected a SocketTimeout, got ${String(err)}`);
        assert.equal(getHub().now() - t0, 200, 'the timeout is virtual milliseconds');
        p.client.close();
        await reader.get();
      } finally {
        p.close();
      }
    });
  });

  test("a flush waiting for its turn keeps the rest of its timeout on the hub's clock: it times out after exactly that many virtual ms (found by review: performance.now)", async () => {
    await runVirtual(async () => {
      const p = await tcp.pair();
      try {
        const f = p.client.makefile();
        const t0 = getHub().now();
        // A holds the turn, waiting for 'drain'; B waits for the turn.
        const a = spawn(async () => {
          await f.write(new Uint8Array(64 << 20));
        });
        await sleep(0);
        const b = spawn(async () => {
          await f.write('b');
          await f.flush({ timeout: 200 });
        });
        await sleep(0);
        spinReal(300);
        assert.equal(getHub().now(), t0, 'the virtual clock stood still');
        // A killed: B gets the turn and A's rest to send; the peer does not read.
        void a.kill({ block: false });
        const err = await b.get().catch((e: unknown) => e);
        assert.ok(err instanceof SocketTimeout, `expected a SocketTimeout, got ${String(err)}`);
        assert.equal(getHub().now() - t0, 200, 'the timeout is virtual milliseconds');
        f.close();
      } finally {
        p.close();
      }
    });
  });
});

after(() => assertNoLiveHandles());
