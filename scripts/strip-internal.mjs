// Removes the members marked `@internal` (class and interface members such as `_fire` or
// `abortWait`) from the published declarations in dist/src, so they do not show in users'
// autocomplete. Top-level declarations stay: internal modules are not reachable through the
// package's `exports` map, and public declarations may refer to their types (TypeScript's own
// `stripInternal` removes those too and leaves dangling references). Each removed member is
// replaced by as many blank lines as it had, so the declaration maps stay right.
//
// Usage: node scripts/strip-internal.mjs [dir]   (run by `npm run build` after tsc)
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = fileURLToPath(new URL('..', import.meta.url));
const dir = process.argv[2] ?? join(root, 'dist', 'src');

function isInternal(node, text) {
  const ranges = ts.getLeadingCommentRanges(text, node.pos) ?? [];
  return ranges.some((r) => /@internal\b/.test(text.slice(r.pos, r.end)));
}

/** The text of a declaration file with its internal members blanked out. */
export function stripInternal(text) {
  const sf = ts.createSourceFile('x.d.ts', text, ts.ScriptTarget.Latest, true);
  const cuts = [];
  const visit = (node) => {
    if (ts.isClassDeclaration(node) || ts.isInterfaceDeclaration(node)) {
      const before = cuts.length;
      for (const m of node.members) if (isInternal(m, text)) cuts.push([m.pos, m.end]);
      // A class that lost members may no longer satisfy the interfaces it implements (an
      // internal protocol such as the timer heap's): `implements` is not part of its type.
      if (ts.isClassDeclaration(node) && cuts.length > before) {
        for (const h of node.heritageClauses ?? []) {
          if (h.token === ts.SyntaxKind.ImplementsKeyword) cuts.push([h.pos, h.end]);
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  let out = text;
  cuts.sort((x, y) => x[0] - y[0]);
  for (const [a, b] of cuts.reverse()) {
    out = out.slice(0, a) + out.slice(a, b).replace(/[^\n]/g, '') + out.slice(b);
  }
  return { text: out, removed: cuts.length };
}

let total = 0;
const files = readdirSync(dir, { recursive: true })
  .map((e) => String(e).split(sep).join('/'))
  .filter((f) => f.endsWith('.d.ts'));
for (const f of files) {
  const path = join(dir, f);
  const { text, removed } = stripInternal(readFileSync(path, 'utf8'));
  if (removed > 0) writeFileSync(path, text);
  total += removed;
}
console.log(
  `strip-internal: removed ${total} internal members from ${files.length} declaration files`,
);
