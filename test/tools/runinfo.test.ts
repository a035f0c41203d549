// formatRunInfo / printRunInfo: the live greenlets as a tree along spawningGreenlet, rooted at
// main (gevent's test__util.py TestTree, adapted to verdant's String(g) and states). On the real
// hub, so the test body is main; minimal idents are replaced by #N before comparing.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Event, Lock, sleep, spawn } from '../../src/index.js';
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
      ' +--- <Greenlet "a" #N: parentTask()> (waiting)',
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

describe('printRunInfo', () => {
  test('writes the tree and a newline to the stream; a non-stream throws TypeError', async () => {
    const out: string[] = [];
    printRunInfo({ write: (t: string) => out.push(t) });
    assert.deepEqual(out, ['<RawGreenlet "main"> (running)\n']);
    assert.throws(() => printRunInfo(42 as never), TypeError);
  });
});
