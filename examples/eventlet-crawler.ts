/**
 * The GreenPool crawler: fetch several URLs at once through a pool, print the bodies' sizes in
 * input order.
 *
 * Ported from seed 004 (eventlet's "网络爬虫" sample: `GreenPool(200)`, `pool.imap(fetch, urls)`,
 * `print("got body", len(body))`). The seed fetches three images from the Internet; the port
 * serves three bodies of fixed sizes from a local site on 127.0.0.1 under the same paths, the
 * first one slowest, so the output shows that `imap` keeps input order while the fetches run
 * at once. It prints, as eventlet does for the same site:
 *
 *     got body 8558
 *     got body 54021
 *     got body 1203
 *
 * Deviations from the seed:
 * - A local site instead of google.com, secondlife.com and yimg.com (tests never leave the
 *   machine); the host names stay in the paths.
 * - `eventlet.green.urllib2.urlopen(url).read()` becomes `fetch`: a foreign promise, so it is
 *   made a verdant wait with `until()` and given the greenlet's `signal` (a kill aborts it).
 *   `verdant/monkey`'s `patchAll()` would do both for every `fetch` (see monkey-fetch-kill.ts).
 * - `for await` over `imap`; `body.byteLength` for `len(body)`.
 *
 * Run: node dist/examples/eventlet-crawler.js
 */
import { pathToFileURL } from 'node:url';
import { GreenPool } from '../src/compat/eventlet/index.js';
import { type Greenlet, getCurrent, until } from '../src/index.js';
import { startSite } from './_site.js';

const PAGES = {
  '/www.google.com/intl/en_ALL/images/logo.gif': { body: 'G'.repeat(8558), delay: 30 },
  '/wiki.secondlife.com/w/images/secondlife.jpg': { body: 'S'.repeat(54021), delay: 10 },
  '/us.i1.yimg.com/us.yimg.com/i/ww/beta/y3.gif': { body: 'Y'.repeat(1203), delay: 20 },
};

export async function main(): Promise<void> {
  const site = await startSite(PAGES);
  try {
    const urls = Object.keys(PAGES).map((path) => site.origin + path);

    async function fetchBody(url: string): Promise<Uint8Array> {
      const { signal } = getCurrent() as Greenlet;
      const res = await until(fetch(url, { signal }));
      return new Uint8Array(await until(res.arrayBuffer()));
    }

    const pool = new GreenPool(200);
    for await (const body of pool.imap(fetchBody, urls)) {
      console.log('got body', body.byteLength);
    }
  } finally {
    await site.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
