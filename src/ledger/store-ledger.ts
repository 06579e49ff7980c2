/**
 * The ledger of many meters for a period, computed from InfluxDB.
 *   store path (default): day rollups, the hour rollups of the days the engine
 *     opens, raw readings only of the hours it opens, then
 *     computeMeterLedgerFromHours (with the outage cost: ledgerAndOutageFromHours). Work grows with meters x days (plus the
 *     anomalies), not with readings. Needs the rollups current (src/rollup).
 *   raw path: every reading of the period into Node, then computeMeterLedger.
 *     The reference the store path is tested against; fine for short periods.
 * Both give the same ledger (test/integration/ledger-store.test.ts).
 */
import {
  type MeterFacts,
  type MeterLedger,
  type OutageCost,
  type QuarterPrice,
  type Reading,
  type SubstitutionPolicy,
  type TariffSet,
  computeMeterLedger,
  DAY_MS,
  expandFlaggedDays,
  HOUR_MS,
  type BucketSummary,
  outageCost,
  ledgerAndOutageFromHours,
  rawHoursNeeded,
  ROLLUP_MISMATCH,
} from '../fees/index.ts';
import { hasCode, KzmError } from '../util/errors.ts';
import type { Result } from '../util/result.ts';
import type { InfluxTarget } from '../store/influx-target.ts';
import { addStats, emptyStats, type QueryStats } from '../store/query/client.ts';
import { readMeterSummaries } from '../store/query/meter-summaries.ts';
import { readAllReadings, readRawHours } from '../store/query/raw-readings.ts';
import { dayRuns, readBuckets } from '../store/query/rollup-buckets.ts';

/**
 * The stored data cannot give a ledger now. `rollup-mismatch` (an hour's or day's summary disagrees with what
 * it summarises: rollups updated between two reads) is retryable; `rollups-uncovered` needs a recompute.
 */
export class LedgerStoreError extends KzmError {
  constructor(message: string, code = 'ledger-store-failed', retryable = false) {
    super(message, { code, retryable });
  }
}

/** The rollups did not catch up with the stored readings in time: the ledger would be stale (HTTP 503). */
export class RollupsBehindError extends KzmError {
  constructor(
    message = 'The rollups are still catching up with the stored readings, so a ledger now could miss some of them. ' +
      'Try again in a minute; kzm_rollup_pending_hourly in /metrics shows the backlog.',
  ) {
    super(message, { code: 'rollups-behind', httpStatus: 503, retryable: true, retryAfterS: 5 });
  }
}

/** Waits for the rollups (the service's flush); refuses to go on with stale ones. */
export async function ensureRollupsCurrent(beforeRead: (() => Promise<boolean>) | undefined): Promise<void> {
  if (beforeRead && !(await beforeRead())) throw new RollupsBehindError();
}

export interface MeterPeriod {
  readonly facts: MeterFacts;
  readonly fromMs: number;
  readonly toMs: number;
  /** toMs is now in a running period (its tail within grace is pending: fees/ledger.ts LedgerContext.openEnd). */
  readonly openEnd?: boolean;
}

export interface StoreLedgerOptions {
  /**
   * 'group-by-meter' (default): one set of statements per chunk of meters (`meter =~ /^(a|b)$/ ...
   * GROUP BY meter`); 'per-meter': statements per meter (`meter = '...'`). On rollups (one row per
   * meter-day) request count dominates: 1,000 meters took 2.1 s grouped by 100 and 4.2 s per meter
   * on influxd 1.6 (bench/ledger.ts).
   */
  readonly grouping?: 'group-by-meter' | 'per-meter';
  /** Meters per chunk with group-by-meter (bounds the size of one answer). Default 100. */
  readonly chunkSize?: number;
  /** Chunks (meters, with per-meter) in flight at once. Default 2. */
  readonly concurrency?: number;
}

export interface StoreLedgerRequest {
  readonly target: InfluxTarget;
  readonly meters: readonly MeterPeriod[];
  readonly tariffs: TariffSet;
  readonly policy?: SubstitutionPolicy;
  readonly prices?: readonly QuarterPrice[];
  readonly options?: StoreLedgerOptions;
}

export interface MeterResult {
  readonly facts: MeterFacts;
  readonly ledger: MeterLedger;
  readonly outage: OutageCost;
}

export interface StoreLedgerResult {
  /** In the order of the request. */
  readonly meters: MeterResult[];
  readonly stats: QueryStats;
  /** Meters whose boundary reading was looked for beyond the read window: their ledger depends on data anywhere. */
  readonly lookedBeyond?: ReadonlySet<string>;
}

function unwrap<T>(r: Result<T>): T {
  if (!r.ok) throw new LedgerStoreError(r.reason, r.code, r.code === ROLLUP_MISMATCH);
  return r.value;
}

/** Chunks of meters sharing one period, in request order. */
function chunksOf(meters: readonly MeterPeriod[], size: number): MeterPeriod[][] {
  const byPeriod = new Map<string, MeterPeriod[]>();
  for (const m of meters) {
    const key = `${m.fromMs}/${m.toMs}/${m.openEnd === true}`;
    byPeriod.set(key, [...(byPeriod.get(key) ?? []), m]);
  }
  const out: MeterPeriod[][] = [];
  for (const group of byPeriod.values())
    for (let i = 0; i < group.length; i += size) out.push(group.slice(i, i + size));
  return out;
}

