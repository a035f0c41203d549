// Inclusive time per call of a V8 .cpuprofile, divided by a count of operations (requests,
// spawns): where a server's time per request goes, including the Node internals a function
// calls (self time alone, bench/prof-top.mjs, scatters an AsyncResource or a write over many
// rows). A sample counts once per distinct function on its stack, so recursion and async
// resumptions (an `async` function's stack after an await) do not count twice.
//
//   node bench/prof-incl.mjs <file.cpuprofile> <operations> [regexp]          inclusive µs/op
//   node bench/prof-incl.mjs <file.cpuprofile> <operations> --tree=<regexp>   callees, 4 deep
//
// A server profile: start bench/workloads/http-server.mjs with `node --cpu-prof
// --cpu-prof-interval 100 --cpu-prof-dir=<dir>`, load it with wrk, stop it with SIGTERM, and
// pass wrk's request count as <operations>.
import { readFileSync } from 'node:fs';

const [file, opsArg, filter = '.'] = process.argv.slice(2);
if (file === undefined || !(Number(opsArg) > 0)) {
  process.stderr.write(
    'usage: node bench/prof-incl.mjs <file.cpuprofile> <operations> [regexp | --tree=regexp]\n',
  );
  process.exit(64);
}
const ops = Number(opsArg);
const prof = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const self = new Map(); // node id -> microseconds
for (let i = 0; i < prof.samples.length; i++) {
  const id = prof.samples[i];
  self.set(id, (self.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0));
}
const keyOf = (id) => {
  const cf = byId.get(id).callFrame;
  const where = cf.url
    ? `${cf.url.replace(/^.*\/(dist|bench)\//, '$1/').replace('node:internal/', '')}:${cf.lineNumber + 1}`
    : '';
  return `${cf.functionName || '(anonymous)'} ${where}`.trim();
};
const fmt = (us) => `${(us / ops).toFixed(3).padStart(8)} µs/op`;

if (filter.startsWith('--tree=')) {
  const re = new RegExp(filter.slice(7));
  const total = (id) => {
    let t = self.get(id) ?? 0;
    for (const c of byId.get(id).children ?? []) t += total(c);
    return t;
  };
  const rows = new Map(); // indented key -> microseconds, merged over every call site
  const walk = (id, depth) => {
    const k = `${'  '.repeat(depth)}${keyOf(id)}`;
    rows.set(k, (rows.get(k) ?? 0) + total(id));
    if (depth < 4) for (const c of byId.get(id).children ?? []) walk(c, depth + 1);
  };
  for (const n of prof.nodes) if (re.test(n.callFrame.functionName)) walk(n.id, 0);
  for (const [k, us] of rows) if (us / ops >= 0.005) process.stdout.write(`${fmt(us)}  ${k}\n`);
} else {
  const re = new RegExp(filter);
  const incl = new Map();
  for (const [leaf, us] of self) {
    const seen = new Set();
    for (let id = leaf; id !== undefined; id = parent.get(id)) {
      const k = keyOf(id);
      if (seen.has(k)) continue;
      seen.add(k);
      incl.set(k, (incl.get(k) ?? 0) + us);
    }
  }
  const rows = [...incl].filter(([k]) => re.test(k)).sort((a, b) => b[1] - a[1]);
  for (const [k, us] of rows.slice(0, 40)) process.stdout.write(`${fmt(us)}  ${k}\n`);
}
