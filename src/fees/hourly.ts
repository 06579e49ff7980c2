/**
 * The same ledger from per-hour aggregates (InfluxQL GROUP BY time(1h)) plus
 * raw readings only for the hours that need them. An hour is "clean" when
 * every span between its consecutive readings is provably metered; then only
 * its first and last readings matter (metered energy telescopes). Spans
 * between hours are classified from the last reading of one hour and the first
 * of the next, exactly as on raw readings. See index.ts for the contract.
 */
import { DEFAULT_POLICY } from './types.ts';
import { type Result, fail } from '../util/result.ts';
import { type LedgerContext, type MeterLedger, buildLedger } from './ledger.ts';
import { type ReadingColumns, emptyColumns, readingsToColumns } from './readings.ts';
import type { Reading } from './types.ts';
import type { LedgerMode } from './substitution.ts';
import { cutPointsMs } from './segments.ts';

export const HOUR_MS = 3_600_000;

/**
 * A rollup bucket of one meter: a UTC hour [startMs, startMs + 1 h) (reading_1h), or a UTC day merged from its
 * hours (reading_1d); buckets without readings are omitted.
 */
export interface BucketSummary {
  readonly startMs: number;
  /** Readings in the bucket (after the store's own same-timestamp overwrite). */
  readonly count: number;
  readonly firstTsMs: number;
  readonly firstRegisterWh: number;
  readonly lastTsMs: number;
  readonly lastRegisterWh: number;
  /** Readings with status 'fault'. */
  readonly faultCount: number;
  /** Largest tsMs difference between consecutive readings inside the bucket, the steps between its hours included (0 if count < 2). */
  readonly maxGapMs: number;
  /** Smallest register difference between consecutive readings inside the bucket, the steps between its hours included (0 if count < 2). */
  readonly minStepWh: number;
  /** Largest (register step Wh * 3_600_000 / gap ms) over consecutive readings inside the bucket, the steps between its hours included (0 if count < 2). */
  readonly maxStepPowerW: number;
}

export interface HourlyLedgerInput extends LedgerContext {
  /** Sorted or not; one entry per hour with readings, covering the same margin raw readings would. */
  readonly hours: readonly BucketSummary[];
  /** Every raw reading of each hour listed by rawHoursNeeded (others are ignored). */
  readonly rawReadings: readonly Reading[];
}

/** Relative safety margin on the spike test: near the threshold, look at the raw readings. */
const SPIKE_MARGIN = 1e-9;

function minMaxLoadW(ctx: LedgerContext, fromMs: number, toMs: number): number {
  const loads = ctx.facts.maxLoad;
  let min = Infinity;
  for (let i = 0; i < loads.length; i++) {
    const start = i === 0 ? -Infinity : loads[i]!.fromMs;
    const end = i + 1 < loads.length ? loads[i + 1]!.fromMs : Infinity;
    if (start <= toMs && end > fromMs) min = Math.min(min, loads[i]!.maxLoadW);
  }
  return min;
}

/**
 * Start instants of the hours whose raw readings the engine needs: a fault,
 * a gap above grace, a backwards step, a step near or above the spike limit,
 * a last will, or a rate cut (period, tariff, quarter, source or max-load
 * change) strictly between the hour's first and last readings.
 */
export function rawHoursNeeded(ctx: LedgerContext, hours: readonly BucketSummary[]): number[] {
  const policy = ctx.policy ?? DEFAULT_POLICY;
  const graceMs = policy.graceIntervals * ctx.facts.reportingIntervalS * 1000;
  const lo = Math.max(ctx.fromMs, ctx.facts.commissionedMs);
  const hi = Math.min(ctx.toMs, ctx.facts.decommissionedMs ?? Infinity);
  const cuts = lo < hi ? cutPointsMs(ctx.facts, lo, hi, ctx.tariffs) : [];
  const offline: number[] = [];
  for (const e of ctx.statusEvents) if (e.state === 'offline') offline.push(e.tsMs);
  // One max load in force (the usual case): the same spike limit for every hour.
  const fixedLimitW =
    ctx.facts.maxLoad.length === 1 ? policy.spikeTolerance * ctx.facts.maxLoad[0]!.maxLoadW * (1 - SPIKE_MARGIN) : NaN;
  const needed: number[] = [];
  // Plain loops, no closure per hour: this runs over every bucket of every meter (bench/ledger.ts).
  for (const h of hours) {
    if (h.count <= 0) continue;
    // Every span inside a bucket wholly before lo or after hi is outside the ledger: not worth opening,
    // unless it holds a fault (its last or first reading's status classifies the span across the edge).
    if (h.faultCount === 0 && (h.lastTsMs <= lo || h.firstTsMs >= hi)) continue;
    if (h.faultCount > 0 || (h.count >= 2 && hourIsDirty(h, graceMs, fixedLimitW, ctx, policy, offline, cuts)))
      needed.push(h.startMs);
  }
  return needed.sort((a, b) => a - b);
}

