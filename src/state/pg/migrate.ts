/**
 * Versioned migrations of the PostgreSQL state (issue 25): numbered SQL files beside this one
 * (migrations/NNN-name.sql), applied in order at every start, each recorded in `kzm_schema_migrations`. All run in
 * one transaction under an advisory lock: two instances starting at once apply them once (the second waits, then
 * finds nothing left to do). A database migrated by a newer kzmeter is refused rather than guessed at.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { Pool } from 'pg';
import { z } from 'zod';
import { PgStateError } from './pg-url.ts';
import { inTransaction } from './transaction.ts';

/** pg_advisory_xact_lock key of the migrations ("kzmmigr" in ASCII, fits a bigint). */
const MIGRATION_LOCK = 0x6b7a6d6d696772n;
const DIR = new URL('./migrations/', import.meta.url);

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export function migrations(): Migration[] {
  return readdirSync(DIR)
    .flatMap((f) => {
      const m = /^(\d{3})-([a-z0-9-]+)\.sql$/.exec(f);
      return m ? [{ version: Number(m[1]), name: m[2]!, sql: readFileSync(new URL(f, DIR), 'utf8') }] : [];
    })
    .sort((a, b) => a.version - b.version);
}

const appliedRow = z.object({ version: z.coerce.number().int().min(1) });

/** Applies what is missing; returns the versions applied now (none when the database is current). */
export async function migrate(pool: Pool, all: readonly Migration[] = migrations()): Promise<number[]> {
  return inTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK.toString()]);
    await client.query(
      'CREATE TABLE IF NOT EXISTS kzm_schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const done = new Set(
      (await client.query('SELECT version FROM kzm_schema_migrations')).rows.map((r) => appliedRow.parse(r).version),
    );
    const newest = Math.max(0, ...done);
    const known = all.at(-1)?.version ?? 0;
    if (newest > known)
      throw new PgStateError(
        `the state database is at schema version ${newest}, this kzmeter knows up to ${known}: upgrade kzmeter on this instance`,
        'state-db-newer',
      );
    const applied: number[] = [];
    for (const m of all) {
      if (done.has(m.version)) continue;
      await client.query(m.sql);
      await client.query('INSERT INTO kzm_schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      applied.push(m.version);
    }
    return applied;
  });
}
