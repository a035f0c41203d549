// W7 server on verdant: a StreamServer whose handler is the gevent echo loop (recv/sendall).
// Usage: node echo-verdant.mjs PORT   (prints "ready" once listening)
import { StreamServer } from '../../dist/src/servers/index.js';

const port = Number(process.argv[2]);
process.once('SIGTERM', () => process.exit(0));
async function handle(sock) {
  for (;;) {
    const data = await sock.recv(65536);
    if (data.length === 0) break;
    await sock.sendall(data);
  }
}
const server = new StreamServer(['127.0.0.1', port], handle);
await server.start();
process.stdout.write('ready\n');
await server.serveForever();
