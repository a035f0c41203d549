// Baselines: plain promises and async functions, no library. This process never imports
// verdant (on Node 20 its AsyncLocalStorage would slow every promise here).
// The W* workloads are the anchors' node/limit.mjs definitions (/work/shared/anchors), unchanged
// except that each returns its time instead of printing it.
// Usage: node --expose-gc plain.mjs <workload> <warmup> <reps>
import { pathToFileURL } from 'node:url';
import { check, fullGc, main, minstdDelays, now, peakRssBytes } from '../lib/child.mjs';

// ---- switch (W2): two async functions resolving each other's one-shot promises.
class Ev {
  constructor() {
    this.clear();
  }
  clear() {
    this.p = new Promise((r) => {
      this.set = r;
    });
  }
}
async function switchPromises(n = 200_000) {
  const a = new Ev();
  const b = new Ev();
  const rounds = n / 2;
  let count = 0;
  async function ping() {
    for (let i = 0; i < rounds; i++) {
      a.set();
      await b.p;
      b.clear();
      count++;
    }
  }
  async function pong() {
    for (let i = 0; i < rounds; i++) {
      await a.p;
      a.clear();
      count++;
      b.set();
    }
  }
  const t0 = now();
  await Promise.all([pong(), ping()]);
  const seconds = now() - t0;
  check(count === n, `count ${count}`);
  return { seconds, n };
}

// ---- spawn (W1): Promise.all of n async functions that each await a resolved promise.
async function spawnAll(n = 100_000) {
  async function task() {
    await null;
  }
  const t0 = now();
  const ps = new Array(n);
  for (let i = 0; i < n; i++) ps[i] = task();
  await Promise.all(ps);
  return { seconds: now() - t0, n };
}

// ---- idle memory: heap growth per pending setTimeout promise (held in an array).
function idleTimeoutPromise(n = 100_000) {
  fullGc();
  const before = process.memoryUsage().heapUsed;
  let ps = new Array(n);
  for (let i = 0; i < n; i++) ps[i] = new Promise((r) => setTimeout(r, 60_000));
  fullGc();
  const after = process.memoryUsage().heapUsed;
  check(ps.length === n, 'kept');
  ps = null;
  return { seconds: 0, n, bytes_per_task: (after - before) / n };
}
// The same with a suspended async frame awaiting it (what a promise-style task costs).
function idleAsyncTimeout(n = 100_000) {
  async function sleeper() {
    await new Promise((r) => setTimeout(r, 60_000));
  }
  fullGc();
  const before = process.memoryUsage().heapUsed;
  let ps = new Array(n);
  for (let i = 0; i < n; i++) ps[i] = sleeper();
  fullGc();
  const after = process.memoryUsage().heapUsed;
  check(ps.length === n, 'kept');
  ps = null;
  return { seconds: 0, n, bytes_per_task: (after - before) / n };
}

