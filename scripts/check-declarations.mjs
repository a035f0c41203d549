// Type-checks the published declarations as a user's project sees them: a module inside the
// package imports every subpath by name (package self-reference, after `npm run build`) and is
// compiled with `skipLibCheck: false`, so a declaration that refers to something missing (for
// instance a member removed by scripts/strip-internal.mjs) fails here.
//
// Usage: node scripts/check-declarations.mjs
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dir = join(root, '.dtscheck');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const lines = Object.keys(pkg.exports)
  .filter((s) => s !== './package.json')
  .map((s, i) => `export * as m${i} from '${s === '.' ? pkg.name : `${pkg.name}/${s.slice(2)}`}';`);
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir);
writeFileSync(join(dir, 'all.ts'), `${lines.join('\n')}\n`);
writeFileSync(
  join(dir, 'tsconfig.json'),
  JSON.stringify({
    compilerOptions: {
      strict: true,
      module: 'nodenext',
      moduleResolution: 'nodenext',
      target: 'es2022',
      lib: ['es2023', 'esnext.disposable'],
      types: ['node'],
      skipLibCheck: false,
      noEmit: true,
    },
    include: ['all.ts'],
  }),
);
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const r = spawnSync(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json')], {
  cwd: root,
  encoding: 'utf8',
});
rmSync(dir, { recursive: true, force: true });
if (r.status !== 0) {
  console.error(
    `check-declarations: the published declarations do not compile\n${r.stdout}${r.stderr}`,
  );
  process.exit(1);
}
console.log(`check-declarations: ${lines.length} subpaths type-check with skipLibCheck off`);
