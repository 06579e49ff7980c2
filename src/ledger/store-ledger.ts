/**
 * The ledger of many meters for a period, computed from InfluxDB.
 *   store path (default): hour summaries in InfluxQL, raw readings only for the
 *     hours rawHoursNeeded names, then computeMeterLedgerFromHours. Database
 *     work grows with the readings scanned by InfluxDB; what crosses the wire
 *     and what Node does grows with meters x hours.
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
  type StatusEvent,
  type SubstitutionPolicy,
  type TariffSet,
  computeMeterLedger,
  computeMeterLedgerFromHours,
  outageCost,
  outageCostFromHours,
  rawHoursNeeded,
} from '../fees/index.ts';
import type { InfluxTarget } from '../store/influx-target.ts';
import { type QueryStats, addStats, emptyStats, meterCondition, ms, runStatements } from './store-query.ts';
import { type MeterStoreData, readMeterSummaries, readRawHours, seriesReadings } from './store-read.ts';

export class LedgerStoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LedgerStoreError';
  }
}

export interface MeterPeriod {
  readonly facts: MeterFacts;
  readonly fromMs: number;
  readonly toMs: number;
}

export interface StoreLedgerOptions {
  /**
   * 'per-meter' (default): statements per meter (`meter = '...'`); 'group-by-meter': one set of
   * statements per chunk of meters (`meter =~ /^(a|b)$/ ... GROUP BY meter`). On influxd 1.6 the
   * exact tag match was faster (bench/ledger.ts), and it keeps more requests in parallel.
   */
  readonly grouping?: 'group-by-meter' | 'per-meter';
  /** Meters per chunk with group-by-meter (bounds the size of one answer). Default 100. */
  readonly chunkSize?: number;
  /** Chunks (meters, with per-meter) in flight at once; each runs 4 requests in parallel. Default 2. */
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
}

function unwrap<T>(r: { ok: true; value: T } | { ok: false; reason: string }): T {
  if (!r.ok) throw new LedgerStoreError(r.reason);
  return r.value;
}

