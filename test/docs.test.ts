// The documentation checks (`npm run docs:check` runs them on the whole tree): the @example
// extractor of scripts/check-examples.mjs and the test-reference checker of
// scripts/check-doc-refs.mjs, each shown to catch a bad input; and the rules that need no script
// (TSDoc speaks to users: it never points at DESIGN.md, which is not shipped).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, sep } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

interface Example {
  file: string;
  line: number;
  code: string;
}
interface ExamplesModule {
  extractExamples(file: string, text: string): Example[];
  collectExamples(): Example[];
}
interface RefsModule {
  checkRefs(file: string, text: string, tests: Map<string, string>): string[];
  checkAll(): string[];
}

async function load<T>(script: string): Promise<T> {
  return (await import(pathToFileURL(join(root, 'scripts', script)).href)) as T;
}

describe('@example blocks', () => {
  test('the extractor finds the fenced code after @example, with its line', async () => {
    const { extractExamples } = await load<ExamplesModule>('check-examples.mjs');
    const text = [
      '/**',
      ' * Summary.',
      ' * @example',
      ' * ```ts',
      " * import { sleep } from 'verdant';",
      ' * await sleep(1);',
      ' * ```',
      ' */',
      '/** No example here.',
      ' * ```ts',
      ' * notAnExample();',
      ' * ```',
      ' */',
    ].join('\n');
    assert.deepEqual(extractExamples('src/x.ts', text), [
      { file: 'src/x.ts', line: 5, code: "import { sleep } from 'verdant';\nawait sleep(1);\n" },
    ]);
  });

  test('every example in src/ imports from verdant as a user would', async () => {
    const { collectExamples } = await load<ExamplesModule>('check-examples.mjs');
    const all = collectExamples();
    assert.ok(all.length >= 70, `found ${all.length} examples`);
    for (const ex of all) {
      assert.match(ex.code, /from 'verdant(\/[a-z]+)?'/, `${ex.file}:${ex.line}`);
    }
  });
});

describe('design notes name tests that exist', () => {
  const tests = new Map([
    [
      'test/sync/lock.test.ts',
      "test('release() hands the permit to the oldest waiter: FIFO', () =>",
    ],
    ['test/pool/pool.test.ts', "test('map() kills its calls', () =>"],
  ]);

  test('a missing test file, an unknown title or an ambiguous bare name is reported', async () => {
    const { checkRefs } = await load<RefsModule>('check-doc-refs.mjs');
    const text = [
      '/**',
      ' * Design note.',
      ' * - Tests: test/sync/lock.test.ts "FIFO" and "no barging".',
      ' * - Tests: test/sync/gone.test.ts.',
      ' * - Tests: nowhere.test.ts "map() kills …".',
      ' */',
    ].join('\n');
    assert.deepEqual(checkRefs('src/sync/x.ts', text, tests), [
      'src/sync/x.ts:3: names the test "no barging", not found in test/sync/lock.test.ts',
      'src/sync/x.ts:4: names test/sync/gone.test.ts, which does not exist',
      'src/sync/x.ts:5: names nowhere.test.ts, which is not one test file',
    ]);
  });

  test('existing files and titles (a title ending in … is a prefix) pass', async () => {
    const { checkRefs } = await load<RefsModule>('check-doc-refs.mjs');
    const text = [
      '/**',
      ' * Tests: test/sync/lock.test.ts "release() hands the permit …", pool.test.ts',
      ' * ("map() kills its calls").',
      ' *',
      ' * A "quoted phrase" in a paragraph that names no test is prose.',
      ' */',
    ].join('\n');
    assert.deepEqual(checkRefs('src/sync/x.ts', text, tests), []);
  });

  test('every test file and title named in src/ exists', async () => {
    const { checkAll } = await load<RefsModule>('check-doc-refs.mjs');
    assert.deepEqual(checkAll(), []);
  });
});

test('TSDoc and module notes never point at DESIGN.md (it is not shipped)', () => {
  const src = join(root, 'src');
  const files = readdirSync(src, { recursive: true })
    .map((e) => String(e).split(sep).join('/'))
    .filter((f) => f.endsWith('.ts'));
  const hits = files.filter((f) => /\bDESIGN\b/.test(readFileSync(join(src, f), 'utf8')));
  assert.deepEqual(hits, []);
});
