// The AsyncLocalStorage tax: a worker_threads Worker that runs plain promise code (no verdant in
// it), after importing verdant and running one greenlet when workerData.verdant is true.
// bench/run.mjs starts fresh workers of both kinds, alternately, and compares their times.
import { parentPort, workerData } from 'node:worker_threads';
import { now } from '../lib/child.mjs';

const { verdant, warmup, reps } = workerData;

if (verdant) {
  const { spawn } = await import(new URL('../../dist/src/index.js', import.meta.url).href);
  const g = spawn(async () => {
    await null;
    return 1;
  });
  if ((await g.get()) !== 1) throw new Error('the greenlet did not run');
}

// Plain promise code: W1's Promise.all of async functions, then W2's one-shot promise hand-offs.
async function spawnAll(n) {
  async function task() {
    await null;
  }
  const ps = new Array(n);
  for (let i = 0; i < n; i++) ps[i] = task();
  await Promise.all(ps);
}
async function pingPong(n) {
  let aSet;
  let bSet;
  let aP = new Promise((r) => {
    aSet = r;
  });
  let bP = new Promise((r) => {
    bSet = r;
  });
  const rounds = n / 2;
  async function ping() {
    for (let i = 0; i < rounds; i++) {
      aSet();
      await bP;
      bP = new Promise((r) => {
        bSet = r;
      });
    }
  }
  async function pong() {
    for (let i = 0; i < rounds; i++) {
      await aP;
      aP = new Promise((r) => {
        aSet = r;
      });
      bSet();
    }
  }
  await Promise.all([pong(), ping()]);
}

const spawnTimes = [];
const switchTimes = [];
for (let i = 0; i < warmup + reps; i++) {
  let t0 = now();
  await spawnAll(100_000);
  const s = now() - t0;
  t0 = now();
  await pingPong(200_000);
  const p = now() - t0;
  if (i >= warmup) {
    spawnTimes.push(s);
    switchTimes.push(p);
  }
}
parentPort.postMessage({ spawnTimes, switchTimes });
