// The psycopg2_pool example against a real PostgreSQL: a throwaway cluster made by
// scripts/pg-cluster.mjs (initdb in a temp dir, a Unix socket only), stopped after.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { main, PostgresConnectionPool } from '../../examples/psycopg2-pool.js';
import { GreenletExit, joinAll, sleep, spawn } from '../../src/index.js';
import { printed } from './_capture.js';

interface Cluster {
  config: pg.ClientConfig;
  stop(): Promise<void>;
}

let cluster: Cluster;
const script = new URL('../../../scripts/pg-cluster.mjs', import.meta.url).href;

before(async () => {
  const { startCluster } = (await import(script)) as { startCluster(): Promise<Cluster> };
  cluster = await startCluster();
});
after(async () => {
  await cluster?.stop();
});

/** A plain pg client outside the pool, to look at the server. */
async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client(cluster.config);
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

async function sleepers(): Promise<number> {
  return admin(async (c) => {
    const r = await c.query(
      "select count(*)::int as n from pg_stat_activity where query like 'select pg_sleep(30)%' and state = 'active'",
    );
    return (r.rows[0] as { n: number }).n;
  });
}

describe('psycopg2_pool example', () => {
  test('four pg_sleep on three connections take two rounds, and it prints so', async () => {
    const lines = await printed(() => main({ config: cluster.config, seconds: 0.2 }));
    assert.equal(lines.length, 1);
    const m =
      /^Running "select pg_sleep\(0\.2\);" 4 times with 3 connections\. Should take about 0\.4 seconds: (\d+\.\d\d)s$/.exec(
        lines[0] as string,
      );
    assert.ok(m, lines[0]);
    assert.ok(Number(m[1]) >= 0.4, 'three connections cannot run four sleeps in one round');
  });

  test('N greenlets query through the pool; it never opens more than maxsize connections', async () => {
    const pool = new PostgresConnectionPool(cluster.config, 3);
    try {
      const gs = Array.from({ length: 12 }, (_, i) =>
        spawn(async () => {
          const rows = await pool.fetchall('select $1::int * 2 as n, pg_sleep(0.02)', [i]);
          return (rows[0] as { n: number }).n;
        }),
      );
      await joinAll(gs, { raiseError: true });
      assert.deepEqual(
        gs.map((g) => g.value),
        Array.from({ length: 12 }, (_, i) => i * 2),
      );
      assert.equal(pool.size, 3);
      assert.equal(pool.qsize(), 3);
    } finally {
      await pool.closeall();
    }
  });

  test('killing a greenlet mid-query cancels the query and returns its connection, clean', async () => {
    const pool = new PostgresConnectionPool(cluster.config, 1);
    try {
      const log: string[] = [];
      const g = spawn(async () => {
        try {
          await pool.execute('select pg_sleep(30)');
        } finally {
          log.push('finally');
        }
      });
      const t0 = performance.now();
      while ((await sleepers()) === 0 && performance.now() - t0 < 20_000) await sleep(20);
      assert.equal(await sleepers(), 1, 'the query runs on the server');
      await g.kill();
      assert.ok((g.value as unknown) instanceof GreenletExit);
      assert.deepEqual(log, ['finally']);
      // The connection comes back once its query is cancelled and rolled back: long before 30 s.
      const t1 = performance.now();
      while (pool.qsize() === 0 && performance.now() - t1 < 20_000) await sleep(20);
      assert.equal(pool.qsize(), 1, 'the connection is back');
      assert.equal(pool.size, 1, 'the same one, no new connection');
      assert.equal(await sleepers(), 0, 'the query was cancelled');
      const rows = await pool.fetchall('select 41 + 1 as n');
      assert.deepEqual(rows, [{ n: 42 }]);
    } finally {
      await pool.closeall();
    }
  });

  test('a connection the server closed is never handed out again', async () => {
    const pool = new PostgresConnectionPool(cluster.config, 2);
    try {
      await joinAll(
        [0, 1].map(() => spawn(() => pool.execute('select pg_sleep(0.05)'))),
        { raiseError: true },
      );
      assert.equal(pool.qsize(), 2);
      // Terminate every backend of the pool from outside.
      await admin((c) =>
        c.query(
          "select pg_terminate_backend(pid) from pg_stat_activity where pid <> pg_backend_pid() and backend_type = 'client backend'",
        ),
      );
      await sleep(200); // let the clients see their sockets close
      const gs = Array.from({ length: 6 }, (_, i) =>
        spawn(() => pool.fetchall('select $1::int as n', [i])),
      );
      await joinAll(gs, { raiseError: true });
      assert.deepEqual(
        gs.map((g) => (g.value as { n: number }[])[0]?.n),
        [0, 1, 2, 3, 4, 5],
      );
      assert.ok(pool.size <= 2);
    } finally {
      await pool.closeall();
    }
  });
});
