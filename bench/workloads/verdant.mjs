// The verdant side of every row: the same workloads as plain.mjs, written with verdant from the
// top level (the main greenlet), importing the built package from dist/src/.
// Usage: node --expose-gc verdant.mjs <workload> <warmup> <reps>
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { check, fullGc, main, minstdDelays, now, peakRssBytes } from '../lib/child.mjs';

const DIST = new URL('../../dist/src/', import.meta.url);
const { getHub, joinAll, killAll, sleep, spawn, Timeout, withTimeout } = await import(
  new URL('index.js', DIST).href
);

/** Import a module of dist/src that other engineers may not have built yet. */
async function optional(rel) {
  const url = new URL(rel, DIST);
  if (!existsSync(url)) {
    process.stderr.write(`not built yet: dist/src/${rel}\n`);
    process.exit(3);
  }
  return import(url.href);
}

// ---- switch: two greenlets hand off through a pair of Events, Queue(1)s or Channels.
async function switchEvents(n = 200_000) {
  const { Event } = await optional('sync/event.js');
  const a = new Event();
  const b = new Event();
  const rounds = n / 2;
  let count = 0;
  async function ping() {
    for (let i = 0; i < rounds; i++) {
      a.set();
      await b.wait();
      b.clear();
      count++;
    }
  }
  async function pong() {
    for (let i = 0; i < rounds; i++) {
      await a.wait();
      a.clear();
      count++;
      b.set();
    }
  }
  const t0 = now();
  await joinAll([spawn(pong), spawn(ping)], { raiseError: true });
  const seconds = now() - t0;
  check(count === n, `count ${count}`);
  return { seconds, n };
}

async function switchQueues(kind, n = 200_000) {
  const mod = await optional('sync/queue/index.js');
  const make = kind === 'channel' ? () => new mod.Channel() : () => new mod.Queue(1);
  const q1 = make();
  const q2 = make();
  const rounds = n / 2;
  let count = 0;
  async function ping() {
    for (let i = 0; i < rounds; i++) {
      await q1.put(i);
      const v = await q2.get();
      if (v === i) count++;
    }
  }
  async function pong() {
    for (let i = 0; i < rounds; i++) {
      const v = await q1.get();
      count++;
      await q2.put(v);
    }
  }
  const t0 = now();
  await joinAll([spawn(pong), spawn(ping)], { raiseError: true });
  const seconds = now() - t0;
  check(count === n, `count ${count}`);
  return { seconds, n };
}

// ---- spawn (W1): n greenlets spawned from the top level, each awaiting a resolved promise.
async function spawnJoin(n = 100_000) {
  async function task() {
    await null;
  }
  const t0 = now();
  const gs = new Array(n);
  for (let i = 0; i < n; i++) gs[i] = spawn(task);
  await joinAll(gs);
  const seconds = now() - t0;
  check(
    gs.every((g) => g.dead && g.successful()),
    'all dead and successful',
  );
  return { seconds, n };
}

// ---- idle memory: heap growth per greenlet in sleep(60000), handles kept; then killAll.
function timersLeft() {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}
async function idle(n, asyncWrapper) {
  const timersBefore = timersLeft();
  const wrapped = async () => {
    await sleep(60_000);
  };
  fullGc();
  const before = process.memoryUsage().heapUsed;
  let gs = new Array(n);
  for (let i = 0; i < n; i++) gs[i] = asyncWrapper ? spawn(wrapped) : spawn(sleep, 60_000);
  await sleep(0); // every greenlet runs once: all are now in sleep(60000)
  check(getHub().timers >= n, `hub timers ${getHub().timers} < ${n}`);
  const timersWhileIdle = timersLeft() - timersBefore; // > 0, or the check below proves nothing
  fullGc();
  const held = process.memoryUsage().heapUsed;
  await killAll(gs);
  const allDead = gs.every((g) => g.dead);
  gs = null;
  await sleep(0);
  fullGc();
  const afterKill = process.memoryUsage().heapUsed;
  const timers = timersLeft() - timersBefore;
  check(allDead, 'killAll left greenlets alive');
  check(getHub().timers === 0, `hub still has ${getHub().timers} timers after killAll`);
  check(timers <= 0, `${timers} Node Timeout(s) still pending after killAll`);
  return {
    seconds: 0,
    n,
    bytes_per_task: (held - before) / n,
    retained_per_task: (afterKill - before) / n,
    node_timers_left: Math.max(0, timers),
    node_timers_while_idle: timersWhileIdle,
    all_dead: allDead,
  };
}

// ---- timeouts (W6): n greenlets each run withTimeout(10, sleep, inner).
async function timeouts(n, inner) {
  let expired = 0;
  async function task() {
    try {
      await withTimeout(10, sleep, inner);
    } catch (e) {
      if (e instanceof Timeout) expired++;
      else throw e;
    }
  }
  const t0 = now();
  const gs = new Array(n);
  for (let i = 0; i < n; i++) gs[i] = spawn(task);
  await joinAll(gs, { raiseError: true });
  return { seconds: now() - t0, n, expired };
}

// ---- queue: Queue(100), one producer greenlet and one consumer greenlet.
async function boundedQueue(n = 200_000) {
  const { Queue } = await optional('sync/queue/index.js');
  const q = new Queue(100);
  let sum = 0;
  async function producer() {
    for (let i = 0; i < n; i++) await q.put(i);
  }
  async function consumer() {
    for (let i = 0; i < n; i++) sum += await q.get();
  }
  const t0 = now();
  await joinAll([spawn(consumer), spawn(producer)], { raiseError: true });
  const seconds = now() - t0;
  check(sum === (n * (n - 1)) / 2, `sum ${sum}`);
  return { seconds, n };
}

