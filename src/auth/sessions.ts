import { randomBytes } from 'node:crypto';

/** Dashboard sessions, in memory: a restart logs everyone out (nothing secret survives on disk). */
export interface Session {
  readonly id: string;
  readonly user: string;
  readonly expiresMs: number;
}

export function createSessions(opts: { ttlMs?: number; max?: number; now?: () => number } = {}) {
  const ttlMs = opts.ttlMs ?? 12 * 3600_000;
  const max = opts.max ?? 10_000;
  const now = opts.now ?? Date.now;
  const sessions = new Map<string, Session>();
  return {
    create(user: string): Session {
      if (sessions.size >= max) {
        // bounded: drop the oldest (Map keeps insertion order)
        const oldest = sessions.keys().next().value;
        if (oldest !== undefined) sessions.delete(oldest);
      }
      const s = { id: randomBytes(32).toString('base64url'), user, expiresMs: now() + ttlMs };
      sessions.set(s.id, s);
      return s;
    },
    get(id: string): Session | undefined {
      const s = sessions.get(id);
      if (s && s.expiresMs <= now()) {
        sessions.delete(id);
        return undefined;
      }
      return s;
    },
    delete(id: string): void {
      sessions.delete(id);
    },
  };
}
export type Sessions = ReturnType<typeof createSessions>;

/**
 * Failed logins per key (client address, and user name), in a fixed window: after `max` failures the key is
 * refused until the window ends. Bounded memory: the table is cleared when it grows past maxKeys.
 */
export function createLoginLimiter(
  opts: { max?: number; windowMs?: number; maxKeys?: number; now?: () => number } = {},
) {
  const max = opts.max ?? 5;
  const windowMs = opts.windowMs ?? 15 * 60_000;
  const now = opts.now ?? Date.now;
  const fails = new Map<string, { count: number; resetMs: number }>();
  const entry = (k: string) => {
    const e = fails.get(k);
    if (!e || e.resetMs <= now()) return undefined;
    return e;
  };
  return {
    /** Seconds until the keys may try again, or 0 when they may now. */
    blockedForS(keys: readonly string[]): number {
      let s = 0;
      for (const k of keys) {
        const e = entry(k);
        if (e && e.count >= max) s = Math.max(s, Math.ceil((e.resetMs - now()) / 1000));
      }
      return s;
    },
    fail(keys: readonly string[]): void {
      if (fails.size > (opts.maxKeys ?? 50_000)) fails.clear();
      for (const k of keys) {
        const e = entry(k);
        if (e) e.count++;
        else fails.set(k, { count: 1, resetMs: now() + windowMs });
      }
    },
    succeed(keys: readonly string[]): void {
      for (const k of keys) fails.delete(k);
    },
  };
}
