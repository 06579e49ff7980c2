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
  /**
   * An answer that is not kept (a running period, cut at now) is still shared with identical requests that
   * arrive within this window after it was computed: as long as it took to compute, at least `minMs`, at most
   * `maxMs` (its `asOf` says when). Readers arriving in waves (a busy event loop accepts them late) then cost one
   * computation a window, not one a wave (issue 22). Default: off.
   */
  readonly reuseRunning?: { readonly minMs: number; readonly maxMs: number };
  /** Bytes of kept and recent answers at most (with `sizeOf`); the least recently used are dropped past it. */
  readonly maxKeptBytes?: number;
  readonly sizeOf?: (value: unknown) => number;
  readonly now?: () => number;
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
  const now = opts.now ?? Date.now;
  const inFlight = new Map<string, Promise<T>>();
  const kept = createKept<T>(opts);
  const stats: CacheStats = { computed: 0, shared: 0, cached: 0 };
  return {
    get(key, compute) {
      const hit = kept.get(key, now());
      if (hit) {
        if (hit.untilMs !== undefined) stats.shared++;
        else stats.cached++;
        return Promise.resolve(hit.value);
      }
      const running = inFlight.get(key);
      if (running) {
        stats.shared++;
        return running;
      }
      const gen = opts.changes?.generation() ?? 0;
      let startedMs = 0;
      const p = limiter
        .run(() => {
          stats.computed++;
          startedMs = now();
          return compute();
        })
        .then(({ value, keep }) => {
          if (keep && opts.changes) kept.set(key, { gen, spans: keep, value });
          else if (opts.reuseRunning) {
            const { minMs, maxMs } = opts.reuseRunning;
            const tookMs = now() - startedMs;
            kept.set(key, { value, untilMs: now() + Math.min(maxMs, Math.max(minMs, tookMs)) });
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

/** A kept answer: until the rollups change what it read (`spans`), or, for a running period, until `untilMs`. */
type Kept<T> = { value: T; gen?: number; spans?: ReadSpans; untilMs?: number; bytes?: number };

/** Kept answers, least recently used first, bounded in count (maxEntries) and, with sizeOf, in bytes. */
function createKept<T>(opts: LedgerCacheOptions) {
  const map = new Map<string, Kept<T>>();
  const maxEntries = opts.maxEntries ?? 64;
  const maxBytes = opts.maxKeptBytes ?? Infinity;
  let bytes = 0;
  const drop = (key: string) => {
    bytes -= map.get(key)?.bytes ?? 0;
    map.delete(key);
  };
  return {
    get(key: string, nowMs: number): Kept<T> | undefined {
      const hit = map.get(key);
      if (!hit) return undefined;
      const fresh =
        hit.untilMs !== undefined
          ? nowMs < hit.untilMs
          : opts.changes !== undefined && !opts.changes.changedSince(hit.gen!, hit.spans!);
      drop(key);
      if (!fresh) return undefined;
      map.set(key, hit); // re-insert: most recently used last
      bytes += hit.bytes ?? 0;
      return hit;
    },
    set(key: string, entry: Kept<T>): void {
      drop(key);
      const size = opts.sizeOf?.(entry.value) ?? 0;
      if (size > maxBytes) return;
      map.set(key, { ...entry, bytes: size });
      bytes += size;
      while (map.size > maxEntries || bytes > maxBytes) drop(map.keys().next().value!);
    },
  };
}
