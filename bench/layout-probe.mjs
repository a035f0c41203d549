// V8 layout probe (issue: classes made rarely, then in bulk). V8 fixes a class's object size at
// its seventh construction (in-object slack tracking); a full GC that falls when exactly K of
// them exist (K = 6 on Node 20 and 24) leaves every later instance with its fields out of the
// object (a separate property array, 16–56 B more each) or, past about 14 fields, as a
// dictionary (a Waiter: about 1 kB). settleShape() (core/_util.ts) makes eight at load.
// For each class: K constructions, a full GC, then N more; prints V8's instance size, whether
// the objects have fast properties, and the heap per object.
//
//   npm run build && node bench/layout-probe.mjs [--k=6] [--n=20000] [--only=Event,Lock] [--dist=dist/src]
// Each class runs in a child process of its own (the pattern needs a fresh class).
import { execFileSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';

const args = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    const [k, v = 'true'] = a.replace(/^--/, '').split('=');
    return [k, v];
  }),
);
const SRC =
  args.dist === undefined
    ? new URL('../dist/src/', import.meta.url).href
    : `${pathToFileURL(args.dist).href}/`;
const CLASSES = {
  Greenlet: 'new v.Greenlet(Boolean)',
  GreenletSubclass: 'new m.Sub()',
  Waiter: 'new m.waiter.Waiter(null)',
  WaitList: 'new m.waiter.WaitList()',
  TimerEntry: 'new m.hub.TimerEntry(Boolean, null)',
  Timeout: 'new v.Timeout(10)',
  Event: 'new v.Event()',
  AsyncResult: 'new v.AsyncResult()',
  Semaphore: 'new v.Semaphore(1)',
  BoundedSemaphore: 'new v.BoundedSemaphore(1)',
  Lock: 'new v.Lock()',
  RLock: 'new v.RLock()',
  Queue: 'new v.Queue()',
  LifoQueue: 'new v.LifoQueue()',
  PriorityQueue: 'new v.PriorityQueue()',
  Channel: 'new v.Channel()',
  Group: 'new v.Group()',
  Pool: 'new v.Pool(2)',
  Links: 'new m.links.Links({ ready: () => false }, false)',
  Held: 'new m.acquire.Held({ release() {} })',
  StreamIO: "new m.stream.StreamIO(new m.net.Socket(), ['127.0.0.1', 1])",
  ListenerIO: 'new m.listener.ListenerIO(new m.net.Server())',
  Socket: 'new m.socket.Socket()',
};

function child(expr, k, n) {
  const code = `
const v = await import(${JSON.stringify(SRC)} + 'index.js');
const imp = (p) => import(${JSON.stringify(SRC)} + p);
const m = {
  waiter: await imp('core/waiter.js'), hub: await imp('core/hub.js'), links: await imp('sync/_links.js'),
  acquire: await imp('sync/_acquire.js'), stream: await imp('io/_stream.js'),
  listener: await imp('io/_listener.js'), socket: await imp('io/socket.js'), net: await import('node:net'),
};
m.Sub = class extends v.Greenlet { a = 1; b = 2; c = 3; run() {} };
const make = () => ${expr};
for (let i = 0; i < ${k}; i++) make();
gc(); gc();
const keep = new Array(${n});
const h0 = process.memoryUsage().heapUsed;
for (let i = 0; i < ${n}; i++) keep[i] = make();
gc(); gc();
const per = (process.memoryUsage().heapUsed - h0) / ${n};
%DebugPrint('@@' + per.toFixed(0));
%DebugPrint(keep[${n} - 1]);
`;
  const text = execFileSync(
    process.execPath,
    ['--allow-natives-syntax', '--expose-gc', '--input-type=module', '-e', code],
    { encoding: 'utf8', maxBuffer: 64 << 20, cwd: fileURLToPath(new URL('..', import.meta.url)) },
  );
  const part = text.slice(text.indexOf('@@'));
  return {
    perObject: Number(/^@@(\d+)/.exec(part)?.[1]),
    size: Number(/instance size: (\d+)/.exec(part)?.[1]),
    fast: part.includes('[FastProperties]'),
  };
}

const n = Number(args.n ?? 20000);
const ks = args.k === undefined ? [6, 8] : [Number(args.k)];
const only = args.only === undefined ? null : new Set(args.only.split(','));
console.log(
  `node ${process.version}; K constructions, a full GC, then ${n}: V8 instance size / fast properties / heap per object`,
);
for (const [name, expr] of Object.entries(CLASSES)) {
  if (only !== null && !only.has(name)) continue;
  const cells = ks.map((k) => {
    const r = child(expr, k, name.endsWith('IO') || name === 'Socket' ? Math.min(n, 2000) : n);
    return `K=${k}: ${String(r.size).padStart(3)} B ${r.fast ? 'fast' : 'DICT'} ${String(r.perObject).padStart(5)} B/obj`;
  });
  console.log(`${name.padEnd(17)} ${cells.join(' | ')}`);
}
