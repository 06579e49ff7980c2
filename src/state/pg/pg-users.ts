/** Users in PostgreSQL (issue 25): one row per user, the record as users.json holds it, checked when read back. */
import type { Pool } from 'pg';
import { z } from 'zod';
import { type User, type UserStore, noSuchUser, userExists, userSchema } from '../../auth/users.ts';

const row = z.object({ doc: userSchema });
const users = (rows: readonly unknown[]): User[] => rows.map((r) => row.parse(r).doc);

export function createPgUserStore(pool: Pool): UserStore {
  return {
    async byName(name) {
      return users((await pool.query('SELECT doc FROM kzm_users WHERE name = $1', [name])).rows)[0];
    },
    async byTokenId(id) {
      const found = users(
        (await pool.query(`SELECT doc FROM kzm_users WHERE doc->'tokens' @> $1::jsonb`, [JSON.stringify([{ id }])]))
          .rows,
      );
      for (const user of found) {
        const t = user.tokens.find((x) => x.id === id);
        if (t) return { user, hash: t.hash };
      }
      return undefined;
    },
    all: async () => users((await pool.query('SELECT doc FROM kzm_users ORDER BY pos')).rows),
    async add(user) {
      const r = await pool.query('INSERT INTO kzm_users (name, doc) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING', [
        user.name,
        JSON.stringify(userSchema.parse(user)),
      ]);
      if (r.rowCount !== 1) throw userExists(user.name);
    },
    async replace(user) {
      const r = await pool.query('UPDATE kzm_users SET doc = $2 WHERE name = $1', [
        user.name,
        JSON.stringify(userSchema.parse(user)),
      ]);
      if (r.rowCount !== 1) throw noSuchUser(user.name);
    },
    async remove(name) {
      return (await pool.query('DELETE FROM kzm_users WHERE name = $1', [name])).rowCount === 1;
    },
  };
}
