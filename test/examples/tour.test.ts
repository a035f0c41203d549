import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const tour = fileURLToPath(new URL('../../examples/tour.js', import.meta.url));

/** Run the tour in a child process on the real clock, with its delays shortened 200 times. */
function runTour(...names: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [tour, ...names], {
    env: { ...process.env, TOUR_SPEED: '200' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('the tour runs every example on the real hub and exits 0', () => {
  const { status, stdout, stderr } = runTour();
  assert.equal(status, 0, `stdout:\n${stdout}\nstderr:\n${stderr}`);
  const headers = stdout.split('\n').filter((line) => line.startsWith('== '));
  const m = /^verdant tour: (\d+) examples/.exec(stdout);
  assert.ok(m, stdout);
  assert.equal(headers.length, Number(m[1]));
  assert.match(stdout, /\nTour done in [\d.]+ s: \d+ example\(s\) ran\.\n$/);
  // Nothing on stderr: no example failed, and the hub reported no failure nobody waited for.
  assert.equal(stderr, '');
});

test('the tour runs the examples named on its command line, in its own order', () => {
  const { status, stdout } = runTour('local', 'spawn-joinall');
  assert.equal(status, 0);
  const headers = stdout.split('\n').filter((line) => line.startsWith('== '));
  assert.deepEqual(
    headers.map((h) => /(\S+)\.ts,/.exec(h)?.[1]),
    ['spawn-joinall', 'local'],
  );
  // The output column, beside the key lines of code.
  const outputColumn = stdout
    .split('\n')
    .filter((l) => l.includes(' │ '))
    .map((l) => l.slice(l.indexOf(' │ ') + 3));
  assert.deepEqual(outputColumn.slice(0, 5), ['output', '12', '56', '34', '78']);
  assert.match(stdout, /\n {5}await joinAll\(\[spawn\(test1\), spawn\(test2\)\]\);\s+│/);
  assert.match(
    stdout,
    /\n {3}spawn and joinAll: two greenlets take turns at each `sleep\(0\)`\.\n/,
  );
});

test("the tour translates the seeds' Chinese lines in the caption and marks a seed's own bug", () => {
  const { status, stdout } = runTour('three-events', 'queue-products');
  assert.equal(status, 0);
  assert.match(stdout, /进程一:111111111/);
  assert.match(stdout, /所有进程都已启动 = "all processes started"/);
  assert.match(stdout, /│ %s Quit {3}← the seed's own bug, kept/);
});

test('the tour rejects an unknown example name with status 2 and the list of names', () => {
  const { status, stderr } = runTour('no-such-example');
  assert.equal(status, 2);
  assert.match(stderr, /Unknown example\(s\): no-such-example/);
  assert.match(stderr, /spawn-joinall/);
});
