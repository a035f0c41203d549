/**
 * Cookbook: a rate limit — at most `rate` calls per `per` milliseconds, however many greenlets
 * ask. Each call takes a permit of a `Semaphore`; the permit comes back `per` ms after it was
 * taken (a sliding window), so callers beyond the rate wait in FIFO order.
 *
 * Written for verdant's cookbook (docs/cookbook.md). Ten greenlets call through a limit of
 * three calls a second; the output shows three calls at 0 ms, three at 1000 ms, and so on.
 *
 * Run: node dist/examples/recipe-rate-limit.js
 */
import { pathToFileURL } from 'node:url';
import { getHub, joinAll, Semaphore, spawn, spawnLater } from '../src/index.js';

/** At most `rate` acquisitions per `per` ms (a sliding window). */
class RateLimiter {
  readonly #permits: Semaphore;
  readonly #per: number;

  constructor(rate: number, per: number) {
    this.#permits = new Semaphore(rate);
    this.#per = per;
  }

  /** Wait for a permit (a kill or Timeout lands here and takes none). */
  async acquire(): Promise<void> {
    await this.#permits.acquire();
    spawnLater(this.#per, () => this.#permits.release());
  }
}

export async function main(): Promise<void> {
  const limit = new RateLimiter(3, 1000);
  const t0 = getHub().now();
  const call = async (i: number): Promise<void> => {
    await limit.acquire();
    console.log(`call ${i} at ${Math.round(getHub().now() - t0)} ms`);
  };
  await joinAll(Array.from({ length: 10 }, (_, i) => spawn(call, i)));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
