/**
 * The PostgreSQL state as the files of a data dir (issue 25): `kzmeter backup` writes the same archive from a
 * database as from files (auth/users.json, audit/audit.log, periods/<period>[/<BIN>]/v<N>.json, v<N>.sig.json,
 * reopen-v<N>.json, each byte as the file store writes it), read in one REPEATABLE READ transaction (one moment's
 * state while instances keep writing). `kzmeter restore` loads those files into an empty database in one
 * transaction; every file is checked (zod, paths) before a row is written.
 */
import type { Pool, PoolClient } from 'pg';
import { z } from 'zod';
import { userSchema } from '../../auth/users.ts';
import { PgStateError } from './pg-url.ts';
import { inTransaction } from './transaction.ts';

import type { ArchiveFile } from '../backup-archive.ts';

export const USERS_PATH = 'auth/users.json';
export const AUDIT_PATH = 'audit/audit.log';
const SNAPSHOT_FILE = /^periods\/([^/]+)\/(?:(\d{12})\/)?(v(\d+)\.json|v(\d+)\.sig\.json|reopen-v(\d+)\.json)$/;
/** A period as its folder is named (2025-Q3, 2025-07, 2025-07-01..2025-07-15): no path separators. */
const PERIOD = /^\d{4}[0-9A-Za-z.-]{0,40}$/;

/** The archive paths the database holds (the rest of an archive is files of the data dir). */
export const heldByDatabase = (path: string): boolean =>
  path === USERS_PATH || path === AUDIT_PATH || SNAPSHOT_FILE.test(path);

const utf8 = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder('utf-8', { fatal: true }).decode(b);
const file = (path: string, s: string): ArchiveFile => ({ path, bytes: utf8(s), mode: 0o600 });
const dir = (period: string, taxpayer: string) => `periods/${period}/${taxpayer ? `${taxpayer}/` : ''}`;

const userRow = z.object({ doc: userSchema });
const lineRow = z.object({ line: z.string() });
const snapRow = z.object({
  period: z.string().regex(PERIOD),
  taxpayer: z.string().regex(/^(\d{12})?$/),
  version: z.coerce.number().int().min(1),
  bytes: z.string(),
  signature: z.string().nullable(),
});
const reopenRow = snapRow.omit({ signature: true });

async function dumpWith(db: PoolClient): Promise<ArchiveFile[]> {
  const out: ArchiveFile[] = [];
  const users = (await db.query('SELECT doc FROM kzm_users ORDER BY pos')).rows.map((r) => userRow.parse(r).doc);
  if (users.length) out.push(file(USERS_PATH, `${JSON.stringify({ users }, null, 2)}\n`));
  const lines = (await db.query('SELECT line FROM kzm_audit ORDER BY seq')).rows.map((r) => lineRow.parse(r).line);
  if (lines.length) out.push(file(AUDIT_PATH, lines.map((l) => `${l}\n`).join('')));
  for (const r of (await db.query('SELECT * FROM kzm_snapshots ORDER BY period, taxpayer, version')).rows) {
    const s = snapRow.parse(r);
    out.push(file(`${dir(s.period, s.taxpayer)}v${s.version}.json`, s.bytes));
    if (s.signature !== null) out.push(file(`${dir(s.period, s.taxpayer)}v${s.version}.sig.json`, s.signature));
  }
  for (const r of (await db.query('SELECT * FROM kzm_reopens ORDER BY period, taxpayer, version')).rows) {
    const s = reopenRow.parse(r);
    out.push(file(`${dir(s.period, s.taxpayer)}reopen-v${s.version}.json`, s.bytes));
  }
  return out;
}

const countRow = z.object({ n: z.coerce.number().int() });

