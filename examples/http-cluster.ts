/**
 * Seed 000's "multi-process + coroutines" WSGI server: several worker processes serve one port
 * (`node:cluster`), each running its requests in greenlets. The answer names the worker's pid.
 *
 * Run: `node dist/examples/http-cluster.js [port] [workers]` (defaults 8080 and 2). The primary
 * prints the URL, then reads commands on stdin: `restart` replaces the workers one at a time
 * (rolling restart; no request is lost), `stop` stops them gracefully and exits. A worker that
 * dies on its own (try `kill -9 <pid>`) is reported on stderr and replaced.
 *
 * Differences from the seed: Flask's `jsonify` is `Response.json`; gevent forks after
 * `start()` and each child calls `start_accepting()`, here node:cluster shares the listener.
 */
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { HttpServer, runCluster } from '../src/servers/http.js';

export function app(_req: Request): Response {
  return Response.json({
    status: 'ok',
    time: new Date().toISOString().slice(0, 16),
    pid: process.pid,
  });
}

export async function main(port = 8080, workers = 2): Promise<void> {
  const handle = await runCluster(
    async () => {
      const server = new HttpServer(['127.0.0.1', port], app, { log: null });
      await server.start();
      return server;
    },
    { workers, stopTimeout: 2000 },
  );
  if (handle === null) return; // a worker: it serves until the primary stops it
  console.log(
    `serving on http://127.0.0.1:${handle.port}/ with ${handle.pids.length} workers: ${handle.pids.join(' ')}`,
  );
  for await (const line of createInterface({ input: process.stdin })) {
    if (line.trim() === 'restart') {
      await handle.restart();
      console.log(`restarted: ${handle.pids.join(' ')}`);
    } else if (line.trim() === 'stop') {
      break;
    }
  }
  await handle.stop();
  console.log('stopped');
  process.stdin.destroy(); // stdin was all that kept the primary alive
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await main(Number(process.argv[2] ?? 8080), Number(process.argv[3] ?? 2));
}
