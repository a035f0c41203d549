// The TypeScript code blocks of docs/*.md compile against the real API: each block is written
// out as a module under dist/doc-blocks/ (inside the package, so `import … from 'verdant'`
// resolves to this package's own exports) and type-checked with the project's compiler options.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const docs = join(root, 'docs');
const out = join(root, 'dist', 'doc-blocks');

test('every ```ts block of docs/*.md type-checks against the package', () => {
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
  assert.ok(files.length >= 20, `found only ${files.length} blocks`);
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
