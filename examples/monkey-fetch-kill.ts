/**
 * Monkey patching: a greenlet killed while its `fetch` is in flight gets `GreenletExit` right
 * there, and the request is aborted — the server sees the connection close.
 *
 * Written for verdant (issue 19; gevent's `monkey.patch_all()` is what every gevent program
 * starts with). Without `patchAll()`, `fetch` is a foreign await: the kill would land only at
 * the greenlet's next verdant wait and the request would go on.
 *
 * Run: node dist/examples/monkey-fetch-kill.js
 */
import { pathToFileURL } from 'node:url';
import { patchAll } from '../src/compat/monkey.js';
import { Event, spawn, until } from '../src/index.js';
import { startSite } from './_site.js';

export async function main(): Promise<void> {
  await patchAll();
  const site = await startSite({ '/slow': {} }); // never answers
  try {
    const arrived = new Event();
    const closed = new Event();
    site.onRequest = (path) => {
      console.log(`server: request for ${path}`);
      arrived.set();
    };
    site.onClose = () => {
      if (closed.isSet()) return; // Node 20's fetch may open a spare connection after an abort
      console.log('server: connection closed');
      closed.set();
    };

    const g = spawn(async () => {
      try {
        await fetch(`${site.origin}/slow`);
      } catch (e) {
        console.log(`client: fetch threw ${(e as Error).name}`);
        throw e;
      }
    });
    await arrived.wait();
    console.log('killing the client');
    await g.kill();
    console.log(`client dead: ${g.dead}`);
    await closed.wait({ timeout: 5000 });
  } finally {
    await until(site.close());
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
