import type { Config } from '../config/schema.ts';

/** Where and how to talk to InfluxDB, derived once from config for the three API generations. */
export interface InfluxTarget {
  readonly url: string;
  readonly apiVersion: '1' | '2' | '3';
  /** InfluxQL database (1.x db, 2.x DBRP-mapped db, 3.x database). */
  readonly database: string;
  readonly retentionPolicy?: string;
  /** Write API org/bucket as /api/v2/write wants them. */
  readonly org: string;
  readonly bucket: string;
  /** Authorization header value, if any. */
  readonly authorization?: string;
  readonly timeoutMs: number;
}

export function influxTarget(cfg: Config['influx'], url: string): InfluxTarget {
  const base = { url: url.replace(/\/+$/, ''), apiVersion: cfg.apiVersion, timeoutMs: cfg.timeoutMs };
  if (cfg.apiVersion === '2') {
    const bucket = cfg.bucket ?? cfg.database;
    return {
      ...base,
      database: cfg.database,
      org: cfg.org ?? '',
      bucket,
      ...(cfg.retentionPolicy && { retentionPolicy: cfg.retentionPolicy }),
      ...(cfg.token && { authorization: `Token ${cfg.token}` }),
    };
  }
  if (cfg.apiVersion === '3') {
    return {
      ...base,
      database: cfg.database,
      org: '',
      bucket: cfg.database,
      ...(cfg.token && { authorization: `Bearer ${cfg.token}` }),
    };
  }
  const rp = cfg.retentionPolicy;
  const basic = cfg.username
    ? `Basic ${Buffer.from(`${cfg.username}:${cfg.password ?? ''}`).toString('base64')}`
    : undefined;
  return {
    ...base,
    database: cfg.database,
    org: '',
    bucket: rp ? `${cfg.database}/${rp}` : cfg.database,
    ...(rp && { retentionPolicy: rp }),
    ...(basic && { authorization: basic }),
  };
}
