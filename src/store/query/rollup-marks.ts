/** Durable rollup marks (measurement `rollup_dirty`) read back after a restart. */
import type { InfluxTarget } from '../influx-target.ts';
import { type QueryStats, columnIndex, emptyStats, num, runStatements } from './client.ts';
import { ms } from './syntax.ts';

export interface DirtyMark {
  readonly meterId: string;
  /** Start of the meter-hour to recompute. */
  readonly hourMs: number;
  /** When the mark was written (its arrival time). */
  readonly markedMs: number;
}

/** Every mark written at or after sinceMs. */
export async function readDirtyMarks(
  target: InfluxTarget,
  sinceMs: number,
  stats: QueryStats = emptyStats(),
): Promise<DirtyMark[]> {
  const [series] = await runStatements(
    target,
    [`SELECT "hour_ms" FROM "rollup_dirty" WHERE time >= ${ms(sinceMs)} GROUP BY "meter"`],
    stats,
  );
  const out: DirtyMark[] = [];
  for (const s of series ?? []) {
    const id = s.tags.meter;
    if (id === undefined) continue;
    const [it, ih] = [columnIndex(s, 'time'), columnIndex(s, 'hour_ms')];
    for (const v of s.values) {
      const h = num(v[ih]);
      if (Number.isFinite(h)) out.push({ meterId: id, hourMs: h, markedMs: num(v[it]) });
    }
  }
  return out;
}
