// The architecture as a test: the import rules of the folders under src/ (the layering).
//
// - `core/` imports nothing of ours outside `core/`.
// - Outside `core/`, code reaches core only through `core/lowlevel.ts` (the one door) and core's
//   public modules: every core module whose name does not start with `_` and is not `context`
//   or `waiter` (so a new public core module is allowed without touching this file).
// - `sync/` and `pool/` import neither `io/`, `servers/` nor `process/`; `sync/` does not import
//   `pool/` (`pool/` may import `sync/`).
// - Nothing imports `compat/` or `tools/`, except files of the same folder and the package's
//   subpath entry files (package.json "exports").
//
// Every src/**/*.ts file is parsed with the TypeScript compiler's own import scanner (imports,
// re-exports, `import type`, dynamic `import()`), relative specifiers are resolved to source
// files, and every edge is checked. The checker is also fed synthetic bad trees below: it must
// report each kind of violation. eslint.config.js holds the same rules for editors.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** An import of `from` (a path relative to src/, with `/`) to `to` (the same, resolved). */
export interface Edge {
  from: string;
  to: string;
  specifier: string;
}

function toPosix(p: string): string {
  return p.split(sep).join('/');
}

/** Every .ts file under `dir`, relative to it, with `/`. */
function listTs(dir: string): string[] {
  return readdirSync(dir, { recursive: true })
    .map((e) => toPosix(String(e)))
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .sort();
}

/** The import edges of the source tree at `srcDir` (relative specifiers only). */
export function scanTree(srcDir: string): Edge[] {
  const edges: Edge[] = [];
  for (const file of listTs(srcDir)) {
    const text = readFileSync(join(srcDir, file), 'utf8');
    const info = ts.preProcessFile(text, true, true);
    for (const ref of info.importedFiles) {
      const spec = ref.fileName;
      if (!spec.startsWith('.')) continue; // node: builtins and packages
      const abs = resolve(dirname(join(srcDir, file)), spec).replace(/\.js$/, '.ts');
      edges.push({ from: file, to: toPosix(relative(srcDir, abs)), specifier: spec });
    }
  }
  return edges;
}

function top(path: string): string {
  const i = path.indexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

/** Whether a module of core may be imported from outside core. */
export function isPublicCoreModule(path: string): boolean {
  const parts = path.split('/').slice(1);
  if (parts.some((p) => p.startsWith('_'))) return false;
  const base = (parts[parts.length - 1] ?? '').replace(/\.ts$/, '');
  return base !== 'context' && base !== 'waiter';
}

/** The rule each edge breaks, as messages; `entries` are the subpath entry files. */
export function checkEdges(edges: readonly Edge[], entries: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (const { from, to, specifier } of edges) {
    const a = top(from);
    const b = top(to);
    const where = `${from} imports '${specifier}'`;
    if (to.startsWith('..')) {
      out.push(`${where}: outside src/`);
      continue;
    }
    if (a === 'core' && b !== 'core') {
      out.push(`${where}: core imports nothing outside core`);
    }
    if (a !== 'core' && b === 'core' && !isPublicCoreModule(to)) {
      out.push(`${where}: outside core, import only core/lowlevel.js and core's public modules`);
    }
    if ((a === 'sync' || a === 'pool') && (b === 'io' || b === 'servers' || b === 'process')) {
      out.push(`${where}: sync and pool know no sockets, servers or processes`);
    }
    if (a === 'sync' && b === 'pool') {
      out.push(`${where}: sync does not import pool`);
    }
    if ((b === 'compat' || b === 'tools') && a !== b && !entries.has(from)) {
      out.push(`${where}: nothing imports ${b}/ except its own folder and the subpath entries`);
    }
  }
  return out;
}

/** The source files package.json "exports" names, relative to src/. */
function entryFiles(): Set<string> {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    exports: Record<string, string | { default?: string }>;
  };
  const out = new Set<string>();
  for (const target of Object.values(pkg.exports)) {
    const file = typeof target === 'string' ? target : target.default;
    if (file === undefined || !file.startsWith('./dist/src/')) continue;
    out.add(file.slice('./dist/src/'.length).replace(/\.js$/, '.ts'));
  }
  return out;
}

