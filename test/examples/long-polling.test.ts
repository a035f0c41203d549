// The long-polling example (seed 000): its main() on real loopback sockets, and its producer's
// bound: with nobody listening the queue holds the latest `backlog` items, the producer drops
// the oldest and never waits, and a listener that comes later gets those items, then live ones.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createApp, main } from '../../examples/long-polling.js';
import { getHub, sleep } from '../../src/index.js';
import { runVirtual } from '../../src/testing/virtual.js';
import { printed } from './_capture.js';

test('main() prints one JSON line per item of the queue', async () => {
  assert.deepEqual(await printed(main), Array(3).fill('line: "Hello World"'));
});

test('with nobody listening the queue stays at backlog items: the producer drops the oldest and goes on', async () => {
  await runVirtual(async () => {
    const { app, stop, stats } = createApp(1000, 10);
    try {
      await sleep(3600_000 + 500); // an hour of production with no listener
      assert.deepEqual(stats(), { produced: 3601, dropped: 3591, queued: 10 });
      // A listener now gets the 10 queued items at once, then one a period.
      const reader = (app(new Request('http://127.0.0.1/')).body as ReadableStream).getReader();
      const t0 = getHub().now();
      const decoder = new TextDecoder();
      let text = '';
      while (text.split('\n').length <= 11) {
        const { value, done } = await reader.read();
        assert.equal(done, false);
        text += decoder.decode(value as Uint8Array, { stream: true });
      }
      assert.equal(text.split('\n').length, 12, 'eleven lines: the ten queued, then the next live');
      assert.ok(
        text
          .split('\n')
          .slice(0, 11)
          .every((l) => l === '"Hello World"'),
      );
      assert.equal(getHub().now() - t0, 500, 'the eleventh came with the next production');
      assert.equal(stats().queued, 0);
      await reader.cancel();
    } finally {
      await stop();
    }
  });
});