/** A bucket of two or more readings without faults that the engine cannot pass over on its summary alone. */
function hourIsDirty(
  h: BucketSummary,
  graceMs: number,
  fixedLimitW: number,
  ctx: LedgerContext,
  policy: { readonly spikeTolerance: number },
  offline: readonly number[],
  cuts: readonly number[],
): boolean {
  if (h.maxGapMs > graceMs || h.minStepWh < 0 || h.lastRegisterWh < h.firstRegisterWh) return true;
  const limitW = Number.isNaN(fixedLimitW)
    ? policy.spikeTolerance * minMaxLoadW(ctx, h.firstTsMs, h.lastTsMs) * (1 - SPIKE_MARGIN)
    : fixedLimitW;
  if (h.maxStepPowerW > limitW) return true;
  for (const t of offline) if (t >= h.firstTsMs && t < h.lastTsMs) return true;
  for (const t of cuts) if (t > h.firstTsMs && t < h.lastTsMs) return true;
  return false;
}

/** Reading columns: first/last of clean hours (marked clean between them), all readings of the others. */
export function hoursToColumns(input: HourlyLedgerInput): Result<ReadingColumns> {
  const raw = readingsToColumns(input.rawReadings);
  if (!raw.ok) return raw;
  const rawHours = new Set(rawHoursNeeded(input, input.hours));
  const hours = [...input.hours].filter((h) => h.count > 0).sort((a, b) => a.startMs - b.startMs);
  const cols = emptyColumns(2 * hours.length + raw.value.n);
  let n = 0;
  let j = 0;
  const push = (t: number, r: number, fault: number, clean: number): void => {
    cols.tsMs[n] = t;
    cols.registerWh[n] = r;
    cols.fault[n] = fault;
    cols.cleanToNext[n] = clean;
    n++;
  };
  for (const h of hours) {
    const end = h.startMs + HOUR_MS;
    while (j < raw.value.n && raw.value.tsMs[j]! < h.startMs) j++;
    if (!rawHours.has(h.startMs)) {
      const single = h.lastTsMs === h.firstTsMs;
      push(h.firstTsMs, h.firstRegisterWh, 0, single ? 0 : 1);
      if (!single) push(h.lastTsMs, h.lastRegisterWh, 0, 0);
      continue;
    }
    const start = n;
    for (; j < raw.value.n && raw.value.tsMs[j]! < end; j++) {
      push(raw.value.tsMs[j]!, raw.value.registerWh[j]!, raw.value.fault[j]!, 0);
    }
    if (n - start !== h.count) {
      return fail(
        `hour ${new Date(h.startMs).toISOString()}: summary counts ${h.count} readings, raw readings give ${n - start}`,
        ROLLUP_MISMATCH,
      );
    }
  }
  return { ok: true, value: { ...cols, n } };
}

/**
 * Failure code: an hour's summary and its raw readings disagree (the rollups were updated between the two
 * reads, or are behind). The shell reads the hour again; nothing is wrong with the data.
 */
export const ROLLUP_MISMATCH = 'rollup-mismatch';

export function buildLedgerFromHours(input: HourlyLedgerInput, mode: LedgerMode): Result<MeterLedger> {
  const cols = hoursToColumns(input);
  if (!cols.ok) return fail(`meter ${input.facts.meterId}: ${cols.reason}`);
  return buildLedger(cols.value, input, mode);
}

/** Same result as computeMeterLedger on the raw readings the hours were aggregated from. */
export function computeMeterLedgerFromHours(input: HourlyLedgerInput): Result<MeterLedger> {
  return buildLedgerFromHours(input, input.policy?.name ?? DEFAULT_POLICY.name);
}
