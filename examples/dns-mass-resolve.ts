/**
 * Resolve many names at once with a bounded pool and an overall timeout, as gevent's
 * examples/dns_mass_resolve.py: at most 10 lookups run at a time; whatever is not finished when
 * the timeout fires is left unresolved, and the counts are printed.
 *
 * Ported from gevent's examples/dns_mass_resolve.py. Differences: the lookups go to a DNS
 * server given by address (verdant UDP sockets + `dns-packet`) instead of the system resolver,
 * so the demo and its test use a local server on 127.0.0.1 and never the internet; names are
 * `host-N.test` instead of `host-N.com`. `main()` starts that local server itself.
 *
 * Run: node dist/examples/dns-mass-resolve.js
 */
import { pathToFileURL } from 'node:url';
import { Cancellation, Pool, Timeout } from '../src/index.js';
import { queryA, tableServer } from './_dns.js';

/** Resolve `names` against `server`, 10 at a time, for at most `ms`; resolves name → address. */
export async function massResolve(
  names: string[],
  server: [string, number],
  ms = 2000,
): Promise<Map<string, string | null>> {
  const results = new Map<string, string | null>();
  const pool = new Pool(10);
  const job = async (name: string): Promise<void> => {
    try {
      const [ip] = await queryA(name, server);
      results.set(name, ip ?? null);
    } catch (e) {
      if (e instanceof Cancellation) throw e;
      results.set(name, null);
    }
  };
  const timeout = Timeout.startNew(ms);
  try {
    for (const name of names) await pool.spawn(job, name);
    await pool.join();
  } catch (e) {
    if (e !== timeout) throw e;
  } finally {
    timeout.cancel();
    await pool.kill();
  }
  const failed = [...results.values()].filter((v) => v === null).length;
  console.log('finished within %d ms: %d/%d, failed: %d', ms, results.size, names.length, failed);
  return results;
}

export async function main(): Promise<void> {
  // The local DNS server: host-N.test → 10.0.(N >> 8).(N & 255); names ending in 7 do not exist.
  const server = tableServer((name) => {
    const m = /^host-(\d+)\.test$/.exec(name);
    if (m === null || name.endsWith('7.test')) return null;
    const n = Number(m[1]);
    return `10.0.${n >> 8}.${n & 255}`;
  });
  await server.start();
  try {
    const names = Array.from({ length: 100 }, (_, i) => `host-${i}.test`);
    const got = await massResolve(names, ['127.0.0.1', server.serverPort as number]);
    console.log('host-42.test →', got.get('host-42.test'));
  } finally {
    await server.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
