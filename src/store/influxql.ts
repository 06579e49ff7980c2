import type { InfluxTarget } from './influx-target.ts';

export class InfluxQueryError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'InfluxQueryError';
  }
}

export interface Series {
  readonly name: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly columns: readonly string[];
  readonly values: readonly (readonly unknown[])[];
}

/** Request for an InfluxQL statement over /query (1.x native, 2.x via DBRP mapping, 3.x Core v1 API). */
export function influxqlRequest(
  target: InfluxTarget,
  q: string,
  opts: { db?: boolean } = {},
): { url: string; init: RequestInit } {
  const params = new URLSearchParams({ q, epoch: 'ms' });
  if (opts.db !== false) params.set('db', target.database);
  if (target.retentionPolicy && target.apiVersion !== '3') params.set('rp', target.retentionPolicy);
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  };
  if (target.authorization) headers.authorization = target.authorization;
  return { url: `${target.url}/query`, init: { method: 'POST', headers, body: params.toString() } };
}

/** Run one InfluxQL statement; rows come back with time in epoch ms. */
export async function influxql(
  target: InfluxTarget,
  q: string,
  opts: { db?: boolean; signal?: AbortSignal } = {},
): Promise<Series[]> {
  const { url, init } = influxqlRequest(target, q, opts);
  let res: Response;
  try {
    res = await fetch(url, { ...init, signal: opts.signal ?? AbortSignal.timeout(target.timeoutMs) });
  } catch (err) {
    throw new InfluxQueryError(`InfluxDB at ${target.url} did not answer (${(err as Error).message}): is it running?`);
  }
  const text = await res.text();
  let body: { results?: { series?: Series[]; error?: string }[]; error?: string };
  try {
    body = JSON.parse(text);
  } catch {
    throw new InfluxQueryError(
      `InfluxDB answered ${res.status} with a non-JSON body: ${text.slice(0, 200)}`,
      res.status,
    );
  }
  if (!res.ok || body.error)
    throw new InfluxQueryError(
      `InfluxQL failed (${res.status}): ${body.error ?? text.slice(0, 200)} — query: ${q.slice(0, 200)}`,
      res.status,
    );
  const first = body.results?.[0];
  if (first?.error) throw new InfluxQueryError(`InfluxQL error: ${first.error} — query: ${q.slice(0, 200)}`);
  return (first?.series ?? []).map((s) => ({
    name: s.name,
    tags: s.tags ?? {},
    columns: s.columns,
    values: s.values ?? [],
  }));
}

/** Quote an identifier / string literal for InfluxQL. */
export const ident = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
export const literal = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** Rows of a series as objects keyed by column. */
export function rows(series: Series): Record<string, unknown>[] {
  return series.values.map((v) => Object.fromEntries(series.columns.map((c, i) => [c, v[i]])));
}
