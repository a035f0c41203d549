// The public surface test (STYLE §13): every subpath of package.json's `exports` map is
// imported by the package's own name, as a user would, and its export names are compared with
// the checked-in list in test/exports.json. A change here is an API change: regenerate the list
// with `npm run exports:update` and review the diff.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

// This file runs as dist/test/exports.test.js; package.json and the list stay at the root.
const root = new URL('../../', import.meta.url);
const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as {
  name: string;
  exports: Record<string, unknown>;
};
const expected = JSON.parse(readFileSync(new URL('test/exports.json', root), 'utf8')) as Record<
  string,
  string[]
>;

const update = 'run `npm run exports:update` and review the diff of test/exports.json';
const specifiers = Object.keys(pkg.exports)
  .filter((subpath) => subpath !== './package.json')
  .map((subpath) => (subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`));

for (const specifier of specifiers) {
  test(`${specifier} exports exactly the names listed in test/exports.json`, async () => {
    const mod = (await import(specifier)) as Record<string, unknown>;
    const actual = Object.keys(mod).sort();
    const listed = expected[specifier];
    assert.ok(listed, `test/exports.json has no entry for "${specifier}": ${update}`);
    assert.deepEqual(actual, listed, `the exports of "${specifier}" changed: ${update}`);
  });
}

test('test/exports.json lists only subpaths of the exports map', () => {
  const stale = Object.keys(expected).filter((k) => k !== '//' && !specifiers.includes(k));
  assert.deepEqual(stale, [], `test/exports.json names unknown subpaths: ${update}`);
});
