// Compiles and runs every `@example` of the TSDoc in src/**/*.ts, as a user would: each example
// is a module that imports from 'verdant' (or a subpath), resolved to this package itself by
// package self-reference, so `npm run build` must have produced dist/ first.
//
// Usage: node scripts/check-examples.mjs [--list]
//   Writes the examples to .examples/ (git-ignored), type-checks them with tsc against the
//   built declarations, runs each compiled example with node (10 s limit, 2 at a time) and
//   exits non-zero, naming the source file and line, when one does not compile, does not import
//   from 'verdant', throws, or does not finish.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outDir = join(root, '.examples');
const LIMIT_MS = 10_000;

/** Every ```ts fence that follows an `@example` tag in a doc comment of `file`. */
export function extractExamples(file, text) {
  const out = [];
  const lines = text.split('\n');
  let inExample = false;
  let fence = null;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    const m = /^\s*\*(?: ?)(.*)$/.exec(raw);
    const line = m === null ? null : m[1];
    if (fence !== null) {
      if (line === null || /^\s*```\s*$/.test(line)) {
        out.push({ file, line: fence.line, code: `${fence.body.join('\n')}\n` });
        fence = null;
        inExample = false;
      } else {
        fence.body.push(line);
      }
      continue;
    }
    if (line === null) {
      inExample = false;
      continue;
    }
    if (/@example\b/.test(line)) inExample = true;
    else if (inExample && /^\s*```(ts|typescript)\s*$/.test(line))
      fence = { line: i + 2, body: [] };
    else if (inExample && /^\s*@\w/.test(line)) inExample = false;
  }
  return out;
}

export function collectExamples() {
  const src = join(root, 'src');
  const files = readdirSync(src, { recursive: true })
    .map((e) => String(e).split(sep).join('/'))
    .filter((f) => f.endsWith('.ts'))
    .sort();
  const all = [];
  for (const f of files)
    all.push(...extractExamples(`src/${f}`, readFileSync(join(src, f), 'utf8')));
  return all;
}

function slug(ex, k) {
  return `${ex.file
    .replace(/^src\//, '')
    .replace(/\.ts$/, '')
    .replace(/[/.]/g, '_')}_L${ex.line}_${k}`;
}

function run(file) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [file], {
      cwd: outDir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => {
      output += d;
    });
    child.stderr.on('data', (d) => {
      output += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), LIMIT_MS);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output });
    });
  });
}

async function main() {
  const examples = collectExamples();
  if (process.argv.includes('--list')) {
    for (const ex of examples) console.log(`${ex.file}:${ex.line}`);
    return 0;
  }
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const problems = [];
  const names = new Map();
  examples.forEach((ex, k) => {
    const name = slug(ex, k);
    names.set(name, ex);
    if (!/from 'verdant(\/[a-z]+)?'/.test(ex.code)) {
      problems.push(`${ex.file}:${ex.line}: the example does not import from 'verdant'`);
    }
    writeFileSync(join(outDir, `${name}.ts`), ex.code);
  });
  writeFileSync(
    join(outDir, 'tsconfig.json'),
    JSON.stringify({
      extends: '../tsconfig.json',
      compilerOptions: {
        rootDir: '.',
        outDir: 'out',
        declaration: false,
        declarationMap: false,
        sourceMap: false,
        noUnusedLocals: false,
      },
      include: ['*.ts'],
    }),
  );
  const require = createRequire(import.meta.url);
  const tsc = require.resolve('typescript/bin/tsc');
  const compiled = spawnSync(process.execPath, [tsc, '-p', join(outDir, 'tsconfig.json')], {
    cwd: root,
    encoding: 'utf8',
  });
  if (compiled.status !== 0) {
    for (const l of `${compiled.stdout}${compiled.stderr}`.split('\n')) {
      const m = /^\.examples\/(\w+)\.ts\((\d+),(\d+)\): (.*)$/.exec(l.replace(/\\/g, '/'));
      if (m === null) {
        if (l.trim() !== '') problems.push(l);
        continue;
      }
      const ex = names.get(m[1]);
      problems.push(`${ex.file}:${ex.line + Number(m[2]) - 1}: ${m[4]}`);
    }
  } else {
    const queue = [...names.keys()];
    const worker = async () => {
      for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
        const r = await run(join(outDir, 'out', `${name}.js`));
        if (r.code !== 0) {
          const ex = names.get(name);
          const why =
            r.signal === 'SIGKILL' ? `did not finish within ${LIMIT_MS} ms` : `exited ${r.code}`;
          problems.push(`${ex.file}:${ex.line}: the example ${why}\n${r.output.trim()}`);
        }
      }
    };
    await Promise.all([worker(), worker()]);
  }
  if (problems.length > 0) {
    console.error(`check-examples: ${problems.length} problem(s) in ${examples.length} examples`);
    for (const p of problems) console.error(`  ${p}`);
    return 1;
  }
  console.log(`check-examples: ${examples.length} examples compiled and ran`);
  return 0;
}

if (
  process.argv[1] !== undefined &&
  relative(process.argv[1], fileURLToPath(import.meta.url)) === ''
) {
  process.exitCode = await main();
}
