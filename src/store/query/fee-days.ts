/** Readers for the fee days (fee_1d) updater. */
import type { InfluxTarget } from '../influx-target.ts';
import { MEASUREMENT } from '../schema.ts';
import { influxql, num } from './client.ts';
import { meterCondition, ms } from './syntax.ts';

/**
 * Time of each meter's newest stored reading before `beforeMs` (from the day rollups, looking back at most
 * `lookbackMs`); meters without one are absent.
 */
export async function readLastReadingBefore(
  target: InfluxTarget,
  meterIds: readonly string[],
  beforeMs: number,
  lookbackMs: number,
): Promise<Map<string, number>> {
  const series = await influxql(
    target,
    `SELECT last("last_ts") AS "ts" FROM "${MEASUREMENT.day}" WHERE ${meterCondition(meterIds)} AND time < ${ms(beforeMs)} AND time >= ${ms(beforeMs - lookbackMs)} GROUP BY "meter"`,
  );
  const out = new Map<string, number>();
  for (const s of series) {
    const t = num(s.values[0]?.[1]);
    if (s.tags?.meter && Number.isFinite(t)) out.set(s.tags.meter, t);
  }
  return out;
}
