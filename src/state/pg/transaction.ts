import type { Pool, PoolClient } from 'pg';

/**
 * `fn` on one pooled connection inside a transaction (`begin`: BEGIN, or BEGIN with an isolation level):
 * committed when it returns, rolled back when it throws, the connection released either way.
 */
export async function inTransaction<T>(pool: Pool, fn: (db: PoolClient) => Promise<T>, begin = 'BEGIN'): Promise<T> {
  const db = await pool.connect();
  try {
    await db.query(begin);
    const r = await fn(db);
    await db.query('COMMIT');
    return r;
  } catch (err) {
    await db.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    db.release();
  }
}
