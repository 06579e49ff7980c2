/**
 * The audit trail in PostgreSQL (issue 25): the lines of every instance form one chain. An append takes a
 * transaction-scoped advisory lock, reads the head row, computes seq/prev/hash exactly as the file log does
 * (src/auth/audit-chain.ts) and inserts the line; `seq` is the primary key, so even without the lock no two lines
 * could share a place. The HMAC keys stay in the key file (audit.keyFile), which every instance must share
 * (docs/deploy.md "Two instances"): a line written with a key this instance does not hold refuses the start.
 */
import type { Pool, PoolClient } from 'pg';
import { z } from 'zod';
import { AUDIT_GENESIS, type AuditEntry, type AuditHead, type AuditStore, nextEntry } from '../../auth/audit-chain.ts';
import { AuditKeyError, auditKeysFor, readAuditKeys, rotateAuditKey } from '../../auth/audit-keys.ts';
import type { Signer } from '../../util/ed25519.ts';
import { inTransaction } from './transaction.ts';

/** pg_advisory_xact_lock key of audit appends ("kzmaudt"). */
const AUDIT_LOCK = 0x6b7a6d61756474n.toString();

const headRow = z.object({ seq: z.coerce.number().int().min(1), hash: z.string().regex(/^[0-9a-f]{64}$/) });
const lineRow = z.object({ line: z.string().min(2) });
const countRow = z.object({ n: z.coerce.number().int().min(0) });

async function headOf(db: Pool | PoolClient): Promise<AuditHead & { kid?: string | undefined }> {
  const r = await db.query('SELECT seq, hash, line FROM kzm_audit ORDER BY seq DESC LIMIT 1');
  if (!r.rows[0]) return { seq: 0, hash: AUDIT_GENESIS };
  const h = headRow.parse(r.rows[0]);
  const kid = (JSON.parse(lineRow.parse(r.rows[0]).line) as { kid?: string }).kid;
  return { seq: h.seq, hash: h.hash, kid };
}

/** The keys, made with a first key when the trail has none yet (the file store's rule, src/auth/audit-keys.ts). */
async function keysFor(db: Pool | PoolClient, keyFile: string) {
  const found = readAuditKeys(keyFile);
  if (found) return found;
  const head = await headOf(db);
  const n = countRow.parse((await db.query('SELECT count(*) AS n FROM kzm_audit')).rows[0]).n;
  return auditKeysFor(keyFile, { lines: () => n, keyed: () => head.kid !== undefined });
}

export function createPgAuditStore(
  pool: Pool,
  opts: { keyFile: string; where: string; signer?: Signer | undefined; now?: () => Date },
): AuditStore {
  const now = opts.now ?? (() => new Date());
  const { keyFile } = opts;
  return {
    where: opts.where,
    keyFile,
    head: async () => {
      const h = await headOf(pool);
      return { seq: h.seq, hash: h.hash };
    },
    async ensureKey() {
      const keys = await keysFor(pool, keyFile);
      // Two instances with two key files would write lines the other cannot verify: refuse before that happens.
      const head = await headOf(pool);
      if (head.kid !== undefined && !keys.keys.some((k) => k.id === head.kid))
        throw new AuditKeyError(
          `the audit trail in the state database ends with a line of key ${head.kid}, which ${keyFile} does not hold: every instance must use the same audit key file (KZM_AUDIT_KEY_FILE, docs/deploy.md "Two instances")`,
        );
    },
    rotateKey: async () => {
      const head = await headOf(pool);
      const n = countRow.parse((await pool.query('SELECT count(*) AS n FROM kzm_audit')).rows[0]).n;
      return rotateAuditKey(keyFile, { lines: () => n, keyed: () => head.kid !== undefined });
    },
    async lines() {
      return (await pool.query('SELECT line FROM kzm_audit ORDER BY seq')).rows.map((r) => lineRow.parse(r).line);
    },
    append: (input): Promise<AuditEntry> =>
      inTransaction(pool, async (client) => {
        await client.query('SELECT pg_advisory_xact_lock($1)', [AUDIT_LOCK]);
        // Read at every append: a rotation by the CLI applies to every instance at once.
        const keys = await keysFor(client, keyFile);
        const key = keys.keys.find((k) => k.id === keys.current)!;
        const entry = nextEntry(await headOf(client), input, key, now(), opts.signer);
        await client.query('INSERT INTO kzm_audit (seq, line, hash) VALUES ($1, $2, $3)', [
          entry.seq,
          JSON.stringify(entry),
          entry.hash,
        ]);
        return entry;
      }),
  };
}
