/**
 * Reads what the fee engine needs from InfluxDB for a group of meters and one
 * range [fromMs, toMs), without pulling every raw reading:
 *   - the boundary readings (last at/before fromMs, first at/after toMs),
 *   - per meter and UTC hour, the HourSummary fields (aggregates + a subquery
 *     with elapsed/difference/derivative, which InfluxDB 1.2+ supports),
 *   - status events, and later the raw readings of the few hours that need them.
 * The summary window is whole UTC hours from one hour before fromMs to one hour
 * after toMs. Readings inside the window but before the last reading at/before
 * fromMs (or after the first at/after toMs) only form spans outside the period,
 * which the engine ignores; a boundary reading outside the window (a long
 * silence) becomes a one-reading hour of its own.
 */
import { HOUR_MS, type HourSummary, type Reading, type StatusEvent } from '../fees/index.ts';
import type { Series } from '../store/influxql.ts';
import type { InfluxTarget } from '../store/influx-target.ts';
import { type QueryStats, columnIndex, meterCondition, ms, num, runStatements } from './store-query.ts';

export interface MeterStoreData {
  readonly before?: Reading;
  readonly after?: Reading;
  readonly hours: HourSummary[];
  readonly statusEvents: StatusEvent[];
  /** Readings already known (boundary readings outside the window), usable as raw readings of their hours. */
  readonly knownReadings: Reading[];
}

export interface Window {
  readonly startMs: number;
  /** Exclusive. */
  readonly endMs: number;
}

export function summaryWindow(fromMs: number, toMs: number): Window {
  return { startMs: Math.floor(fromMs / HOUR_MS) * HOUR_MS - HOUR_MS, endMs: Math.ceil(toMs / HOUR_MS) * HOUR_MS + HOUR_MS };
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
  const ts = num(v[columnIndex(s, 'ts_ms')]);
  if (!Number.isFinite(wh) || !Number.isFinite(ts)) return undefined;
  return { tsMs: ts, registerWh: wh, status: num(v[columnIndex(s, 'fault')]) === 1 ? 'fault' : 'ok' };
}

const selectBoundary = (fn: 'first' | 'last', cond: string, where: string): string =>
  `SELECT ${fn}("wh") AS "wh", "ts_ms", "fault" FROM ${READING} WHERE ${cond} AND ${where} GROUP BY "meter"`;

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

const byHour = (s: Series | undefined): Map<number, readonly unknown[]> => {
  const out = new Map<number, readonly unknown[]>();
  if (!s) return out;
  const it = columnIndex(s, 'time');
  for (const v of s.values) out.set(num(v[it]), v);
  return out;
};

/** Joins the aggregates with the gap, step and power subqueries (one row per meter and hour). */
function hourSummaries(agg: Series | undefined, gaps: Series | undefined, steps: Series | undefined, powers: Series | undefined): HourSummary[] {
  if (!agg) return [];
  const c = (name: string) => columnIndex(agg, name);
  const [it, ic, ifw, ilw, ift, ilt, isf] = [c('time'), c('count'), c('first_wh'), c('last_wh'), c('first_ts'), c('last_ts'), c('faults')];
  const orZero = (x: unknown): number => (x == null ? 0 : num(x));
  const column = (s: Series | undefined, name: string): ((hourStartMs: number) => number) => {
    const by = byHour(s);
    const i = s ? columnIndex(s, name) : -1;
    return (h) => orZero(by.get(h)?.[i]);
  };
  const maxGap = column(gaps, 'max_gap');
  const minStep = column(steps, 'min_step');
  const maxPower = column(powers, 'max_pw');
  const out: HourSummary[] = [];
  for (const v of agg.values) {
    const count = num(v[ic]);
    if (!(count > 0)) continue;
    const hourStartMs = num(v[it]);
    out.push({
      hourStartMs,
      count,
      firstTsMs: num(v[ift]),
      firstRegisterWh: num(v[ifw]),
      lastTsMs: num(v[ilt]),
      lastRegisterWh: num(v[ilw]),
      faultCount: orZero(v[isf]),
      // Subquery values include the step from the previous hour's last reading: conservative (see fees/index.ts).
      maxGapMs: maxGap(hourStartMs),
      minStepWh: minStep(hourStartMs),
      maxStepPowerW: maxPower(hourStartMs),
    });
  }
  return out;
}

