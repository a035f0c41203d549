/**
 * A PostgreSQL connection pool on a verdant `Queue`: gevent's examples/psycopg2_pool.py with the
 * `pg` package. Four `select pg_sleep(1)` on three connections take two rounds; every other
 * greenlet runs meanwhile, and a greenlet killed mid-query hands its connection back clean.
 *
 * Ported from gevent's examples (listed by seed 000). Deviations: `pg` instead of psycopg2;
 * `gevent.wait()` becomes `joinAll` of the four greenlets; each query is a foreign promise made a
 * verdant wait with `until` (psycopg2's wait callback
 * plays that role in gevent); `connection(fn)` takes a callback instead of a `with` block;
 * a connection whose greenlet was killed mid-query is recovered in a greenlet of its own (the
 * query cancelled with `pg_cancel_backend`, the transaction rolled back, the connection checked)
 * before it goes back to the pool; a connection the server closed is never handed out again.
 * Run without a config, it starts a throwaway cluster (scripts/pg-cluster.mjs) and stops it.
 *
 * Run: node dist/examples/psycopg2-pool.js
 */
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { Cancellation, joinAll, Queue, spawn, until } from '../src/index.js';

export class PostgresConnectionPool {
  readonly config: pg.ClientConfig;
  readonly maxsize: number;
  /** Connections made and not discarded. */
  size = 0;
  readonly #pool = new Queue<pg.Client>();
  readonly #broken = new WeakSet<pg.Client>();

  constructor(config: pg.ClientConfig, maxsize = 100) {
    this.config = config;
    this.maxsize = maxsize;
  }

  /** Idle connections in the pool. */
  qsize(): number {
    return this.#pool.qsize();
  }

  async get(): Promise<pg.Client> {
    for (;;) {
      if (this.size >= this.maxsize || this.#pool.qsize() > 0) {
        const conn = await this.#pool.get();
        if (!this.#broken.has(conn)) return conn;
        this.size--; // never hand out a broken one: drop it and look again
        continue;
      }
      this.size++;
      try {
        return await this.#create();
      } catch (e) {
        this.size--;
        throw e;
      }
    }
  }

  async #create(): Promise<pg.Client> {
    const conn = new pg.Client(this.config);
    conn.on('error', () => this.#broken.add(conn));
    conn.on('end', () => this.#broken.add(conn));
    try {
      await until(conn.connect());
    } catch (e) {
      conn.end().catch(() => {});
      throw e;
    }
    return conn;
  }

  put(conn: pg.Client): void {
    if (this.#broken.has(conn)) {
      this.size--;
      conn.end().catch(() => {});
      return;
    }
    this.#pool.putNowait(conn);
  }

  /** Run `fn` with a connection inside a transaction: commit if it returns, roll back if not. */
  async connection<T>(fn: (conn: pg.Client) => Promise<T>): Promise<T> {
    const conn = await this.get();
    let clean = false;
    try {
      await until(conn.query('BEGIN'));
      const result = await fn(conn);
      await until(conn.query('COMMIT'));
      clean = true;
      return result;
    } finally {
      if (clean) this.put(conn);
      else this.#recover(conn);
    }
  }

  /** A query may still run on `conn` (its greenlet was killed): cancel it, roll back, check. */
  #recover(conn: pg.Client): void {
    spawn(async () => {
      try {
        const pid = (conn as unknown as { processID: number }).processID;
        const admin = new pg.Client(this.config);
        try {
          await until(admin.connect());
          await until(admin.query('SELECT pg_cancel_backend($1)', [pid]));
        } finally {
          admin.end().catch(() => {});
        }
        // pg runs a client's queries in order: these start once the cancelled one has ended.
        await until(conn.query('ROLLBACK'));
        await until(conn.query('SELECT 1'));
      } catch (e) {
        if (e instanceof Cancellation) throw e;
        this.#broken.add(conn);
      }
      this.put(conn);
    });
  }

  async execute(sql: string, params: unknown[] = []): Promise<number> {
    return this.connection(async (c) => (await until(c.query(sql, params))).rowCount ?? 0);
  }

  async fetchall(sql: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
    return this.connection(async (c) => (await until(c.query(sql, params))).rows);
  }

  async closeall(): Promise<void> {
    while (this.#pool.qsize() > 0) {
      const conn = this.#pool.getNowait();
      this.size--;
      await until(conn.end()).catch(() => {});
    }
  }
}

interface Cluster {
  config: pg.ClientConfig;
  stop(): Promise<void>;
}

export async function main(
  opts: { config?: pg.ClientConfig; seconds?: number } = {},
): Promise<void> {
  const seconds = opts.seconds ?? 1;
  let cluster: Cluster | null = null;
  let config = opts.config;
  if (config === undefined) {
    const script = new URL('../../scripts/pg-cluster.mjs', import.meta.url).href;
    const { startCluster } = (await until(import(script))) as { startCluster(): Promise<Cluster> };
    cluster = await until(startCluster());
    config = cluster.config;
  }
  const pool = new PostgresConnectionPool(config, 3);
  try {
    const start = performance.now();
    const jobs = [0, 1, 2, 3].map(() => spawn(() => pool.execute(`select pg_sleep(${seconds});`)));
    await joinAll(jobs, { raiseError: true });
    const delay = (performance.now() - start) / 1000;
    console.log(
      `Running "select pg_sleep(${seconds});" 4 times with 3 connections. Should take about ${2 * seconds} seconds: ${delay.toFixed(2)}s`,
    );
  } finally {
    await pool.closeall();
    if (cluster !== null) await until(cluster.stop());
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
