/**
 * Reads what the fee engine needs from InfluxDB for a group of meters and one
 * range [fromMs, toMs), from the rollups (src/rollup) instead of the raw readings:
 *   - the day buckets (reading_1d) of the UTC days around the range, one more day each side,
 *   - the status events of those days,
 *   - later the hour buckets (reading_1h) of the few days the engine opens, and
 *     the raw readings of the few hours it opens (src/ledger/store-ledger.ts).
 * Work grows with meters x days, not with readings. Buckets before the last
 * reading at/before fromMs (or after the first at/after toMs) only form spans
 * outside the period, which the engine ignores; when the boundary reading lies
 * outside the window (a long silence) it is looked up in the raw readings and
 * becomes a one-reading hour of its own.
 */
import { DAY_MS, HOUR_MS, type BucketSummary, type Reading, type StatusEvent } from '../../fees/index.ts';
import type { InfluxTarget } from '../influx-target.ts';
import { type QueryStats, type Series, columnIndex, num, runStatements } from './client.ts';
import type { TimeRun } from './runs.ts';
import { BUCKET_FIELDS, dayOf, seriesBuckets } from './rollup-buckets.ts';
import { meterCondition, ms } from './syntax.ts';

export interface MeterStoreData {
  /** Day buckets in the window. */
  readonly days: BucketSummary[];
  /** One-reading hours for boundary readings found outside the window (their raw reading is known). */
  readonly knownHours: BucketSummary[];
  readonly statusEvents: StatusEvent[];
  /** The readings behind knownHours, usable as raw readings of their hours. */
  readonly knownReadings: Reading[];
  /** Its boundary reading was looked for outside the window: the answer depends on data anywhere in time. */
  readonly lookedBeyond: boolean;
}

export type Window = TimeRun;

export function summaryWindow(fromMs: number, toMs: number): Window {
  return { startMs: dayOf(fromMs) - DAY_MS, endMs: dayOf(toMs) + 2 * DAY_MS };
}

const READING = '"reading"';
const STATUS = '"meter_status"';

/** Maps each meter to its series; `meter` is the only GROUP BY tag. */
function byMeter(series: readonly Series[]): Map<string, Series> {
  const out = new Map<string, Series>();
  for (const s of series) {
    const m = s.tags.meter;
    if (m !== undefined) out.set(m, s);
  }
  return out;
}

function boundaryReading(s: Series | undefined): Reading | undefined {
  const v = s?.values[0];
  if (!s || !v) return undefined;
  const wh = num(v[columnIndex(s, 'wh')]);
  const ts = num(v[columnIndex(s, 'time')]); // a selector without GROUP BY time(): the selected point's time
  const fault = num(v[columnIndex(s, 'fault')]);
  // A row still being written (InfluxDB 1.x applies a write field by field) has wh but maybe no fault yet: not a
  // reading yet, and a missing fault is never read as ok.
  if (!Number.isSafeInteger(wh) || !Number.isSafeInteger(ts) || (fault !== 0 && fault !== 1)) return undefined;
  return { tsMs: ts, registerWh: wh, status: fault === 1 ? 'fault' : 'ok' };
}

const selectBoundary = (fn: 'first' | 'last', cond: string, where: string): string =>
  `SELECT ${fn}("wh") AS "wh", "fault" FROM ${READING} WHERE ${cond} AND ${where} GROUP BY "meter"`;

function statusEvents(s: Series | undefined): StatusEvent[] {
  if (!s) return [];
  const it = columnIndex(s, 'time');
  const is = columnIndex(s, 'state');
  const out: StatusEvent[] = [];
  for (const v of s.values) {
    const state = v[is];
    if (state === 'online' || state === 'offline') out.push({ tsMs: num(v[it]), state });
  }
  return out;
}

