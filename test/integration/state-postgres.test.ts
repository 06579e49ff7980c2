/**
 * The PostgreSQL state store (issue 25) on Debian's real PostgreSQL: migrations, and every invariant the file
 * store keeps, held by the database across two stores (two pools, as two instances have).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { auditKeysFor } from '../../src/auth/audit-keys.ts';
import { verifyAuditLines } from '../../src/auth/audit-verify.ts';
import { sessionKey } from '../../src/auth/session-store.ts';
import { addUser } from '../../src/auth/users.ts';
import { snapshotBytes } from '../../src/periods/snapshot-store.ts';
import { migrate, migrations } from '../../src/state/pg/migrate.ts';
import { openPgStateStore } from '../../src/state/pg/pg-state.ts';
import type { StateStore } from '../../src/state/state-store.ts';
import { sampleSnapshot } from '../unit/periods/fixtures.ts';
import { usePostgres } from '../helpers/postgres.ts';

const server = usePostgres();
const dir = mkdtempSync(join(tmpdir(), 'kzm-pgstate-'));
const opened: StateStore[] = [];
afterAll(async () => {
  for (const s of opened) await s.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Two stores on one fresh database, sharing the audit key file (as two instances must). */
async function twoStores(): Promise<[StateStore, StateStore, string]> {
  const url = await server.get().database();
  const open = async () => {
    const s = await openPgStateStore({ url, dataDir: dir, auditKeyFile: join(dir, `keys-${url.slice(-6)}.json`) });
    opened.push(s);
    return s;
  };
  return [await open(), await open(), url];
}

async function query(url: string, sql: string): Promise<Record<string, unknown>[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(sql)).rows as Record<string, unknown>[];
  } finally {
    await c.end();
  }
}

