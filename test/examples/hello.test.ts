import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { main } from '../../examples/hello.js';
import { capture } from './_capture.js';

const root = new URL('../../../', import.meta.url);

test('hello prints what the README says it prints, in 300 ms plus the 50 ms timeout', async () => {
  const { lines, ms } = await capture(main);
  assert.deepEqual(lines, ['task 1 done', 'task 2 done', 'task 3 done', '[ 9, 1, 4 ]', 'too slow']);
  assert.equal(ms, 350);
});

test("README.md's first TypeScript block is examples/hello.ts, imported from verdant", () => {
  const source = readFileSync(new URL('examples/hello.ts', root), 'utf8');
  const readme = readFileSync(new URL('README.md', root), 'utf8');

  const taskStart = source.indexOf('async function task(');
  const task = source.slice(taskStart, source.indexOf('\n}\n', taskStart) + 2);
  const mainHead = 'export async function main(): Promise<void> {\n';
  const bodyStart = source.indexOf(mainHead) + mainHead.length;
  const body = source
    .slice(bodyStart, source.indexOf('\n}\n', bodyStart))
    .split('\n')
    .map((line) => line.slice(2))
    .join('\n');
  const expected = [
    "import { joinAll, sleep, spawn, withTimeout } from 'verdant';",
    '',
    task,
    '',
    body,
  ].join('\n');

  const blockStart = readme.indexOf('```ts\n') + '```ts\n'.length;
  const block = readme.slice(blockStart, readme.indexOf('\n```', blockStart));
  assert.equal(block, expected);
});
