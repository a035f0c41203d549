// The cluster script of test/servers/cluster.test.ts, run as a real process: the primary (and,
// through node:cluster, every worker) runs this file. Workers serve `/?id=N&ms=M`: sleep M ms in
// the request's greenlet, append "N pid" to the file named by CLUSTER_LOG, answer "N pid"; each
// connection a worker accepts appends "<client port> pid" to CLUSTER_LOG + '.conns'. The
// primary prints one JSON line per event on stdout and reads commands on stdin
// (`restart`, `pids`, `stop`); each report written to the hub's exceptionStream is a `report`
// event, and `stopped` carries `forked` (the pid of every worker ever forked).
import cluster from 'node:cluster';
import { appendFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { getHub, sleep } from '../../../src/index.js';
import { HttpServer, runCluster } from '../../../src/servers/http.js';

const log = process.env.CLUSTER_LOG ?? '';
const workers = Number(process.env.CLUSTER_WORKERS ?? 2);

async function app(req: Request): Promise<Response> {
  const url = new URL(req.url);
  const id = url.searchParams.get('id') ?? '?';
  const ms = Number(url.searchParams.get('ms') ?? 0);
  appendFileSync(log, `${id} ${process.pid}\n`);
  if (ms > 0) await sleep(ms);
  return new Response(`${id} ${process.pid}`);
}

const say = (o: object): void => void process.stdout.write(`${JSON.stringify(o)}\n`);
const forked: number[] = [];
cluster.on('fork', (w) => forked.push(w.process.pid as number));
if (cluster.isPrimary)
  getHub().exceptionStream = { write: (text) => say({ event: 'report', text }) };

const handle = await runCluster(
  async () => {
    const server = new HttpServer(['127.0.0.1', 0], app, { log: null });
    server.server.on('connection', (sock) =>
      appendFileSync(`${log}.conns`, `${sock.remotePort} ${process.pid}\n`),
    );
    await server.start();
    return server;
  },
  { workers, stopTimeout: 5000 },
);
if (handle !== null) {
  say({ event: 'serving', port: handle.port, pids: handle.pids });
  for await (const line of createInterface({ input: process.stdin })) {
    if (line === 'restart') {
      await handle.restart();
      say({ event: 'restarted', pids: handle.pids });
    } else if (line === 'pids') {
      say({ event: 'pids', pids: handle.pids });
    } else if (line === 'stop') {
      await handle.stop();
      say({ event: 'stopped', pids: handle.pids, forked });
      break;
    }
  }
  process.stdin.destroy(); // nothing else keeps the primary alive once its workers are gone
}
