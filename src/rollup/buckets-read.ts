/** Reading rollup buckets (reading_1h, reading_1d) back from InfluxDB. */
import { DAY_MS, type HourSummary } from '../fees/index.ts';
import { type QueryStats, columnIndex, meterCondition, ms, num, runStatements } from '../ledger/store-query.ts';
import { InfluxQueryError, type Series } from '../store/influxql.ts';
import type { InfluxTarget } from '../store/influx-target.ts';
import { ROLLUP_MEASUREMENT } from '../store/line-protocol.ts';

export const dayOf = (t: number): number => Math.floor(t / DAY_MS) * DAY_MS;

/** Hour buckets of a rollup series (one meter). */
export function seriesBuckets(s: Series): HourSummary[] {
  const c = (n: string) => columnIndex(s, n);
  const [it, ic, ift, ifw, ilt, ilw, ifa, ig, is, ip] = [c('time'), c('count'), c('first_ts'), c('first_wh'), c('last_ts'), c('last_wh'), c('faults'), c('max_gap'), c('min_step'), c('max_pw')];
  return s.values.map((v) => {
    const b = {
      hourStartMs: num(v[it]), count: num(v[ic]), firstTsMs: num(v[ift]), firstRegisterWh: num(v[ifw]), lastTsMs: num(v[ilt]), lastRegisterWh: num(v[ilw]),
      faultCount: num(v[ifa]), maxGapMs: num(v[ig]), minStepWh: num(v[is]), maxStepPowerW: num(v[ip]),
    };
    // A missing field would make every comparison false, i.e. a bucket that looks clean: refuse it.
    const bad = Object.entries(b).find(([, x]) => !Number.isFinite(x));
    if (bad) throw new InfluxQueryError(`${s.name} of meter ${s.tags.meter ?? '?'} at ${new Date(b.hourStartMs).toISOString()} lacks "${bad[0]}": recompute it with kzmeter rollup`);
    return b;
  });
}

export const BUCKET_FIELDS = '"count", "first_ts", "first_wh", "last_ts", "last_wh", "faults", "max_gap", "min_step", "max_pw"';

/**
 * Buckets of one rollup measurement for meters over runs of time, grouped so that meters sharing the same
 * run share one statement (`runsByMeter`: meter -> sorted disjoint [start, end) runs).
 */
export async function readBuckets(target: InfluxTarget, kind: keyof typeof ROLLUP_MEASUREMENT, runsByMeter: ReadonlyMap<string, readonly { startMs: number; endMs: number }[]>, stats: QueryStats): Promise<Map<string, HourSummary[]>> {
  const groups = new Map<string, { startMs: number; endMs: number; meters: string[] }>();
  for (const [id, runs] of runsByMeter) {
    for (const run of runs) {
      const key = `${run.startMs}/${run.endMs}`;
      const g = groups.get(key) ?? { ...run, meters: [] };
      g.meters.push(id);
      groups.set(key, g);
    }
  }
  const list = [...groups.values()];
  const res = await runStatements(target, list.map((g) =>
    `SELECT ${BUCKET_FIELDS} FROM "${ROLLUP_MEASUREMENT[kind]}" WHERE ${meterCondition(g.meters)} AND time >= ${ms(g.startMs)} AND time < ${ms(g.endMs)} GROUP BY "meter"`), stats);
  const out = new Map<string, HourSummary[]>();
  for (const series of res) {
    for (const s of series) {
      const id = s.tags.meter;
      if (id === undefined) continue;
      const list = out.get(id) ?? [];
      list.push(...seriesBuckets(s));
      out.set(id, list);
    }
  }
  return out;
}

/** Contiguous runs of whole days covering the given instants. */
export function dayRuns(instants: Iterable<number>): { startMs: number; endMs: number }[] {
  const days = [...new Set([...instants].map(dayOf))].sort((a, b) => a - b);
  const runs: { startMs: number; endMs: number }[] = [];
  for (const d of days) {
    const last = runs.at(-1);
    if (last && last.endMs === d) last.endMs = d + DAY_MS;
    else runs.push({ startMs: d, endMs: d + DAY_MS });
  }
  return runs;
}

