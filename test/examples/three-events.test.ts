import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { main } from '../../examples/three-events.js';
import { LoopExit } from '../../src/index.js';
import { type Captured, capture } from './_capture.js';

const rounds = Array.from({ length: 10 }, () => [
  '进程一:111111111',
  '进程二:222222222',
  '进程三:333333333',
]).flat();

test('three-events goes round ten times, then fun2 and fun3 are blocked forever: LoopExit', async () => {
  const out: Captured = { lines: [], ms: 0, reports: [] };
  const err = await capture(main, out).then(
    () => assert.fail('expected a LoopExit'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof LoopExit);
  // Blocked: the greenlet runVirtual ran main in (waiting in joinAll), fun2 and fun3.
  assert.equal(err.greenlets.length, 3);
  assert.deepEqual(
    err.greenlets.slice(1).map((g) => /: (fun\d)\(/.exec(String(g))?.[1]),
    ['fun2', 'fun3'],
  );
  assert.deepEqual(out.lines, [
    '进程一启动:',
    '进程二启动:',
    '进程三启动:',
    '所有进程都已启动!',
    ...rounds,
  ]);
});

test('three-events on the real hub catches the LoopExit and prints it (run through the tour)', () => {
  const tour = fileURLToPath(new URL('../../examples/tour.js', import.meta.url));
  const r = spawnSync(process.execPath, [tour, 'three-events'], {
    env: { ...process.env, TOUR_SPEED: '200' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(r.status, 0, r.stderr);
  // The tour prints the output beside the code: read the output column.
  const lines = r.stdout
    .split('\n')
    .filter((l) => l.includes(' │'))
    .map((l) => l.slice(l.indexOf(' │') + 3));
  const i = lines.indexOf('LoopExit: This operation would block forever');
  assert.ok(i > 0, r.stdout);
  assert.equal(lines[i - 1], '进程三:333333333');
  // Then the blocked greenlets, one a line: main (in joinAll), fun2 and fun3.
  assert.match(lines[i + 1] ?? '', /^ {2}<RawGreenlet "main">$/);
  assert.match(lines[i + 2] ?? '', /^ {2}<Greenlet "Greenlet-\d+" #\d+: fun2\(/);
  assert.match(lines[i + 3] ?? '', /^ {2}<Greenlet "Greenlet-\d+" #\d+: fun3\(/);
});