// ---- timeouts (W6): setTimeout race; the inner sleep is cancelled on expiry.
class Timeout extends Error {}
function sleepCancellable(ms, token) {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    token.cancel = () => clearTimeout(t);
  });
}
function withTimeout(ms, fn) {
  return new Promise((resolve, reject) => {
    const token = { cancel: null };
    const timer = setTimeout(() => {
      if (token.cancel) token.cancel();
      reject(new Timeout());
    }, ms);
    fn(token).then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}
async function timeouts(n, inner) {
  let expired = 0;
  async function task() {
    try {
      await withTimeout(10, (tok) => sleepCancellable(inner, tok));
    } catch (e) {
      if (e instanceof Timeout) expired++;
      else throw e;
    }
  }
  const t0 = now();
  const ps = new Array(n);
  for (let i = 0; i < n; i++) ps[i] = task();
  await Promise.all(ps);
  return { seconds: now() - t0, n, expired };
}

// ---- queue: a minimal bounded promise queue (array ring + FIFOs of resolvers).
class BoundedQueue {
  constructor(maxsize) {
    this.max = maxsize;
    this.ring = new Array(maxsize);
    this.head = 0;
    this.size = 0;
    this.getters = []; // resolvers of blocked get()s
    this.putters = []; // [resolve, item] of blocked put()s
  }
  put(item) {
    if (this.getters.length > 0) {
      this.getters.shift()(item);
      return Promise.resolve();
    }
    if (this.size < this.max) {
      this.ring[(this.head + this.size) % this.max] = item;
      this.size++;
      return Promise.resolve();
    }
    return new Promise((r) => this.putters.push([r, item]));
  }
  get() {
    if (this.size > 0) {
      const item = this.ring[this.head];
      this.ring[this.head] = undefined;
      this.head = (this.head + 1) % this.max;
      this.size--;
      if (this.putters.length > 0) {
        const [r, x] = this.putters.shift();
        this.ring[(this.head + this.size) % this.max] = x;
        this.size++;
        r();
      }
      return Promise.resolve(item);
    }
    if (this.putters.length > 0) {
      const [r, x] = this.putters.shift();
      r();
      return Promise.resolve(x);
    }
    return new Promise((r) => this.getters.push(r));
  }
}
async function boundedQueue(n = 200_000) {
  const q = new BoundedQueue(100);
  let sum = 0;
  async function producer() {
    for (let i = 0; i < n; i++) await q.put(i);
  }
  async function consumer() {
    for (let i = 0; i < n; i++) sum += await q.get();
  }
  const t0 = now();
  await Promise.all([consumer(), producer()]);
  const seconds = now() - t0;
  check(sum === (n * (n - 1)) / 2, `sum ${sum}`);
  return { seconds, n };
}

// ---- W3: unbounded queue = array with head index + FIFO of promise resolvers.
class Queue {
  constructor() {
    this.items = [];
    this.head = 0;
    this.waiters = [];
  }
  put(x) {
    if (this.waiters.length > 0) this.waiters.shift()(x);
    else this.items.push(x);
  }
  get() {
    if (this.head < this.items.length) {
      const x = this.items[this.head];
      this.items[this.head++] = undefined;
      if (this.head >= 4096 && this.head * 2 >= this.items.length) {
        this.items = this.items.slice(this.head);
        this.head = 0;
      }
      return Promise.resolve(x);
    }
    return new Promise((r) => this.waiters.push(r));
  }
}
async function w3(n = 500_000, consumers = 4) {
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
  async function producer() {
    for (let i = 0; i < n; i++) q.put(i);
    for (let i = 0; i < consumers; i++) q.put(null);
  }
  const t0 = now();
  const ps = [];
  for (let i = 0; i < consumers; i++) ps.push(consumer(i));
  ps.push(producer());
  await Promise.all(ps);
  const seconds = now() - t0;
  check(counts.reduce((a, b) => a + b, 0) === n, `counts ${counts}`);
  return { seconds, n, consumer_counts: counts };
}

// ---- W4: the hand-written 100-worker map runner.
async function mapPool(size, fn, items) {
  const out = new Array(items.length);
  let next = 0;
  async function worker() {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  }
  const ws = [];
  for (let i = 0; i < size; i++) ws.push(worker());
  await Promise.all(ws);
  return out;
}
async function w4(n = 100_000) {
  async function f(x) {
    await null;
    return x * 2;
  }
  const items = Array.from({ length: n }, (_, i) => i);
  const t0 = now();
  const res = await mapPool(100, f, items);
  const seconds = now() - t0;
  let s = 0;
  for (const v of res) s += v;
  check(s === n * (n - 1), `sum ${s}`);
  return { seconds, n };
}

// ---- W5: 100k setTimeout promises of 0..50 ms (run cold, one per process, as the anchors).
async function w5(n = 100_000) {
  const delays = minstdDelays(n);
  let live = 0;
  let maxLive = 0;
  async function sleeper(d) {
    live++;
    if (live > maxLive) maxLive = live;
    await new Promise((r) => setTimeout(r, d));
    live--;
  }
  const base = process.memoryUsage.rss();
  const t0 = now();
  const ps = new Array(n);
  for (let i = 0; i < n; i++) ps[i] = sleeper(delays[i]);
  await Promise.all(ps);
  const seconds = now() - t0;
  return {
    seconds,
    n,
    mem_per_task_bytes: Math.round((peakRssBytes() - base) / n),
    max_live: maxLive,
  };
}

// ---- processes: 200 children `true` to completion, all at once (bare execFile).
async function children(n = 200) {
  const { execFile } = await import('node:child_process');
  const t0 = now();
  const codes = await Promise.all(
    Array.from(
      { length: n },
      () => new Promise((resolve) => execFile('true', (err) => resolve(err === null ? 0 : 1))),
    ),
  );
  const seconds = now() - t0;
  check(
    codes.every((c) => c === 0),
    'a child failed',
  );
  return { seconds, n };
}

// ---- thread round trip: one bare worker, postMessage and wait for the echo, n times.
async function workerRoundTrip(n = 5000) {
  const { Worker } = await import('node:worker_threads');
  const w = new Worker(new URL('./tasks/echo-worker.mjs', import.meta.url));
  const echo = (x) =>
    new Promise((resolve) => {
      w.once('message', resolve);
      w.postMessage(x);
    });
  await echo(0); // started
  const t0 = now();
  let sum = 0;
  for (let i = 0; i < n; i++) sum += await echo(i);
  const seconds = now() - t0;
  await w.terminate();
  check(sum === (n * (n - 1)) / 2, `sum ${sum}`);
  return { seconds, n };
}

/** The workloads by name (bench/warm.mjs runs them in one process). */
export const workloads = {
  switch: () => switchPromises(),
  spawn: () => spawnAll(),
  'idle-timer-promise': async () => idleTimeoutPromise(),
  'idle-async-timer': async () => idleAsyncTimeout(),
  'timeout-ok': () => timeouts(100_000, 1),
  'timeout-expire': () => timeouts(10_000, 100),
  'queue-bounded': () => boundedQueue(),
  w3: () => w3(),
  w4: () => w4(),
  w5: () => w5(),
  children: () => children(),
  'worker-roundtrip': () => workerRoundTrip(),
};

// Run as a script (bench/run.mjs starts it as a child): one workload, one JSON line.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main(workloads);
}
