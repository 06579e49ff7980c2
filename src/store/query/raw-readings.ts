/** Raw readings (measurement `reading`) read back: by hour, a whole meter-period, late arrivals. */
import { HOUR_MS, type Reading, type StatusEvent } from '../../fees/index.ts';
import type { InfluxTarget } from '../influx-target.ts';
import { type QueryStats, type Series, columnIndex, influxql, num, rows, runStatements } from './client.ts';
import { type TimeRun, bucketRuns, selectByRuns } from './runs.ts';
import { meterCondition, ms } from './syntax.ts';

const READING = '"reading"';

/** Contiguous runs [startMs, endMs) of needed hours. */
export const hourRuns = (hourStarts: readonly number[]): TimeRun[] => bucketRuns(hourStarts, HOUR_MS);

/**
 * At most 2,000 meter-hours a request (120,000 readings at one a minute: about a second of influxd's work), read
 * a day at a most per statement: however many hours a caller asks for, no single request runs past the timeout.
 */
export const RAW_HOURS_BUDGET = { maxRunMs: 24 * HOUR_MS, maxSpanMs: 2_000 * HOUR_MS } as const;

/** Raw readings of the given hours per meter (in requests of at most RAW_HOURS_BUDGET). */
export async function readRawHours(
  target: InfluxTarget,
  needed: ReadonlyMap<string, readonly number[]>,
  stats: QueryStats,
): Promise<Map<string, Reading[]>> {
  for (const hours of needed.values()) stats.rawHours += hours.length;
  const runs = new Map([...needed].map(([id, hours]) => [id, hourRuns(hours)] as const));
  const select = `SELECT "wh", "fault" FROM ${READING}`;
  const out = await selectByRuns(target, select, runs, seriesReadings, stats, RAW_HOURS_BUDGET);
  for (const list of out.values()) stats.rawReadings += list.length;
  return out;
}

/**
 * Rows of `reading` as readings, keeping only whole ones. InfluxDB 1.x applies a write field by field, so a
 * query that runs while a batch is being written can see a reading with `wh` but no `fault` yet (or the reverse)
 * (issue 12's rollup race: "tsMs must be an integer, got NaN"). Such a row is a reading still being written:
 * it is skipped here, and the message writing it marks its hour for the rollups once it is stored. A reading
 * is 'ok' only when its `fault` field reads 0: a missing or odd value is never taken for ok.
 */
export function seriesReadings(s: Series): Reading[] {
  const [iw, it, iff] = [columnIndex(s, 'wh'), columnIndex(s, 'time'), columnIndex(s, 'fault')];
  const out: Reading[] = [];
  for (const v of s.values) {
    const tsMs = num(v[it]);
    const registerWh = num(v[iw]);
    const fault = num(v[iff]);
    if (!Number.isSafeInteger(tsMs) || !Number.isSafeInteger(registerWh) || (fault !== 0 && fault !== 1)) continue;
    out.push({ tsMs, registerWh, status: fault === 1 ? 'fault' : 'ok' });
  }
  return out;
}

/** Every raw reading a meter's ledger needs: from the last at/before fromMs to the first at/after toMs. */
export async function readAllReadings(
  target: InfluxTarget,
  m: { readonly facts: { readonly meterId: string }; readonly fromMs: number; readonly toMs: number },
  stats: QueryStats,
): Promise<{ readings: Reading[]; statusEvents: StatusEvent[] }> {
  const cond = meterCondition([m.facts.meterId]);
  const [before, after] = await runStatements(
    target,
    [
      `SELECT last("wh") AS "wh" FROM "reading" WHERE ${cond} AND time <= ${ms(m.fromMs)}`,
      `SELECT first("wh") AS "wh" FROM "reading" WHERE ${cond} AND time >= ${ms(m.toMs)}`,
    ],
    stats,
  );
  const lo = (before![0]?.values[0]?.[0] as number | undefined) ?? m.fromMs;
  const hi = (after![0]?.values[0]?.[0] as number | undefined) ?? m.toMs;
  const range = `time >= ${ms(lo)} AND time <= ${ms(hi)}`;
  const [readings, status] = await runStatements(
    target,
    [
      `SELECT "wh", "fault" FROM "reading" WHERE ${cond} AND ${range} GROUP BY "meter"`,
      `SELECT "state" FROM "meter_status" WHERE ${cond} AND ${range}`,
    ],
    stats,
  );
  const list = (readings ?? []).flatMap(seriesReadings);
  stats.rawReadings += list.length;
  const s = status![0];
  const statusEvents: StatusEvent[] = s
    ? s.values.flatMap((v) => (v[1] === 'online' || v[1] === 'offline' ? [{ tsMs: v[0] as number, state: v[1] }] : []))
    : [];
  return { readings: list, statusEvents };
}

/**
 * Readings stamped inside the period whose arrival time (rx_ms) is after the
 * close, per meter. Readings are stored as usual; the snapshot never changes.
 */
export async function lateReadingCounts(
  target: InfluxTarget,
  pm: {
    readonly meters: readonly { readonly facts: { readonly meterId: string } }[];
    readonly fromMs: number;
    readonly toMs: number;
  },
  closedAtMs: number,
): Promise<Map<string, number>> {
  const ids = pm.meters.map((m) => m.facts.meterId);
  const q = `SELECT count("wh") AS "n" FROM "reading" WHERE ${meterCondition(ids)} AND time >= ${ms(pm.fromMs)} AND time < ${ms(pm.toMs)} AND "rx_ms" > ${Math.trunc(closedAtMs)} GROUP BY "meter"`;
  const out = new Map<string, number>();
  for (const s of await influxql(target, q)) {
    const meter = s.tags['meter'];
    const n = Number(rows(s)[0]?.['n'] ?? 0);
    if (meter && n > 0) out.set(meter, n);
  }
  return out;
}
