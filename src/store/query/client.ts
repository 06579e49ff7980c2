/**
 * The one InfluxQL client: every read of InfluxDB goes through `runStatements` (several statements per
 * HTTP request; InfluxDB answers one result per statement) over /query, which 1.x serves natively, 2.x
 * through DBRP mappings and 3.x Core through its v1 API. One error type, one place that parses answers.
 */
import { KzmError } from '../../util/errors.ts';
import { createLimiter, type Limiter } from '../../util/limiter.ts';
import { isLoopbackUrl, queryParams, type InfluxTarget } from '../influx-target.ts';

/** InfluxDB refused or could not answer a query (`status`: its HTTP status, when it answered). */
export class InfluxQueryError extends KzmError {
  constructor(
    message: string,
    readonly status?: number,
    code = 'influx-query-failed',
  ) {
    // 5xx from InfluxDB is its trouble (try later); a 4xx is the query's.
    super(message, { code, retryable: status !== undefined && status >= 500 });
  }
}

/**
 * InfluxDB did not answer: `influx-unreachable` (refused, reset: is it running?) or `influx-timeout` (it is up
 * but the query ran past the timeout: ask for less). The caller may try again later (HTTP 503).
 */
export class InfluxUnavailableError extends KzmError {
  constructor(message: string, code: 'influx-unreachable' | 'influx-timeout' = 'influx-unreachable') {
    super(message, { code, httpStatus: 503, retryable: true, retryAfterS: 5 });
  }
}

export interface Series {
  readonly name: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly columns: readonly string[];
  readonly values: readonly (readonly unknown[])[];
}

/** What was asked of InfluxDB and what came back, so tests and the bench can see the ledger does not pull every reading. */
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

/**
 * Queries in flight per InfluxDB, whoever asks (ledger, periods, dashboard): more only queue here, where
 * they cost a closure each, instead of piling onto the server until every one of them times out.
 */
export const MAX_QUERIES_IN_FLIGHT = 6;
const limiters = new Map<string, Limiter>();
const limiterOf = (url: string): Limiter => {
  let l = limiters.get(url);
  if (!l) limiters.set(url, (l = createLimiter({ maxActive: MAX_QUERIES_IN_FLIGHT, maxQueued: Infinity })));
  return l;
};

/** Queries running and waiting for this InfluxDB (tests, /metrics). */
export const queriesInFlight = (url: string) => limiterOf(url).state();

/** How a request to /query ended. */
export type QueryOutcome = 'ok' | 'timeout' | 'unreachable' | 'failed';
const counts: Record<QueryOutcome, number> & { statements: number } = {
  ok: 0,
  timeout: 0,
  unreachable: 0,
  failed: 0,
  statements: 0,
};

/** Requests to /query made by this process, by outcome, and the statements they carried (/metrics, the bench). */
export const queryCounts = (): Readonly<typeof counts> => ({ ...counts });

export interface QueryOptions {
  /** false: no database (CREATE DATABASE, SHOW DATABASES). */
  readonly db?: boolean;
  readonly signal?: AbortSignal;
}

/** The HTTP request for InfluxQL statements; rows come back with time in epoch ms. */
export function influxqlRequest(
  target: InfluxTarget,
  q: string,
  opts: { db?: boolean } = {},
): { url: string; init: RequestInit } {
  const params = new URLSearchParams({ q, epoch: 'ms', ...queryParams(target, opts.db !== false) });
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  };
  if (target.authorization) headers.authorization = target.authorization;
  // On loopback, gzip only costs CPU on both ends (influxd compressing, Node inflating: 2% of a ledger's
  // profile); across a network it saves more than it costs.
  if (isLoopbackUrl(target.url)) headers['accept-encoding'] = 'identity';
  return { url: `${target.url}/query`, init: { method: 'POST', headers, body: params.toString() } };
}

interface Body {
  results?: { statement_id?: number; series?: Series[]; error?: string }[];
  error?: string;
}

function post(target: InfluxTarget, batch: readonly string[], opts: QueryOptions): Promise<Series[][]> {
  return limiterOf(target.url).run(() => postNow(target, batch, opts));
}