/** Boundary readings, hour summaries and status events for meters sharing one period. */
export async function readMeterSummaries(target: InfluxTarget, meterIds: readonly string[], fromMs: number, toMs: number, stats: QueryStats): Promise<Map<string, MeterStoreData>> {
  const w = summaryWindow(fromMs, toMs);
  const cond = meterCondition(meterIds);
  const inWindow = `time >= ${ms(w.startMs)} AND time < ${ms(w.endMs)}`;
  // Four requests in parallel: InfluxDB runs the statements of one request in turn. Each subquery has one
  // transformation and one outer aggregate: 1.6 re-runs the inner query for every outer call, and three
  // transformations in one subquery took 9 s where three single ones took 1 s each (1.2 M points).
  const sub = (fn: string, alias: string, outer: string) =>
    `SELECT ${outer} FROM (SELECT ${fn} AS "${alias}" FROM ${READING} WHERE ${cond} AND ${inWindow} GROUP BY "meter") ` +
    `WHERE ${inWindow} GROUP BY time(1h), "meter" fill(none)`;
  const [[before, after, agg, status], [gaps], [steps], [powers]] = await Promise.all([
    runStatements(target, [
      selectBoundary('last', cond, `time >= ${ms(w.startMs)} AND time <= ${ms(fromMs)}`),
      selectBoundary('first', cond, `time >= ${ms(toMs)} AND time < ${ms(w.endMs)}`),
      `SELECT count("wh") AS "count", first("wh") AS "first_wh", last("wh") AS "last_wh", first("ts_ms") AS "first_ts", last("ts_ms") AS "last_ts", sum("fault") AS "faults" ` +
        `FROM ${READING} WHERE ${cond} AND ${inWindow} GROUP BY time(1h), "meter" fill(none)`,
      `SELECT "state" FROM ${STATUS} WHERE ${cond} AND ${inWindow} GROUP BY "meter"`,
    ], stats),
    runStatements(target, [sub('elapsed("wh", 1ms)', 'g', 'max("g") AS "max_gap"')], stats),
    runStatements(target, [sub('difference("wh")', 's', 'min("s") AS "min_step"')], stats),
    runStatements(target, [sub('derivative("wh", 1h)', 'p', 'max("p") AS "max_pw"')], stats),
  ]);
  const [b, a, g, gp, sp, pp, st] = [byMeter(before!), byMeter(after!), byMeter(agg!), byMeter(gaps!), byMeter(steps!), byMeter(powers!), byMeter(status!)];
  const out = new Map<string, MeterStoreData>();
  for (const id of meterIds) {
    const hours = hourSummaries(g.get(id), gp.get(id), sp.get(id), pp.get(id));
    stats.hourSummaries += hours.length;
    const bd = boundaryReading(b.get(id));
    const ad = boundaryReading(a.get(id));
    out.set(id, { ...(bd && { before: bd }), ...(ad && { after: ad }), hours, statusEvents: statusEvents(st.get(id)), knownReadings: [] });
  }
  await extendBeyondWindow(target, out, w, stats);
  return out;
}

/** A one-reading hour for a boundary reading found outside the window. */
function singleHour(r: Reading): HourSummary {
  return {
    hourStartMs: Math.floor(r.tsMs / HOUR_MS) * HOUR_MS, count: 1,
    firstTsMs: r.tsMs, firstRegisterWh: r.registerWh, lastTsMs: r.tsMs, lastRegisterWh: r.registerWh,
    faultCount: r.status === 'fault' ? 1 : 0, maxGapMs: 0, minStepWh: 0, maxStepPowerW: 0,
  };
}

