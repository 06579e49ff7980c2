/**
 * Many readers, one computation. Identical requests in flight share one promise (single flight); a
 * finished ledger of a period that has ended is kept until a rollup pass changes an hour it read
 * (src/rollup/change-log.ts); distinct computations run a few at a time and the rest queue, up to a
 * bound past which a request is answered 503 + Retry-After at once (src/util/limiter.ts).
 */

/**
 * Distinct ledgers waiting by default. A waiting request holds only its closure and resolved request (its
 * meter list points into the registry) until it runs; memory goes to the `maxActive` computations running
 * (their InfluxDB answers) and the kept answers. 256 lets 200 concurrent quarter readers, all distinct, be
 * answered (bench/readers.ts measures latency and peak RSS); the 259th distinct request at once gets 503.
 */
export const DEFAULT_MAX_QUEUED = 256;
import { createLimiter } from '../util/limiter.ts';

/** What the answer read, per meter (src/rollup/change-log.ts). */
export type ReadSpans = ReadonlyMap<string, { readonly fromMs: number; readonly toMs: number }>;

export interface ChangeSource {
  generation(): number;
  changedSince(gen: number, spans: ReadSpans): boolean;
}

export interface LedgerCacheOptions {
  /** Distinct ledgers computed at once (each runs its own InfluxDB chunks). */
  readonly maxActive?: number;
  /** Distinct ledgers waiting; the next is refused with 503. Default DEFAULT_MAX_QUEUED. */
  readonly maxQueued?: number;
  /** Finished ledgers kept (least recently used dropped). */
  readonly maxEntries?: number;
  /** Without it nothing is kept after it is answered (single flight only). */
  readonly changes?: ChangeSource;
}

export interface CacheStats {
  computed: number;
  shared: number;
  cached: number;
}

export interface LedgerCache<T> {
  /**
   * `key` names the request. `compute` answers the value and, when it may be kept, the stored range it read
   * (`keep`): only for answers that cannot change with the clock (a period that has ended) and read nothing
   * outside that range.
   */
  get(key: string, compute: () => Promise<{ value: T; keep?: ReadSpans }>): Promise<T>;
  stats(): CacheStats;
}

export function createLedgerCache<T>(opts: LedgerCacheOptions = {}): LedgerCache<T> {
  const limiter = createLimiter({
    maxActive: opts.maxActive ?? 2,
    maxQueued: opts.maxQueued ?? DEFAULT_MAX_QUEUED,
    retryAfterS: 5,
    what: 'distinct ledger computations',
  });
  const inFlight = new Map<string, Promise<T>>();
  const kept = new Map<string, { gen: number; spans: ReadSpans; value: T }>();
  const maxEntries = opts.maxEntries ?? 64;
  const stats: CacheStats = { computed: 0, shared: 0, cached: 0 };
  return {
    get(key, compute) {
      const hit = kept.get(key);
      if (hit && opts.changes && !opts.changes.changedSince(hit.gen, hit.spans)) {
        kept.delete(key); // re-insert: most recently used last
        kept.set(key, hit);
        stats.cached++;
        return Promise.resolve(hit.value);
      }
      if (hit) kept.delete(key);
      const running = inFlight.get(key);
      if (running) {
        stats.shared++;
        return running;
      }
      const gen = opts.changes?.generation() ?? 0;
      const p = limiter
        .run(() => {
          stats.computed++;
          return compute();
        })
        .then(({ value, keep }) => {
          if (keep && opts.changes) {
            kept.set(key, { gen, spans: keep, value });
            if (kept.size > maxEntries) kept.delete(kept.keys().next().value!);
          }
          return value;
        })
        .finally(() => inFlight.delete(key));
      inFlight.set(key, p);
      return p;
    },
    stats: () => ({ ...stats }),
  };
}
