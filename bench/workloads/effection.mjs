// effection@4 rows, mirroring the anchors' node/effection.mjs (W1, W2, W4, W5). A task yields
// with `yield* sleep(0)` (effection's setTimeout(0), >= 1 ms), or with
// `yield* until(Promise.resolve())` for the `w4-until` workload, as the anchors do.
// The package lives in a scratch dir ($BENCH_NM), never in the project's node_modules.
// Usage: node --expose-gc effection.mjs <workload> <warmup> <reps>
import { pathToFileURL } from 'node:url';
import { check, main, minstdDelays, now, peakRssBytes } from '../lib/child.mjs';

const NM = process.env.BENCH_NM;
const { run, spawn, sleep, until, withResolvers } = await import(
  pathToFileURL(`${NM}/effection/esm/mod.js`).href
);

async function w1(yieldOnce, n = 100_000) {
  const t0 = now();
  await run(function* () {
    const tasks = new Array(n);
    for (let i = 0; i < n; i++) {
      tasks[i] = yield* spawn(function* () {
        yield* yieldOnce();
      });
    }
    for (const t of tasks) yield* t;
  });
  return { seconds: now() - t0, n };
}

async function w2(n = 200_000) {
  const rounds = n / 2;
  let count = 0;
  let a = withResolvers();
  let b = withResolvers();
  const t0 = now();
  await run(function* () {
    const pong = yield* spawn(function* () {
      for (let i = 0; i < rounds; i++) {
        yield* a.operation;
        a = withResolvers();
        count++;
        b.resolve();
      }
    });
    const ping = yield* spawn(function* () {
      for (let i = 0; i < rounds; i++) {
        a.resolve();
        yield* b.operation;
        b = withResolvers();
        count++;
      }
    });
    yield* pong;
    yield* ping;
  });
  const seconds = now() - t0;
  check(count === n, `count ${count}`);
  return { seconds, n };
}

async function w4(yieldOnce, n = 100_000) {
  function* f(x) {
    yield* yieldOnce();
    return x * 2;
  }
  const out = new Array(n);
  const t0 = now();
  await run(function* () {
    let next = 0;
    const ws = [];
    for (let w = 0; w < 100; w++) {
      ws.push(
        yield* spawn(function* () {
          while (next < n) {
            const i = next++;
            out[i] = yield* f(i);
          }
        }),
      );
    }
    for (const t of ws) yield* t;
  });
  const seconds = now() - t0;
  let s = 0;
  for (const v of out) s += v;
  check(s === n * (n - 1), `sum ${s}`);
  return { seconds, n };
}

async function w5(n = 100_000) {
  const delays = minstdDelays(n);
  let live = 0;
  let maxLive = 0;
  const base = process.memoryUsage.rss();
  const t0 = now();
  await run(function* () {
    const tasks = new Array(n);
    for (let i = 0; i < n; i++) {
      const d = delays[i];
      tasks[i] = yield* spawn(function* () {
        live++;
        if (live > maxLive) maxLive = live;
        yield* sleep(d);
        live--;
      });
    }
    for (const t of tasks) yield* t;
  });
  const seconds = now() - t0;
  return {
    seconds,
    n,
    mem_per_task_bytes: Math.round((peakRssBytes() - base) / n),
    max_live: maxLive,
  };
}

// W1 and W5 run 20k tasks, not the anchors' 100k: effection's spawn costs ~170 µs and ~15 kB per
// task and is linear in n (the anchors measured 10k..100k), so the per-task figure is the same
// and the run takes ~4 s instead of ~20 s (and 1.5 GB).
const EFFECTION_SPAWN_N = 20_000;
const sleep0 = () => sleep(0);
const untilResolved = () => until(Promise.resolve());
await main({
  w1: () => w1(sleep0, EFFECTION_SPAWN_N),
  w2: () => w2(),
  w4: () => w4(sleep0),
  'w4-until': () => w4(untilResolved),
  w5: () => w5(EFFECTION_SPAWN_N),
});
