// LoopExit in the main program: each test writes a small ES module to a temp file, runs it in a
// child Node process (the same binary as the test runner) and checks its exit status, its stdout
// (verdant writes nothing there) and the results it saved. DESIGN §3 "When the main program
// awaits something that can never happen"; gevent's hub LoopExit and test__hub_join.py.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

const index = new URL('../../src/index.js', import.meta.url).href;
const dir = mkdtempSync(join(tmpdir(), 'verdant-loopexit-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
/** Run `body` as a top-level module with verdant imported as `v` and `save(obj)` available. */
function runScript(body: string): {
  status: number | null;
  stdout: string;
  stderr: string;
  saved: unknown;
} {
  const k = n++;
  const script = join(dir, `script${k}.mjs`);
  const out = join(dir, `out${k}.json`);
  writeFileSync(
    script,
    `import * as v from ${JSON.stringify(index)};
import { writeFileSync } from 'node:fs';
const save = (obj) => writeFileSync(${JSON.stringify(out)}, JSON.stringify(obj));
${body}
`,
  );
  const r = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 20000 });
  let saved: unknown;
  try {
    saved = JSON.parse(readFileSync(out, 'utf8'));
  } catch {
    saved = undefined;
  }
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, saved };
}

test('main awaiting a wait that can never end gets LoopExit listing main and the blocked greenlets', () => {
  const r = runScript(`
const never = new v.Greenlet(() => 'never started');
const blocked = v.spawn(function blockedFn() { return never.join(); });
blocked.name = 'Blocked';
const running = v.spawn(() => 'done');
let err;
try {
  await never.join();
} catch (e) {
  err = e;
}
save({
  isLoopExit: err instanceof v.LoopExit,
  name: err.name,
  message: err.message,
  lines: err.greenlets.map((g) => '  ' + String(g)),
  hasMain: err.greenlets.includes(v.getCurrent()),
  hasBlocked: err.greenlets.includes(blocked),
  hasRunning: err.greenlets.includes(running),
  count: err.greenlets.length,
  blockedString: String(blocked),
  blockedDead: blocked.dead,
});
`);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, '');
  const s = r.saved as Record<string, unknown>;
  assert.equal(s.isLoopExit, true);
  assert.equal(s.name, 'LoopExit');
  assert.equal(s.hasMain, true, 'main is among the blocked');
  assert.equal(s.hasBlocked, true);
  assert.equal(s.hasRunning, false, 'a greenlet that finished is not listed');
  assert.equal(s.count, 2);
  const lines = (s.message as string).split('\n');
  assert.equal(lines[0], 'This operation would block forever');
  assert.deepEqual(lines.slice(1), s.lines);
  assert.ok((s.lines as string[]).includes('  <RawGreenlet "main">'));
  assert.ok((s.lines as string[]).includes(`  ${s.blockedString as string}`));
  assert.ok((s.blockedString as string).startsWith('<Greenlet "Blocked" #'));
  assert.equal(s.blockedDead, false, 'blocked greenlets are not killed');
});

test('every verdant wait main has pending rejects with the same LoopExit', () => {
  const r = runScript(`
const a = new v.Greenlet(() => 1);
const b = new v.Greenlet(() => 2);
const results = await Promise.allSettled([a.join(), b.get(), v.wait([a, b])]);
save({
  statuses: results.map((x) => x.status),
  same: results.every((x) => x.reason === results[0].reason),
  isLoopExit: results[0].reason instanceof v.LoopExit,
});
`);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, '');
  assert.deepEqual(r.saved, {
    statuses: ['rejected', 'rejected', 'rejected'],
    same: true,
    isLoopExit: true,
  });
});

test('after LoopExit the hub is usable again and the blocked greenlets can still be woken', () => {
  const r = runScript(`
const never = new v.Greenlet(() => 'finally started');
const blocked = v.spawn(async () => { await never.join(); return 'woken'; });
let first;
try {
  await never.get();
} catch (e) {
  first = e instanceof v.LoopExit;
}
const afterValue = await v.spawn(async () => { await v.sleep(5); return 42; }).get();
never.start();
const woken = await blocked.get();
save({ first, afterValue, woken, neverValue: never.value });
`);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, '');
  assert.deepEqual(r.saved, {
    first: true,
    afterValue: 42,
    woken: 'woken',
    neverValue: 'finally started',
  });
});

test('LoopExit can happen again after it was caught once', () => {
  const r = runScript(`
let count = 0;
for (let i = 0; i < 3; i++) {
  try {
    await new v.Greenlet(() => 1).join();
  } catch (e) {
    if (e instanceof v.LoopExit) count++;
  }
}
save({ count });
`);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, '');
  assert.deepEqual(r.saved, { count: 3 });
});

test('no LoopExit while a timer or a ready greenlet can still wake main', () => {
  const r = runScript(`
const g = v.spawnLater(30, () => 'late');
const value = await g.get();
const h = v.spawn(async () => { await v.sleep(10); return 'slept'; });
save({ value, slept: await h.get() });
`);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, '');
  assert.deepEqual(r.saved, { value: 'late', slept: 'slept' });
});

test('an installed signal handler does not count as something that can wake main: LoopExit still comes', () => {
  // gevent 22.10: with gevent.signal_handler(SIGUSR2, f) installed (a ref=False watcher),
  // Event().wait() in main raises LoopExit('This operation would block forever').
  const r = runScript(`
const h = v.signalHandler('SIGUSR2', () => {});
let first;
try {
  await new v.Event().wait();
} catch (e) {
  first = e instanceof v.LoopExit ? e.message.split('\\n')[0] : String(e);
}
h.cancel();
save({ first });
`);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, '');
  assert.deepEqual(r.saved, { first: 'This operation would block forever' });
});

test('an uncaught LoopExit ends the program with an error naming it, not with an unsettled await', () => {
  const r = runScript(`
await new v.Greenlet(() => 1).join();
save({ reached: true });
`);
  assert.equal(r.saved, undefined);
  assert.notEqual(r.status, 0);
  assert.notEqual(r.status, 13, 'not "unsettled top-level await"');
  assert.match(r.stderr, /This operation would block forever/);
  assert.equal(r.stdout, '');
  assert.doesNotMatch(r.stderr, /Waiter|_pendingExc|greenlets:/, 'only its message and stack');
  assert.ok(r.stderr.split('\n').length < 40, `a short report, got:\n${r.stderr}`);
});

test('LoopExit.greenlets is not enumerable', async () => {
  const { LoopExit } = await import(index);
  const e = new LoopExit(['a']);
  assert.deepEqual(e.greenlets, ['a']);
  assert.equal(Object.keys(e).includes('greenlets'), false);
});