/** Meters silent around a period boundary: look further (unbounded) for their boundary readings and the status events up to them. */
async function extendBeyondWindow(target: InfluxTarget, data: Map<string, MeterStoreData>, w: Window, stats: QueryStats): Promise<void> {
  const noBefore = [...data].filter(([, d]) => !d.before).map(([id]) => id);
  const noAfter = [...data].filter(([, d]) => !d.after).map(([id]) => id);
  const stmts: string[] = [];
  if (noBefore.length) stmts.push(selectBoundary('last', meterCondition(noBefore), `time < ${ms(w.startMs)}`));
  if (noAfter.length) stmts.push(selectBoundary('first', meterCondition(noAfter), `time >= ${ms(w.endMs)}`));
  if (!stmts.length) return;
  const res = await runStatements(target, stmts, stats);
  const found = { before: noBefore.length ? byMeter(res.shift()!) : new Map<string, Series>(), after: noAfter.length ? byMeter(res.shift()!) : new Map<string, Series>() };
  const statusStmts: { id: string; stmt: string }[] = [];
  for (const [side, ids] of [['before', noBefore], ['after', noAfter]] as const) {
    for (const id of ids) {
      const r = boundaryReading(found[side].get(id));
      if (!r) continue;
      const d = data.get(id)!;
      data.set(id, { ...d, [side]: r, hours: [...d.hours, singleHour(r)], knownReadings: [...d.knownReadings, r] });
      const range = side === 'before' ? `time >= ${ms(r.tsMs)} AND time < ${ms(w.startMs)}` : `time >= ${ms(w.endMs)} AND time <= ${ms(r.tsMs)}`;
      statusStmts.push({ id, stmt: `SELECT "state" FROM ${STATUS} WHERE ${meterCondition([id])} AND ${range} GROUP BY "meter"` });
    }
  }
  if (!statusStmts.length) return;
  const st = await runStatements(target, statusStmts.map((s) => s.stmt), stats);
  statusStmts.forEach(({ id }, k) => {
    const d = data.get(id)!;
    data.set(id, { ...d, statusEvents: [...d.statusEvents, ...statusEvents(st[k]![0])] });
  });
}

/** Contiguous runs [startMs, endMs) of needed hours. */
export function hourRuns(hourStarts: readonly number[]): Window[] {
  const runs: { startMs: number; endMs: number }[] = [];
  for (const h of [...hourStarts].sort((a, b) => a - b)) {
    const last = runs[runs.length - 1];
    if (last && last.endMs === h) last.endMs = h + HOUR_MS;
    else if (!last || last.endMs < h) runs.push({ startMs: h, endMs: h + HOUR_MS });
  }
  return runs;
}

/**
 * Raw readings of the given hours per meter. Runs with the same bounds share
 * one statement (GROUP BY meter); InfluxQL 1.x cannot OR time ranges.
 */
export async function readRawHours(target: InfluxTarget, needed: ReadonlyMap<string, readonly number[]>, stats: QueryStats): Promise<Map<string, Reading[]>> {
  const groups = new Map<string, { run: Window; meters: string[] }>();
  for (const [id, hours] of needed) {
    stats.rawHours += hours.length;
    for (const run of hourRuns(hours)) {
      const key = `${run.startMs}/${run.endMs}`;
      const g = groups.get(key) ?? { run, meters: [] };
      g.meters.push(id);
      groups.set(key, g);
    }
  }
  const list = [...groups.values()];
  const res = await runStatements(target, list.map((g) =>
    `SELECT "wh", "ts_ms", "fault" FROM ${READING} WHERE ${meterCondition(g.meters)} AND time >= ${ms(g.run.startMs)} AND time < ${ms(g.run.endMs)} GROUP BY "meter"`), stats);
  const out = new Map<string, Reading[]>();
  for (const series of res) {
    for (const s of series) {
      const id = s.tags.meter;
      if (id === undefined) continue;
      const list = out.get(id) ?? [];
      list.push(...seriesReadings(s));
      out.set(id, list);
      stats.rawReadings += s.values.length;
    }
  }
  return out;
}

export function seriesReadings(s: Series): Reading[] {
  const [iw, it, iff] = [columnIndex(s, 'wh'), columnIndex(s, 'ts_ms'), columnIndex(s, 'fault')];
  return s.values.map((v) => ({ tsMs: num(v[it]), registerWh: num(v[iw]), status: num(v[iff]) === 1 ? 'fault' : 'ok' }));
}
