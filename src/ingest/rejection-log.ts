import type { Logger } from 'pino';
import type { RejectionGroup } from '../formats/tally.ts';

export interface RejectionLogOptions {
  /** Length of a window (ms) and how many messages a window may log one by one; the rest are summarised. */
  windowMs?: number;
  linesPerWindow?: number;
  now?: () => number;
}

export interface RejectionLog {
  /** One message's rejections (or its ignored topic): one line, or counted into the window's summary. */
  report(topic: string, groups: readonly RejectionGroup[]): void;
  /** Log the summary of what was held back, if anything (called on a timer and at stop). */
  flush(): void;
}

/**
 * Rate-limited rejection logging (architecture principle 9): a garbage storm logs `linesPerWindow` messages a
 * window and then one summary line with counts by reason, never one line per message or per bad element.
 */
export function createRejectionLog(log: Logger, opts: RejectionLogOptions = {}): RejectionLog {
  const windowMs = opts.windowMs ?? 10_000;
  const perWindow = opts.linesPerWindow ?? 10;
  const now = opts.now ?? Date.now;
  let windowStart = now();
  let lines = 0;
  let suppressed = 0;
  let byReason: Record<string, number> = {};
  const flush = () => {
    if (suppressed > 0)
      log.warn(
        { suppressed, rejectionsByReason: byReason, seconds: Math.round((now() - windowStart) / 1000) },
        'Rejections summarised.',
      );
    windowStart = now();
    lines = 0;
    suppressed = 0;
    byReason = {};
  };
  return {
    report(topic, groups) {
      if (now() - windowStart >= windowMs) flush();
      if (lines < perWindow) {
        lines++;
        log.warn(
          {
            topic: topic.slice(0, 200),
            rejections: groups.map((g) => ({ reason: g.reason, count: g.count, detail: g.detail, meterId: g.meterId })),
          },
          'Message rejected.',
        );
        return;
      }
      suppressed++;
      for (const g of groups) byReason[g.reason] = (byReason[g.reason] ?? 0) + g.count;
    },
    flush,
  };
}

/**
 * At most one stored record per (reason, topic) per `everyMs` for ignored topics (a Tasmota STATE every five
 * minutes, a Shelly's sys status): visible in the rejected view, never a record per message. Keys bounded.
 */
export function createIgnoredSampler(everyMs = 60_000, maxKeys = 10_000, now: () => number = Date.now) {
  const last = new Map<string, { atMs: number; folded: number }>();
  return {
    /** How many were folded into this record (0 = do not store now). */
    take(key: string): number {
      const t = now();
      const e = last.get(key);
      if (e && t - e.atMs < everyMs) {
        e.folded++;
        return 0;
      }
      if (!e && last.size >= maxKeys) last.clear();
      const count = (e?.folded ?? 0) + 1;
      last.set(key, { atMs: t, folded: 0 });
      return count;
    },
  };
}
