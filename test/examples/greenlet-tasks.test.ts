import assert from 'node:assert/strict';
import { test } from 'node:test';
import { main } from '../../examples/greenlet-tasks.js';
import { capture } from './_capture.js';

test('greenlet-tasks: each Task subclass prints its own name, in start order', async () => {
  const { lines } = await capture(main);
  assert.deepEqual(lines, ['Task task1: some task...', 'Task task2: some task...']);
});
