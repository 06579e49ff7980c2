import type { Logger } from 'pino';

/**
 * At most one log line per key and window (architecture principle 9): a client hammering the broker with
 * refused publishes costs one line per window, which says how many were left out.
 */
export function createRateLimitedLog(log: Logger, windowMs: number, maxKeys = 1000) {
  const last = new Map<string, { at: number; suppressed: number }>();
  return {
    warn(key: string, fields: Record<string, unknown>, msg: string, now = Date.now()): void {
      const e = last.get(key);
      if (e && now - e.at < windowMs) {
        e.suppressed++;
        return;
      }
      if (!e && last.size >= maxKeys) last.clear();
      last.set(key, { at: now, suppressed: 0 });
      log.warn({ ...fields, ...(e?.suppressed ? { suppressedSinceLast: e.suppressed } : {}) }, msg);
    },
  };
}