async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** A day opened by the engine must hold the same readings as its hours: else the rollups are behind. */
function checkDay(meterId: string, day: BucketSummary, hours: readonly BucketSummary[]): void {
  const n = hours
    .filter((h) => h.startMs >= day.startMs && h.startMs < day.startMs + DAY_MS)
    .reduce((a, h) => a + h.count, 0);
  if (n !== day.count) {
    throw new LedgerStoreError(
      `rollups of meter ${meterId} for ${new Date(day.startMs).toISOString().slice(0, 10)} disagree: summary counts ${day.count} readings in the day, its hours ${n}. ` +
        'Wait for the rollup worker, or recompute: kzmeter rollup --from <date> --to <date>.',
      ROLLUP_MISMATCH,
      true,
    );
  }
}

async function chunkLedger(
  req: StoreLedgerRequest,
  chunk: readonly MeterPeriod[],
  stats: QueryStats,
  lookedBeyond: Set<string>,
): Promise<MeterResult[]> {
  const { fromMs, toMs } = chunk[0]!;
  const data = await readMeterSummaries(
    req.target,
    chunk.map((m) => m.facts.meterId),
    fromMs,
    toMs,
    stats,
  );
  const ctx = new Map(
    chunk.map((m) => {
      const d = data.get(m.facts.meterId)!;
      return [
        m.facts.meterId,
        {
          facts: m.facts,
          statusEvents: d.statusEvents,
          fromMs,
          toMs,
          tariffs: req.tariffs,
          ...(req.policy && { policy: req.policy }),
          ...(req.prices && { prices: req.prices }),
          ...(m.openEnd && { openEnd: true }),
        },
      ] as const;
    }),
  );
  // Days the engine cannot pass over: open them into hours.
  const opened = new Map<string, number[]>();
  for (const [id, c] of ctx) {
    const days = rawHoursNeeded(c, data.get(id)!.days);
    if (days.length) opened.set(id, days);
  }
  const hourBuckets = opened.size
    ? await readBuckets(req.target, 'hour', new Map([...opened].map(([id, days]) => [id, dayRuns(days)])), stats)
    : new Map<string, BucketSummary[]>();
  const buckets = new Map<string, BucketSummary[]>();
  const needed = new Map<string, number[]>();
  for (const [id, c] of ctx) {
    const d = data.get(id)!;
    const days = opened.get(id) ?? [];
    const hours = hourBuckets.get(id) ?? [];
    stats.hourBuckets += hours.length;
    const openedSet = new Set(days);
    for (const day of d.days) if (openedSet.has(day.startMs)) checkDay(id, day, hours);
    const list = [...expandFlaggedDays(d.days, days, hours), ...d.knownHours];
    buckets.set(id, list);
    const known = new Set(d.knownReadings.map((r) => Math.floor(r.tsMs / HOUR_MS) * HOUR_MS));
    const rawHours = rawHoursNeeded(c, list).filter((h) => !known.has(h));
    if (rawHours.length) needed.set(id, rawHours);
  }
  const raw = needed.size ? await readRawHours(req.target, needed, stats) : new Map<string, Reading[]>();
  return chunk.map((m) => {
    const d = data.get(m.facts.meterId)!;
    if (d.lookedBeyond) lookedBeyond.add(m.facts.meterId);
    const input = {
      ...ctx.get(m.facts.meterId)!,
      hours: buckets.get(m.facts.meterId)!,
      rawReadings: [...d.knownReadings, ...(raw.get(m.facts.meterId) ?? [])],
    };
    const { ledger, outage } = unwrap(ledgerAndOutageFromHours(input));
    return { facts: m.facts, ledger, outage };
  });
}

/** Rollups updated between the bucket and the raw query make their counts differ: read that chunk once more. */
async function chunkLedgerRetrying(
  req: StoreLedgerRequest,
  chunk: readonly MeterPeriod[],
  stats: QueryStats,
  lookedBeyond: Set<string>,
): Promise<MeterResult[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await chunkLedger(req, chunk, stats, lookedBeyond);
    } catch (err) {
      if (!hasCode(err, ROLLUP_MISMATCH) || attempt >= 4) throw err;
      await new Promise((r) => setTimeout(r, 500 * attempt)); // the rollup worker catches up within a pass or two
    }
  }
}

/** The store path: rollups, and raw readings only where needed. */
export async function computeStoreLedger(req: StoreLedgerRequest): Promise<StoreLedgerResult> {
  const opts = req.options ?? {};
  const size = (opts.grouping ?? 'group-by-meter') === 'per-meter' ? 1 : Math.max(1, opts.chunkSize ?? 100);
  const chunks = chunksOf(req.meters, size);
  const stats = emptyStats();
  const lookedBeyond = new Set<string>();
  const results = await mapLimited(chunks, Math.max(1, opts.concurrency ?? 2), async (chunk) => {
    const s = emptyStats();
    const r = await chunkLedgerRetrying(req, chunk, s, lookedBeyond);
    addStats(stats, s);
    return r;
  });
  const byId = new Map(results.flat().map((r) => [r.facts.meterId, r]));
  return { meters: req.meters.map((m) => byId.get(m.facts.meterId)!), stats, lookedBeyond };
}

/** The raw path: every reading into Node, then the pure core. Reference for tests; slow for large periods. */
export async function computeRawLedger(req: StoreLedgerRequest): Promise<StoreLedgerResult> {
  const stats = emptyStats();
  const meters = await mapLimited(req.meters, Math.max(1, req.options?.concurrency ?? 2), async (m) => {
    const { readings, statusEvents } = await readAllReadings(req.target, m, stats);
    const input = {
      facts: m.facts,
      readings,
      statusEvents,
      fromMs: m.fromMs,
      toMs: m.toMs,
      tariffs: req.tariffs,
      ...(req.policy && { policy: req.policy }),
      ...(req.prices && { prices: req.prices }),
      ...(m.openEnd && { openEnd: true }),
    };
    return { facts: m.facts, ledger: unwrap(computeMeterLedger(input)), outage: unwrap(outageCost(input)) };
  });
  return { meters, stats };
}
