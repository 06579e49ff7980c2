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

const tailKey = (meterId: string, hourMs: number) => `${meterId}\u0000${hourMs}`;

/** Readings of each meter-hour with tsMs > afterMs, keyed meter\u0000hour (absent: none). */
export async function readRawAfter(
  target: InfluxTarget,
  tails: readonly HourTail[],
  stats: QueryStats,
): Promise<Map<string, Reading[]>> {
  const byHour = new Map<number, HourTail[]>();
  for (const t of tails) {
    const list = byHour.get(t.hourMs);
    if (list) list.push(t);
    else byHour.set(t.hourMs, [t]);
  }
  const groups: { hourMs: number; fromMs: number; tails: HourTail[] }[] = [];
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
        `SELECT "wh", "ts_ms", "fault" FROM "reading" WHERE ${meterCondition(g.tails.map((t) => t.meterId))} AND time > ${ms(g.fromMs)} AND time < ${ms(g.hourMs + HOUR_MS)} GROUP BY "meter"`,
    ),
    stats,
  );
  const out = new Map<string, Reading[]>();
  res.forEach((series, i) => {
    const g = groups[i]!;
    const after = new Map(g.tails.map((t) => [t.meterId, t.afterMs] as const));
    for (const s of series) {
      const id = s.tags.meter;
      const from = id === undefined ? undefined : after.get(id);
      if (from === undefined) continue;
      const readings = seriesReadings(s).filter((r) => r.tsMs > from);
      stats.rawReadings += readings.length;
      if (readings.length) out.set(tailKey(id!, g.hourMs), readings);
    }
  });
  return out;
}
