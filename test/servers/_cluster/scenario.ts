// The cluster script of test/servers/cluster.test.ts's failure tests, run as a real process (the
// primary, and through node:cluster every worker). Workers answer their pid. CLUSTER_FAIL names
// the workers (by cluster id: 1..n first, then the replacements in fork order) whose serve()
// throws, CLUSTER_EXIT those that exit(3) inside serve(), CLUSTER_SLOW those whose serve() takes
// 400 ms; CLUSTER_STOP_TIMEOUT is the stopTimeout (default 500; `Infinity` parses); `/?ms=M`
// answers after M ms; with CLUSTER_CATCH a worker whose serve() threw does not exit; a worker whose id is at
// least CLUSTER_CRASH_FROM, or listed in CLUSTER_CRASH, exits(1) 30 ms after it serves. The primary runs CLUSTER_SCENARIO and
// prints one JSON line per event on stdout; each carries `forked` (the pid of every worker ever
// forked) and `pids` (handle.pids), so the test can check that none is left alive; the reports
// written to the hub's exceptionStream are collected in `reports`.
import cluster from 'node:cluster';
import { getHub, sleep, spawn } from '../../../src/index.js';
import { HttpServer, runCluster } from '../../../src/servers/http.js';

const ids = (name: string): number[] =>
  (process.env[name] ?? '').split(',').filter(Boolean).map(Number);
const scenario = process.env.CLUSTER_SCENARIO ?? '';
const workers = Number(process.env.CLUSTER_WORKERS ?? 2);

const forked: number[] = [];
cluster.on('fork', (w) => forked.push(w.process.pid as number));
const say = (event: string, o: object = {}): void =>
  void process.stdout.write(`${JSON.stringify({ event, forked, ...o })}\n`);
const message = (err: unknown): string => (err as Error).message;
const reports: string[] = [];
if (cluster.isPrimary) getHub().exceptionStream = { write: (text) => reports.push(text) };

/** Resolves once `reports` has `n` reports (bounded). */
async function reported(n: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (reports.length < n && Date.now() < deadline) await sleep(5);
}

async function serve(): Promise<HttpServer> {
  const id = cluster.worker?.id ?? 0;
  if (ids('CLUSTER_SLOW').includes(id)) await sleep(400);
  if (ids('CLUSTER_FAIL').includes(id)) throw new Error(`worker ${id} cannot start`);
  if (ids('CLUSTER_EXIT').includes(id)) process.exit(3);
  const server = new HttpServer(
    ['127.0.0.1', 0],
    async (req) => {
      const ms = Number(new URL(req.url).searchParams.get('ms') ?? 0);
      if (ms > 0) await sleep(ms); // ?ms=M: a request in flight for M ms
      return new Response(String(process.pid));
    },
    { log: null },
  );
  await server.start();
  return server;
}

/** GET / on the cluster's port: the pid of the worker that answered (rejects after `ms`). */
async function ask(port: number | null, ms = 10_000): Promise<number> {
  // Bounded: a connection handed to a worker as it dies hangs (nodejs/node#21746).
  const res = await fetch(`http://127.0.0.1:${port}/`, {
    headers: { connection: 'close' },
    signal: AbortSignal.timeout(ms),
  });
  return Number(await res.text());
}