async function postNow(target: InfluxTarget, batch: readonly string[], opts: QueryOptions): Promise<Series[][]> {
  counts.statements += batch.length;
  try {
    const series = await postOnce(target, batch, opts);
    counts.ok++;
    return series;
  } catch (err) {
    const code = (err as { code?: string }).code;
    counts[code === 'influx-timeout' ? 'timeout' : code === 'influx-unreachable' ? 'unreachable' : 'failed']++;
    throw err;
  }
}

async function postOnce(target: InfluxTarget, batch: readonly string[], opts: QueryOptions): Promise<Series[][]> {
  const q = batch.join(';\n');
  const { url, init } = influxqlRequest(target, q, opts);
  let res: Response;
  let text: string;
  try {
    res = await fetch(url, { ...init, signal: opts.signal ?? AbortSignal.timeout(target.timeoutMs) });
    text = await res.text();
  } catch (err) {
    const e = err as Error;
    if (e.name === 'TimeoutError' || e.name === 'AbortError')
      throw new InfluxUnavailableError(
        `InfluxDB at ${target.url} is up but the query ran past ${target.timeoutMs} ms (slow, not down): ` +
          'ask for a shorter range or fewer meters, or raise KZM_INFLUX_TIMEOUT_MS.',
        'influx-timeout',
      );
    throw new InfluxUnavailableError(
      `InfluxDB at ${target.url} did not answer (${e.message}): is it running? Try again when it is.`,
    );
  }
  let body: Body;
  try {
    body = JSON.parse(text) as Body;
  } catch {
    throw new InfluxQueryError(
      `InfluxDB answered ${res.status} with a non-JSON body: ${text.slice(0, 200)}`,
      res.status,
    );
  }
  if (!res.ok || body.error) {
    const what = body.error ?? text.slice(0, 200);
    throw new InfluxQueryError(`InfluxQL failed (${res.status}): ${what} — query: ${q.slice(0, 300)}`, res.status);
  }
  const results = body.results ?? [];
  return batch.map((stmt, k) => {
    const r = results.find((x) => (x.statement_id ?? -1) === k) ?? results[k];
    if (r?.error) throw new InfluxQueryError(`InfluxQL error: ${r.error} — query: ${stmt.slice(0, 300)}`);
    return (r?.series ?? []).map((s) => ({
      name: s.name,
      tags: s.tags ?? {},
      columns: s.columns,
      values: s.values ?? [],
    }));
  });
}

/** Runs statements (batched into requests); returns the series of each statement, in order. */
export async function runStatements(
  target: InfluxTarget,
  statements: readonly string[],
  stats?: QueryStats,
  opts: QueryOptions = {},
): Promise<Series[][]> {
  const out: Series[][] = [];
  for (let i = 0; i < statements.length; i += MAX_STATEMENTS) {
    const batch = statements.slice(i, i + MAX_STATEMENTS);
    const res = await post(target, batch, opts);
    if (stats) {
      stats.requests++;
      stats.statements += batch.length;
      for (const series of res) for (const s of series) stats.rows += s.values.length;
    }
    out.push(...res);
  }
  return out;
}

/** One InfluxQL statement. */
export async function influxql(target: InfluxTarget, q: string, opts: QueryOptions = {}): Promise<Series[]> {
  const [series] = await runStatements(target, [q], undefined, opts);
  return series ?? [];
}

/** Rows of a series as objects keyed by column. */
export function rows(series: Series): Record<string, unknown>[] {
  return series.values.map((v) => Object.fromEntries(series.columns.map((c, i) => [c, v[i]])));
}

/** Column index lookup that fails loudly when InfluxDB changed its answer's shape. */
export function columnIndex(series: Series, name: string): number {
  const i = series.columns.indexOf(name);
  if (i < 0) {
    throw new InfluxQueryError(
      `InfluxDB answer for ${series.name} lacks column "${name}" (has ${series.columns.join(', ')})`,
    );
  }
  return i;
}

export const num = (v: unknown): number => (typeof v === 'number' ? v : v == null ? NaN : Number(v));
