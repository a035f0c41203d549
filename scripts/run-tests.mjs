// Runs every compiled test file (dist/test/**/*.test.js) with node's own test runner.
// The files are passed as an explicit list: a folder argument works on Node 20 but not on
// 24, a quoted glob on 24 but not on 20.
//
// Usage: node scripts/run-tests.mjs [filter ...]
//   Each filter keeps the files whose path (relative to dist/test) contains it.
//   Example: npm test -- sync/lock queue
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const testDir = join(root, 'dist', 'test');
const filters = process.argv.slice(2);

if (!existsSync(testDir)) {
  console.error(
    `run-tests: ${relative(root, testDir)} does not exist: run \`npm run build\` first`,
  );
  process.exit(1);
}

const all = readdirSync(testDir, { recursive: true })
  .map((entry) => String(entry).split(sep).join('/'))
  .filter((entry) => entry.endsWith('.test.js'))
  .sort();
const files = filters.length === 0 ? all : all.filter((f) => filters.some((s) => f.includes(s)));

if (files.length === 0) {
  const why = filters.length === 0 ? '' : ` matching ${filters.map((s) => `"${s}"`).join(', ')}`;
  console.error(`run-tests: no test files${why} found under dist/test (looked for *.test.js)`);
  process.exit(1);
}

console.log(`run-tests: node ${process.version}, ${files.length} test file(s)`);
const result = spawnSync(
  process.execPath,
  [
    '--test',
    '--test-reporter=spec',
    // Per test file as well as per test: the cluster file forks ~40 worker processes and took
    // 48 s alone on a loaded 2-CPU host, too near a 60 s limit. A hung test still fails.
    '--test-timeout=120000',
    ...files.map((f) => join('dist', 'test', f)),
  ],
  { cwd: root, stdio: 'inherit' },
);
if (result.error) {
  console.error(`run-tests: could not start node: ${result.error.message}`);
  process.exit(1);
}
if (result.signal) {
  console.error(`run-tests: the test runner was killed by ${result.signal}`);
  process.exit(1);
}
process.exit(result.status ?? 1);
