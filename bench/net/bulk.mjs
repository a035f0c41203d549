// Bulk throughput over one loopback connection, sender and receiver in this process.
// Usage: node bulk.mjs node|verdant BYTES   → one JSON line {seconds, bytes}
import net from 'node:net';
import { Readable, Writable } from 'node:stream';

const [mode, total] = [process.argv[2], Number(process.argv[3])];
const CHUNK = 1 << 20;
const block = Buffer.alloc(CHUNK, 0x5a);
const t0 = process.hrtime.bigint();
const cpu0 = process.cpuUsage();
let got = 0;
if (mode === 'node') {
  // a piped node:net pair: a source stream piped into the client, the server piped into a sink
  await new Promise((resolve, reject) => {
    const server = net.createServer((s) => {
      s.pipe(
        new Writable({
          write(c, _e, cb) {
            got += c.length;
            cb();
          },
          final(cb) {
            cb();
            server.close();
            resolve();
          },
        }),
      );
    });
    server.listen(0, '127.0.0.1', () => {
      const c = net.connect(server.address().port, '127.0.0.1');
      let sent = 0;
      Readable.from(
        (function* () {
          while (sent < total) {
            sent += CHUNK;
            yield block;
          }
        })(),
      ).pipe(c);
      c.on('error', reject);
    });
  });
} else {
  const { listen, createConnection } = await import('../../dist/src/io/socket.js');
  const { spawn } = await import('../../dist/src/index.js');
  const l = await listen({ port: 0 });
  const [c, [s]] = await Promise.all([createConnection(l.getsockname()), l.accept()]);
  l.close();
  const sender = spawn(async () => {
    for (let sent = 0; sent < total; sent += CHUNK) await c.sendall(block);
    c.shutdown('write');
  });
  const buf = new Uint8Array(64 * 1024);
  for (let n = await s.recvInto(buf); n > 0; n = await s.recvInto(buf)) got += n;
  await sender.join();
  c.close();
  s.close();
}
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
if (got !== Math.ceil(total / CHUNK) * CHUNK) throw new Error(`received ${got} of ${total}`);
const cpu = process.cpuUsage(cpu0);
process.stdout.write(
  `${JSON.stringify({ seconds, bytes: got, cpu: (cpu.user + cpu.system) / 1e6 })}\n`,
);
