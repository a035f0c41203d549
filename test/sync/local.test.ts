// Local: greenlet-local storage. Ports gevent's test__local.py (per-greenlet attributes,
// subclass __init__ per greenlet, class attributes and descriptors, independent objects) to
// DESIGN §3 "Local".
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Event, Greenlet, Local, local, sleep, spawn } from '../../src/index.js';
import { runVirtual } from '../../src/testing/index.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

test('new Local() keeps each greenlet own properties; one never set reads undefined', async () => {
  await runVirtual(async () => {
    const l = new Local() as Local & { attr?: number };
    l.attr = 1;
    assert.equal(l.attr, 1);
    const seen = await spawn(async () => {
      const before = l.attr;
      l.attr = 2;
      await sleep(5);
      return [before, l.attr];
    }).get();
    assert.deepEqual(seen, [undefined, 2]);
    assert.equal(l.attr, 1, 'the other greenlet did not change ours');
  });
});

test('a child greenlet does not inherit its spawner values', async () => {
  await runVirtual(async () => {
    const l = local<{ user: string }>();
    const r = await spawn(async () => {
      l.user = 'parent';
      const child = spawn(() => l.user);
      return [await child.get(), l.user];
    }).get();
    assert.deepEqual(r, [undefined, 'parent']);
  });
});

test('values stay per greenlet across waits, with several greenlets interleaved', async () => {
  await runVirtual(async () => {
    const l = local<{ n: number }>();
    const worker = async (n: number): Promise<number[]> => {
      const seen: number[] = [];
      l.n = n;
      for (let i = 0; i < 3; i++) {
        await sleep(n);
        seen.push(l.n as number);
        l.n = (l.n as number) + 100;
      }
      return seen;
    };
    const gs = [spawn(worker, 1), spawn(worker, 2), spawn(worker, 3)];
    const results = await Promise.all(gs.map((g) => g.get()));
    assert.deepEqual(results, [
      [1, 101, 201],
      [2, 102, 202],
      [3, 103, 203],
    ]);
  });
});

test('main has its own storage, separate from greenlets', async () => {
  const l = local<{ who: string }>();
  l.who = 'main';
  const g = spawn(() => {
    const before = l.who;
    l.who = 'greenlet';
    return before;
  });
  assert.equal(await g.get(), undefined);
  assert.equal(l.who, 'main');
});

test('two Local objects are independent (test_objects)', async () => {
  await runVirtual(() => {
    const a = local<{ path: string }>();
    const b = local<{ path: string }>();
    a.path = '123';
    b.path = '123';
    assert.equal(a.path, b.path);
    b.path = '321';
    assert.notEqual(a.path, b.path);
  });
});

test('in, Object.keys and delete work on the current greenlet storage', async () => {
  await runVirtual(async () => {
    const l = local<{ a: number; b: number }>();
    l.a = 1;
    l.b = 2;
    assert.ok('a' in l);
    assert.deepEqual(Object.keys(l).sort(), ['a', 'b']);
    const other = await spawn(() => {
      const r = { has: 'a' in l, keys: Object.keys(l) };
      l.a = 9;
      return r;
    }).get();
    assert.deepEqual(other, { has: false, keys: [] });
    delete l.a;
    assert.equal('a' in l, false);
    assert.equal(l.a, undefined);
    assert.equal(l.b, 2);
  });
});

test('local() is shorthand for new Local()', () => {
  const l = local();
  assert.ok(l instanceof Local);
});

let created = 0;

class MyLocal extends Local {
  items: string[] = [];
  owner = 'unset';
  constructor() {
    super();
    created++;
  }
  add(item: string): number {
    this.items.push(item);
    return this.items.length;
  }
  get desc(): this {
    return this;
  }
}

