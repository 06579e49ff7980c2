/**
 * Raw readings of meter-hours stored after a known instant: what an incremental rollup pass reads instead of
 * the whole hour again (src/rollup/worker.ts). Meters whose instants are close share one statement (from the
 * earliest of them; each meter's rows are cut at its own instant here), so a pass over 1,000 live meters is
 * a few statements, not 1,000.
 */
import { HOUR_MS, type Reading } from '../../fees/index.ts';
import type { InfluxTarget } from '../influx-target.ts';
import { type QueryStats, runStatements } from './client.ts';
import { seriesReadings } from './raw-readings.ts';
import { meterCondition, ms } from './syntax.ts';

export interface HourTail {
  readonly meterId: string;
  readonly hourMs: number;
  /** Readings at or before this instant are already known. */
  readonly afterMs: number;
}

/** Statements share a lower bound when their instants are at most this far apart: each meter of a group reads what the others stored since the group's earliest instant, so keep it short. */
const CLUSTER_MS = 2_000;

/** Readings of each meter-hour with tsMs > afterMs, per tail given (absent: none). */
export async function readRawAfter<T extends HourTail>(
  target: InfluxTarget,
  tails: readonly T[],
  stats: QueryStats,
): Promise<Map<T, Reading[]>> {
  const byHour = new Map<number, T[]>();
  for (const t of tails) {
    const list = byHour.get(t.hourMs);
    if (list) list.push(t);
    else byHour.set(t.hourMs, [t]);
  }
  const groups: { hourMs: number; fromMs: number; tails: T[] }[] = [];
  for (const [hourMs, list] of byHour) {
    list.sort((a, b) => a.afterMs - b.afterMs);
    for (const t of list) {
      const g = groups.at(-1);
      if (g && g.hourMs === hourMs && t.afterMs - g.fromMs <= CLUSTER_MS) g.tails.push(t);
      else groups.push({ hourMs, fromMs: t.afterMs, tails: [t] });
    }
  }
  const res = await runStatements(
    target,
    groups.map(
      (g) =>
        `SELECT "wh", "fault" FROM "reading" WHERE ${meterCondition(g.tails.map((t) => t.meterId))} AND time > ${ms(g.fromMs)} AND time < ${ms(g.hourMs + HOUR_MS)} GROUP BY "meter"`,
    ),
    stats,
  );
  const out = new Map<T, Reading[]>();
  res.forEach((series, i) => {
    const byMeter = new Map(groups[i]!.tails.map((t) => [t.meterId, t] as const));
    for (const s of series) {
      const t = s.tags.meter === undefined ? undefined : byMeter.get(s.tags.meter);
      if (!t) continue;
      const readings = seriesReadings(s).filter((r) => r.tsMs > t.afterMs);
      stats.rawReadings += readings.length;
      if (readings.length) out.set(t, readings);
    }
  });
  return out;
}
