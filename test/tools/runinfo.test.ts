// formatRunInfo / printRunInfo: the live greenlets as a tree along spawningGreenlet, rooted at
// main (gevent's test__util.py TestTree, adapted to verdant's String(g) and states). On the real
// hub, so the test body is main; minimal idents are replaced by #N before comparing.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  AsyncResult,
  Channel,
  Event,
  Greenlet,
  Group,
  iwait,
  JoinableQueue,
  joinAll,
  killAll,
  Lock,
  Pool,
  Queue,
  RLock,
  race,
  Semaphore,
  sleep,
  spawn,
  wait,
} from '../../src/index.js';
import { listen } from '../../src/io/socket.js';
import { Popen } from '../../src/process/subprocess.js';
import { formatRunInfo, printRunInfo } from '../../src/tools/util.js';

describe('formatRunInfo', () => {
  test('only main when nothing else lives', async () => {
    assert.equal(formatRunInfo(), '<RawGreenlet "main"> (running)');
  });

  test('draws children after their spawner, deeper, siblings in start order, with states', async () => {
    const text = await (async () => {
      const ev = new Event();
      const lock = new Lock();
      await lock.acquire();
      let inside = '';
      const a = spawn(async function parentTask() {
        const b = spawn(async function childTask() {
          await lock.acquire();
          lock.release();
        });
        b.name = 'b';
        await ev.wait();
      });
      a.name = 'a';
      const c = spawn(async function sibling() {
        await sleep(1000);
      });
      c.name = 'c';
      const d = spawn(function reporter() {
        inside = formatRunInfo();
      });
      d.name = 'd';
      await sleep(10);
      const outside = formatRunInfo();
      ev.set();
      lock.release();
      await sleep(20);
      await c.kill();
      return `${inside}\n----\n${outside}\n----\n${formatRunInfo()}`;
    })();
    const [inside, outside, after] = text.replace(/#\d+/g, '#N').split('\n----\n');
    assert.deepEqual(inside?.split('\n'), [
      '<RawGreenlet "main"> (waiting)',
      ' +--- <Greenlet "a" #N: parentTask()> (waiting on Event { set: false, waiters: 1, links: 0 })',
      ' |    +--- <Greenlet "b" #N: childTask()> (ready)',
      ' +--- <Greenlet "c" #N: sibling()> (waiting)',
      ' +--- <Greenlet "d" #N: reporter()> (running)',
    ]);
    assert.equal(outside?.split('\n')[0], '<RawGreenlet "main"> (running)');
    assert.match(
      outside ?? '',
      / \| {4}\+--- <Greenlet "b" #N: childTask\(\)> \(waiting on Lock \{.*\}\)/,
    );
    assert.equal(after, '<RawGreenlet "main"> (running)', 'dead greenlets are gone');
  });

  test('a dead spawner with live children stays as their placeholder', async () => {
    let orphan = spawn(() => {});
    const a = spawn(() => {
      orphan = spawn(() => sleep(10_000));
      orphan.name = 'orphan';
    });
    a.name = 'gone';
    await sleep(10);
    assert.ok(a.dead);
    const text = formatRunInfo();
    await orphan.kill();
    assert.deepEqual(text.replace(/#\d+/g, '#N').split('\n'), [
      '<RawGreenlet "main"> (running)',
      ' +--- <Greenlet "gone" #N: <anonymous>()> (dead)',
      '      +--- <Greenlet "orphan" #N: <anonymous>()> (waiting)',
    ]);
  });
});

describe('formatRunInfo never fails on what it draws', () => {
  test('a chain of 5000 live spawners: no stack overflow, the indent stops growing', async () => {
    const all: Greenlet[] = [];
    const end = new Event();
    const started = new Event();
    const step = async (): Promise<void> => {
      if (all.length < 5000) all.push(spawn(step));
      else started.set();
      await end.wait();
    };
    all.push(spawn(step));
    assert.equal(await started.wait({ timeout: 20_000 }), true);
    const text = formatRunInfo();
    end.set();
    await killAll(all);
    const lines = text.split('\n');
    assert.equal(lines.length, 5001); // main and the 5000 steps
    assert.match(lines.at(-1) as string, /\(waiting on Event /);
    assert.ok((lines.at(-1) as string).length < 400, 'a deep chain keeps a bounded indent');
  });

  test('a worker respawning itself: its dead predecessors are let go, not drawn', async () => {
    let n = 0;
    let last: Greenlet | undefined;
    const step = (): void => {
      last = ++n < 5000 ? spawn(step) : spawn(() => sleep(10_000));
    };
    spawn(step);
    // The chain takes 5000 hub turns: wait for it (bounded), not a fixed time (a loaded machine).
    for (let i = 0; i < 1000 && n < 5000; i++) await sleep(10);
    await sleep(20); // the sleeper starts its sleep
    const text = formatRunInfo();
    await last?.kill();
    assert.deepEqual(text.replace(/\d+/g, 'N').split('\n'), [
      '<RawGreenlet "main"> (running)',
      ' +--- <Greenlet "Greenlet-N" #N: step()> (dead)',
      '      +--- <Greenlet "Greenlet-N" #N: <anonymous>()> (waiting)',
    ]);
  });

  test("an RLock's owner prints as String(g); a stats() or String() that throws is shown, not thrown", async () => {
    const lock = new RLock();
    const owner = spawn(async () => {
      await lock.acquire();
      await sleep(10_000);
    });
    owner.name = 'owner';
    const blocked = spawn(() => lock.acquire());
    const bad = new Event();
    (bad as unknown as { stats: () => never }).stats = () => {
      throw new Error('no stats');
    };
    const waiter = spawn(() => bad.wait());
    class Loud extends Greenlet {
      override toString(): string {
        throw new Error('no string');
      }
    }
    const loud = new Loud(() => sleep(10_000));
    loud.start();
    await sleep(10);
    const text = formatRunInfo();
    await killAll([owner, blocked, waiter, loud]);
    assert.match(
      text,
      /waiting on RLock \{ locked: true, owner: <Greenlet "owner" #\d+: <anonymous>\(\)>, count: 1/,
    );
    assert.match(text, /waiting on Event <stats\(\) threw>/);
    assert.match(text, /<Loud: String\(\) threw> \(waiting\)/);
  });
});

describe('formatRunInfo names what each greenlet waits on', () => {
  test('every sync primitive: its class and stats(); a joined greenlet, a socket, a child by String()', async () => {
    const ev = new Event();
    const ar = new AsyncResult<number>();
    const q = new Queue<number>();
    const full = new Queue<number>(1);
    full.putNowait(1);
    const ch = new Channel<number>();
    const jq = new JoinableQueue<number>();
    jq.putNowait(1);
    const sem = new Semaphore(0);
    const group = new Group();
    const pool = new Pool(1);
    const busy = await pool.spawn(() => sleep(10_000));
    const member = spawn(() => sleep(10_000));
    member.name = 'member';
    group.add(member);
    const server = await listen({ host: '127.0.0.1', port: 0 });
    const child = new Popen(['sleep', '10']);
    const waits: Array<[string, () => Promise<unknown>]> = [
      ['event', () => ev.wait()],
      ['asyncresult', () => ar.get()],
      ['get', () => q.get()],
      ['put', () => full.put(2)],
      ['channel', () => ch.put(1)],
      ['join', () => jq.join()],
      ['sem', () => sem.acquire()],
      ['group', () => group.join()],
      ['poolslot', () => pool.spawn(() => {})],
      ['greenlet', () => member.join()],
      ['accept', () => server.accept()],
      ['child', () => child.wait()],
      ['sleep', () => sleep(10_000)],
    ];
    const gs = waits.map(([name, fn]) => {
      const g = spawn(fn);
      g.name = name;
      return g;
    });
    await sleep(20);
    const lines = formatRunInfo().split('\n');
    const state = (name: string): string => {
      const line = lines.find((l) => l.includes(`"${name}"`));
      assert.ok(line !== undefined, `${name} is drawn`);
      return line.slice(line.indexOf('()> (') + 5, -1);
    };
    try {
      assert.equal(state('event'), 'waiting on Event { set: false, waiters: 1, links: 0 }');
      assert.match(state('asyncresult'), /^waiting on AsyncResult \{.*waiters: 1/);
      assert.match(state('get'), /^waiting on Queue \{ size: 0, maxsize: null, getters: 1, /);
      assert.match(
        state('put'),
        /^waiting on Queue \{ size: 1, maxsize: 1, getters: 0, putters: 1, /,
      );
      assert.match(state('channel'), /^waiting on Channel \{.*putters: 1/);
      assert.match(state('join'), /^waiting on Queue \{.*unfinishedTasks: 1, joiners: 1 \}$/);
      assert.match(state('sem'), /^waiting on Semaphore \{.*waiters: 1/);
      assert.match(state('group'), /^waiting on Group \{/);
      assert.match(state('poolslot'), /^waiting on Pool \{/);
      assert.match(state('greenlet'), /^waiting on <Greenlet "member" #\d+: <anonymous>\(\)>$/);
      assert.match(state('accept'), /^waiting on <Socket tcp 127\.0\.0\.1:\d+>$/);
      assert.equal(state('child'), `waiting on <Popen pid=${child.pid} returncode=null>`);
      assert.equal(state('sleep'), 'waiting');
    } finally {
      for (const g of gs) await g.kill();
      await member.kill();
      await busy.kill();
      child.kill();
      await child.wait();
      server.close();
    }
  });
});

describe('printRunInfo', () => {
  test('writes the tree and a newline to the stream; a non-stream throws TypeError', async () => {
    const out: string[] = [];
    printRunInfo({ write: (t: string) => out.push(t) });
    assert.deepEqual(out, ['<RawGreenlet "main"> (running)\n']);
    assert.throws(() => printRunInfo(42 as never), TypeError);
  });
});

test('a greenlet waiting for many names the call: joinAll, wait, iwait, race', async () => {
  const ev = new Event();
  const sleepers = [spawn(() => sleep(10_000)), spawn(() => sleep(10_000))];
  const one = spawn(() => sleep(10_000));
  const q = new Queue<number>();
  const waits: Array<[string, () => Promise<unknown>]> = [
    ['joinall', () => joinAll([...sleepers, one])],
    ['joinone', () => joinAll([one])],
    ['wait', () => wait([one, ev])],
    [
      'iwait',
      async () => {
        for await (const x of iwait([ev, one, sleepers[0] as Greenlet])) return x;
      },
    ],
    [
      'race',
      () =>
        race(
          () => sleep(10_000),
          () => q.get(),
        ),
    ],
    [
      'racefirst',
      () =>
        race(
          () => q.get(),
          () => sleep(10_000),
          () => ev.wait(),
        ),
    ],
  ];
  const gs = waits.map(([name, fn]) => {
    const g = spawn(fn);
    g.name = name;
    return g;
  });
  try {
    await sleep(20);
    const lines = formatRunInfo().split('\n');
    const state = (name: string): string => {
      const line = lines.find((l) => l.includes(`"${name}"`));
      assert.ok(line !== undefined, `${name} is drawn`);
      return line.slice(line.indexOf('> (') + 3, -1);
    };
    assert.equal(state('joinall'), 'waiting on joinAll(3 greenlets)');
    assert.equal(state('joinone'), 'waiting on joinAll(1 greenlet)');
    assert.equal(state('wait'), 'waiting on wait(2 objects)');
    assert.equal(state('iwait'), 'waiting on iwait(3 objects)');
    assert.equal(state('race'), 'waiting on race(2 calls)');
    assert.equal(state('racefirst'), 'waiting on race(3 calls)');
  } finally {
    await killAll([...gs, ...sleepers, one]);
  }
  // The race still works with its wait first: the item goes to the race, nothing is lost.
  const r = spawn(() =>
    race(
      () => sleep(10_000),
      () => q.get(),
    ),
  );
  await sleep(5);
  q.putNowait(7);
  assert.deepEqual(await r.get(), { index: 1, value: 7 });
  assert.equal(q.qsize(), 0);
});