describe('PostgreSQL state store (issue 25)', () => {
  it('migrations are versioned, run once, and a re-run at start does nothing; two at once apply them once', async () => {
    const url = await server.get().database();
    const pools = [new pg.Pool({ connectionString: url }), new pg.Pool({ connectionString: url })];
    try {
      const both = await Promise.all(pools.map((p) => migrate(p)));
      expect(both.flat()).toEqual(migrations().map((m) => m.version));
      expect(await migrate(pools[0]!)).toEqual([]);
      const rows = await query(url, 'SELECT version, name FROM kzm_schema_migrations ORDER BY version');
      expect(rows).toEqual([{ version: 1, name: 'initial' }]);
      // A database migrated by a newer kzmeter is refused, not guessed at.
      await query(url, "INSERT INTO kzm_schema_migrations (version, name) VALUES (999, 'future')");
      await expect(migrate(pools[0]!)).rejects.toThrow(/schema version 999, this kzmeter knows up to 1/);
    } finally {
      for (const p of pools) await p.end();
    }
  });

  it('a login on A works on B; only the SHA-256 of the session id is stored; expiry is enforced', async () => {
    const [a, b, url] = await twoStores();
    const s = await a.sessions.create('aigerim');
    expect(await b.sessions.get(s.id)).toEqual(s);
    const rows = await query(url, 'SELECT key, username FROM kzm_sessions');
    expect(rows).toEqual([{ key: sessionKey(s.id), username: 'aigerim' }]);
    expect(JSON.stringify(rows)).not.toContain(s.id);
    await query(url, 'UPDATE kzm_sessions SET expires_ms = 1');
    expect(await b.sessions.get(s.id)).toBeUndefined();
    const t = await b.sessions.create('x');
    await a.sessions.delete(t.id);
    expect(await b.sessions.get(t.id)).toBeUndefined();
  });

  it('users: added on A, found by name and token on B; a second add of a name is refused', async () => {
    const [a, b] = await twoStores();
    const { token, user } = await addUser(a.users, { name: 'aigerim', role: 'accountant' });
    expect(await b.users.byName('aigerim')).toEqual(user);
    const id = /^kzm_([a-f0-9]{12})_/.exec(token)![1]!;
    expect((await b.users.byTokenId(id))?.user.name).toBe('aigerim');
    await expect(addUser(b.users, { name: 'aigerim', role: 'viewer' })).rejects.toThrow(/exists already/);
    await b.users.replace({ ...user, role: 'admin' });
    expect((await a.users.byName('aigerim'))?.role).toBe('admin');
    expect(await a.users.remove('aigerim')).toBe(true);
    expect(await b.users.all()).toEqual([]);
  });

  it('issue 25: the same version written by A and B at once -> exactly one stored, the other version-exists', async () => {
    const [a, b] = await twoStores();
    const s = await sampleSnapshot();
    const results = await Promise.allSettled([a.snapshots.write(s), b.snapshots.write(s)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(lost.reason).toMatchObject({ code: 'version-exists', httpStatus: 409 });
    const scope = { period: s.period, taxpayer: s.taxpayerScope };
    expect(await b.snapshots.versions(scope)).toEqual([1]);
    expect(await b.snapshots.readBytes(scope)).toBe(snapshotBytes(s));
    expect(await a.snapshots.scopes()).toEqual([scope]);
    await a.snapshots.writeSignature(scope, 1, { keyId: 'k1', signature: 'c2ln' });
    await expect(b.snapshots.writeSignature(scope, 1, { keyId: 'k1', signature: 'c2ln' })).rejects.toThrow(
      /exists already/,
    );
    const reopen = { version: 1, reopenedAt: 'x', reopenedAtMs: 1, reopenedBy: 'a', reason: 'r' };
    await a.snapshots.writeReopen(scope, reopen);
    expect(await b.snapshots.reopenOf(scope, 1)).toEqual(reopen);
    await expect(b.snapshots.writeReopen(scope, reopen)).rejects.toMatchObject({ code: 'version-exists' });
  });

  it('issue 25: audit lines appended by A and B at once form one chain that verifies', async () => {
    const [a, b] = await twoStores();
    await a.audit.ensureKey();
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 ? a : b).audit.append({ who: `u${i}`, action: 'login-failed', what: { i } }),
      ),
    );
    const lines = await b.audit.lines();
    expect(lines.map((l) => (JSON.parse(l) as { seq: number }).seq)).toEqual(
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    const check = verifyAuditLines(lines, a.audit.keyFile);
    expect(check).toMatchObject({ ok: true, entries: 20, legacy: 0 });
    expect(await a.audit.head()).toEqual({ seq: 20, hash: check.ok ? check.lastHash : '' });
  });

  it('an instance with another audit key file is refused at start (its lines would not verify elsewhere)', async () => {
    const [a, , url] = await twoStores();
    await a.audit.append({ who: 'x', action: 'user-add', what: {} });
    const missing = await openPgStateStore({ url, dataDir: dir, auditKeyFile: join(dir, 'no-keys.json') });
    opened.push(missing);
    await expect(missing.audit.ensureKey()).rejects.toThrow(/has keyed lines but their key file .* does not exist/);
    // Its own, different key file (each instance made one): refused too.
    const own = join(dir, 'own-keys.json');
    auditKeysFor(own, { lines: () => 0, keyed: () => false });
    const other = await openPgStateStore({ url, dataDir: dir, auditKeyFile: own });
    opened.push(other);
    await expect(other.audit.ensureKey()).rejects.toThrow(/does not hold: every instance must use the same audit key/);
  });

  it('a wrong password is refused with an error that does not hold it', async () => {
    const url = server.get().url().replace(server.get().password, 'wrong-secret-123');
    const err = (await openPgStateStore({ url, dataDir: dir, auditKeyFile: join(dir, 'k.json') }).catch(
      (e: unknown) => e,
    )) as Error;
    expect(err.message).toMatch(/cannot open the state database/);
    expect(err.message).toContain('postgres://***@127.0.0.1');
    expect(err.message).not.toContain('wrong-secret-123');
  });
});
