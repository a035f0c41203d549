import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from '../../examples/recipe-crawler.js';
import { captureReal } from './_capture.js';

test('recipe-crawler: Pool(3).imap fetches the pages in input order, at most three at once', async () => {
  const { lines, reports } = await captureReal(main);
  assert.deepEqual(
    lines.slice(0, 9),
    Array.from({ length: 9 }, (_, i) => `${7 * (i + 1)} bytes: page ${i} `),
  );
  const m = /^at most (\d) requests at once$/.exec(lines[9] ?? '');
  assert.ok(m, lines.join('\n'));
  assert.ok(Number(m[1]) <= 3 && Number(m[1]) >= 1);
  assert.deepEqual(reports, []);
});
