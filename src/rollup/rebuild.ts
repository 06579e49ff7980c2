/**
 * Recomputes the rollups of a range from the raw readings: for data written
 * before the rollups existed, written around the service (a direct import),
 * or after an outage longer than the recovery look-back. Day by day, a chunk
 * of meters at a time, so memory stays bounded.
 */
import { DAY_MS, HOUR_MS } from '../fees/index.ts';
import { emptyStats, type QueryStats } from '../store/query/client.ts';
import { dayOf } from '../store/query/rollup-buckets.ts';
import type { InfluxTarget } from '../store/influx-target.ts';
import { type RollupSink, recomputeRollups } from './compute.ts';

export interface RebuildRequest {
  readonly target: InfluxTarget;
  readonly sink: RollupSink;
  readonly meterIds: readonly string[];
  readonly fromMs: number;
  readonly toMs: number;
  readonly metersPerChunk?: number;
  readonly onProgress?: (p: { daysDone: number; days: number; hours: number; rawReadings: number }) => void;
}

export interface RebuildResult {
  readonly days: number;
  readonly hourBuckets: number;
  readonly dayBuckets: number;
  readonly rawReadings: number;
  readonly stats: QueryStats;
}

export async function rebuildRollups(req: RebuildRequest): Promise<RebuildResult> {
  const stats = emptyStats();
  const ids = req.meterIds;
  const size = Math.max(1, req.metersPerChunk ?? 50);
  const firstDay = dayOf(req.fromMs);
  const days = Math.max(0, Math.ceil((req.toMs - firstDay) / DAY_MS));
  let hourBuckets = 0;
  let dayBuckets = 0;
  let rawReadings = 0;
  for (let d = 0; d < days; d++) {
    const day = firstDay + d * DAY_MS;
    const hours = Array.from({ length: 24 }, (_, h) => day + h * HOUR_MS);
    for (let i = 0; i < ids.length; i += size) {
      const dirty = new Map(ids.slice(i, i + size).map((id) => [id, hours] as const));
      const r = await recomputeRollups(req.target, req.sink, dirty, stats);
      hourBuckets += r.hours;
      dayBuckets += r.days;
      rawReadings += r.rawReadings;
    }
    req.onProgress?.({ daysDone: d + 1, days, hours: hourBuckets, rawReadings });
  }
  return { days, hourBuckets, dayBuckets, rawReadings, stats };
}
