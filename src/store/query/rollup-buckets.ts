/** Reading rollup buckets (reading_1h, reading_1d) back from InfluxDB. */
import { DAY_MS, type BucketSummary } from '../../fees/index.ts';
import { type QueryStats, type Series, InfluxQueryError, columnIndex, num } from './client.ts';
import { type TimeRun, bucketRuns, selectByRuns } from './runs.ts';
import type { InfluxTarget } from '../influx-target.ts';
import { ROLLUP_MEASUREMENT } from '../schema.ts';

export const dayOf = (t: number): number => Math.floor(t / DAY_MS) * DAY_MS;

/** Hour buckets of a rollup series (one meter). */
export function seriesBuckets(s: Series): BucketSummary[] {
  const c = (n: string) => columnIndex(s, n);
  const [it, ic, ift, ifw, ilt, ilw, ifa, ig, is, ip] = [
    c('time'),
    c('count'),
    c('first_ts'),
    c('first_wh'),
    c('last_ts'),
    c('last_wh'),
    c('faults'),
    c('max_gap'),
    c('min_step'),
    c('max_pw'),
  ];
  const out: BucketSummary[] = new Array(s.values.length);
  for (let k = 0; k < s.values.length; k++) {
    const v = s.values[k]!;
    const b = {
      startMs: num(v[it]),
      count: num(v[ic]),
      firstTsMs: num(v[ift]),
      firstRegisterWh: num(v[ifw]),
      lastTsMs: num(v[ilt]),
      lastRegisterWh: num(v[ilw]),
      faultCount: num(v[ifa]),
      maxGapMs: num(v[ig]),
      minStepWh: num(v[is]),
      maxStepPowerW: num(v[ip]),
    };
    // A missing field would make every comparison false, i.e. a bucket that looks clean: refuse it. (A plain
    // sum is finite only when every field is; the field is named only on the rare failure.)
    const sum = b.startMs + b.count + b.firstTsMs + b.firstRegisterWh + b.lastTsMs + b.lastRegisterWh + b.faultCount;
    if (!Number.isFinite(sum + b.maxGapMs + b.minStepWh + b.maxStepPowerW)) {
      const bad = Object.entries(b).find(([, x]) => !Number.isFinite(x))!;
      throw new InfluxQueryError(
        `${s.name} of meter ${s.tags.meter ?? '?'} at ${new Date(b.startMs).toISOString()} lacks "${bad[0]}": recompute it with kzmeter rollup`,
      );
    }
    out[k] = b;
  }
  return out;
}

export const BUCKET_FIELDS =
  '"count", "first_ts", "first_wh", "last_ts", "last_wh", "faults", "max_gap", "min_step", "max_pw"';

/** Buckets of one rollup measurement for meters over runs of time (meter -> sorted disjoint runs). */
export function readBuckets(
  target: InfluxTarget,
  kind: keyof typeof ROLLUP_MEASUREMENT,
  runsByMeter: ReadonlyMap<string, readonly TimeRun[]>,
  stats: QueryStats,
): Promise<Map<string, BucketSummary[]>> {
  return selectByRuns(
    target,
    `SELECT ${BUCKET_FIELDS} FROM "${ROLLUP_MEASUREMENT[kind]}"`,
    runsByMeter,
    seriesBuckets,
    stats,
  );
}

/** Contiguous runs of whole days covering the given instants. */
export const dayRuns = (instants: Iterable<number>): TimeRun[] => bucketRuns(instants, DAY_MS);