// ---- W3: 1 producer, 4 consumers, unbounded Queue, sentinel null. The producer uses
// putNowait: like the anchors' put (synchronous, never waits on an unbounded queue).
async function w3(n = 500_000, consumers = 4) {
  const { Queue } = await optional('sync/queue/index.js');
  const q = new Queue();
  const counts = new Array(consumers).fill(0);
  async function consumer(i) {
    let c = 0;
    for (;;) {
      const x = await q.get();
      if (x === null) break;
      c++;
    }
    counts[i] = c;
  }
  function producer() {
    for (let i = 0; i < n; i++) q.putNowait(i);
    for (let i = 0; i < consumers; i++) q.putNowait(null);
  }
  const t0 = now();
  const gs = [];
  for (let i = 0; i < consumers; i++) gs.push(spawn(consumer, i));
  gs.push(spawn(producer));
  await joinAll(gs, { raiseError: true });
  const seconds = now() - t0;
  check(counts.reduce((a, b) => a + b, 0) === n, `counts ${counts}`);
  return { seconds, n, consumer_counts: counts };
}

// ---- W4: Pool(100).map; f yields once (sleep(0), or awaiting a resolved promise) and returns 2x.
async function w4(yieldKind, n = 100_000) {
  const { Pool } = await optional('pool/index.js');
  const f =
    yieldKind === 'sleep0'
      ? async (x) => {
          await sleep(0);
          return x * 2;
        }
      : async (x) => {
          await null;
          return x * 2;
        };
  const items = Array.from({ length: n }, (_, i) => i);
  const pool = new Pool(100);
  const t0 = now();
  const res = await pool.map(f, items);
  const seconds = now() - t0;
  let s = 0;
  for (const v of res) s += v;
  check(s === n * (n - 1), `sum ${s}`);
  return { seconds, n };
}

// ---- W5: n greenlets each sleep 0..50 ms (cold, one per process, as the anchors).
async function w5(n = 100_000) {
  const delays = minstdDelays(n);
  let live = 0;
  let maxLive = 0;
  async function sleeper(d) {
    live++;
    if (live > maxLive) maxLive = live;
    await sleep(d);
    live--;
  }
  const base = process.memoryUsage.rss();
  const t0 = now();
  const gs = new Array(n);
  for (let i = 0; i < n; i++) gs[i] = spawn(sleeper, delays[i]);
  await joinAll(gs, { raiseError: true });
  const seconds = now() - t0;
  return {
    seconds,
    n,
    mem_per_task_bytes: Math.round((peakRssBytes() - base) / n),
    max_live: maxLive,
  };
}

// ---- processes: 200 greenlets, each `run(['true'])` to completion.
async function children(n = 200) {
  const { run } = await optional('process/subprocess.js');
  const t0 = now();
  const gs = Array.from({ length: n }, () => spawn(() => run(['true'])));
  await joinAll(gs, { raiseError: true });
  const seconds = now() - t0;
  check(
    gs.every((g) => g.value.returncode === 0),
    'a child failed',
  );
  return { seconds, n };
}

// ---- thread round trip: ThreadPool(1).apply(echo, [i]) from main, n times.
async function poolRoundTrip(n = 5000) {
  const { ThreadPool } = await optional('process/threadpool.js');
  const pool = new ThreadPool(1);
  const task = new URL('./tasks/echo.mjs', import.meta.url);
  await pool.apply(task, [0]); // started, module loaded
  const t0 = now();
  let sum = 0;
  for (let i = 0; i < n; i++) sum += await pool.apply(task, [i]);
  const seconds = now() - t0;
  await pool.kill();
  check(sum === (n * (n - 1)) / 2, `sum ${sum}`);
  return { seconds, n };
}

// ---- the Event switch with a blocking monitor watching (its overhead on the switch row).
// The monitor is started once per process, before the warm-up run, and left running (its
// thread is unref'd): a monitor watches a program for its life, so the row measures its
// steady cost. Starting one per run measured the watchdog thread's start-up (V8 compiling and
// collecting on the second core while the switch ran), up to 1.7x on a 2-core host.
let monitorStarted = null;
async function switchEventsMonitored() {
  if (monitorStarted === null) {
    const { startMonitor } = await optional('tools/util.js');
    monitorStarted = await startMonitor({ maxBlockingTime: 100 });
  }
  return await switchEvents();
}

/** The workloads by name (bench/warm.mjs runs them in one process). */
export const workloads = {
  'switch-event': () => switchEvents(),
  'switch-event-monitor': () => switchEventsMonitored(),
  'switch-queue': () => switchQueues('queue'),
  'switch-channel': () => switchQueues('channel'),
  spawn: () => spawnJoin(),
  idle: () => idle(100_000, false),
  'idle-async': () => idle(100_000, true),
  'timeout-ok': () => timeouts(100_000, 1),
  'timeout-expire': () => timeouts(10_000, 100),
  'queue-bounded': () => boundedQueue(),
  w3: () => w3(),
  'w4-sleep0': () => w4('sleep0'),
  'w4-await': () => w4('await'),
  w5: () => w5(),
  children: () => children(),
  'pool-roundtrip': () => poolRoundTrip(),
};

// Run as a script (bench/run.mjs starts it as a child): one workload, one JSON line.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main(workloads);
}
