/** Dashboard sessions live in src/auth/session-store.ts (kept with the state since issue 25). */
export { createSessions, type Session, type Sessions, type SessionStore } from './session-store.ts';

/** Failed logins in a fixed window per key, bounded: expired entries go first, then the oldest. */
function failureWindows(windowMs: number, maxKeys: number, now: () => number) {
  const fails = new Map<string, { count: number; resetMs: number }>();
  const live = (k: string) => {
    const e = fails.get(k);
    return e && e.resetMs > now() ? e : undefined;
  };
  const trim = () => {
    if (fails.size <= maxKeys) return;
    const t = now();
    for (const [k, e] of fails) if (e.resetMs <= t) fails.delete(k);
    // Still full (a flood of distinct keys): the oldest windows go, never the whole table at once.
    for (const k of fails.keys()) {
      if (fails.size <= maxKeys * 0.9) break;
      fails.delete(k);
    }
  };
  return {
    count: (k: string) => live(k)?.count ?? 0,
    waitS: (k: string) => Math.ceil(((live(k)?.resetMs ?? now()) - now()) / 1000),
    add(k: string): void {
      const e = live(k);
      if (e) e.count++;
      else {
        fails.delete(k);
        fails.set(k, { count: 1, resetMs: now() + windowMs });
        trim();
      }
    },
    delete: (k: string) => fails.delete(k),
  };
}

/**
 * Failed logins, in a fixed window (issue 21: failures from elsewhere must not lock the real user out):
 *  - per address and user name: `max` (5) failures, then that address may not try that user until the window ends;
 *  - per address, over all user names: `maxPerAddress` (30), against one address spraying names;
 *  - per user name, over all addresses: `maxPerUser` (100), against a spread guess; it never applies to an
 *    address the user logged in from before (remembered in memory, bounded), so the real user still gets in.
 * Memory is bounded (maxKeys windows; expired and then the oldest are dropped, never the whole table).
 */
export function createLoginLimiter(
  opts: {
    max?: number;
    maxPerAddress?: number;
    maxPerUser?: number;
    windowMs?: number;
    maxKeys?: number;
    now?: () => number;
  } = {},
) {
  const limits = { pair: opts.max ?? 5, address: opts.maxPerAddress ?? 30, user: opts.maxPerUser ?? 100 };
  const maxKeys = opts.maxKeys ?? 50_000;
  const windows = failureWindows(opts.windowMs ?? 15 * 60_000, maxKeys, opts.now ?? Date.now);
  const known = new Map<string, true>(); // `${user}\0${address}` of successful logins, oldest first
  const keys = (address: string, user: string) => ({
    pair: `p:${address}\0${user}`,
    address: `a:${address}`,
    user: `u:${user}`,
  });
  return {
    /** Seconds until this address may try this user again, or 0 when it may now. */
    blockedForS(address: string, user: string): number {
      const k = keys(address, user);
      const over: string[] = [];
      if (windows.count(k.pair) >= limits.pair) over.push(k.pair);
      if (windows.count(k.address) >= limits.address) over.push(k.address);
      if (windows.count(k.user) >= limits.user && !known.has(`${user}\0${address}`)) over.push(k.user);
      return over.reduce((s, key) => Math.max(s, windows.waitS(key)), 0);
    },
    fail(address: string, user: string): void {
      for (const key of Object.values(keys(address, user))) windows.add(key);
    },
    succeed(address: string, user: string): void {
      windows.delete(keys(address, user).pair);
      const id = `${user}\0${address}`;
      known.delete(id);
      known.set(id, true);
      if (known.size > maxKeys) known.delete(known.keys().next().value!);
    },
  };
}
