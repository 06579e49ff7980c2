/**
 * What a seal is taken over (issue 24): every stored reading and status of some meters in [fromMs, toMs), as
 * stored (no row skipped: a half-written point is sealed with its missing field shown), and where a site's
 * stored history begins. Callers ask for a few meters at a time, so memory stays bounded by one chunk.
 */
import type { InfluxTarget } from '../influx-target.ts';
import { MEASUREMENT } from '../schema.ts';
import { columnIndex, num, runStatements, type QueryStats, emptyStats } from './client.ts';
import { meterCondition, ms } from './syntax.ts';

export type SealRow = readonly [tsMs: number, wh: number | null, fault: number | null];
export interface MeterRecords {
  readings: SealRow[];
  statuses: (readonly [tsMs: number, state: string])[];
}

const intOrNull = (v: unknown): number | null => {
  const n = num(v);
  return Number.isSafeInteger(n) ? n : null;
};

/** Every reading and status of these meters in [fromMs, toMs), per meter (every meter asked for is present). */
export async function readSealRecords(
  target: InfluxTarget,
  meterIds: readonly string[],
  fromMs: number,
  toMs: number,
  stats: QueryStats = emptyStats(),
): Promise<Map<string, MeterRecords>> {
  const out = new Map<string, MeterRecords>(meterIds.map((id) => [id, { readings: [], statuses: [] }]));
  if (!meterIds.length) return out;
  const where = `${meterCondition(meterIds)} AND time >= ${ms(fromMs)} AND time < ${ms(toMs)}`;
  const [readings, statuses] = await runStatements(
    target,
    [
      `SELECT "wh", "fault" FROM "${MEASUREMENT.reading}" WHERE ${where} GROUP BY "meter"`,
      `SELECT "state" FROM "${MEASUREMENT.status}" WHERE ${where} GROUP BY "meter"`,
    ],
    stats,
  );
  for (const s of readings ?? []) {
    const into = out.get(s.tags.meter ?? '');
    if (!into) continue;
    const [iw, iff] = [columnIndex(s, 'wh'), columnIndex(s, 'fault')];
    for (const v of s.values) into.readings.push([num(v[0]), intOrNull(v[iw]), intOrNull(v[iff])]);
    stats.rawReadings += s.values.length;
  }
  for (const s of statuses ?? []) {
    const into = out.get(s.tags.meter ?? '');
    if (!into) continue;
    const is = columnIndex(s, 'state');
    for (const v of s.values) into.statuses.push([num(v[0]), String(v[is] ?? '-')]);
  }
  return out;
}

/** The time of the first reading or status stored for any of these meters (undefined: none). */
export async function firstRecordMs(target: InfluxTarget, meterIds: readonly string[]): Promise<number | undefined> {
  if (!meterIds.length) return undefined;
  const cond = meterCondition(meterIds);
  const res = await runStatements(
    target,
    [
      `SELECT first("wh") FROM "${MEASUREMENT.reading}" WHERE ${cond}`,
      `SELECT first("online") FROM "${MEASUREMENT.status}" WHERE ${cond}`,
    ],
    emptyStats(),
  );
  const times = res.flatMap((series) => series.map((s) => num(s.values[0]?.[0]))).filter(Number.isFinite);
  return times.length ? Math.min(...times) : undefined;
}
