/**
 * Recomputes rollups of given meter-hours from the store: the hour buckets
 * from the raw readings of those hours, then the day buckets of their days
 * from the hour buckets (read back after they are stored). Rewriting a bucket
 * overwrites it, so recomputing is idempotent and any ingester may do it.
 */
import { HOUR_MS, daysFromHours, summarizeHours } from '../fees/index.ts';
import { emptyStats, type QueryStats } from '../store/query/client.ts';
import { readRawHours } from '../store/query/raw-readings.ts';
import { dayRuns, readBuckets } from '../store/query/rollup-buckets.ts';
import type { InfluxTarget } from '../store/influx-target.ts';
import { rollupLine } from '../store/line-protocol.ts';

export type MeterHours = ReadonlyMap<string, readonly number[]>;

export interface RollupSink {
  /** Resolves once the lines are stored (the batch writer). */
  write(lines: readonly string[]): Promise<void>;
}

export interface RecomputeResult {
  readonly hours: number;
  readonly days: number;
  readonly rawReadings: number;
}

/** Recompute the hour buckets of `dirty` and the day buckets of their days. */
export async function recomputeRollups(
  target: InfluxTarget,
  sink: RollupSink,
  dirty: MeterHours,
  stats: QueryStats = emptyStats(),
): Promise<RecomputeResult> {
  const raw = await readRawHours(target, dirty, stats);
  const hourLines: string[] = [];
  let rawReadings = 0;
  for (const [id, hours] of dirty) {
    const readings = raw.get(id) ?? [];
    rawReadings += readings.length;
    const wanted = new Set(hours);
    const summaries = summarizeHours(readings);
    if (!summaries.ok) throw new Error(`meter ${id}: ${summaries.reason}`);
    for (const h of summaries.value) if (wanted.has(h.startMs)) hourLines.push(rollupLine('hour', id, h));
  }
  await sink.write(hourLines);
  const daysByMeter = new Map([...dirty].map(([id, hours]) => [id, dayRuns(hours)] as const));
  const hourBuckets = await readBuckets(target, 'hour', daysByMeter, stats);
  const dayLines: string[] = [];
  for (const [id, buckets] of hourBuckets)
    for (const day of daysFromHours(buckets)) dayLines.push(rollupLine('day', id, day));
  await sink.write(dayLines);
  return { hours: hourLines.length, days: dayLines.length, rawReadings };
}

/** Meter-hours as a map, hours sorted and unique. */
export function meterHours(entries: Iterable<readonly [string, number]>): Map<string, number[]> {
  const out = new Map<string, Set<number>>();
  for (const [id, h] of entries) {
    const hour = Math.floor(h / HOUR_MS) * HOUR_MS;
    const set = out.get(id) ?? new Set<number>();
    set.add(hour);
    out.set(id, set);
  }
  return new Map([...out].map(([id, s]) => [id, [...s].sort((a, b) => a - b)]));
}
