// W7 driver (shared by every server): 50 clients, each sends 2,000 64-byte messages and waits
// for each echo before sending the next. Prints one JSON line; peak_rss_mb is the SERVER's
// VmHWM read from /proc/PID/status after the run.
// Usage: node echo-driver.mjs PORT SYSTEM SERVER_PID

import { readFileSync } from 'node:fs';
import net from 'node:net';

const [port, system, pid] = [Number(process.argv[2]), process.argv[3], process.argv[4]];
// W7_CLIENTS / W7_MSGS override the anchors' 50 × 2,000 (bench/net/instructions.mjs runs
// the servers under valgrind, 100× slower, with fewer).
const CLIENTS = Number(process.env.W7_CLIENTS ?? 50);
const MSGS = Number(process.env.W7_MSGS ?? 2000);
const SIZE = 64;
const HARD_LIMIT_MS = Number(process.env.W7_LIMIT_MS ?? 60_000);

const hard = setTimeout(() => {
  process.stderr.write(`W7 driver: gave up after ${HARD_LIMIT_MS} ms\n`);
  process.exit(3);
}, HARD_LIMIT_MS);

const msg = Buffer.alloc(SIZE, 0x61);

function connect() {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1', noDelay: true });
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

function runClient(s) {
  return new Promise((resolve, reject) => {
    let sent = 1;
    let received = 0;
    s.on('data', (chunk) => {
      received += chunk.length;
      if (received === sent * SIZE) {
        if (sent === MSGS) {
          s.end();
          resolve();
        } else {
          sent++;
          s.write(msg);
        }
      }
    });
    s.on('error', reject);
    s.write(msg);
  });
}

// utime+stime of the server process, in seconds (CLK_TCK is 100 on Linux x86_64).
function serverCpuSeconds() {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) / 100;
  } catch {
    return NaN;
  }
}

function serverPeakMb() {
  try {
    const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmHWM:\s+(\d+) kB/);
    return m ? +(Number(m[1]) / 1024).toFixed(1) : null;
  } catch {
    return null;
  }
}

const socks = [];
for (let i = 0; i < CLIENTS; i++) socks.push(await connect());
const cpu0 = serverCpuSeconds();
const dcpu0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
await Promise.all(socks.map(runClient));
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
const serverCpu = serverCpuSeconds() - cpu0;
const dcpu = process.cpuUsage(dcpu0);
const driverCpu = (dcpu.user + dcpu.system) / 1e6;
clearTimeout(hard);
const n = CLIENTS * MSGS;
process.stdout.write(
  JSON.stringify({
    system,
    workload: 'W7-tcp-echo',
    n,
    seconds: +seconds.toFixed(6),
    per_op_ns: +((seconds / n) * 1e9).toFixed(1),
    peak_rss_mb: serverPeakMb(),
    ops_per_s: Math.round(n / seconds),
    msgs_per_s: Math.round(n / seconds),
    server_cpu_us_per_msg: +((serverCpu / n) * 1e6).toFixed(2),
    server_cpu_util: +(serverCpu / seconds).toFixed(2),
    driver_cpu_util: +(driverCpu / seconds).toFixed(2),
    clients: CLIENTS,
    msg_bytes: SIZE,
    driver: `node${process.versions.node}`,
  }) + '\n',
);
