// Print the functions with the most self time in a V8 .cpuprofile (as written by
// `node bench/run.mjs --prof`), so a row's cost can be read without DevTools.
//
//   node bench/prof-top.mjs /tmp/verdant-bench-prof/node24-spawn-r1.cpuprofile [top=25]
import { readFileSync } from 'node:fs';

const [file, topArg = '25'] = process.argv.slice(2);
if (file === undefined) {
  process.stderr.write('usage: node bench/prof-top.mjs <file.cpuprofile> [top]\n');
  process.exit(64);
}
const prof = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const self = new Map(); // node id -> microseconds
const deltas = prof.timeDeltas;
for (let i = 0; i < prof.samples.length; i++) {
  const id = prof.samples[i];
  self.set(id, (self.get(id) ?? 0) + (deltas[i] ?? 0));
}
const total = [...self.values()].reduce((a, b) => a + b, 0);
const byFn = new Map();
for (const [id, us] of self) {
  const cf = byId.get(id).callFrame;
  const where = cf.url
    ? `${cf.url.replace(/^.*\/(dist|bench)\//, '$1/')}:${cf.lineNumber + 1}`
    : '';
  const key = `${cf.functionName || '(anonymous)'} ${where}`.trim();
  byFn.set(key, (byFn.get(key) ?? 0) + us);
}
const rows = [...byFn].sort((a, b) => b[1] - a[1]).slice(0, Number(topArg));
process.stdout.write(`${file}: ${(total / 1e3).toFixed(0)} ms sampled\n`);
for (const [key, us] of rows) {
  process.stdout.write(
    `${((us / total) * 100).toFixed(1).padStart(5)}%  ${(us / 1e3).toFixed(1).padStart(8)} ms  ${key}\n`,
  );
}
