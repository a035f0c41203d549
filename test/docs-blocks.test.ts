// The TypeScript code blocks of docs/*.md, and the TSDoc @example blocks of src/compat/, compile
// against the real API: each block is written out as a module under dist/doc-blocks/ (inside
// the package, so `import … from 'verdant/eventlet'` resolves to this package's own exports)
// and type-checked with the project's compiler options.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

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

test('every ```ts block of docs/*.md and of the TSDoc in src/compat type-checks against the package', () => {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const files: string[] = [];
  for (const name of readdirSync(docs).filter((f) => f.endsWith('.md'))) {
    const text = readFileSync(join(docs, name), 'utf8');
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
