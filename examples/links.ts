/**
 * Links: callbacks the hub calls when a greenlet dies — `link` always, `linkValue` only on
 * success, `linkException` only on failure — in link order, also when linked after the death.
 *
 * Not from a seed (none of them has a links sample): written from gevent's `Greenlet.link`,
 * `link_value` and `link_exception`, which behave the same in gevent 22.10 (there each callback
 * runs in a greenlet of its own, and `bad`'s failure is also reported on stderr; verdant does not
 * report a failure that user code linked to).
 *
 * Run: node dist/examples/links.js
 */
import { pathToFileURL } from 'node:url';
import { type Greenlet, joinAll, sleep, spawn } from '../src/index.js';

function report(g: Greenlet): void {
  console.log(`link: ${g.name} is dead, successful: ${g.successful()}`);
}

export async function main(): Promise<void> {
  const ok = spawn(() => 42);
  ok.name = 'ok';
  const bad = spawn(() => {
    throw new Error('boom');
  });
  bad.name = 'bad';

  for (const g of [ok, bad]) {
    g.link(report);
    g.linkValue((x) => console.log(`linkValue: ${x.name} returned ${String(x.value)}`));
    g.linkException((x) => console.log(`linkException: ${x.name} failed: ${String(x.exception)}`));
  }
  await joinAll([ok, bad]);

  // Linked after the death: still called, later, from the hub.
  ok.link((x) => console.log(`late link: ${x.name} had already finished`));
  // unlink removes a callback before it runs.
  bad.link(report);
  bad.unlink(report);
  await sleep(0);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
