/**
 * Dashboard sessions in PostgreSQL (issue 25): a login on one instance works on every other, and survives restarts.
 * The row's key is the SHA-256 of the session id (never the id); expiry is checked in the query; the table is
 * bounded (expired rows go at each login, then the oldest beyond `max`).
 */
import type { Pool } from 'pg';
import { z } from 'zod';
import {
  type SessionOptions,
  type SessionStore,
  SESSION_MAX,
  SESSION_TTL_MS,
  newSessionId,
  sessionKey,
} from '../../auth/session-store.ts';

const row = z.object({ username: z.string().min(1), expires_ms: z.coerce.number().int() });

export function createPgSessionStore(pool: Pool, opts: SessionOptions = {}): SessionStore {
  const ttlMs = opts.ttlMs ?? SESSION_TTL_MS;
  const max = opts.max ?? SESSION_MAX;
  const now = opts.now ?? Date.now;
  return {
    async create(user) {
      const t = now();
      const id = newSessionId();
      await pool.query('DELETE FROM kzm_sessions WHERE expires_ms <= $1', [t]);
      await pool.query(
        'DELETE FROM kzm_sessions WHERE key IN (SELECT key FROM kzm_sessions ORDER BY created_ms DESC, key OFFSET $1)',
        [max - 1],
      );
      await pool.query('INSERT INTO kzm_sessions (key, username, expires_ms, created_ms) VALUES ($1, $2, $3, $4)', [
        sessionKey(id),
        user,
        t + ttlMs,
        t,
      ]);
      return { id, user, expiresMs: t + ttlMs };
    },
    async get(id) {
      const r = await pool.query('SELECT username, expires_ms FROM kzm_sessions WHERE key = $1 AND expires_ms > $2', [
        sessionKey(id),
        now(),
      ]);
      if (!r.rows[0]) return undefined;
      const s = row.parse(r.rows[0]);
      return { id, user: s.username, expiresMs: s.expires_ms };
    },
    async delete(id) {
      await pool.query('DELETE FROM kzm_sessions WHERE key = $1', [sessionKey(id)]);
    },
  };
}
