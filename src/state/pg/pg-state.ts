/**
 * The shared state store on PostgreSQL (issue 25, `state.url`): users, sessions, period snapshots and the audit
 * trail in one database that every instance behind one address uses. Migrations run at open. Seals and invoices
 * stay files under each instance's data dir for now (docs/deploy.md "Two instances").
 */
import pg from 'pg';
import type { Logger } from 'pino';
import { createFileInvoiceStore } from '../../periods/invoice-store.ts';
import { createFileSealStore } from '../../seal/seal-store.ts';
import type { Signer } from '../../util/ed25519.ts';
import { redactUrl } from '../../util/redact.ts';
import type { StateStore } from '../state-store.ts';
import { migrate } from './migrate.ts';
import { createPgArchive } from './pg-archive.ts';
import { createPgAuditStore } from './pg-audit.ts';
import { createPgSessionStore } from './pg-sessions.ts';
import { createPgSnapshotStore } from './pg-snapshots.ts';
import { PgStateError, checkStateUrl, pgErrorText } from './pg-url.ts';
import { createPgUserStore } from './pg-users.ts';

export interface PgStateOptions {
  readonly url: string;
  readonly dataDir: string;
  readonly auditKeyFile: string;
  readonly signer?: Signer | undefined;
  readonly log?: Logger | undefined;
  /** Connections at most (each instance). */
  readonly maxConnections?: number;
}

export async function openPgStateStore(opts: PgStateOptions): Promise<StateStore> {
  const url = checkStateUrl(opts.url);
  const where = `PostgreSQL ${redactUrl(url)}`;
  // allowExitOnIdle: a command-line run ends when its work is done, without an explicit close.
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.maxConnections ?? 5,
    idleTimeoutMillis: 10_000,
    connectionTimeoutMillis: 10_000,
    allowExitOnIdle: true,
  });
  // An idle connection that breaks (the server restarted) is reported; the pool opens a new one when asked.
  pool.on('error', (err) => opts.log?.warn({ err: pgErrorText(url, err) }, 'State database connection lost.'));
  try {
    const applied = await migrate(pool);
    if (applied.length) opts.log?.info({ where, applied }, 'State database migrated.');
  } catch (err) {
    await pool.end().catch(() => undefined);
    if (err instanceof PgStateError) throw err;
    throw new PgStateError(`${where}: cannot open the state database: ${pgErrorText(url, err)}`);
  }
  return {
    kind: 'postgres',
    where,
    usersWhere: `${where} (table kzm_users)`,
    users: createPgUserStore(pool),
    sessions: createPgSessionStore(pool),
    snapshots: createPgSnapshotStore(pool),
    audit: createPgAuditStore(pool, {
      keyFile: opts.auditKeyFile,
      where: `${where} (table kzm_audit)`,
      signer: opts.signer,
    }),
    archive: createPgArchive(pool),
    seals: createFileSealStore(opts.dataDir),
    invoices: createFileInvoiceStore(opts.dataDir),
    close: () => pool.end(),
  };
}
