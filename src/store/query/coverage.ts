/**
 * Do the rollups cover the stored readings? A cheap check for period close and verify: per meter, the
 * first and last raw readings of [fromMs, toMs) must each fall inside some day bucket. It catches rollups
 * never computed for part of a period (data from before the rollups existed, an import around the
 * service, marks lost in a long outage) at the period's ends, where such gaps start; it reads two points
 * per meter, not the period's readings.
 */
import { DAY_MS } from '../../fees/index.ts';
import type { InfluxTarget } from '../influx-target.ts';
import { type QueryStats, type Series, columnIndex, emptyStats, num, runStatements } from './client.ts';
import { dayOf, readBuckets } from './rollup-buckets.ts';
import { meterCondition, ms } from './syntax.ts';

const tsByMeter = (series: readonly Series[] | undefined): Map<string, number> =>
  new Map(
    (series ?? []).flatMap((s) =>
      s.tags.meter !== undefined && s.values[0]
        ? [[s.tags.meter, num(s.values[0][columnIndex(s, 'time')])] as const] // the selected point's time
        : [],
    ),
  );

/** Meters whose first or last reading in [fromMs, toMs) is in no day rollup, with that reading's time. */
export async function uncoveredReadings(
  target: InfluxTarget,
  meterIds: readonly string[],
  fromMs: number,
  toMs: number,
  stats: QueryStats = emptyStats(),
): Promise<{ meterId: string; tsMs: number }[]> {
  if (!meterIds.length) return [];
  const where = `${meterCondition(meterIds)} AND time >= ${ms(fromMs)} AND time < ${ms(toMs)}`;
  const [first, last] = await runStatements(
    target,
    [
      `SELECT first("wh") AS "wh" FROM "reading" WHERE ${where} GROUP BY "meter"`,
      `SELECT last("wh") AS "wh" FROM "reading" WHERE ${where} GROUP BY "meter"`,
    ],
    stats,
  );
  const run = [{ startMs: dayOf(fromMs), endMs: dayOf(toMs - 1) + DAY_MS }];
  const days = await readBuckets(target, 'day', new Map(meterIds.map((id) => [id, run])), stats);
  const [firstTs, lastTs] = [tsByMeter(first), tsByMeter(last)];
  const out: { meterId: string; tsMs: number }[] = [];
  for (const id of meterIds) {
    for (const t of new Set([firstTs.get(id), lastTs.get(id)])) {
      if (t === undefined) continue;
      if (!(days.get(id) ?? []).some((d) => d.firstTsMs <= t && t <= d.lastTsMs)) out.push({ meterId: id, tsMs: t });
    }
  }
  return out;
}
