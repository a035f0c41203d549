/**
 * GreenPile: spawn a bunch of I/O tasks, then iterate their results in spawn order.
 *
 * Ported from seed 004 (eventlet's GreenPile sample: `geturl` connects to each host, prints
 * `<host> connected`, sends `GET /` and returns the first 1024 bytes; the main loop prints
 * `<host>: <repr(result)[:50]>` in spawn order). The "connected" lines come in the order the
 * servers answer; the results always in spawn order.
 *
 * Deviations from the seed:
 * - A local site on 127.0.0.1 answers for the three hosts (under their names as paths), with
 *   the slowest first; `fetch` (made a verdant wait by `until`) replaces the raw socket, since
 *   verdant's sockets (`verdant/socket`) are still being built.
 * - `JSON.stringify(result).slice(0, 50)` for `repr(result)[:50]`; `for await` over the pile
 *   with the host names zipped by index.
 *
 * Run: node dist/examples/eventlet-pile.js
 */
import { pathToFileURL } from 'node:url';
import { GreenPile } from '../src/compat/eventlet/index.js';
import { type Greenlet, getCurrent, until } from '../src/index.js';
import { startSite } from './_site.js';

const hosts = ['www.google.com', 'www.yandex.ru', 'www.python.org'];
const delays = [60, 5, 30];

export async function main(): Promise<void> {
  const site = await startSite(
    Object.fromEntries(
      hosts.map((h, i) => [
        `/${h}`,
        { body: `<!doctype html><html><head><title>${h}</title></head><body>…`, delay: delays[i] },
      ]),
    ),
  );
  try {
    async function geturl(host: string): Promise<string> {
      const { signal } = getCurrent() as Greenlet;
      const res = await until(fetch(`${site.origin}/${host}`, { signal }));
      console.log(`${host} connected`);
      return (await until(res.text())).slice(0, 1024);
    }

    const pile = new GreenPile<string>();
    for (const x of hosts) await pile.spawn(geturl, x);
    // The pile acts as a collection of return values; a function's error is thrown here.
    let i = 0;
    for await (const result of pile) {
      console.log(`${hosts[i++]}: ${JSON.stringify(result).slice(0, 50)}`);
    }
  } finally {
    await site.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
