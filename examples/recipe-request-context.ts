/**
 * Cookbook: request-scoped context — a request id set once where a request starts is seen by
 * every greenlet that request spawns, and by code deep inside, without passing it around.
 *
 * A greenlet runs in the `AsyncLocalStorage` context of the code that spawned it (as a
 * `setTimeout` callback does), so a store entered around the handler is visible in its
 * children too. `Local` is the other tool: state per greenlet, never inherited.
 *
 * Written for verdant's cookbook (docs/cookbook.md).
 *
 * Run: node dist/examples/recipe-request-context.js
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { pathToFileURL } from 'node:url';
import { joinAll, Local, sleep, spawn } from '../src/index.js';

const requestId = new AsyncLocalStorage<string>();
const perGreenlet = new Local();

/** Deep inside: logs with the id of the request it serves, wherever it runs. */
function log(msg: string): void {
  console.log(`[${requestId.getStore() ?? 'no request'}] ${msg}`);
}

async function lookup(what: string, ms: number): Promise<string> {
  (perGreenlet as { what?: string }).what = what;
  await sleep(ms);
  log(`looked up ${what} (this greenlet's Local says ${(perGreenlet as { what?: string }).what})`);
  return what.toUpperCase();
}

async function handle(path: string): Promise<void> {
  log(`start ${path}`);
  const parts = [spawn(lookup, `${path}-user`, 20), spawn(lookup, `${path}-cart`, 10)];
  await joinAll(parts);
  log(`done ${path}: ${parts.map((g) => g.value).join(', ')}`);
}

export async function main(): Promise<void> {
  const requests = ['a', 'b'].map((path, i) =>
    requestId.run(`req-${i + 1}`, () => spawn(handle, path)),
  );
  await joinAll(requests);
  log('outside any request');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
