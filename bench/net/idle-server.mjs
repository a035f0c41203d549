// Idle-connections server: holds N connections, then prints its memory growth per connection.
// Usage: node --expose-gc idle-server.mjs PORT N node|await|verdant
// Prints "ready" once listening, then one JSON line when N connections are open (or on SIGUSR2,
// with the connections it has). SIGUSR1 (after the driver's warm-up burst) takes the baseline
// again and restarts the count, then prints "base".
import net from 'node:net';
import v8 from 'node:v8';

const [port, n, mode] = [Number(process.argv[2]), Number(process.argv[3]), process.argv[4]];
const NOGC = process.env.BENCH_IDLE_NOGC === '1';
const mem = () => {
  if (!NOGC) globalThis.gc?.();
  if (!NOGC) globalThis.gc?.();
  return process.memoryUsage();
};
// How long the connections sit idle before the measure (ms).
const SETTLE_MS = Number(process.env.BENCH_IDLE_SETTLE_MS ?? 200);
let base = null;
let count = 0;
let reported = false;
function report() {
  if (reported) return;
  reported = true;
  const m = mem();
  const c = count;
  process.stdout.write(
    `${JSON.stringify({
      connections: c,
      rss_per_conn: (m.rss - base.rss) / c,
      heap_per_conn: (m.heapUsed - base.heapUsed) / c,
      heap_total_per_conn: (m.heapTotal - base.heapTotal) / c,
      external_per_conn: (m.external - base.external) / c,
      spaces: Object.fromEntries(
        v8
          .getHeapSpaceStatistics()
          .map((x) => [x.space_name, Math.round(x.physical_space_size / 1024)]),
      ),
    })}\n`,
  );
}
function opened() {
  if (++count === n) setTimeout(report, SETTLE_MS);
}
// The driver's "report now, with the connections you have" (some of its connections failed).
process.on('SIGUSR2', () => setTimeout(report, 200));
// The driver's warm-up burst is over (its connections closed): what it left (compiled code,
// the JIT's working memory, grown spaces) is in the baseline, so the measure is what each
// connection keeps.
process.on('SIGUSR1', () =>
  setTimeout(() => {
    base = mem();
    count = 0;
    process.stdout.write('base\n');
  }, 300),
);
if (mode === 'node') {
  const server = net.createServer({ noDelay: true }, (sock) => {
    sock.on('data', (d) => sock.write(d));
    sock.on('error', () => {});
    opened();
  });
  server.listen(port, '127.0.0.1', () => {
    base = mem();
    process.stdout.write('ready\n');
  });
} else if (mode === 'await') {
  // The reference of issue 16: a bare node:net server written as an await loop.
  const { once } = await import('node:events');
  const server = net.createServer({ noDelay: true }, async (sock) => {
    sock.on('error', () => {});
    opened();
    for await (const d of sock) if (!sock.write(d)) await once(sock, 'drain');
  });
  server.listen(port, '127.0.0.1', () => {
    base = mem();
    process.stdout.write('ready\n');
  });
} else {
  const { StreamServer } = await import('../../dist/src/servers/index.js');
  const server = new StreamServer(['127.0.0.1', port], async (sock) => {
    opened();
    for (let d = await sock.recv(65536); d.length > 0; d = await sock.recv(65536))
      await sock.sendall(d);
  });
  await server.start();
  base = mem();
  process.stdout.write('ready\n');
  await server.serveForever();
}
