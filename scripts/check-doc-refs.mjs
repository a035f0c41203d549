// Checks that the design notes and comments in src/**/*.ts name tests that exist: every test
// file they name (test/….ts, or a bare `x.test.ts` found by its name under test/) exists, and
// every quoted title that follows a test file or the word "test(s)" in the same paragraph or
// bullet occurs in the test files named there (in any test file when none is named). A title
// ending in "…" is a prefix.
//
// Usage: node scripts/check-doc-refs.mjs   (exit 1 and one line per broken reference)
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

function list(dir, filter) {
  return readdirSync(join(root, dir), { recursive: true })
    .map((e) => `${dir}/${String(e).split(sep).join('/')}`)
    .filter(filter)
    .sort();
}

const norm = (s) => s.replace(/\s+/g, ' ').trim();

/** The comment paragraphs of a source text: runs of comment lines split at blanks and bullets. */
export function commentItems(text) {
  const items = [];
  let cur = null;
  const flush = () => {
    if (cur !== null && cur.text.trim() !== '') items.push(cur);
    cur = null;
  };
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^\s*(?:\/\*\*?|\*\/?|\/\/)\s?(.*)$/.exec(lines[i]);
    if (m === null) {
      flush();
      continue;
    }
    const body = m[1].replace(/\*\/\s*$/, '');
    if (body.trim() === '' || /^\s*[-\d]+[.)]?\s/.test(body) || /^\s*-\s/.test(body)) flush();
    if (body.trim() === '') continue;
    if (cur === null) cur = { line: i + 1, text: '' };
    cur.text += ` ${body}`;
  }
  flush();
  return items;
}

/**
 * The broken references of one source file. `tests` maps each test file path to its text.
 */
export function checkRefs(file, text, tests) {
  const problems = [];
  const byName = new Map();
  for (const t of tests.keys()) {
    const base = t.slice(t.lastIndexOf('/') + 1);
    byName.set(base, [...(byName.get(base) ?? []), t]);
  }
  const token =
    /(test\/[\w./*-]+\.ts|[\w.-]+\.test\.ts|[\w.-]+\.conformance\.ts)|(\btests?\b)|"([^"]{2,}?)"/gi;
  for (const item of commentItems(text)) {
    const named = [];
    let armed = false;
    for (const m of item.text.matchAll(token)) {
      if (m[1] !== undefined) {
        armed = true;
        const ref = m[1];
        if (ref.includes('*')) continue;
        if (ref.startsWith('test/')) {
          if (tests.has(ref)) named.push(ref);
          else problems.push(`${file}:${item.line}: names ${ref}, which does not exist`);
        } else {
          const found = byName.get(ref) ?? [];
          if (found.length === 1) named.push(found[0]);
          else problems.push(`${file}:${item.line}: names ${ref}, which is not one test file`);
        }
      } else if (m[2] !== undefined) {
        armed = true;
      } else if (armed) {
        const title = norm(m[3].replace(/(…|\.\.\.)\s*$/, ''));
        if (title.length < 3) continue;
        const where = named.length > 0 ? named : [...tests.keys()];
        if (!where.some((t) => (tests.get(t) ?? '').includes(title))) {
          problems.push(
            `${file}:${item.line}: names the test "${title}", not found in ${named.length > 0 ? named.join(', ') : 'test/'}`,
          );
        }
      }
    }
  }
  return problems;
}

export function checkAll() {
  const tests = new Map();
  for (const t of list('test', (f) => f.endsWith('.ts'))) {
    tests.set(t, norm(readFileSync(join(root, t), 'utf8')));
  }
  const problems = [];
  for (const f of list('src', (f) => f.endsWith('.ts'))) {
    problems.push(...checkRefs(f, readFileSync(join(root, f), 'utf8'), tests));
  }
  return problems;
}

if (
  process.argv[1] !== undefined &&
  relative(process.argv[1], fileURLToPath(import.meta.url)) === ''
) {
  const problems = checkAll();
  for (const p of problems) console.error(p);
  if (problems.length > 0) {
    console.error(`check-doc-refs: ${problems.length} broken reference(s)`);
    process.exitCode = 1;
  } else {
    console.log('check-doc-refs: every test named in src/ exists');
  }
}
