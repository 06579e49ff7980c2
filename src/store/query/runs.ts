/** Time runs: contiguous ranges of whole buckets, and reading one measurement over each meter's runs. */
import type { InfluxTarget } from '../influx-target.ts';
import { type QueryStats, type Series, runStatements } from './client.ts';
import { meterCondition, ms } from './syntax.ts';

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

/** How much one request may ask for: meters x run length, summed over its statements (a pass's raw hours). */
export interface RequestBudget {
  /** Runs longer than this are read in pieces of it. */
  readonly maxRunMs: number;
  /** Sum of meters x run length (ms) one request may cover. */
  readonly maxSpanMs: number;
}

interface Statement {
  readonly run: TimeRun;
  readonly meters: string[];
}

/** Runs cut to at most maxRunMs each. */
function pieces(run: TimeRun, maxRunMs: number): TimeRun[] {
  const out: TimeRun[] = [];
  for (let t = run.startMs; t < run.endMs; t += maxRunMs)
    out.push({ startMs: t, endMs: Math.min(run.endMs, t + maxRunMs) });
  return out;
}

/**
 * Statements in requests of at most `budget.maxSpanMs` (meters x run length): a request too large to answer within
 * the query timeout fails whole, and a rollup pass that asked for a quarter of a dozen meters in one statement
 * (1.1 M readings) ran past it again and again (issue 25). Without a budget: InfluxQL's 64 statements a request.
 */
function requestsOf(statements: readonly Statement[], budget: RequestBudget | undefined): Statement[][] {
  if (!budget) return [statements as Statement[]];
  const split: Statement[] = [];
  for (const st of statements)
    for (const run of pieces(st.run, budget.maxRunMs)) {
      const perStatement = Math.max(1, Math.floor(budget.maxSpanMs / (run.endMs - run.startMs)));
      for (let i = 0; i < st.meters.length; i += perStatement)
        split.push({ run, meters: st.meters.slice(i, i + perStatement) });
    }
  const out: Statement[][] = [];
  let span = Infinity;
  for (const st of split) {
    const w = st.meters.length * (st.run.endMs - st.run.startMs);
    if (span + w > budget.maxSpanMs) {
      out.push([]);
      span = 0;
    }
    out.at(-1)!.push(st);
    span += w;
  }
  return out;
}

/**
 * `SELECT <fields> FROM <measurement>` over each meter's runs, rows grouped per meter. Meters sharing a
 * run share one statement (GROUP BY meter): InfluxQL 1.x cannot OR time ranges. With a budget, long runs are
 * read in pieces and each request covers at most so much.
 */
export async function selectByRuns<T>(
  target: InfluxTarget,
  select: string,
  runsByMeter: ReadonlyMap<string, readonly TimeRun[]>,
  rowsOf: (s: Series) => T[],
  stats: QueryStats,
  budget?: RequestBudget,
): Promise<Map<string, T[]>> {
  const groups = new Map<string, Statement>();
  for (const [id, runs] of runsByMeter) {
    for (const run of runs) {
      const key = `${run.startMs}/${run.endMs}`;
      const g = groups.get(key) ?? { run, meters: [] };
      g.meters.push(id);
      groups.set(key, g);
    }
  }
  const out = new Map<string, T[]>();
  for (const request of requestsOf([...groups.values()], budget)) {
    const res = await runStatements(
      target,
      request.map(
        (g) =>
          `${select} WHERE ${meterCondition(g.meters)} AND time >= ${ms(g.run.startMs)} AND time < ${ms(g.run.endMs)} GROUP BY "meter"`,
      ),
      stats,
    );
    for (const series of res) {
      for (const s of series) {
        const id = s.tags.meter;
        if (id === undefined) continue;
        const rows = out.get(id) ?? [];
        rows.push(...rowsOf(s));
        out.set(id, rows);
      }
    }
  }
  return out;
}
