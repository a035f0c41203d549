// The networking rows (DESIGN §5; W7 of the anchors): each workload starts its server in a child
// process and drives it from another, so neither side shares a process with the other.
// Usage: node net.mjs WORKLOAD WARMUP REPS → one JSON line {n, times, cpu_times, runs}
//   w7-node | w7-verdant | w7-gevent: the anchors' W7 driver (50 connections × 2,000 64-byte
//     echoes) against a bare node:net callback server, a verdant StreamServer, gevent's
//     StreamServer; times = wall seconds, cpu_times = the SERVER's CPU seconds.
//   idle-node | idle-await | idle-verdant: 10k idle connections (idle-await: a bare node:net
//     await loop, for reference); runs[].bytes_per_task = server RSS per conn
//     (young generation pinned in both: see onceIdle).
//   bulk-node | bulk-verdant: one connection streaming BENCH_BULK_BYTES (default 256 MiB).
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = join(dirname(fileURLToPath(import.meta.url)), '..', 'net');
const ANCHOR_PY = join(dirname(fileURLToPath(import.meta.url)), '..', 'py', 'gevent_echo.py');
const [workload, warmup, reps] = [
  process.argv[2],
  Number(process.argv[3]),
  Number(process.argv[4]),
];
const IDLE = Number(process.env.BENCH_IDLE_CONNS ?? 10_000);
const BULK = Number(process.env.BENCH_BULK_BYTES ?? 256 * 1024 * 1024);

const run = (file, args) =>
  new Promise((resolve, reject) => {
    execFile(file, args, { maxBuffer: 16 << 20, timeout: 180_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${file} ${args.join(' ')}: ${err.message} ${stderr}`));
      else resolve(stdout);
    });
  });
const lastJson = (s) =>
  JSON.parse(
    s
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .pop(),
  );

async function freePort() {
  const srv = net.createServer();
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}
async function startServer(cmd, args) {
  const port = await freePort();
  const child = spawn(cmd, [...args.map((a) => (a === 'PORT' ? String(port) : a))], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise((r) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        r(true);
      });
      s.once('error', () => r(false));
    });
    if (ok) return { child, port, output: () => out };
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`${cmd} ${args.join(' ')} did not listen`);
}
async function stop(child) {
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 3000);
  await once(child, 'exit');
  clearTimeout(t);
}

const servers = {
  'w7-node': [process.execPath, [join(HERE, 'echo-node.mjs'), 'PORT', 'cb']],
  'w7-verdant': [process.execPath, [join(HERE, 'echo-verdant.mjs'), 'PORT']],
  'w7-gevent': ['/usr/bin/python3', [ANCHOR_PY, 'PORT']],
};

async function once7() {
  const [cmd, args] = servers[workload];
  const { child, port } = await startServer(cmd, args);
  try {
    const out = lastJson(
      await run(process.execPath, [
        join(HERE, 'driver.mjs'),
        String(port),
        workload,
        String(child.pid),
      ]),
    );
    return {
      n: out.n,
      seconds: out.seconds,
      cpu: (out.server_cpu_us_per_msg * out.n) / 1e6,
      run: out,
    };
  } finally {
    await stop(child);
  }
}

async function onceIdle() {
  const mode = workload.slice(5);
  // Both servers run with the young generation pinned at 1 MiB: V8 grows it (up to 32 MiB of
  // RSS) with the allocation rate of the connection burst, garbage that is collected but stays
  // committed, 1–6 KB "per connection" at 10k that does not grow with the count of connections
  // and that rewards a server for allocating less while connecting, not for holding less.
  // BENCH_IDLE_UNPINNED=1 measures with V8's default young generation, for comparison.
  const pin = process.env.BENCH_IDLE_UNPINNED === '1' ? [] : ['--max-semi-space-size=1'];
  const { child, port, output } = await startServer(process.execPath, [
    '--expose-gc',
    ...pin,
    join(HERE, 'idle-server.mjs'),
    'PORT',
    String(IDLE),
    mode,
  ]);
  // Judged warm: WARM connections are opened (and held open, so no memory they free is reused)
  // before the baseline, so the one-time costs of the first burst (code compiled, the JIT's
  // working memory on its threads: 5–12 MB of malloc arenas when Maglev compiles a server's hot
  // paths) are not counted as memory per connection; the measure is what each of the next N
  // connections adds. BENCH_IDLE_WARM=0 measures cold.
  const WARM = Number(process.env.BENCH_IDLE_WARM ?? 2000);
  const warm = [];
  if (WARM > 0) {
    for (let i = 0; i < WARM; i++) {
      const s = net.connect(port, '127.0.0.1');
      s.on('error', () => {});
      warm.push(s);
      if (i % 500 === 499 || i === WARM - 1)
        await new Promise((r) => {
          s.once('connect', r);
          s.once('error', r);
        });
    }
    await new Promise((r) => setTimeout(r, 500));
    child.kill('SIGUSR1');
    for (let i = 0; i < 200 && !output().includes('base\n'); i++)
      await new Promise((r) => setTimeout(r, 25));
  }
  const socks = [];
  const t0 = process.hrtime.bigint();
  // A connection the kernel dropped under load (a full accept queue on a busy host) never
  // reaches the server: once every socket has connected or failed, the server is asked to
  // report with the connections it has (SIGUSR2) instead of waiting for all of them.
  let settled = 0;
  let failed = 0;
  const ready = () => output().includes('rss_per_conn');
  try {
    for (let i = 0; i < IDLE; i++) {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => settled++);
      s.on('error', () => {
        failed++;
        settled++;
      });
      socks.push(s);
      if (i % 500 === 499)
        await new Promise((r) => {
          s.once('connect', r);
          s.once('error', r);
        });
    }
    for (let i = 0; i < 1200 && !ready() && settled < IDLE; i++)
      await new Promise((r) => setTimeout(r, 50));
    for (let i = 0; i < 200 && !ready(); i++) await new Promise((r) => setTimeout(r, 50));
    if (!ready()) child.kill('SIGUSR2');
    for (let i = 0; i < 100 && !ready(); i++) await new Promise((r) => setTimeout(r, 50));
    const m = { ...lastJson(output()), client_failed: failed };
    return {
      n: IDLE,
      seconds: Number(process.hrtime.bigint() - t0) / 1e9,
      cpu: 0,
      run: { ...m, bytes_per_task: m.rss_per_conn },
    };
  } finally {
    for (const s of socks) s.destroy();
    for (const s of warm) s.destroy();
    await stop(child);
  }
}

async function onceBulk() {
  const out = lastJson(
    await run(process.execPath, [join(HERE, 'bulk.mjs'), workload.slice(5), String(BULK)]),
  );
  return {
    n: out.bytes,
    seconds: out.seconds,
    cpu: out.cpu,
    run: { ...out, mib_per_s: out.bytes / 2 ** 20 / out.seconds },
  };
}

const fn = workload.startsWith('w7-') ? once7 : workload.startsWith('idle-') ? onceIdle : onceBulk;
const times = [];
const cpu = [];
const runs = [];
let n = 0;
for (let i = 0; i < warmup + reps; i++) {
  const r = await fn();
  if (i < warmup) continue;
  n = r.n;
  times.push(r.seconds);
  cpu.push(r.cpu);
  runs.push(r.run);
}
process.stdout.write(`${JSON.stringify({ n, times, cpu_times: cpu, runs, peak_rss_mb: 0 })}\n`);
