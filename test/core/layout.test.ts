// Object layout of the classes made rarely and then in bulk (see settleShape in core/_util.ts):
// V8 sizes a class's objects at its seventh construction, so a full garbage collection that
// falls when exactly six have been made left every later Waiter a 1 kB dictionary and every
// later Greenlet, Event, Lock, Timeout … with its fields out of the object (16–56 B more). A
// child process (V8 natives and gc exposed) makes six of each, collects, then makes more; V8's
// instance size must equal the one after eight, and every object must have fast properties.
// bench/layout-probe.mjs is the probe.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';

const src = new URL('../../src/', import.meta.url).href;

const CHILD = `
const src = ${JSON.stringify(src)};
const v = await import(src + 'index.js');
const { Waiter, WaitList, WaitExtras } = await import(src + 'core/waiter.js');
const { TimerEntry } = await import(src + 'core/hub.js');
const { FiberMore } = await import(src + 'core/_fiber.js');
const { Extras } = await import(src + 'core/greenlet.js');
const { Links } = await import(src + 'sync/_links.js');
const { Held } = await import(src + 'sync/_acquire.js');
const make = {
  Greenlet: () => new v.Greenlet(Boolean),
  Extras: () => new Extras(null),
  FiberMore: () => new FiberMore(),
  Waiter: () => new Waiter(null),
  WaitList: () => new WaitList(),
  WaitExtras: () => new WaitExtras(null, null),
  TimerEntry: () => new TimerEntry(Boolean, null),
  Timeout: () => new v.Timeout(10),
  Event: () => new v.Event(),
  AsyncResult: () => new v.AsyncResult(),
  Semaphore: () => new v.Semaphore(1),
  BoundedSemaphore: () => new v.BoundedSemaphore(1),
  Lock: () => new v.Lock(),
  RLock: () => new v.RLock(),
  Queue: () => new v.Queue(),
  LifoQueue: () => new v.LifoQueue(),
  PriorityQueue: () => new v.PriorityQueue(),
  Channel: () => new v.Channel(),
  Links: () => new Links({ ready: () => false }, false),
  Held: () => new Held({ release() {} }),
  Group: () => new v.Group(),
  Pool: () => new v.Pool(2),
};
const K = Number(process.argv.at(-1));
for (const f of Object.values(make)) for (let i = 0; i < K; i++) f();
gc(); gc();
// V8's own account of the map (printed with the same stdio as the markers, so in order).
for (const [name, f] of Object.entries(make)) {
  const keep = [];
  for (let i = 0; i < 100; i++) keep.push(f());
  %DebugPrint('@@' + name);
  %DebugPrint(keep[99]);
}
`;

interface Layout {
  size: number;
  fast: boolean;
}

/** Each class's instance size and whether its objects have fast properties, after `k` and a GC. */
function probe(k: number): Map<string, Layout> {
  const text = execFileSync(
    process.execPath,
    ['--allow-natives-syntax', '--expose-gc', '--input-type=module', '-e', CHILD, '--', String(k)],
    { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 << 20 },
  );
  const out = new Map<string, Layout>();
  for (const part of text.split('@@').slice(1)) {
    const name = /^\w+/.exec(part)?.[0] as string;
    const size = Number(/instance size: (\d+)/.exec(part)?.[1]);
    out.set(name, { size, fast: part.includes('[FastProperties]') });
  }
  return out;
}

test('six constructions then a full GC leave no class in dictionary mode nor with unused slack', () => {
  const six = probe(6);
  const eight = probe(8);
  assert.equal(six.size, 22, [...six.keys()].join());
  for (const [name, r] of six) {
    const ref = eight.get(name) as Layout;
    assert.ok(Number.isInteger(r.size) && r.size > 0, `${name}: no instance size printed`);
    assert.equal(r.fast, true, `${name} made after six and a GC has dictionary properties`);
    assert.equal(
      r.size,
      ref.size,
      `${name}: ${r.size} B after six and a GC, ${ref.size} B after eight`,
    );
  }
});
