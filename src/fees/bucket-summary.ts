/**
 * Bucket summaries (the `BucketSummary` shape) computed from readings, and
 * merged into longer buckets. What the rollups in the store hold:
 *   - an hour bucket from the raw readings of one meter-hour (summarizeHours),
 *   - a day bucket from the hour buckets of one meter-day (mergeBuckets): the
 *     steps between consecutive hours count as steps inside the day.
 * Gap, step and power here cover consecutive readings INSIDE the bucket only
 * (exact, unlike InfluxQL's elapsed/difference across bucket edges).
 *
 * Why any length works: the engine classifies consecutive-reading pairs; a
 * bucket passed over by rawHoursNeeded has all its inner pairs metered, so its
 * first and last readings stand for all of them (metered energy telescopes),
 * whatever the bucket's length. A day flagged by rawHoursNeeded is replaced by
 * its hours, and a flagged hour by its raw readings (see ledger/store-read.ts).
 */
import type { BucketSummary } from './hourly.ts';
import { readingsToColumns } from './readings.ts';
import { type Reading } from './types.ts';
import { type Result, ok } from '../util/result.ts';

export const DAY_MS = 86_400_000;
const HOUR = 3_600_000;

type Mutable = { -readonly [K in keyof BucketSummary]: BucketSummary[K] };

const start = (bucketStartMs: number, tsMs: number, registerWh: number): Mutable => ({
  startMs: bucketStartMs,
  count: 0,
  firstTsMs: tsMs,
  firstRegisterWh: registerWh,
  lastTsMs: tsMs,
  lastRegisterWh: registerWh,
  faultCount: 0,
  maxGapMs: 0,
  minStepWh: 0,
  maxStepPowerW: 0,
});

/** One consecutive-reading step into bucket `b` (from the reading at prevTs/prevWh). */
function step(b: Mutable, prevTs: number, prevWh: number, ts: number, wh: number): void {
  const gap = ts - prevTs;
  const d = wh - prevWh;
  if (gap > b.maxGapMs) b.maxGapMs = gap;
  if (d < b.minStepWh) b.minStepWh = d;
  const power = (d * HOUR) / gap;
  if (power > b.maxStepPowerW) b.maxStepPowerW = power;
}

/**
 * Per-UTC-hour summaries of one meter's readings (any order; same-timestamp
 * copies collapse as in the pure core). Hours without readings are absent.
 */
export function summarizeHours(readings: readonly Reading[]): Result<BucketSummary[]> {
  const cols = readingsToColumns(readings);
  if (!cols.ok) return cols;
  const { n, tsMs, registerWh, fault } = cols.value;
  const out: BucketSummary[] = [];
  let cur: Mutable | undefined;
  for (let i = 0; i < n; i++) {
    const ts = tsMs[i]!;
    const wh = registerWh[i]!;
    const h = Math.floor(ts / HOUR) * HOUR;
    if (!cur || cur.startMs !== h) {
      if (cur) out.push(cur);
      cur = start(h, ts, wh);
    } else {
      step(cur, cur.lastTsMs, cur.lastRegisterWh, ts, wh);
    }
    cur.count++;
    cur.lastTsMs = ts;
    cur.lastRegisterWh = wh;
    cur.faultCount += fault[i]!;
  }
  if (cur) out.push(cur);
  return ok(out);
}

/**
 * One bucket starting at bucketStartMs from consecutive, non-overlapping
 * smaller buckets (any order). The step from one part's last reading to the
 * next part's first is a step inside the merged bucket. Undefined if no part
 * has readings.
 */
export function mergeBuckets(bucketStartMs: number, parts: readonly BucketSummary[]): BucketSummary | undefined {
  const sorted = parts.filter((p) => p.count > 0).sort((a, b) => a.firstTsMs - b.firstTsMs);
  const first = sorted[0];
  if (!first) return undefined;
  const out = start(bucketStartMs, first.firstTsMs, first.firstRegisterWh);
  let prev: BucketSummary | undefined;
  for (const p of sorted) {
    if (prev) step(out, prev.lastTsMs, prev.lastRegisterWh, p.firstTsMs, p.firstRegisterWh);
    out.count += p.count;
    out.faultCount += p.faultCount;
    out.maxGapMs = Math.max(out.maxGapMs, p.maxGapMs);
    out.minStepWh = Math.min(out.minStepWh, p.minStepWh);
    out.maxStepPowerW = Math.max(out.maxStepPowerW, p.maxStepPowerW);
    out.lastTsMs = p.lastTsMs;
    out.lastRegisterWh = p.lastRegisterWh;
    prev = p;
  }
  return out;
}

/** UTC day buckets from hour buckets (any order). */
export function daysFromHours(hours: readonly BucketSummary[]): BucketSummary[] {
  const byDay = new Map<number, BucketSummary[]>();
  for (const h of hours) {
    const d = Math.floor(h.startMs / DAY_MS) * DAY_MS;
    const list = byDay.get(d);
    if (list) list.push(h);
    else byDay.set(d, [h]);
  }
  return [...byDay].sort(([a], [b]) => a - b).flatMap(([d, list]) => mergeBuckets(d, list) ?? []);
}

/** Buckets for the engine: the days not flagged, and in place of each flagged day its hours. */
export function expandFlaggedDays(
  days: readonly BucketSummary[],
  flaggedDayStarts: readonly number[],
  hoursOfFlagged: readonly BucketSummary[],
): BucketSummary[] {
  const flagged = new Set(flaggedDayStarts);
  const kept = days.filter((d) => !flagged.has(d.startMs));
  const hours = hoursOfFlagged.filter((h) => flagged.has(Math.floor(h.startMs / DAY_MS) * DAY_MS));
  return [...kept, ...hours].sort((a, b) => a.startMs - b.startMs);
}
