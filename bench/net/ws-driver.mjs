// WebSocket echo driver: opens CLIENTS `ws` connections to ws://127.0.0.1:PORT/, reads the
// server's RSS growth per open socket (/proc/PID/status VmRSS, after a settle), then each client
// sends MSGS 64-byte messages one at a time, waiting for each echo. Prints one JSON line:
// {n, seconds, server_cpu_s, rss_per_socket}.
// Usage: node ws-driver.mjs PORT SERVER_PID [CLIENTS=1000] [MSGS=30]
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';

const [port, pid] = [Number(process.argv[2]), Number(process.argv[3])];
const CLIENTS = Number(process.argv[4] ?? 1000);
const MSGS = Number(process.argv[5] ?? 30);
const hard = setTimeout(() => {
  process.stderr.write('ws driver: gave up after 120 s\n');
  process.exit(3);
}, 120_000);

const TICK = 100;
const stat = () => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const r = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(r[11]) + Number(r[12])) / TICK;
};
const rss = () =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;

await sleep(300);
const rss0 = rss();
const socks = [];
for (let i = 0; i < CLIENTS; i += 50) {
  const batch = [];
  for (let k = i; k < Math.min(CLIENTS, i + 50); k++) {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false });
    socks.push(ws);
    batch.push(
      new Promise((resolve, reject) => {
        ws.once('open', resolve);
        ws.once('error', reject);
      }),
    );
  }
  await Promise.all(batch);
}
await sleep(500);
const rss1 = rss();
const msg = Buffer.alloc(64, 0x61);
const c0 = stat();
const t0 = process.hrtime.bigint();
await Promise.all(
  socks.map(
    (ws) =>
      new Promise((resolve, reject) => {
        let left = MSGS;
        ws.on('message', () => {
          if (--left === 0) resolve();
          else ws.send(msg);
        });
        ws.once('error', reject);
        ws.send(msg);
      }),
  ),
);
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
const c1 = stat();
for (const ws of socks) ws.terminate();
clearTimeout(hard);
process.stdout.write(
  `${JSON.stringify({ n: CLIENTS * MSGS, seconds, server_cpu_s: c1 - c0, rss_per_socket: (rss1 - rss0) / CLIENTS })}\n`,
);