let handle: Awaited<ReturnType<typeof runCluster>> = null;
try {
  handle = await runCluster(
    serve,
    scenario === 'null-options'
      ? null
      : { workers, stopTimeout: Number(process.env.CLUSTER_STOP_TIMEOUT ?? 500) },
  );
} catch (err) {
  // A worker whose serve() threw ends here too: it exits as a script whose main failed, or, with
  // CLUSTER_CATCH, lives on as a script that caught the rejection (its IPC channel holds it).
  if (!cluster.isPrimary && process.env.CLUSTER_CATCH === undefined) process.exit(1);
  if (cluster.isPrimary) say('rejected', { message: message(err) });
}
const crashFrom = Number(process.env.CLUSTER_CRASH_FROM ?? Number.POSITIVE_INFINITY);
const crashes = (id: number): boolean => id >= crashFrom || ids('CLUSTER_CRASH').includes(id);
if (cluster.worker !== undefined && crashes(cluster.worker.id)) {
  setTimeout(() => process.exit(1), 30); // a crash, as the primary sees it
}
if (handle !== null) {
  say('serving', { pids: handle.pids });
  if (scenario === 'restart-fails') {
    const err = await handle.restart().then(
      () => null,
      (e: unknown) => e,
    );
    say('restart-failed', {
      message: message(err),
      pids: handle.pids,
      answer: await ask(handle.port),
    });
  } else if (scenario === 'stop-during-restart') {
    const restart = handle.restart().then(
      () => null,
      (e: unknown) => e,
    );
    // Stop once the first replacement is forked (it is still in serve(): CLUSTER_SLOW).
    while (forked.length <= workers) await sleep(10);
    await handle.stop();
    say('stopped', { pids: handle.pids });
    say('restart-ended', { message: message(await restart), pids: handle.pids });
    const again = await handle.restart().then(
      () => null,
      (e: unknown) => e,
    );
    say('restart-after-stop', { message: message(again) });
  } else if (scenario === 'two-restarts') {
    const before = handle.pids;
    const a = handle.restart().then(() => ({ pids: handle?.pids ?? [] }));
    const b = handle.restart().then(() => ({ pids: handle?.pids ?? [] }));
    const [ra, rb] = await Promise.all([a, b]);
    say('restarted', { before, first: ra.pids, second: rb.pids, pids: handle.pids });
  } else if (scenario === 'crash-loop') {
    // Worker 2 and every replacement crash right after serving: 4 reports, then stop() while
    // the 4th replacement waits for its backoff.
    const forever = handle.serveForever().then(
      () => 'resolved',
      (e: unknown) => message(e),
    );
    await reported(4);
    const atStop = forked.length;
    const answer = await ask(handle.port);
    await handle.stop();
    say('stopped', { pids: handle.pids, reports, atStop, answer, forever: await forever });
    await sleep(1200); // past the backoff stop() cancelled
    say('late', { reports });
  } else if (scenario === 'boot-fails') {
    // Worker 2 crashes after serving, its replacements fail before serving: the cluster gives up.
    const err = await handle.serveForever().then(
      () => null,
      (e: unknown) => e,
    );
    say('gave-up', { message: message(err), pids: handle.pids, reports });
    const again = await handle.restart().then(
      () => null,
      (e: unknown) => e,
    );
    say('restart-after-give-up', { message: message(again) });
  } else if (scenario === 'restart-during-backoff') {
    // One worker; it and its first 4 replacements crash: restart() during the 5th backoff.
    await reported(5);
    const atRestart = forked.length;
    await handle.restart();
    const restarted = handle.pids;
    const answer = await ask(handle.port);
    await sleep(2000); // past the 1600 ms backoff the restart dropped
    say('restarted', { atRestart, restarted, answer, pids: handle.pids, reports });
  } else if (scenario === 'slow-stop') {
    // stop() while a 600 ms request is in flight: it is answered, and how did the worker exit?
    const exits: Array<number | string | null> = [];
    cluster.on('exit', (_w, code, signal) => exits.push(signal ?? code));
    const res = fetch(`http://127.0.0.1:${handle.port}/?ms=600`).then(
      async (r) => await r.text(),
      (e: unknown) => `failed: ${message(e)}`,
    );
    await sleep(150);
    await handle.stop();
    say('slow-stopped', { answer: await res, exits, pids: handle.pids });
  } else if (scenario === 'boot-killed') {
    // The worker is SIGKILLed, then its first 3 replacements while they boot (CLUSTER_SLOW):
    // a kill from outside is no boot failure, so the 4th replacement serves.
    let forever = 'running';
    void handle.serveForever().then(
      () => {
        forever = 'resolved';
      },
      (e: unknown) => {
        forever = message(e);
      },
    );
    const seen = new Set(handle.pids);
    for (const pid of seen) process.kill(pid, 'SIGKILL');
    const deadline = Date.now() + 20_000;
    let kills = 0;
    while (kills < 3 && Date.now() < deadline && forever === 'running') {
      for (const pid of handle.pids) {
        if (seen.has(pid)) continue;
        seen.add(pid);
        await sleep(50); // booting: its serve() takes 400 ms
        process.kill(pid, 'SIGKILL');
        kills++;
      }
      await sleep(5);
    }
    let answer = 0;
    while (answer === 0 && Date.now() < deadline && forever === 'running') {
      answer = await ask(handle.port).catch(() => 0);
      if (answer === 0) await sleep(50);
    }
    say('boot-killed', { kills, answer, forever, pids: handle.pids, reports });
  } else if (scenario === 'port-kept') {
    // One worker on port 0, SIGKILLed twice (node:cluster closes the listener with it), then a
    // restart: who answers on the first port each time, and handle.port.
    const port = handle.port;
    const answers = [await ask(port)];
    const ports = [port];
    for (let k = 0; k < 2; k++) {
      const [pid] = handle.pids as [number];
      process.kill(pid, 'SIGKILL');
      const deadline = Date.now() + 6000;
      let answer = 0;
      while ((answer === 0 || answer === pid) && Date.now() < deadline) {
        answer = await ask(port, 500).catch(() => 0);
        if (answer === 0 || answer === pid) await sleep(50);
      }
      answers.push(answer);
      ports.push(handle.port);
    }
    await handle.restart();
    answers.push(await ask(port).catch(() => 0));
    ports.push(handle.port);
    say('port-kept', { answers, ports, pids: handle.pids });
  } else if (scenario === 'serve-forever-kill') {
    const g = spawn(() => handle?.serveForever());
    await sleep(100);
    await g.kill();
    say('killed', { pids: handle.pids, dead: g.dead });
  }
  await handle.stop();
  say('stopped', { pids: handle.pids });
}