test('a subclass field initialisers and constructor run once for each greenlet that first touches it', async () => {
  await runVirtual(async () => {
    created = 0;
    const l = new MyLocal();
    assert.equal(created, 1, 'for the creating greenlet, at construction');
    l.add('creator');
    const worker = async (name: string): Promise<string[]> => {
      l.owner = name;
      l.add(`${name}-1`);
      await sleep(1);
      l.add(`${name}-2`);
      return l.items;
    };
    const a = spawn(worker, 'a');
    const b = spawn(worker, 'b');
    assert.deepEqual(await a.get(), ['a-1', 'a-2']);
    assert.deepEqual(await b.get(), ['b-1', 'b-2']);
    assert.equal(created, 3, 'once per greenlet, not once per access');
    assert.deepEqual(l.items, ['creator']);
    assert.equal(l.owner, 'unset');
    const untouched = spawn(() => 'never touches it');
    await untouched.join();
    assert.equal(created, 3, 'not for a greenlet that never touches it');
  });
});

test('subclass instances keep their class; methods and accessors see the greenlet storage (test_class_attr)', async () => {
  await runVirtual(async () => {
    const l = new MyLocal();
    assert.ok(l instanceof MyLocal);
    assert.ok(l instanceof Local);
    assert.equal(l.desc, l, 'an accessor gets the object the user holds as this');
    const other = await spawn(() => [l instanceof MyLocal, l.desc === l, l.add('x')]).get();
    assert.deepEqual(other, [true, true, 1]);
  });
});

class WithProto extends Local {
  declare CLASS_PROP: number;
}
Object.defineProperty(WithProto.prototype, 'CLASS_PROP', { value: 42, writable: true });

test('a prototype value can be shadowed per greenlet and comes back when deleted (test_class_attr)', async () => {
  await runVirtual(async () => {
    const l = new WithProto();
    assert.equal(l.CLASS_PROP, 42);
    l.CLASS_PROP = 1;
    assert.equal(l.CLASS_PROP, 1);
    assert.equal(await spawn(() => l.CLASS_PROP).get(), 42);
    delete (l as { CLASS_PROP?: number }).CLASS_PROP;
    assert.equal(l.CLASS_PROP, 42);
  });
});

class A extends Local {
  obj: unknown;
  path = '';
  constructor(obj: unknown) {
    super(obj);
    this.obj = obj;
  }
}

test("a subclass constructor that reads the Local itself sees this greenlet's fresh storage (gevent's __init__ sees its dict)", async () => {
  // Reading the shared Local from a field initialiser or the constructor body constructed
  // another instance for the same greenlet, which read it again: 'Maximum call stack size
  // exceeded'.
  let shared: Counter | null = null;
  let calls = 0;
  class Counter extends Local {
    base = 10;
    doubled: number;
    constructor() {
      super();
      calls++;
      this.doubled = shared === null ? 0 : (shared as Counter).base * 2;
    }
  }
  shared = new Counter();
  await runVirtual(async () => {
    const seen = await spawn(() => [(shared as Counter).base, (shared as Counter).doubled]).get();
    assert.deepEqual(seen, [10, 20]);
    assert.equal(calls, 2); // main's, then the child's: once each
  });
});

test('a subclass constructor that throws in a greenlet throws at that access, and the next access tries again', async () => {
  let fail = true;
  class Fragile extends Local {
    ok = true;
    constructor() {
      super();
      if (fail) throw new Error('not ready');
    }
  }
  fail = false;
  const shared = new Fragile();
  fail = true;
  await runVirtual(async () => {
    const got = await spawn(() => {
      const out: string[] = [];
      try {
        out.push(String(shared.ok));
      } catch (e) {
        out.push((e as Error).message);
      }
      fail = false;
      out.push(String(shared.ok));
      return out;
    }).get();
    assert.deepEqual(got, ['not ready', 'true']);
  });
});

test("new Local(x) throws TypeError (gevent's local('foo'): 'Initialization arguments are not supported')", () => {
  // verdant dropped the argument silently; a subclass's constructor still takes them (below).
  assert.throws(
    () => new (Local as unknown as new (x: string) => Local)('foo'),
    (e: unknown) =>
      e instanceof TypeError &&
      /^new Local\(\) takes no arguments, got 1: initialization arguments are for a subclass/.test(
        e.message,
      ),
  );
  assert.ok(new Local() instanceof Local);
});

