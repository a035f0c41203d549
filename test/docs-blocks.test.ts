// The TypeScript code blocks of docs/*.md, and the TSDoc @example blocks of src/compat/, compile
// against the real API: each block is written out as a module under dist/doc-blocks/ (inside
// the package, so `import … from 'verdant/eventlet'` resolves to this package's own exports)
// and type-checked with the project's compiler options. A block that is a whole program waiting
// for a signal (the cookbook's SIGTERM recipe) is also run as written, in a child process.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = fileURLToPath(new URL('../..', import.meta.url));
const docs = join(root, 'docs');
const out = join(root, 'dist', 'doc-blocks');

/** The TSDoc example blocks of a source file, without their leading ` * `. */
function examplesOf(source: string): string[] {
  return [...source.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) =>
    (m[1] ?? '')
      .split('\n')
      .map((line) => line.replace(/^\s*\* ?/, ''))
      .join('\n'),
  );
}

test('every ```ts block of README.md, of docs/*.md and of the TSDoc in src/compat type-checks against the package', () => {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const files: string[] = [];
  const pages = readdirSync(docs)
    .filter((f) => f.endsWith('.md'))
    .map((f) => join(docs, f));
  // The README is the first page a newcomer copies from (two of its blocks once did not compile).
  for (const page of [join(root, 'README.md'), ...pages]) {
    const name = page.slice(page.lastIndexOf('/') + 1);
    const text = readFileSync(page, 'utf8');
    let n = 0;
    for (const m of text.matchAll(/```ts\n([\s\S]*?)```/g)) {
      const file = `${name.replace(/\.md$/, '')}-${++n}.ts`;
      // `export {}` makes a block without imports a module too (top-level await).
      writeFileSync(join(out, file), `${m[1]}\nexport {};\n`);
      files.push(file);
    }
  }
  const compat = join(root, 'src', 'compat');
  for (const name of readdirSync(compat, { recursive: true }).map(String)) {
    if (!name.endsWith('.ts')) continue;
    let n = 0;
    for (const block of examplesOf(readFileSync(join(compat, name), 'utf8'))) {
      const file = `src-compat-${name.replace(/[/.]/g, '-')}-${++n}.ts`;
      writeFileSync(join(out, file), `${block}\nexport {};\n`);
      files.push(file);
    }
  }
  assert.ok(files.length >= 50, `found only ${files.length} blocks`);
  const tsconfig = {
    compilerOptions: {
      strict: true,
      module: 'nodenext',
      moduleResolution: 'nodenext',
      target: 'es2022',
      lib: ['es2023', 'esnext.disposable'],
      types: ['node'],
      typeRoots: [join(root, 'node_modules', '@types')],
      noEmit: true,
      skipLibCheck: true,
    },
    files,
  };
  writeFileSync(join(out, 'tsconfig.json'), JSON.stringify(tsconfig));
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', join(out, 'tsconfig.json')], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
});

/** The first ```ts block after the heading `heading` of docs/`name`. */
function blockAfter(name: string, heading: string): string {
  const text = readFileSync(join(docs, name), 'utf8');
  const at = text.indexOf(`\n${heading}\n`);
  assert.ok(at >= 0, `${name} has no heading ${heading}`);
  const m = /```ts\n([\s\S]*?)```/.exec(text.slice(at));
  assert.ok(m !== null, `${name} has no ts block after ${heading}`);
  return m[1] ?? '';
}

test("the cookbook's SIGTERM recipe runs as written: it serves until SIGTERM, then stops with exit code 0", async () => {
  const code = blockAfter('cookbook.md', '## Graceful shutdown on SIGTERM');
  const js = ts.transpileModule(code, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  }).outputText;
  const dir = join(root, 'dist', 'doc-run');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'cookbook-sigterm.mjs');
  writeFileSync(file, js);
  const child = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'pipe'] });
  const limit = setTimeout(() => child.kill('SIGKILL'), 20_000);
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    err += d;
  });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  try {
    // It must still be running once it says it serves (it died at startup with LoopExit).
    for (let i = 0; i < 200 && !out.includes('\n') && child.exitCode === null; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const port = /taking jobs on port (\d+)/.exec(out)?.[1];
    assert.ok(port !== undefined, `it serves: stdout ${JSON.stringify(out)}, stderr ${err}`);
    // A client queues two jobs; then the supervisor's SIGTERM.
    const c = connect(Number(port), '127.0.0.1');
    await once(c, 'connect');
    c.end('30\n40\n');
    await once(c, 'close');
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(child.exitCode, null, `still running before SIGTERM: ${err}`);
    child.kill('SIGTERM');
    const [status, signal] = await exited;
    assert.deepEqual([status, signal], [0, null], err);
    assert.equal(err, '');
    assert.match(out, /\nstopped\n$/);
  } finally {
    clearTimeout(limit);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
});