/** Day buckets and status events for meters sharing one period, boundary readings looked up when outside. */
export async function readMeterSummaries(
  target: InfluxTarget,
  meterIds: readonly string[],
  fromMs: number,
  toMs: number,
  stats: QueryStats,
): Promise<Map<string, MeterStoreData>> {
  const w = summaryWindow(fromMs, toMs);
  const cond = meterCondition(meterIds);
  const inWindow = `time >= ${ms(w.startMs)} AND time < ${ms(w.endMs)}`;
  const [days, status] = await runStatements(
    target,
    [
      `SELECT ${BUCKET_FIELDS} FROM "reading_1d" WHERE ${cond} AND ${inWindow} GROUP BY "meter"`,
      `SELECT "state" FROM ${STATUS} WHERE ${cond} AND ${inWindow} GROUP BY "meter"`,
    ],
    stats,
  );
  const [d, st] = [byMeter(days!), byMeter(status!)];
  const out = new Map<string, MeterStoreData>();
  const missing = { before: [] as string[], after: [] as string[] };
  for (const id of meterIds) {
    const s = d.get(id);
    const buckets = s ? seriesBuckets(s).filter((b) => b.count > 0) : [];
    stats.dayBuckets += buckets.length;
    if (!buckets.some((b) => b.firstTsMs <= fromMs)) missing.before.push(id);
    if (!buckets.some((b) => b.lastTsMs >= toMs)) missing.after.push(id);
    out.set(id, {
      days: buckets,
      knownHours: [],
      statusEvents: statusEvents(st.get(id)),
      knownReadings: [],
      lookedBeyond: missing.before.includes(id) || missing.after.includes(id),
    });
  }
  await extendBeyondWindow(target, out, missing, w, stats);
  return out;
}

/** A one-reading hour for a boundary reading found outside the window. */
function singleHour(r: Reading): BucketSummary {
  return {
    startMs: Math.floor(r.tsMs / HOUR_MS) * HOUR_MS,
    count: 1,
    firstTsMs: r.tsMs,
    firstRegisterWh: r.registerWh,
    lastTsMs: r.tsMs,
    lastRegisterWh: r.registerWh,
    faultCount: r.status === 'fault' ? 1 : 0,
    maxGapMs: 0,
    minStepWh: 0,
    maxStepPowerW: 0,
  };
}

/** Meters silent around a period boundary: look further (unbounded) for their boundary readings and the status events up to them. */
async function extendBeyondWindow(
  target: InfluxTarget,
  data: Map<string, MeterStoreData>,
  missing: { before: string[]; after: string[] },
  w: Window,
  stats: QueryStats,
): Promise<void> {
  const { before: noBefore, after: noAfter } = missing;
  const stmts: string[] = [];
  if (noBefore.length) stmts.push(selectBoundary('last', meterCondition(noBefore), `time < ${ms(w.startMs)}`));
  if (noAfter.length) stmts.push(selectBoundary('first', meterCondition(noAfter), `time >= ${ms(w.endMs)}`));
  if (!stmts.length) return;
  const res = await runStatements(target, stmts, stats);
  const found = {
    before: noBefore.length ? byMeter(res.shift()!) : new Map<string, Series>(),
    after: noAfter.length ? byMeter(res.shift()!) : new Map<string, Series>(),
  };
  const statusStmts: { id: string; stmt: string }[] = [];
  for (const [side, ids] of [
    ['before', noBefore],
    ['after', noAfter],
  ] as const) {
    for (const id of ids) {
      const r = boundaryReading(found[side].get(id));
      if (!r) continue;
      const d = data.get(id)!;
      data.set(id, { ...d, knownHours: [...d.knownHours, singleHour(r)], knownReadings: [...d.knownReadings, r] });
      const range =
        side === 'before'
          ? `time >= ${ms(r.tsMs)} AND time < ${ms(w.startMs)}`
          : `time >= ${ms(w.endMs)} AND time <= ${ms(r.tsMs)}`;
      statusStmts.push({
        id,
        stmt: `SELECT "state" FROM ${STATUS} WHERE ${meterCondition([id])} AND ${range} GROUP BY "meter"`,
      });
    }
  }
  if (!statusStmts.length) return;
  const st = await runStatements(
    target,
    statusStmts.map((s) => s.stmt),
    stats,
  );
  statusStmts.forEach(({ id }, k) => {
    const d = data.get(id)!;
    data.set(id, { ...d, statusEvents: [...d.statusEvents, ...statusEvents(st[k]![0])] });
  });
}
