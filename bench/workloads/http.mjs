// The HTTP rows (DESIGN §5; W8 of the anchors): each workload starts a server of
// bench/workloads/http-server.mjs in a child process and loads it from another process.
// Usage: node http.mjs WORKLOAD WARMUP REPS → one JSON line {n, times, cpu_times, runs}
//   w8-bare | w8-node | w8-fetch | w8-pool: `wrk -t2 -c50 -d<BENCH_WRK_SECONDS>s` (50 keep-alive
//     connections, the anchors' w8.lua) on hello world; n = 100,000 requests: times and
//     cpu_times are the wall and SERVER CPU seconds per 100k requests.
//   stream-bare | stream-web | stream-node | stream-verdant | stream-gen: wrk -t2 -c10, responses of 1000 × 1 KiB chunks; n = 1000
//     responses.
//   ws-bare | ws-verdant: bench/net/ws-driver.mjs, 1000 open WebSockets each echoing 30 64-byte
//     messages one at a time; runs[].bytes_per_task = server RSS growth per open socket.
// Exit code 3 when wrk is missing (run.mjs then says so and skips the row).
import { execFile, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const SERVER = join(HERE, 'http-server.mjs');
const LUA = join(HERE, 'w8.lua');
const WS_DRIVER = join(HERE, '..', 'net', 'ws-driver.mjs');
const [workload, warmup, reps] = [
  process.argv[2],
  Number(process.argv[3]),
  Number(process.argv[4]),
];
const SECONDS = Number(process.env.BENCH_WRK_SECONDS ?? 3);
const TICK = 100;
const kind = workload.startsWith('w8-') ? workload.slice(3) : workload;

if (!workload.startsWith('ws-')) {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
  } catch (err) {
    // wrk --version exits 1 after printing; only a missing binary is ENOENT.
    if (err.code === 'ENOENT') {
      process.stderr.write('wrk not installed (apt-get install wrk)\n');
      process.exit(3);
    }
  }
}

function cpuSeconds(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const r = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(r[11]) + Number(r[12])) / TICK;
}

async function startServer() {
  const child = spawn(process.execPath, [SERVER, kind, '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  const port = await new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out += d;
      const m = /ready (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`${kind} server exited with ${code}`)));
  });
  return { child, port };
}

async function stop(child) {
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 3000);
  await once(child, 'exit');
  clearTimeout(t);
}

const run = (file, args, ms) =>
  new Promise((resolve, reject) => {
    execFile(file, args, { maxBuffer: 16 << 20, timeout: ms }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${file} ${args.join(' ')}: ${err.message} ${stderr}`));
      else resolve(stdout);
    });
  });
const lastJson = (s) => JSON.parse(s.slice(s.lastIndexOf('{')));

async function wrk(port, conns, seconds) {
  const out = await run(
    'wrk',
    ['-t2', `-c${conns}`, `-d${seconds}s`, '-s', LUA, `http://127.0.0.1:${port}/`],
    (seconds + 60) * 1000,
  );
  const r = lastJson(out);
  const errors = r.err_connect + r.err_read + r.err_write + r.err_status + r.err_timeout;
  if (errors > 0) throw new Error(`wrk saw ${errors} errors: ${JSON.stringify(r)}`);
  return r;
}

// One server per workload run: warm-up and measured runs load the same process.
const { child, port } = await startServer();
const times = [];
const cpu = [];
const runs = [];
let n = 0;
try {
  for (let i = 0; i < warmup + reps; i++) {
    let r;
    if (workload.startsWith('ws-')) {
      const o = lastJson(
        await run(process.execPath, [WS_DRIVER, String(port), String(child.pid)], 150_000),
      );
      n = o.n;
      r = {
        seconds: o.seconds,
        cpu: o.server_cpu_s,
        run: { ...o, bytes_per_task: o.rss_per_socket },
      };
    } else {
      const streaming = workload.startsWith('stream-');
      const c0 = cpuSeconds(child.pid);
      const w = await wrk(port, streaming ? 10 : 50, i < warmup ? 1 : SECONDS);
      const c1 = cpuSeconds(child.pid);
      const done = w.requests;
      n = streaming ? 1000 : 100_000;
      const scale = n / done;
      r = {
        seconds: (w.duration_us / 1e6) * scale,
        cpu: (c1 - c0) * scale,
        run: {
          requests: done,
          req_per_s: done / (w.duration_us / 1e6),
          mib_per_s: w.bytes / 2 ** 20 / (w.duration_us / 1e6),
          cpu_us_per_req: ((c1 - c0) * 1e6) / done,
          lat_p99_us: w.lat_p99_us,
        },
      };
    }
    if (i < warmup) continue;
    times.push(r.seconds);
    cpu.push(r.cpu);
    runs.push(r.run);
  }
} finally {
  await stop(child);
}
process.stdout.write(`${JSON.stringify({ n, times, cpu_times: cpu, runs, peak_rss_mb: 0 })}\n`);
