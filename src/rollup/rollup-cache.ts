/**
 * What an incremental rollup pass remembers (src/rollup/worker.ts): per meter-hour the summary last computed
 * from the store, and per meter-day its hour summaries. Valid only while this process is the one writer of
 * its meters' readings (no shared subscription, no spool replaying behind it): the worker then reads only the
 * readings stored after an hour's last known one, and merges a day from memory instead of reading its hours
 * back. Bounded: the least recently used entries go first.
 */
import type { BucketSummary } from '../fees/index.ts';

/** A meter-hour as last computed: every stored reading of the hour with tsMs <= cutMs, summarized. */
export interface KnownHour {
  /** Undefined: no reading of the hour at or before cutMs. */
  readonly summary: BucketSummary | undefined;
  readonly cutMs: number;
}

export interface RollupCache {
  hour(key: string): KnownHour | undefined;
  setHour(key: string, known: KnownHour | undefined): void;
  /** The hour summaries of a meter-day (hour start -> summary), when known whole. */
  day(key: string): Map<number, BucketSummary> | undefined;
  setDay(key: string, hours: Map<number, BucketSummary>): void;
  clear(): void;
  size(): { hours: number; days: number };
}

function lru<V>(max: number) {
  const m = new Map<string, V>();
  return {
    get(k: string): V | undefined {
      const v = m.get(k);
      if (v !== undefined) {
        m.delete(k);
        m.set(k, v);
      }
      return v;
    },
    set(k: string, v: V | undefined): void {
      m.delete(k);
      if (v === undefined) return;
      m.set(k, v);
      if (m.size > max) m.delete(m.keys().next().value!);
    },
    clear: () => m.clear(),
    get size() {
      return m.size;
    },
  };
}

export function createRollupCache(maxHours = 50_000, maxDays = 4_000): RollupCache {
  const hours = lru<KnownHour>(maxHours);
  const days = lru<Map<number, BucketSummary>>(maxDays);
  return {
    hour: (k) => hours.get(k),
    setHour: (k, s) => hours.set(k, s),
    day: (k) => days.get(k),
    setDay: (k, h) => days.set(k, h),
    clear() {
      hours.clear();
      days.clear();
    },
    size: () => ({ hours: hours.size, days: days.size }),
  };
}
