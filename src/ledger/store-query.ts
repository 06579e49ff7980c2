/**
 * InfluxQL for the ledger: several statements per HTTP request (InfluxDB 1.x
 * runs them in order and answers one result per statement), and counters of
 * what was asked and returned, so tests and the bench can see that the store
 * path does not pull every raw reading.
 */
import { InfluxQueryError, type Series, influxqlRequest, ident } from '../store/influxql.ts';
import type { InfluxTarget } from '../store/influx-target.ts';

export interface QueryStats {
  /** HTTP requests to /query. */
  requests: number;
  /** InfluxQL statements. */
  statements: number;
  /** Rows returned, all statements. */
  rows: number;
  /** Raw readings fetched (rows of raw-reading statements). */
  rawReadings: number;
  /** Hours whose raw readings were fetched. */
  rawHours: number;
  /** Day buckets (reading_1d) read. */
  dayBuckets: number;
  /** Hour buckets (reading_1h) read, for the days the engine opened. */
  hourBuckets: number;
}

export const emptyStats = (): QueryStats => ({
  requests: 0,
  statements: 0,
  rows: 0,
  rawReadings: 0,
  rawHours: 0,
  dayBuckets: 0,
  hourBuckets: 0,
});

export function addStats(into: QueryStats, from: QueryStats): void {
  for (const k of Object.keys(into) as (keyof QueryStats)[]) into[k] += from[k];
}

/** Statements per request: long requests keep InfluxDB busy in one goroutine, so keep them moderate. */
const MAX_STATEMENTS = 64;

interface Body {
  results?: { statement_id?: number; series?: Series[]; error?: string }[];
  error?: string;
}

/** Runs statements (batched into requests); returns the series of each statement, in order. */
export async function runStatements(
  target: InfluxTarget,
  statements: readonly string[],
  stats: QueryStats,
): Promise<Series[][]> {
  const out: Series[][] = [];
  for (let i = 0; i < statements.length; i += MAX_STATEMENTS) {
    const batch = statements.slice(i, i + MAX_STATEMENTS);
    out.push(...(await runBatch(target, batch, stats)));
  }
  return out;
}

async function runBatch(target: InfluxTarget, batch: readonly string[], stats: QueryStats): Promise<Series[][]> {
  const q = batch.join(';\n');
  const { url, init } = influxqlRequest(target, q);
  stats.requests++;
  stats.statements += batch.length;
  let res: Response;
  try {
    res = await fetch(url, { ...init, signal: AbortSignal.timeout(target.timeoutMs) });
  } catch (err) {
    throw new InfluxQueryError(`InfluxDB at ${target.url} did not answer (${(err as Error).message}): is it running?`);
  }
  const text = await res.text();
  let body: Body;
  try {
    body = JSON.parse(text) as Body;
  } catch {
    throw new InfluxQueryError(
      `InfluxDB answered ${res.status} with a non-JSON body: ${text.slice(0, 200)}`,
      res.status,
    );
  }
  if (!res.ok || body.error)
    throw new InfluxQueryError(
      `InfluxQL failed (${res.status}): ${body.error ?? text.slice(0, 200)} — query: ${q.slice(0, 300)}`,
      res.status,
    );
  const results = body.results ?? [];
  return batch.map((stmt, k) => {
    const r = results.find((x) => (x.statement_id ?? -1) === k) ?? results[k];
    if (r?.error) throw new InfluxQueryError(`InfluxQL error: ${r.error} — query: ${stmt.slice(0, 300)}`);
    const series = (r?.series ?? []).map((s) => ({
      name: s.name,
      tags: s.tags ?? {},
      columns: s.columns,
      values: s.values ?? [],
    }));
    for (const s of series) stats.rows += s.values.length;
    return series;
  });
}

/** `time >= 123ms` etc.: epoch-millisecond literals. */
export const ms = (t: number): string => `${Math.trunc(t)}ms`;

const reEscape = (s: string): string => s.replace(/[\\^$.*+?()[\]{}|/]/g, (c) => `\\${c}`);

/** WHERE condition selecting these meters by tag. */
export function meterCondition(meterIds: readonly string[]): string {
  if (meterIds.length === 1) return `${ident('meter')} = '${meterIds[0]!.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  return `${ident('meter')} =~ /^(?:${meterIds.map(reEscape).join('|')})$/`;
}

/** Column index lookup that fails loudly when InfluxDB changed its answer's shape. */
export function columnIndex(series: Series, name: string): number {
  const i = series.columns.indexOf(name);
  if (i < 0)
    throw new InfluxQueryError(
      `InfluxDB answer for ${series.name} lacks column "${name}" (has ${series.columns.join(', ')})`,
    );
  return i;
}

export const num = (v: unknown): number => (typeof v === 'number' ? v : v == null ? NaN : Number(v));

/** A time range [startMs, endMs). */
export interface TimeRun {
  readonly startMs: number;
  readonly endMs: number;
}

/** Contiguous runs of whole buckets (of bucketMs) covering the given instants. */
export function bucketRuns(instants: Iterable<number>, bucketMs: number): TimeRun[] {
  const starts = [...new Set([...instants].map((t) => Math.floor(t / bucketMs) * bucketMs))].sort((a, b) => a - b);
  const runs: { startMs: number; endMs: number }[] = [];
  for (const b of starts) {
    const last = runs.at(-1);
    if (last && last.endMs === b) last.endMs = b + bucketMs;
    else runs.push({ startMs: b, endMs: b + bucketMs });
  }
  return runs;
}

/**
 * `SELECT <fields> FROM <measurement>` over each meter's runs, rows grouped per meter. Meters sharing a
 * run share one statement (GROUP BY meter): InfluxQL 1.x cannot OR time ranges.
 */
export async function selectByRuns<T>(
  target: InfluxTarget,
  select: string,
  runsByMeter: ReadonlyMap<string, readonly TimeRun[]>,
  rowsOf: (s: Series) => T[],
  stats: QueryStats,
): Promise<Map<string, T[]>> {
  const groups = new Map<string, { run: TimeRun; meters: string[] }>();
  for (const [id, runs] of runsByMeter) {
    for (const run of runs) {
      const key = `${run.startMs}/${run.endMs}`;
      const g = groups.get(key) ?? { run, meters: [] };
      g.meters.push(id);
      groups.set(key, g);
    }
  }
  const list = [...groups.values()];
  const res = await runStatements(
    target,
    list.map(
      (g) =>
        `${select} WHERE ${meterCondition(g.meters)} AND time >= ${ms(g.run.startMs)} AND time < ${ms(g.run.endMs)} GROUP BY "meter"`,
    ),
    stats,
  );
  const out = new Map<string, T[]>();
  for (const series of res) {
    for (const s of series) {
      const id = s.tags.meter;
      if (id === undefined) continue;
      const rows = out.get(id) ?? [];
      rows.push(...rowsOf(s));
      out.set(id, rows);
    }
  }
  return out;
}
