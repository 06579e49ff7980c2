import type { Config } from '../config/schema.ts';
import { splitUrlCredentials } from '../util/redact.ts';

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

// The only place that knows how the three InfluxDB generations differ (architecture principle 4).

/** /query parameters beyond q: the database, and the retention policy where the server takes one (not 3.x). */
export function queryParams(target: InfluxTarget, withDb: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  if (withDb) out.db = target.database;
  if (target.retentionPolicy && target.apiVersion !== '3') out.rp = target.retentionPolicy;
  return out;
}

/** InfluxDB on this host: gzip would only cost CPU on both ends (Node compressing, influxd inflating, or back). */
export const isLoopbackUrl = (url: string): boolean =>
  /^https?:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:|\/|$)/i.test(url);

/** How to write: 1.x takes /write?db=&rp= with its own credentials (v1 transport); 2.x/3.x /api/v2/write with a token. */
export function writeMode(target: InfluxTarget): { v1: true } | { v1: false; token?: string } {
  if (target.apiVersion === '1') return { v1: true };
  const token = target.authorization?.replace(/^(Token|Bearer) /, '');
  return { v1: false, ...(token && { token }) };
}

/** What creating the database means: CREATE DATABASE (1.x), a bucket plus DBRP mapping (2.x), nothing (3.x creates on write). */
export function provisioning(target: InfluxTarget): 'create-database' | 'bucket-and-dbrp' | 'none' {
  return target.apiVersion === '1' ? 'create-database' : target.apiVersion === '2' ? 'bucket-and-dbrp' : 'none';
}

/**
 * Credentials written into the URL (http://user:password@host:8086) become the Authorization header: the target's
 * url never holds a secret (it is shown in logs and to admins), and fetch refuses URLs with credentials anyway.
 * Explicit settings (username/password, token) win over the URL's.
 */
export function influxTarget(cfg0: Config['influx'], rawUrl: string): InfluxTarget {
  const split = splitUrlCredentials(rawUrl);
  const cfg = {
    ...cfg0,
    ...(cfg0.username === undefined && split.username !== undefined && { username: split.username }),
    ...(cfg0.username === undefined && split.password !== undefined && { password: split.password }),
    ...(cfg0.token === undefined && (split.password ?? split.username) && { token: split.password ?? split.username }),
  };
  const url = split.url;
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
