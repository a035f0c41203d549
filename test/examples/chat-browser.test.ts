// The chat page in a real browser: Debian's Chromium, headless, driven by playwright-core. Two
// pages join the same room (one over WebSocket, one over long polling) and exchange messages;
// a screenshot goes to test-results/chat.png. .ci/run installs chromium when it is missing.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { test } from 'node:test';
import { chromium } from 'playwright-core';
import { serve } from '../../examples/chat.js';

const CHROMIUM = '/usr/bin/chromium';
const root = new URL('../../../', import.meta.url);

test('two browser pages chat through the server (WebSocket and long polling)', async () => {
  assert.ok(
    existsSync(CHROMIUM),
    `${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does it)`,
  );
  const server = await serve(0);
  const base = `http://127.0.0.1:${server.serverPort}/`;
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  try {
    const alice = await browser.newPage();
    const bob = await browser.newPage();
    await alice.goto(`${base}?mode=ws&uid=alice`);
    await bob.goto(`${base}?mode=poll&uid=bob`);
    for (const p of [alice, bob]) {
      await p.click('#join');
      await p.waitForFunction(
        "document.getElementById('status').textContent.startsWith('joined')",
        null,
        { timeout: 10000 },
      );
    }
    await alice.fill('#msg', 'hello from alice');
    await alice.click('#send');
    await bob.waitForFunction(
      "document.getElementById('log').textContent.includes('alice: hello from alice')",
      null,
      { timeout: 15000 },
    );
    await bob.fill('#msg', 'hi alice, bob here');
    await bob.click('#send');
    await alice.waitForFunction(
      "document.getElementById('log').textContent.includes('bob: hi alice, bob here')",
      null,
      { timeout: 15000 },
    );
    const aliceLog = await alice.textContent('#log');
    const bobLog = await bob.textContent('#log');
    assert.ok(
      aliceLog?.includes('alice: hello from alice') && aliceLog.includes('bob: hi alice, bob here'),
    );
    assert.ok(
      bobLog?.includes('alice: hello from alice') && bobLog.includes('bob: hi alice, bob here'),
    );
    mkdirSync(new URL('test-results/', root), { recursive: true });
    const path = new URL('test-results/chat.png', root).pathname;
    await alice.screenshot({ path, fullPage: true });
    assert.ok(existsSync(path));
  } finally {
    await browser.close();
    await server.stop({ timeout: 100 });
  }
});