test('a subclass constructor that forwards its arguments gets them in every greenlet', async () => {
  await runVirtual(async () => {
    const shared = { echo: 'test' };
    const a = new A(shared);
    a.path = '123';
    const inOther = await spawn(() => [a.obj === shared, a.path]).get();
    assert.deepEqual(inOther, [true, '']);
    assert.equal(a.path, '123');
  });
});

test('a Local created inside a Greenlet subclass run works like anywhere else (test_local_dicts_for_greenlet)', async () => {
  class MyGreenlet extends Greenlet<number> {
    protected override run(): number {
      const x = local<{ foo: number }>();
      x.foo = 42;
      return x.foo;
    }
  }
  await runVirtual(async () => {
    const g = new MyGreenlet();
    g.start();
    assert.equal(await g.get(), 42);
  });
});

/** Collect garbage until `done()` or a few rounds passed (FinalizationRegistry runs later). */
async function collectUntil(done: () => boolean): Promise<void> {
  for (let i = 0; i < 20 && !done(); i++) {
    gc();
    await new Promise((r) => setTimeout(r, 5));
  }
}

test("a dead greenlet's Local values are collected though the greenlet is still referenced (test_locals_collected_when_greenlet_dead_but_still_referenced, gevent #387)", async () => {
  // The stores were keyed by the greenlet in a WeakMap, so a dead greenlet kept in a list
  // (finished jobs, a pool's results) kept every value it had put in a Local.
  const collected: number[] = [];
  const registry = new FinalizationRegistry((i: number) => collected.push(i));
  const ctx = local<{ sentinel: object }>();
  const greenlets: Greenlet[] = [];
  await runVirtual(async () => {
    for (let i = 0; i < 5; i++) {
      greenlets.push(
        spawn(() => {
          const sentinel = { i };
          ctx.sentinel = sentinel;
          registry.register(sentinel, i);
        }),
      );
    }
    await sleep(1);
  });
  assert.ok(greenlets.every((g) => g.dead));
  await collectUntil(() => collected.length === 5);
  assert.equal(collected.length, 5);
  assert.equal(greenlets.length, 5); // still referenced
});

test('Locals dropped by a running greenlet are collected while it runs (test_locals_collected_when_unreferenced_even_in_running_greenlet)', async () => {
  // Real clock: the collection loop below awaits setTimeout, which the virtual clock refuses.
  const collected: number[] = [];
  const registry = new FinalizationRegistry((i: number) => collected.push(i));
  const done = new Event();
  const makeAndDrop = (): void => {
    for (let i = 0; i < 100; i++) {
      const x = local<{ sentinel: object }>();
      const sentinel = {};
      x.sentinel = sentinel;
      registry.register(sentinel, i);
    }
  };
  const g = spawn(async () => {
    makeAndDrop(); // in a frame of its own: the suspended body below holds none of them
    await done.wait();
  });
  await sleep(1);
  await collectUntil(() => collected.length === 100);
  assert.equal(collected.length, 100);
  assert.equal(g.dead, false);
  done.set();
  await g.join();
});

test('test__contextvars.py test_context_threads_1 with Local: ten greenlets set one attribute ten times across sleeps and read back their own', async () => {
  await runVirtual(async () => {
    const l = new Local() as Local & { v?: number };
    const sub = async (num: number) => {
      for (let i = 0; i < 10; i++) {
        l.v = num + i;
        await sleep(1 + ((num * 7 + i * 13) % 50));
        assert.equal(l.v, num + i);
      }
      return num;
    };
    const gs = Array.from({ length: 10 }, (_, num) => spawn(sub, num));
    assert.deepEqual(await Promise.all(gs.map((g) => g.get())), [...Array(10).keys()]);
    assert.equal(l.v, undefined);
  });
});
