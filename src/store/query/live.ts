/** What the live view is seeded with at start: the last reading and the last status of each meter. */
import type { InfluxTarget } from '../influx-target.ts';
import { MEASUREMENT } from '../schema.ts';
import { influxql, rows } from './client.ts';

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

/** The newest reading of every meter that reported within `lookbackD` days. */
export async function readLastReadings(target: InfluxTarget, lookbackD = 30): Promise<LastReading[]> {
  const series = await influxql(
    target,
    `SELECT last(wh) AS wh, last(kw) AS kw, last(fault) AS fault, last(rx_ms) AS rx FROM ${MEASUREMENT.reading} WHERE time > now() - ${lookbackD}d GROUP BY meter`,
  );
  const out: LastReading[] = [];
  for (const s of series) {
    const r = rows(s)[0];
    const meterId = s.tags.meter;
    if (!r || !meterId) continue;
    out.push({
      meterId,
      tsMs: r.time as number,
      registerWh: r.wh as number,
      kw: typeof r.kw === 'number' ? r.kw : undefined,
      receivedMs: typeof r.rx === 'number' ? r.rx : undefined,
      fault: r.fault === 1,
    });
  }
  return out;
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
