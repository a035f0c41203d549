/**
 * Cookbook: a bounded crawler — fetch many pages with at most N requests in flight, results in
 * input order, every request killable.
 *
 * `Pool(3).imap` runs at most three fetches at once and yields the pages in input order; the
 * site (local, on 127.0.0.1) counts how many requests it serves at the same time. Each `fetch`
 * is a foreign promise: `until()` makes it a verdant wait and the greenlet's `signal` aborts it
 * on kill (`verdant/monkey`'s `patchAll()` does both for every `fetch`).
 *
 * Written for verdant's cookbook (docs/cookbook.md); seed 004's eventlet crawler is the same
 * program with eventlet's `GreenPool` (eventlet-crawler.ts).
 *
 * Run: node dist/examples/recipe-crawler.js
 */
import { pathToFileURL } from 'node:url';
import { type Greenlet, getCurrent, Pool, until } from '../src/index.js';
import { startSite } from './_site.js';

export async function main(): Promise<void> {
  const paths = Array.from({ length: 9 }, (_, i) => `/page/${i}`);
  const site = await startSite(
    Object.fromEntries(paths.map((p, i) => [p, { body: `page ${i} `.repeat(i + 1), delay: 20 }])),
  );
  let inFlight = 0;
  let peak = 0;
  site.onRequest = () => {
    peak = Math.max(peak, ++inFlight);
  };
  try {
    async function fetchPage(url: string): Promise<string> {
      const { signal } = getCurrent() as Greenlet;
      const res = await until(fetch(url, { signal }));
      const text = await until(res.text());
      inFlight--;
      return text;
    }

    const pool = new Pool(3);
    for await (const page of pool.imap(
      fetchPage,
      paths.map((p) => site.origin + p),
    )) {
      console.log(`${page.length} bytes: ${page.slice(0, 7)}`);
    }
    console.log(`at most ${peak} requests at once`);
  } finally {
    await site.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
