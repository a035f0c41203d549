// runCluster in real processes (node:cluster, one shared loopback port) under load from a
// keep-alive client in this process: a graceful stop loses no in-flight request, and a rolling
// restart answers every request exactly once with no reset seen by the client. The client would
// follow HTTP's rule for a keep-alive connection the server closed (RFC 9112 §9.3.1, Node's
// `req.reusedSocket`): a request that fails on a *reused* connection before any response byte
// was never read by the server and may be sent again on a fresh one; the rolling restart test
// asserts it never had to. Every other failure — a reset on a fresh connection, a cut response,
// a request the server saw twice — fails the test.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runCluster } from '../../src/servers/cluster.js';

const APP = fileURLToPath(new URL('./_cluster/app.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'verdant-cluster-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Event {
  event: string;
  port?: number;
  pids: number[];
}

/** The cluster's primary as a child process, its JSON events read line by line. */
class Primary {
  readonly proc: ChildProcess;
  readonly log: string;
  readonly #events: Event[] = [];
  readonly #wake: Array<() => void> = [];
  readonly exited: Promise<number | null>;

  constructor(name: string, workers: number) {
    this.log = join(dir, `${name}.log`);
    this.proc = spawn(process.execPath, [APP], {
      env: { ...process.env, CLUSTER_LOG: this.log, CLUSTER_WORKERS: String(workers) },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    this.exited = new Promise((resolve) => this.proc.once('exit', (code) => resolve(code)));
    createInterface({ input: this.proc.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      this.#events.push(JSON.parse(line) as Event);
      for (const w of this.#wake.splice(0)) w();
    });
    this.proc.once('exit', () => {
      for (const w of this.#wake.splice(0)) w();
    });
  }

  /** The next event named `name` (bounded: rejects after `ms`). */
  async next(name: string, ms = 20_000): Promise<Event> {
    const deadline = Date.now() + ms;
    for (;;) {
      const i = this.#events.findIndex((e) => e.event === name);
      if (i >= 0) return this.#events.splice(i, 1)[0] as Event;
      if (this.proc.exitCode !== null) throw new Error(`primary exited before '${name}'`);
      if (Date.now() > deadline) throw new Error(`no '${name}' within ${ms} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 100);
        this.#wake.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  send(cmd: string): void {
    this.proc.stdin?.write(`${cmd}\n`);
  }

  /** `id → pids that logged it` from the workers' shared log. */
  served(): Map<string, string[]> {
    const seen = new Map<string, string[]>();
    let text = '';
    try {
      text = readFileSync(this.log, 'utf8');
    } catch {
      return seen;
    }
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const [id, pid] = line.split(' ') as [string, string];
      seen.set(id, [...(seen.get(id) ?? []), pid]);
    }
    return seen;
  }
}

interface Outcome {
  status: number;
  body: string;
  retries: number;
}

/** GET /?id&ms once; a failure on a reused connection before the response is retried (≤ 5). */
async function get(agent: Agent, port: number, id: string, ms: number): Promise<Outcome> {
  let retries = 0;
  for (;;) {
    const r = await new Promise<Outcome | { error: Error; reused: boolean; responded: boolean }>(
      (resolve) => {
        let responded = false;
        const req = request(
          { agent, host: '127.0.0.1', port, path: `/?id=${id}&ms=${ms}`, timeout: 10_000 },
          (res) => {
            responded = true;
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (d: string) => {
              body += d;
            });
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body, retries }));
            res.on('error', (error) => resolve({ error, reused: req.reusedSocket, responded }));
          },
        );
        req.on('timeout', () => req.destroy(new Error('request timed out')));
        req.on('error', (error) => resolve({ error, reused: req.reusedSocket, responded }));
        req.end();
      },
    );
    if (!('error' in r)) return r;
    const code = (r.error as NodeJS.ErrnoException).code;
    const retryable = r.reused && !r.responded && (code === 'ECONNRESET' || code === 'EPIPE');
    if (!retryable || retries >= 5) {
      throw new Error(
        `request ${id} failed (${code ?? ''} ${r.error.message}, reused ${r.reused}, responded ${r.responded})`,
      );
    }
    retries++;
  }
}

/**
 * `clients` keep-alive loops sending requests until `until()` says stop (bounded by `max`); a
 * loop also ends at its first ECONNREFUSED (the port has closed).
 */
async function load(
  port: number,
  clients: number,
  until: () => boolean,
  max: number,
): Promise<{ answered: Map<string, string>; retries: number; failures: string[] }> {
  const agent = new Agent({ keepAlive: true, maxSockets: clients });
  const answered = new Map<string, string>();
  const failures: string[] = [];
  let retries = 0;
  let next = 0;
  const loop = async (c: number): Promise<void> => {
    while (!until() && next < max) {
      const id = `${c}-${next++}`;
      try {
        const r = await get(agent, port, id, next % 3);
        retries += r.retries;
        if (r.status !== 200 || !r.body.startsWith(`${id} `)) {
          failures.push(`${id}: ${r.status} ${r.body}`);
        } else {
          answered.set(id, r.body.split(' ')[1] as string);
        }
      } catch (err) {
        failures.push((err as Error).message);
        if (/ECONNREFUSED/.test((err as Error).message)) return; // the port is closed for good
      }
    }
  };
  await Promise.all(Array.from({ length: clients }, (_, c) => loop(c)));
  agent.destroy();
  return { answered, retries, failures };
}

describe('runCluster (real worker processes on one port)', () => {
  test('bad options reject before any fork: TypeError when not a number, RangeError for a bad number', async () => {
    const serve = (): never => assert.fail('serve must not run');
    await assert.rejects(runCluster(serve, { workers: '2' as never }), {
      name: 'TypeError',
      message: 'runCluster: workers must be a number of processes, got string',
    });
    await assert.rejects(runCluster(serve, { workers: 0 }), {
      name: 'RangeError',
      message: 'runCluster: workers must be a positive integer, got 0',
    });
    await assert.rejects(runCluster(serve, { workers: 1, stopTimeout: '5' as never }), {
      name: 'TypeError',
      message: 'runCluster: stopTimeout must be a number of ms, got string',
    });
    await assert.rejects(runCluster(serve, { workers: 1, stopTimeout: -1 }), {
      name: 'RangeError',
      message: 'runCluster: stopTimeout must be a number of ms >= 0, got -1',
    });
  });

  test('a graceful stop of every worker under load loses no in-flight request, then the port closes', async () => {
    const primary = new Primary('stop', 2);
    try {
      const { port, pids } = await primary.next('serving');
      assert.equal(pids.length, 2);
      // Background load on keep-alive connections, running until the port is gone.
      const background = load(port as number, 4, () => false, 100_000);
      const agent = new Agent({ keepAlive: true });
      // 20 slow requests, each on its own connection, all in flight when the stop begins.
      const inflight = Array.from({ length: 20 }, (_, i) =>
        get(agent, port as number, `slow-${i}`, 400),
      );
      const slow = (): number =>
        [...primary.served().keys()].filter((id) => id.startsWith('slow-')).length;
      const t0 = Date.now();
      while (slow() < 20 && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 20));
      assert.equal(slow(), 20, 'every slow request reached a worker');
      primary.send('stop');
      const results = await Promise.all(inflight);
      agent.destroy();
      for (const [i, r] of results.entries()) {
        assert.equal(r.status, 200);
        assert.match(r.body, new RegExp(`^slow-${i} (${pids.join('|')})$`));
        assert.equal(r.retries, 0);
      }
      const served = new Set(results.map((r) => r.body.split(' ')[1]));
      assert.equal(served.size, 2, 'both workers had requests in flight');
      assert.deepEqual((await primary.next('stopped')).pids, []);
      assert.equal(await primary.exited, 0);
      await assert.rejects(get(new Agent(), port as number, 'late', 0), /ECONNREFUSED/);
      // The load: every request a worker saw was answered; the rest found the port closed.
      const { answered, failures } = await background;
      assert.ok(answered.size > 0);
      for (const f of failures) assert.match(f, /ECONNREFUSED/);
      for (const [id, pids] of primary.served()) {
        if (id.startsWith('slow-')) continue;
        assert.deepEqual([answered.get(id)], pids, `request ${id} reached a worker: answered`);
      }
    } finally {
      primary.proc.kill('SIGKILL');
    }
  });

  test('a rolling restart under load answers every request exactly once, no reset mid-request', async () => {
    const primary = new Primary('restart', 2);
    try {
      const { port, pids: before } = await primary.next('serving');
      let done = false;
      let restarted: number[] = [];
      const loadDone = load(port as number, 8, () => done, 20_000);
      const count = (): number => primary.served().size;
      const t0 = Date.now();
      while (count() < 200 && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 20));
      primary.send('restart');
      restarted = (await primary.next('restarted')).pids;
      const mark = count();
      const t1 = Date.now();
      while (count() < mark + 200 && Date.now() - t1 < 10_000) {
        await new Promise((r) => setTimeout(r, 20));
      }
      done = true;
      const { answered, retries, failures } = await loadDone;
      primary.send('stop');
      await primary.next('stopped');
      assert.equal(await primary.exited, 0);

      assert.deepEqual(failures, []);
      assert.ok(answered.size >= 400, `${answered.size} requests answered`);
      assert.equal(restarted.length, 2);
      for (const pid of restarted) assert.ok(!before.includes(pid), 'every worker was replaced');
      const byPid = new Set(answered.values());
      for (const pid of [...before, ...restarted]) {
        assert.ok(byPid.has(String(pid)), `worker ${pid} answered requests`);
      }
      // Exactly once: each answered request was served once, by the worker that answered it,
      // and no request reached a worker without being answered.
      const served = primary.served();
      for (const [id, pid] of answered) assert.deepEqual(served.get(id), [pid], `request ${id}`);
      assert.equal(served.size, answered.size);
      // And no client saw a reset at all: a retiring worker answers one more request on each
      // busy keep-alive connection with Connection: close before closing it.
      assert.equal(retries, 0, 'no request needed a retry on a closed keep-alive connection');
    } finally {
      primary.proc.kill('SIGKILL');
    }
  });
});
