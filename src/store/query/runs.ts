/** Time runs: contiguous ranges of whole buckets, and reading one measurement over each meter's runs. */
import type { InfluxTarget } from '../influx-target.ts';
import { type QueryStats, type Series, runStatements } from './client.ts';
import { meterCondition, ms } from './syntax.ts';

/** A time range [startMs, endMs). */
export interface TimeRun {
  readonly startMs: number;
  readonly endMs: number;
}

/** Contiguous runs of whole buckets (of bucketMs) covering the given instants. */
export function bucketRuns(instants: Iterable<number>, bucketMs: number): TimeRun[] {
  const starts = [...new Set([...instants].map((t) => Math.floor(t / bucketMs) * bucketMs))].sort((a, b) => a - b);
  const runs: { startMs: number; endMs: number }[] = [];
  for (const b of starts) {
    const last = runs.at(-1);
    if (last && last.endMs === b) last.endMs = b + bucketMs;
    else runs.push({ startMs: b, endMs: b + bucketMs });
  }
  return runs;
}

/**
 * `SELECT <fields> FROM <measurement>` over each meter's runs, rows grouped per meter. Meters sharing a
 * run share one statement (GROUP BY meter): InfluxQL 1.x cannot OR time ranges.
 */
export async function selectByRuns<T>(
  target: InfluxTarget,
  select: string,
  runsByMeter: ReadonlyMap<string, readonly TimeRun[]>,
  rowsOf: (s: Series) => T[],
  stats: QueryStats,
): Promise<Map<string, T[]>> {
  const groups = new Map<string, { run: TimeRun; meters: string[] }>();
  for (const [id, runs] of runsByMeter) {
    for (const run of runs) {
      const key = `${run.startMs}/${run.endMs}`;
      const g = groups.get(key) ?? { run, meters: [] };
      g.meters.push(id);
      groups.set(key, g);
    }
  }
  const list = [...groups.values()];
  const res = await runStatements(
    target,
    list.map(
      (g) =>
        `${select} WHERE ${meterCondition(g.meters)} AND time >= ${ms(g.run.startMs)} AND time < ${ms(g.run.endMs)} GROUP BY "meter"`,
    ),
    stats,
  );
  const out = new Map<string, T[]>();
  for (const series of res) {
    for (const s of series) {
      const id = s.tags.meter;
      if (id === undefined) continue;
      const rows = out.get(id) ?? [];
      rows.push(...rowsOf(s));
      out.set(id, rows);
    }
  }
  return out;
}