export function createPgArchive(pool: Pool) {
  const rows = async (db: Pool | PoolClient) =>
    countRow.parse(
      (
        await db.query(
          'SELECT (SELECT count(*) FROM kzm_users) + (SELECT count(*) FROM kzm_audit) + (SELECT count(*) FROM kzm_snapshots) AS n',
        )
      ).rows[0],
    ).n;
  return {
    holds: heldByDatabase,
    isEmpty: async () => (await rows(pool)) === 0,
    dump: () => inTransaction(pool, dumpWith, 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY'),
    /** Loads the archive's database files into an empty database; returns how many files it took. */
    load: (files: ReadonlyMap<string, Uint8Array>) =>
      inTransaction(pool, async (db) => {
        if ((await rows(db)) > 0) throw new PgStateError('the state database is not empty', 'restore-not-empty');
        let n = 0;
        for (const [path, bytes] of files) {
          if (!heldByDatabase(path)) continue;
          try {
            n += await loadFile(db, path, text(bytes));
          } catch (err) {
            if (err instanceof PgStateError) throw err;
            const why = err instanceof z.ZodError ? (err.issues[0]?.message ?? 'invalid') : (err as Error).message;
            throw new PgStateError(`${path} cannot go into the state database: ${why}`, 'backup-damaged');
          }
        }
        const orphans = countRow.parse(
          (await db.query("SELECT count(*) AS n FROM kzm_snapshots WHERE bytes = ''")).rows[0],
        ).n;
        if (orphans > 0)
          throw new PgStateError(`${orphans} signature or reopen files without their version`, 'backup-damaged');
        return n;
      }),
  };
}
export type PgArchive = ReturnType<typeof createPgArchive>;

const auditLine = z.looseObject({ seq: z.number().int().min(1), hash: z.string().regex(/^[0-9a-f]{64}$/) });
const usersFile = z.strictObject({ users: z.array(userSchema) });

async function loadFile(db: PoolClient, path: string, body: string): Promise<number> {
  if (path === USERS_PATH) {
    for (const u of usersFile.parse(JSON.parse(body)).users)
      await db.query('INSERT INTO kzm_users (name, doc) VALUES ($1, $2)', [u.name, JSON.stringify(u)]);
    return 1;
  }
  if (path === AUDIT_PATH) {
    // Lines as written: the chain is checked by `kzmeter verify` after the restore, not repaired here.
    for (const line of body.split('\n').filter((l) => l.trim())) {
      const e = auditLine.parse(JSON.parse(line));
      await db.query('INSERT INTO kzm_audit (seq, line, hash) VALUES ($1, $2, $3)', [e.seq, line, e.hash]);
    }
    return 1;
  }
  const m = SNAPSHOT_FILE.exec(path)!;
  const [, period, bin = '', , v, sigV, reopenV] = m;
  if (!PERIOD.test(period!)) throw new PgStateError(`${path}: not a period folder`, 'backup-damaged');
  if (v !== undefined) {
    await db.query(
      'INSERT INTO kzm_snapshots (period, taxpayer, version, bytes) VALUES ($1, $2, $3, $4) ON CONFLICT (period, taxpayer, version) DO UPDATE SET bytes = EXCLUDED.bytes',
      [period, bin, Number(v), body],
    );
  } else if (sigV !== undefined) {
    // The signature may come before its version in the archive's order: a placeholder row is completed by it.
    await db.query(
      "INSERT INTO kzm_snapshots (period, taxpayer, version, bytes, signature) VALUES ($1, $2, $3, '', $4) ON CONFLICT (period, taxpayer, version) DO UPDATE SET signature = EXCLUDED.signature",
      [period, bin, Number(sigV), body],
    );
  } else {
    await db.query(
      "INSERT INTO kzm_snapshots (period, taxpayer, version, bytes) VALUES ($1, $2, $3, '') ON CONFLICT DO NOTHING",
      [period, bin, Number(reopenV)],
    );
    await db.query('INSERT INTO kzm_reopens (period, taxpayer, version, bytes) VALUES ($1, $2, $3, $4)', [
      period,
      bin,
      Number(reopenV),
      body,
    ]);
  }
  return 1;
}