describe('architecture', () => {
  test('every import under src/ follows the layering rules', () => {
    const edges = scanTree(join(root, 'src'));
    assert.ok(edges.length > 50, `found only ${edges.length} imports: is the scanner broken?`);
    assert.deepEqual(checkEdges(edges, entryFiles()), []);
  });

  test('every subpath entry file exists', () => {
    const files = new Set(listTs(join(root, 'src')));
    for (const e of entryFiles()) assert.ok(files.has(e), `package.json exports ${e}`);
  });

  test('the checker reports each kind of bad import in a synthetic graph', () => {
    const bad: Edge[] = [
      { from: 'core/hub.ts', to: 'sync/event.ts', specifier: '../sync/event.js' },
      { from: 'sync/event.ts', to: 'core/_fiber.ts', specifier: '../core/_fiber.js' },
      { from: 'io/socket.ts', to: 'core/waiter.ts', specifier: '../core/waiter.js' },
      { from: 'pool/pool.ts', to: 'core/context.ts', specifier: '../core/context.js' },
      { from: 'sync/lock.ts', to: 'io/socket.ts', specifier: '../io/socket.js' },
      { from: 'pool/group.ts', to: 'servers/http.ts', specifier: '../servers/http.js' },
      { from: 'sync/lock.ts', to: 'pool/index.ts', specifier: '../pool/index.js' },
      { from: 'io/socket.ts', to: 'compat/monkey.ts', specifier: '../compat/monkey.js' },
      { from: 'index.ts', to: 'tools/backdoor.ts', specifier: './tools/backdoor.js' },
      { from: 'sync/event.ts', to: '../test/x.ts', specifier: '../../test/x.js' },
    ];
    const found = checkEdges(bad, new Set(['compat/greenlet.ts']));
    assert.equal(found.length, bad.length, found.join('\n'));
    for (const e of bad) {
      assert.ok(
        found.some((m) => m.startsWith(`${e.from} imports '${e.specifier}'`)),
        `not reported: ${e.from} -> ${e.specifier}`,
      );
    }
  });

  test('the checker accepts the door, public core modules, pool -> sync and entry files', () => {
    const good: Edge[] = [
      { from: 'sync/event.ts', to: 'core/lowlevel.ts', specifier: '../core/lowlevel.js' },
      { from: 'io/socket.ts', to: 'core/timeout.ts', specifier: '../core/timeout.js' },
      { from: 'io/socket.ts', to: 'core/race.ts', specifier: '../core/race.js' },
      { from: 'pool/group.ts', to: 'sync/_permits.ts', specifier: '../sync/_permits.js' },
      { from: 'servers/http.ts', to: 'io/socket.ts', specifier: '../io/socket.js' },
      { from: 'compat/greenlet.ts', to: 'core/rawgreenlet.ts', specifier: '../core/x.js' },
      { from: 'compat/eventlet.ts', to: 'compat/greenlet.ts', specifier: './greenlet.js' },
      { from: 'compat/index.ts', to: 'tools/monitor.ts', specifier: '../tools/monitor.js' },
      { from: 'core/hub.ts', to: 'core/_fiber.ts', specifier: './_fiber.js' },
    ];
    assert.deepEqual(checkEdges(good, new Set(['compat/index.ts'])), []);
  });

  test('a bad file in a source tree is found by the scanner and reported', () => {
    const dir = mkdtempSync(join(tmpdir(), 'verdant-arch-'));
    try {
      mkdirSync(join(dir, 'core'));
      mkdirSync(join(dir, 'sync'));
      writeFileSync(join(dir, 'core', '_fiber.ts'), 'export const x = 1;\n');
      writeFileSync(join(dir, 'core', 'lowlevel.ts'), "export { x } from './_fiber.js';\n");
      writeFileSync(
        join(dir, 'sync', 'bad.ts'),
        [
          "import { x } from '../core/lowlevel.js';",
          "import type { y } from '../core/_fiber.js';",
          "export const z = () => import('../core/waiter.js');",
          "import { readFileSync } from 'node:fs';",
          '',
        ].join('\n'),
      );
      const found = checkEdges(scanTree(dir), new Set());
      assert.deepEqual(found, [
        "sync/bad.ts imports '../core/_fiber.js': outside core, import only core/lowlevel.js and core's public modules",
        "sync/bad.ts imports '../core/waiter.js': outside core, import only core/lowlevel.js and core's public modules",
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
