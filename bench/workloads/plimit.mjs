// p-limit row for W4, mirroring the anchors' node/plimit.mjs: pLimit(100) wraps all 100k calls
// of f (awaits a resolved promise, returns 2x), then Promise.all.
// The package lives in a scratch dir ($BENCH_NM), never in the project's node_modules.
// Usage: node --expose-gc plimit.mjs w4 <warmup> <reps>
import { pathToFileURL } from 'node:url';
import { check, main, now } from '../lib/child.mjs';

const { default: pLimit } = await import(
  pathToFileURL(`${process.env.BENCH_NM}/p-limit/index.js`).href
);

async function w4(n = 100_000) {
  async function f(x) {
    await null;
    return x * 2;
  }
  const t0 = now();
  const limit = pLimit(100);
  const ps = new Array(n);
  for (let i = 0; i < n; i++) ps[i] = limit(f, i);
  const res = await Promise.all(ps);
  const seconds = now() - t0;
  let s = 0;
  for (const v of res) s += v;
  check(s === n * (n - 1), `sum ${s}`);
  return { seconds, n };
}

await main({ w4: () => w4() });
