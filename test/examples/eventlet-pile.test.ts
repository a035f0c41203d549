import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from '../../examples/eventlet-pile.js';
import { captureReal } from './_capture.js';

test('eventlet-pile: results come in spawn order, whatever order the servers answer in', async () => {
  const { lines, reports } = await captureReal(main);
  const hosts = ['www.google.com', 'www.yandex.ru', 'www.python.org'];
  assert.equal(lines.length, 6);
  // The "connected" lines come as the site answers (its delays make that 2, 3, 1); each comes
  // before any result is printed, since the first result waits for the slowest.
  assert.deepEqual(new Set(lines.slice(0, 3)), new Set(hosts.map((h) => `${h} connected`)));
  assert.deepEqual(
    lines.slice(3),
    hosts.map((h) => {
      const body = `<!doctype html><html><head><title>${h}</title></head><body>…`;
      return `${h}: ${JSON.stringify(body).slice(0, 50)}`;
    }),
  );
  assert.deepEqual(reports, []);
});
