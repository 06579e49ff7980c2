/**
 * The newest reading and status of each meter: what the live view is seeded with at start, and where a resumed
 * demo picks up (src/cli/serve.ts). Bounded by the day rollups, not by history: a meter's newest rolled-up day
 * says where its newest raw reading is (that day or later, since rollups only lag the raw readings), so only
 * the raw readings from that day on are read, newest first, one row per meter.
 */
import type { InfluxTarget } from '../influx-target.ts';
import { MEASUREMENT } from '../schema.ts';
import { type QueryStats, type Series, columnIndex, influxql, num, rows, runStatements } from './client.ts';
import { dayOf } from './rollup-buckets.ts';
import { meterCondition, ms } from './syntax.ts';

export interface LastReading {
  readonly meterId: string;
  readonly tsMs: number;
  readonly registerWh: number;
  readonly kw: number | undefined;
  readonly receivedMs: number | undefined;
  readonly fault: boolean;
}

export interface LastStatus {
  readonly meterId: string;
  readonly state: 'online' | 'offline';
  readonly sinceMs: number;
}

/** Meters per statement (the regex of their ids) when a group is large. */
const METERS_PER_STATEMENT = 100;

/** Each meter's newest rolled-up day at or after sinceMs (from reading_1d: one row per meter-day). */
async function newestRolledUpDays(
  target: InfluxTarget,
  sinceMs: number,
  stats: QueryStats | undefined,
): Promise<Map<string, number>> {
  const [series] = await runStatements(
    target,
    [`SELECT last("last_ts") AS "ts" FROM "${MEASUREMENT.day}" WHERE time >= ${ms(dayOf(sinceMs))} GROUP BY "meter"`],
    stats,
  );
  const out = new Map<string, number>();
  for (const s of series ?? []) {
    const t = num(s.values[0]?.[1]);
    if (s.tags.meter !== undefined && Number.isFinite(t)) out.set(s.tags.meter, dayOf(t));
  }
  return out;
}

function lastReadingOf(s: Series): LastReading | undefined {
  const v = s.values[0];
  const meterId = s.tags.meter;
  if (!v || meterId === undefined) return undefined;
  const at = (name: string) => v[columnIndex(s, name)];
  const tsMs = num(at('time'));
  const registerWh = num(at('wh'));
  const fault = at('fault');
  // A reading still being written (InfluxDB 1.x applies a write field by field) is not a reading yet.
  if (!Number.isSafeInteger(tsMs) || !Number.isSafeInteger(registerWh) || (fault !== 0 && fault !== 1))
    return undefined;
  const kw = at('kw');
  const rx = at('rx_ms');
  return {
    meterId,
    tsMs,
    registerWh,
    kw: typeof kw === 'number' ? kw : undefined,
    receivedMs: typeof rx === 'number' ? rx : undefined,
    fault: fault === 1,
  };
}

/**
 * The statements reading each meter's newest raw reading: from its newest rolled-up day (`newestDays`), or from
 * sinceMs for a meter without one. Meters sharing a start share a statement (at most 100 of them).
 */
export function lastReadingStatements(
  meterIds: readonly string[],
  newestDays: ReadonlyMap<string, number>,
  sinceMs: number,
): string[] {
  const byFrom = new Map<number, string[]>();
  for (const id of meterIds) {
    const from = Math.max(sinceMs, newestDays.get(id) ?? sinceMs);
    byFrom.set(from, [...(byFrom.get(from) ?? []), id]);
  }
  const out: string[] = [];
  for (const [from, ids] of byFrom)
    for (let i = 0; i < ids.length; i += METERS_PER_STATEMENT)
      out.push(
        `SELECT "wh", "kw", "fault", "rx_ms" FROM "${MEASUREMENT.reading}" WHERE ${meterCondition(ids.slice(i, i + METERS_PER_STATEMENT))} AND time >= ${ms(from)} GROUP BY "meter" ORDER BY time DESC LIMIT 1`,
      );
  return out;
}

/**
 * The newest stored reading at or after `sinceMs` of each of `meterIds` that has one. Work: one query over the
 * day rollups, then per meter only its raw readings from its newest rolled-up day on (a meter without any day
 * rollup since sinceMs, e.g. data written around the service, is read back to sinceMs).
 */
export async function readLastReadings(
  target: InfluxTarget,
  meterIds: readonly string[],
  sinceMs: number,
  stats?: QueryStats,
): Promise<LastReading[]> {
  return (await readLastReadingsAndBounds(target, meterIds, sinceMs, stats)).readings;
}

/**
 * readLastReadings, and per meter the instant from which nothing of it is stored (`nothingFromMs`): just after
 * its newest point (a half-written one too), or where the search for it began when it had none. The rollup
 * worker reads no hour back that begins at or after it (src/rollup/worker.ts, fresh hours).
 */
export async function readLastReadingsAndBounds(
  target: InfluxTarget,
  meterIds: readonly string[],
  sinceMs: number,
  stats?: QueryStats,
): Promise<{ readings: LastReading[]; nothingFromMs: Map<string, number> }> {
  const days = await newestRolledUpDays(target, sinceMs, stats);
  const readings: LastReading[] = [];
  const nothingFromMs = new Map(meterIds.map((id) => [id, Math.max(sinceMs, days.get(id) ?? sinceMs)] as const));
  for (const series of await runStatements(target, lastReadingStatements(meterIds, days, sinceMs), stats))
    for (const s of series) {
      const newest = num(s.values[0]?.[columnIndex(s, 'time')]);
      if (s.tags.meter !== undefined && Number.isFinite(newest)) nothingFromMs.set(s.tags.meter, newest + 1);
      const r = lastReadingOf(s);
      if (r) readings.push(r);
    }
  return { readings, nothingFromMs };
}

/** The newest online/offline status of every meter that had one within `lookbackD` days. */
export async function readLastStatuses(target: InfluxTarget, lookbackD = 30): Promise<LastStatus[]> {
  const series = await influxql(
    target,
    `SELECT last(state) AS state FROM ${MEASUREMENT.status} WHERE time > now() - ${lookbackD}d GROUP BY meter`,
  );
  const out: LastStatus[] = [];
  for (const s of series) {
    const r = rows(s)[0];
    if (r && s.tags.meter && (r.state === 'online' || r.state === 'offline'))
      out.push({ meterId: s.tags.meter, state: r.state, sinceMs: r.time as number });
  }
  return out;
}