/** Chunks of meters sharing one period, in request order. */
function chunksOf(meters: readonly MeterPeriod[], size: number): MeterPeriod[][] {
  const byPeriod = new Map<string, MeterPeriod[]>();
  for (const m of meters) {
    const key = `${m.fromMs}/${m.toMs}`;
    byPeriod.set(key, [...(byPeriod.get(key) ?? []), m]);
  }
  const out: MeterPeriod[][] = [];
  for (const group of byPeriod.values()) for (let i = 0; i < group.length; i += size) out.push(group.slice(i, i + size));
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

async function chunkLedger(req: StoreLedgerRequest, chunk: readonly MeterPeriod[], stats: QueryStats): Promise<MeterResult[]> {
  const { fromMs, toMs } = chunk[0]!;
  const data = await readMeterSummaries(req.target, chunk.map((m) => m.facts.meterId), fromMs, toMs, stats);
  const ctxOf = (m: MeterPeriod, d: MeterStoreData) => ({
    facts: m.facts, statusEvents: d.statusEvents, fromMs, toMs, tariffs: req.tariffs,
    ...(req.policy && { policy: req.policy }), ...(req.prices && { prices: req.prices }),
  });
  const needed = new Map<string, number[]>();
  for (const m of chunk) {
    const d = data.get(m.facts.meterId)!;
    const known = new Set(d.knownReadings.map((r) => Math.floor(r.tsMs / 3_600_000) * 3_600_000));
    const hours = rawHoursNeeded(ctxOf(m, d), d.hours).filter((h) => !known.has(h));
    if (hours.length) needed.set(m.facts.meterId, hours);
  }
  const raw = needed.size ? await readRawHours(req.target, needed, stats) : new Map<string, Reading[]>();
  return chunk.map((m) => {
    const d = data.get(m.facts.meterId)!;
    const input = { ...ctxOf(m, d), hours: d.hours, rawReadings: [...d.knownReadings, ...(raw.get(m.facts.meterId) ?? [])] };
    return { facts: m.facts, ledger: unwrap(computeMeterLedgerFromHours(input)), outage: unwrap(outageCostFromHours(input)) };
  });
}

/** Readings arriving between the summary and the raw query make their counts differ: read that chunk once more. */
async function chunkLedgerRetrying(req: StoreLedgerRequest, chunk: readonly MeterPeriod[], stats: QueryStats): Promise<MeterResult[]> {
  try {
    return await chunkLedger(req, chunk, stats);
  } catch (err) {
    if (!(err instanceof LedgerStoreError) || !/summary counts/.test(err.message)) throw err;
    return chunkLedger(req, chunk, stats);
  }
}

/** The store path: hour summaries in InfluxQL, raw readings only where needed. */
export async function computeStoreLedger(req: StoreLedgerRequest): Promise<StoreLedgerResult> {
  const opts = req.options ?? {};
  const size = (opts.grouping ?? 'per-meter') === 'per-meter' ? 1 : Math.max(1, opts.chunkSize ?? 100);
  const chunks = chunksOf(req.meters, size);
  const stats = emptyStats();
  const results = await mapLimited(chunks, Math.max(1, opts.concurrency ?? 2), async (chunk) => {
    const s = emptyStats();
    const r = await chunkLedgerRetrying(req, chunk, s);
    addStats(stats, s);
    return r;
  });
  const byId = new Map(results.flat().map((r) => [r.facts.meterId, r]));
  return { meters: req.meters.map((m) => byId.get(m.facts.meterId)!), stats };
}

/** Every raw reading a meter's ledger needs: from the last at/before fromMs to the first at/after toMs. */
export async function readAllReadings(target: InfluxTarget, m: MeterPeriod, stats: QueryStats): Promise<{ readings: Reading[]; statusEvents: StatusEvent[] }> {
  const cond = meterCondition([m.facts.meterId]);
  const [before, after] = await runStatements(target, [
    `SELECT last("wh") AS "wh", "ts_ms" FROM "reading" WHERE ${cond} AND time <= ${ms(m.fromMs)}`,
    `SELECT first("wh") AS "wh", "ts_ms" FROM "reading" WHERE ${cond} AND time >= ${ms(m.toMs)}`,
  ], stats);
  const lo = (before![0]?.values[0]?.[0] as number | undefined) ?? m.fromMs;
  const hi = (after![0]?.values[0]?.[0] as number | undefined) ?? m.toMs;
  const range = `time >= ${ms(lo)} AND time <= ${ms(hi)}`;
  const [readings, status] = await runStatements(target, [
    `SELECT "wh", "ts_ms", "fault" FROM "reading" WHERE ${cond} AND ${range} GROUP BY "meter"`,
    `SELECT "state" FROM "meter_status" WHERE ${cond} AND ${range}`,
  ], stats);
  const list = (readings ?? []).flatMap(seriesReadings);
  stats.rawReadings += list.length;
  const s = status![0];
  const statusEvents: StatusEvent[] = s
    ? s.values.flatMap((v) => (v[1] === 'online' || v[1] === 'offline' ? [{ tsMs: v[0] as number, state: v[1] }] : []))
    : [];
  return { readings: list, statusEvents };
}

/** The raw path: every reading into Node, then the pure core. Reference for tests; slow for large periods. */
export async function computeRawLedger(req: StoreLedgerRequest): Promise<StoreLedgerResult> {
  const stats = emptyStats();
  const meters = await mapLimited(req.meters, Math.max(1, req.options?.concurrency ?? 2), async (m) => {
    const { readings, statusEvents } = await readAllReadings(req.target, m, stats);
    const input = {
      facts: m.facts, readings, statusEvents, fromMs: m.fromMs, toMs: m.toMs, tariffs: req.tariffs,
      ...(req.policy && { policy: req.policy }), ...(req.prices && { prices: req.prices }),
    };
    return { facts: m.facts, ledger: unwrap(computeMeterLedger(input)), outage: unwrap(outageCost(input)) };
  });
  return { meters, stats };
}
