/** One meter's chart series (raw or bucketed in InfluxQL) and its stored rejections, for the meter detail page. */
import type { InfluxTarget } from '../influx-target.ts';
import { MEASUREMENT } from '../schema.ts';
import { influxql, rows } from './client.ts';
import { ident, literal, ms } from './syntax.ts';

/** Raw readings, or buckets of `bucketS` seconds (mean kW, last register). */
export type Resolution = { readonly raw: true } | { readonly raw: false; readonly bucketS: number };

export interface ChartSeries {
  /** Epoch seconds. */
  readonly t: number[];
  readonly kw: (number | null)[];
  /** Register, integer Wh. */
  readonly wh: (number | null)[];
}

const where = (meterId: string, fromMs: number, toMs: number) =>
  `WHERE ${ident('meter')} = ${literal(meterId)} AND time >= ${ms(fromMs)} AND time < ${ms(toMs)}`;

/** kW (mean per bucket) and register (last per bucket) of one meter in [fromMs, toMs). */
export function seriesQuery(meterId: string, fromMs: number, toMs: number, res: Resolution): string {
  const w = where(meterId, fromMs, toMs);
  if (res.raw) return `SELECT "kw", "wh" FROM "${MEASUREMENT.reading}" ${w}`;
  return `SELECT mean("kw") AS "kw", last("wh") AS "wh" FROM "${MEASUREMENT.reading}" ${w} GROUP BY time(${res.bucketS}s)`;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string => (typeof v === 'string' ? v : v == null ? '' : String(v));

export async function readMeterSeries(
  target: InfluxTarget,
  meterId: string,
  fromMs: number,
  toMs: number,
  res: Resolution,
): Promise<ChartSeries> {
  const out = { t: [] as number[], kw: [] as (number | null)[], wh: [] as (number | null)[] };
  for (const s of await influxql(target, seriesQuery(meterId, fromMs, toMs, res))) {
    for (const r of rows(s)) {
      out.t.push(Math.floor((r.time as number) / 1000));
      out.kw.push(num(r.kw));
      out.wh.push(num(r.wh));
    }
  }
  return out;
}

export const REJECTED_LIMIT = 200;

/** The most recent rejected messages of one meter in [fromMs, toMs), newest first, and their count. */
export function rejectedQueries(
  meterId: string,
  fromMs: number,
  toMs: number,
  limit = REJECTED_LIMIT,
): { list: string; count: string } {
  const w = where(meterId, fromMs, toMs);
  return {
    list: `SELECT "reason", "topic", "detail", "payload", "bytes" FROM "${MEASUREMENT.rejected}" ${w} ORDER BY time DESC LIMIT ${limit}`,
    // One record may stand for many rejected readings (its "count"); records from before "count" existed
    // stand for one each: total = sum(count) + records - records with a count.
    count: `SELECT count("bytes") AS "n", count("count") AS "nc", sum("count") AS "s" FROM "${MEASUREMENT.rejected}" ${w}`,
  };
}

export interface RejectedList {
  readonly total: number;
  readonly items: {
    at: string;
    reason: string;
    topic: string;
    detail: string;
    payload: string;
    bytes: number | null;
  }[];
}

export async function readRejected(
  target: InfluxTarget,
  meterId: string,
  fromMs: number,
  toMs: number,
): Promise<RejectedList> {
  const q = rejectedQueries(meterId, fromMs, toMs);
  const [list, count] = await Promise.all([influxql(target, q.list), influxql(target, q.count)]);
  const items = list.flatMap(rows).map((r) => ({
    at: new Date(r.time as number).toISOString(),
    reason: str(r.reason),
    topic: str(r.topic),
    detail: str(r.detail),
    payload: str(r.payload),
    bytes: num(r.bytes),
  }));
  const c = count[0] ? rows(count[0])[0] : undefined;
  const total = c ? (num(c.s) ?? 0) + (num(c.n) ?? 0) - (num(c.nc) ?? 0) : items.length;
  return { total, items };
}
