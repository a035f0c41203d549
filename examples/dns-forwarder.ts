/**
 * A caching DNS forwarder, from seed 002: a UDP server that answers from its cache and forwards
 * misses to an upstream server. Concurrent identical misses wait on one `Event`: one query goes
 * upstream, and every waiter answers from the cache when the response arrives (with its own
 * query id). Responses from upstream come back to the same socket, and the handler tells them
 * apart by the QR bit, as the seed's `handler` does.
 *
 * Ported from seed 002 (gevent + dnslib). Differences: `dns-packet` instead of `dnslib`; a
 * `DatagramServer` instead of a hand-made `recvfrom` loop; the cache key is name + type (the
 * seed keys by name only); identical misses share one upstream query (the seed sends one per
 * miss); one upstream server instead of a round-robin list read from a file; a miss that gets
 * no answer in 5 s gets SERVFAIL instead of silence, and the next query for it goes upstream
 * again (an upstream datagram lost must not leave the name unanswerable); a response counts only
 * from the upstream address (the seed caches a response from anyone: a spoofed one poisoned the
 * cache). Like the seed's, the cache ignores TTLs.
 *
 * Run: node dist/examples/dns-forwarder.js   (demo: a local upstream, a forwarder, three queries)
 */

import { pathToFileURL } from 'node:url';
import * as packet from 'dns-packet';
import { Event, joinAll, spawn } from '../src/index.js';
import { DatagramServer } from '../src/servers/index.js';
import { queryA, tableServer } from './_dns.js';

/** A forwarder listening on `listen`, forwarding misses to `upstream`. */
export class DnsForwarder extends DatagramServer {
  readonly cache = new Map<string, Buffer>();
  readonly pending = new Map<string, Event>();
  /** Queries sent upstream (misses that were not already pending). */
  forwarded = 0;
  readonly #upstream: [string, number];
  readonly #missTimeout: number;

  /**
   * @param missTimeout how long (ms) a miss waits for upstream before answering SERVFAIL
   */
  constructor(listen: [string, number], upstream: [string, number], missTimeout = 5000) {
    super(listen, (data, address) => this.handler(Buffer.from(data), address));
    this.#upstream = upstream;
    this.#missTimeout = missTimeout;
  }

  /** The seed's `handler`: a response from upstream, or a client's query. */
  async handler(data: Buffer, address: [string, number]): Promise<void> {
    const msg = packet.decode(data);
    if (msg.type !== 'response') await this.handleRequest(msg, address);
    else if (address[0] === this.#upstream[0] && address[1] === this.#upstream[1])
      this.handleResponse(msg, data);
    else console.log('dropped a response from', address.join(':'));
  }

  static key(q: packet.Question | undefined): string {
    return q === undefined ? '' : `${q.name.toLowerCase()}/${q.type}`;
  }

  handleResponse(msg: packet.Packet, data: Buffer): void {
    const key = DnsForwarder.key(msg.questions?.[0]);
    console.log('upstream answered', key);
    this.cache.set(key, data);
    const e = this.pending.get(key);
    this.pending.delete(key);
    e?.set();
  }

  async handleRequest(msg: packet.Packet, address: [string, number]): Promise<void> {
    const key = DnsForwarder.key(msg.questions?.[0]);
    if (!this.cache.has(key)) {
      let e = this.pending.get(key);
      if (e === undefined) {
        const asked = new Event();
        e = asked;
        this.pending.set(key, asked);
        this.forwarded++;
        console.log('miss, forwarding', key);
        try {
          await this.sendto(packet.encode({ ...msg, id: 0 }), this.#upstream);
          await asked.wait({ timeout: this.#missTimeout });
        } finally {
          // No answer in time (or the send failed, or we were killed): the next miss asks again.
          if (this.pending.get(key) === asked) this.pending.delete(key);
        }
      } else {
        console.log('miss, already asked', key);
        await e.wait({ timeout: this.#missTimeout });
      }
    } else console.log('cache hit', key);
    const cached = this.cache.get(key);
    const reply =
      cached === undefined
        ? packet.encode({ type: 'response', id: msg.id, flags: 2, questions: msg.questions })
        : packet.encode({ ...packet.decode(cached), id: msg.id });
    await this.sendto(reply, address);
  }
}

export async function main(): Promise<void> {
  const upstream = tableServer((name) => (name === 'example.test' ? '192.0.2.7' : null));
  await upstream.start();
  const fwd = new DnsForwarder(['127.0.0.1', 0], ['127.0.0.1', upstream.serverPort as number]);
  await fwd.start();
  const at: [string, number] = ['127.0.0.1', fwd.serverPort as number];
  try {
    const twins = [spawn(queryA, 'example.test', at), spawn(queryA, 'example.test', at)];
    await joinAll(twins, { raiseError: true });
    console.log(
      'two concurrent answers:',
      twins.map((g) => g.value),
    );
    console.log('third answer:', await queryA('example.test', at));
    console.log('queries that reached upstream:', upstream.queries);
  } finally {
    await fwd.stop();
    await upstream.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
