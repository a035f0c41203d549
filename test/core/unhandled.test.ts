// Cancellation rejections are marked handled (DESIGN §3 "A rejection by cancellation …"): a wait
// nobody awaits — a forgotten await, `void g.kill()`, a `Promise.race` loser — never surfaces as an
// unhandled rejection, while other failures still do. Each case runs in a child Node process, as
// an unhandled rejection ends the process there (issue 15 defect 8).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

const index = new URL('../../src/index.js', import.meta.url).href;
const dir = mkdtempSync(join(tmpdir(), 'verdant-unhandled-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
/** Run `body` as a top-level module with verdant imported as `v`; it prints `done` at its end. */
function runScript(body: string): { status: number | null; stdout: string; stderr: string } {
  const script = join(dir, `script${n++}.mjs`);
  writeFileSync(
    script,
    `import * as v from ${JSON.stringify(index)};\n${body}\nconsole.log('done');\n`,
  );
  const r = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 20000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function assertClean(r: { status: number | null; stdout: string; stderr: string }): void {
  assert.equal(r.stderr, '', 'nothing on stderr');
  assert.equal(r.status, 0);
  assert.equal(r.stdout, 'done\n');
}

test('a forgotten await in a greenlet that is then killed or timed out is no unhandled rejection', () => {
  assertClean(
    runScript(`
const g = v.spawn(async () => { void v.sleep(100); await v.sleep(50); });
await v.sleep(1);
await g.kill();
const h = v.spawn(async () => {
  const t = v.Timeout.startNew(5);
  void v.sleep(100);
  try { await v.sleep(50); } catch (e) { if (e !== t) throw e; }
});
await h.join();
await v.sleep(10);
`),
  );
});

test('forgotten waits of sync and pool whose promise is a chain after a wait (Pool.spawn on a full pool, waitAvailable, a blocking Group.kill, Lock.run, Semaphore.wait, iwait next()), killed or timed out: no unhandled rejection (found by the compat breaker)', () => {
  assertClean(
    runScript(`
const calls = {
  spawn: () => { const p = new v.Pool(1); p.spawn(() => v.sleep(1e6)); return () => p.spawn(() => 1); },
  waitAvailable: () => { const p = new v.Pool(1); p.spawn(() => v.sleep(1e6)); return () => p.waitAvailable(); },
  groupKill: () => {
    const p = new v.Group();
    p.spawn(async () => { try { await v.sleep(1e6); } finally { await v.sleep(1e6); } });
    return () => p.kill();
  },
  run: () => { const l = new v.Lock(); void l.acquire(); return () => l.run(() => 1); },
  semaphoreWait: () => { const s = new v.Semaphore(0); return () => s.wait(); },
  iwaitNext: () => {
    const g = v.spawn(() => v.sleep(1e6));
    return () => v.iwait([g])[Symbol.asyncIterator]().next();
  },
};
for (const make of Object.values(calls)) {
  const call = make();
  const g = v.spawn(async () => { void call(); await v.sleep(1e6); });
  await v.sleep(1);
  await g.kill({ block: false });
  const call2 = make();
  const h = v.spawn(async () => {
    const t = v.Timeout.startNew(5);
    void call2();
    try { await v.sleep(50); } catch (e) { if (e !== t) throw e; }
  });
  await h.join();
  await v.sleep(5);
}
setTimeout(() => process.exit(0), 20); // the pools' sleepers would keep the process up
`),
  );
});

test('void g.kill() whose killer is timed out while it blocks is no unhandled rejection', () => {
  assertClean(
    runScript(`
const g = v.spawn(async () => {
  try { await v.sleep(1000); } catch { await v.sleep(50); }
});
await v.sleep(1);
const t = v.Timeout.startNew(5);
void g.kill();
try { await v.sleep(20); } catch (e) { if (e !== t) throw e; } // main's own wait gets it too
t.cancel();
void v.killAll([g]);
await g.join();
`),
  );
});

test('a Promise.race loser rejected by a kill, a floating wait aborted by its signal: no unhandled rejection', () => {
  assertClean(
    runScript(`
const q = new v.Queue();
const g = v.spawn(async () => {
  await Promise.race([q.get(), v.sleep(5)]);
  await v.sleep(1000);
});
await v.sleep(10);
await g.kill();
const ac = new AbortController();
void v.sleep(100, { signal: ac.signal });
void v.sleep(100, { signal: AbortSignal.abort() });
void v.joinAll([v.spawn(() => v.sleep(100))], { signal: AbortSignal.abort() });
ac.abort();
await v.sleep(1);
const t = v.Timeout.startNew(1);
void v.joinAll([v.spawn(() => v.sleep(100))]);
void v.wait([v.spawn(() => v.sleep(100))]);
await v.sleep(5).catch(() => {});
t.cancel();
void v.withTimeout(1, () => v.sleep(100));
await v.sleep(5).catch(() => {}); // main's own wait gets that Timeout too
`),
  );
});

test('a forgotten wait of main rejected by LoopExit is no unhandled rejection', () => {
  assertClean(
    runScript(`
void new v.Event().wait();
`),
  );
});

test('other failures are not hidden: a forgotten get() of a failed greenlet is an unhandled rejection', () => {
  const r = runScript(`
const g = v.spawn(() => { throw new Error('boom'); });
v.getHub().exceptionStream = null;
await g.join();
void g.get();
await v.sleep(1);
`);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /boom/);
});
