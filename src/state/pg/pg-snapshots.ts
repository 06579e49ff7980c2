/**
 * Period snapshots in PostgreSQL (issue 25): the exact bytes of each version, its reopen record and its signature,
 * keyed by (period, taxpayer, version). The primary key is the one-version-1 rule across instances: the second
 * close of one version fails with the file store's 'version-exists' (the period service then answers "already
 * closed" with the version the first one made).
 */
import type { Pool } from 'pg';
import { z } from 'zod';
import type { PeriodSnapshot } from '../../periods/snapshot-types.ts';
import {
  type ReopenRecord,
  type SnapshotScope,
  type SnapshotStore,
  signatureBytes,
  snapshotBytes,
  versionExists,
} from '../../periods/snapshot-store.ts';
import { canonicalJson } from '../../periods/canonical-json.ts';

const UNIQUE_VIOLATION = '23505';
const bytesRow = z.object({ bytes: z.string() });
const versionRow = z.object({ version: z.coerce.number().int().min(1) });
const sigRow = z.object({ signature: z.string().nullable() });
const scopeRow = z.object({ period: z.string().regex(/^\d{4}-/), taxpayer: z.string().regex(/^(\d{12})?$/) });

const tp = (s: SnapshotScope) => s.taxpayer ?? '';
const name = (s: SnapshotScope, v: number) => `period ${s.period}${s.taxpayer ? `/${s.taxpayer}` : ''} v${v}`;

async function insertOnce(pool: Pool, sql: string, args: unknown[], what: string): Promise<void> {
  try {
    await pool.query(sql, args);
  } catch (err) {
    if ((err as { code?: string }).code === UNIQUE_VIOLATION) throw versionExists(what);
    throw err;
  }
}

export function createPgSnapshotStore(pool: Pool): SnapshotStore {
  const versions = async (s: SnapshotScope) =>
    (
      await pool.query('SELECT version FROM kzm_snapshots WHERE period = $1 AND taxpayer = $2 ORDER BY version', [
        s.period,
        tp(s),
      ])
    ).rows.map((r) => versionRow.parse(r).version);
  const readBytes = async (s: SnapshotScope, version?: number) => {
    const r =
      version === undefined
        ? await pool.query(
            'SELECT bytes FROM kzm_snapshots WHERE period = $1 AND taxpayer = $2 ORDER BY version DESC LIMIT 1',
            [s.period, tp(s)],
          )
        : await pool.query('SELECT bytes FROM kzm_snapshots WHERE period = $1 AND taxpayer = $2 AND version = $3', [
            s.period,
            tp(s),
            version,
          ]);
    return r.rows[0] ? bytesRow.parse(r.rows[0]).bytes : undefined;
  };
  return {
    versions,
    readBytes,
    async read(s, version) {
      const text = await readBytes(s, version);
      return text === undefined ? undefined : (JSON.parse(text) as PeriodSnapshot);
    },
    async reopenOf(s, version) {
      const r = await pool.query('SELECT bytes FROM kzm_reopens WHERE period = $1 AND taxpayer = $2 AND version = $3', [
        s.period,
        tp(s),
        version,
      ]);
      return r.rows[0] ? (JSON.parse(bytesRow.parse(r.rows[0]).bytes) as ReopenRecord) : undefined;
    },
    async write(snapshot) {
      const s = { period: snapshot.period, taxpayer: snapshot.taxpayerScope };
      await insertOnce(
        pool,
        'INSERT INTO kzm_snapshots (period, taxpayer, version, bytes) VALUES ($1, $2, $3, $4)',
        [s.period, tp(s), snapshot.version, snapshotBytes(snapshot)],
        name(s, snapshot.version),
      );
    },
    async writeReopen(s, record) {
      await insertOnce(
        pool,
        'INSERT INTO kzm_reopens (period, taxpayer, version, bytes) VALUES ($1, $2, $3, $4)',
        [s.period, tp(s), record.version, `${canonicalJson(record)}\n`],
        `the reopen of ${name(s, record.version)}`,
      );
    },
    async writeSignature(s, version, sig) {
      const r = await pool.query(
        'UPDATE kzm_snapshots SET signature = $4 WHERE period = $1 AND taxpayer = $2 AND version = $3 AND signature IS NULL',
        [s.period, tp(s), version, signatureBytes(version, sig)],
      );
      if (r.rowCount !== 1) throw versionExists(`the signature of ${name(s, version)}`);
    },
    async readSignature(s, version) {
      const r = await pool.query(
        'SELECT signature FROM kzm_snapshots WHERE period = $1 AND taxpayer = $2 AND version = $3',
        [s.period, tp(s), version],
      );
      return r.rows[0] ? (sigRow.parse(r.rows[0]).signature ?? undefined) : undefined;
    },
    async scopes() {
      const r = await pool.query('SELECT DISTINCT period, taxpayer FROM kzm_snapshots ORDER BY period, taxpayer');
      return r.rows.map((x) => {
        const p = scopeRow.parse(x);
        return { period: p.period, taxpayer: p.taxpayer === '' ? null : p.taxpayer };
      });
    },
  };
}
