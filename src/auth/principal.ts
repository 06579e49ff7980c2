import { createHash } from 'node:crypto';
import type { Role } from './roles.ts';
import type { Lang } from '../i18n/lang.js';
import type { Sessions } from './sessions.ts';
import { parseToken, type UserStore } from './users.ts';
import { PASSWORD_COST, generateSecret, hashSecret, verifySecret } from './secret-hash.ts';

/** Who a request is: a user by API token or dashboard session, or the lab's anonymous admin. */
export interface Principal {
  readonly name: string;
  readonly role: Role;
  /** Bound to this taxpayer (BIN): sees and acts on nothing else. */
  readonly taxpayer?: string;
  /** The user's chosen language (src/auth/users.ts), when set. */
  readonly lang?: Lang;
  readonly via: 'token' | 'session' | 'lab';
}

export const SESSION_COOKIE = 'kzm_session';

export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

/**
 * Verified token (id, hash, secret) triples: a script's every call costs a hash lookup, not a scrypt.
 * `verify` is the scrypt check (a test counts its calls).
 */
export function createAuthenticator(
  users: UserStore,
  sessions: Sessions,
  opts: { verify?: (secret: string, stored: string) => Promise<boolean> } = {},
) {
  const verify = opts.verify ?? verifySecret;
  // A hash of a random secret at the password cost: a login naming no user, or a user without a password,
  // pays the same scrypt as a wrong password (issue 21: unknown users were refused in 1-2 ms, others in ~105).
  const dummy = hashSecret(generateSecret(), PASSWORD_COST);
  const verified = new Set<string>();
  const asPrincipal = (
    u: { name: string; role: Role; taxpayer?: string; lang?: Lang },
    via: Principal['via'],
  ): Principal => ({
    name: u.name,
    role: u.role,
    ...(u.taxpayer && { taxpayer: u.taxpayer }),
    ...(u.lang && { lang: u.lang }),
    via,
  });

  async function byToken(token: string): Promise<Principal | undefined> {
    const t = parseToken(token);
    if (!t) return undefined;
    const found = await users.byTokenId(t.id);
    if (!found) return undefined;
    const key = createHash('sha256').update(`${t.id}\0${found.hash}\0${t.secret}`).digest('base64');
    if (!verified.has(key)) {
      if (!(await verify(t.secret, found.hash))) return undefined;
      if (verified.size > 10_000) verified.clear();
      verified.add(key);
    }
    return asPrincipal(found.user, 'token');
  }

  return {
    /** undefined: no credentials; null: credentials given but wrong (401 either way). */
    async fromHeaders(headers: { authorization?: string; cookie?: string }): Promise<Principal | undefined | null> {
      const auth = headers.authorization;
      if (auth !== undefined) {
        const m = /^Bearer\s+(\S+)$/i.exec(auth);
        return (m && (await byToken(m[1]!))) ?? null;
      }
      const sid = cookieValue(headers.cookie, SESSION_COOKIE);
      if (sid === undefined) return undefined;
      const s = await sessions.get(sid);
      // The user's current record: a role changed or a user removed applies to live sessions at once.
      const u = s && (await users.byName(s.user));
      return u ? asPrincipal(u, 'session') : null;
    },
    /** A login: the user's password, or (users without one, like the first admin) one of their API tokens. */
    async checkLogin(name: string, secret: string): Promise<Principal | undefined> {
      const u = await users.byName(name);
      if (u?.passwordHash) return (await verify(secret, u.passwordHash)) ? asPrincipal(u, 'session') : undefined;
      const paid = verify(secret, await dummy);
      const p = u && (await byToken(secret));
      await paid;
      return u && p && p.name === u.name ? { ...p, via: 'session' } : undefined;
    },
  };
}
export type Authenticator = ReturnType<typeof createAuthenticator>;
