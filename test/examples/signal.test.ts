import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { main } from '../../examples/signal.js';
import { printed } from './_capture.js';

const script = fileURLToPath(new URL('../../examples/signal.js', import.meta.url));

test('signal: run as a program, SIGTERM from another process stops it gracefully (exit 0)', async () => {
  const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let sent = false;
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    if (!sent && out.includes('send SIGTERM')) {
      sent = true; // once: a second SIGTERM after the handlers are cancelled would kill it
      child.kill('SIGTERM');
    }
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    err += d;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const [code, signal] = await new Promise<[number | null, string | null]>((resolve) =>
    child.on('close', (c, s) => resolve([c, s])),
  );
  clearTimeout(timer);
  assert.equal(signal, null, err);
  assert.equal(code, 0, err);
  assert.deepEqual(out.split('\n').slice(1), [
    'got SIGTERM: stopping',
    'run_forever: cleaning up',
    'stopped gracefully',
    '',
  ]);
  assert.match(out, /^pid \d+: send SIGTERM or SIGQUIT to stop\n/);
});

test('signal: in the tour it sends itself SIGQUIT and stops the same way', async () => {
  const lines = await printed(main);
  assert.deepEqual(lines, [
    'got SIGQUIT: stopping',
    'run_forever: cleaning up',
    'stopped gracefully',
  ]);
  assert.equal(process.listenerCount('SIGQUIT'), 0, 'its handlers are cancelled');
});
