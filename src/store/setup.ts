import type { Logger } from 'pino';
import { type InfluxTarget, provisioning } from './influx-target.ts';
import { pingInflux } from './ping.ts';
import { influxql, InfluxQueryError } from './query/client.ts';
import { ident } from './query/syntax.ts';

/**
 * Wait until InfluxDB answers /ping; throws with what to do after `timeoutMs`. While it waits it says so: at the
 * first failed ping and every `reportEveryMs` after (issue 26: an address that does not answer was 31 s of
 * silence, then exit 1).
 */
export async function waitForInflux(
  target: InfluxTarget,
  timeoutMs: number,
  opts: { log?: Logger; reportEveryMs?: number } = {},
): Promise<void> {
  const started = Date.now();
  const until = started + timeoutMs;
  const every = opts.reportEveryMs ?? 5000;
  let nextReport = started;
  let lastError: string | undefined;
  while (Date.now() < until) {
    const ping = await pingInflux(target.url, Math.min(2000, Math.max(100, until - Date.now())));
    if (ping.ok) {
      if (lastError !== undefined)
        opts.log?.info({ url: target.url, waitedS: Math.round((Date.now() - started) / 1000) }, 'InfluxDB answers.');
      return;
    }
    lastError = ping.error;
    if (Date.now() >= nextReport) {
      nextReport = Date.now() + every;
      opts.log?.warn(
        {
          url: target.url,
          waitedS: Math.round((Date.now() - started) / 1000),
          giveUpInS: Math.max(0, Math.round((until - Date.now()) / 1000)),
          error: lastError,
        },
        'Waiting for InfluxDB to answer GET /ping (check KZM_INFLUX_URL and that the server runs).',
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new InfluxQueryError(
    `InfluxDB at ${target.url} did not answer /ping within ${timeoutMs} ms${lastError ? ` (${lastError})` : ''}: check KZM_INFLUX_URL and that the server is running`,
  );
}

async function v2Json(
  target: InfluxTarget,
  path: string,
  init: RequestInit = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (target.authorization) headers.authorization = target.authorization;
  const res = await fetch(`${target.url}${path}`, { ...init, headers, signal: AbortSignal.timeout(target.timeoutMs) });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** 2.x: bucket + DBRP mapping so InfluxQL over /query reaches the bucket. */
async function ensureV2(target: InfluxTarget, log: Logger, retentionDays: number): Promise<void> {
  const orgs = await v2Json(target, `/api/v2/orgs?org=${encodeURIComponent(target.org)}`);
  const org = (orgs.body.orgs as { id: string }[] | undefined)?.[0];
  if (!org)
    throw new InfluxQueryError(
      `InfluxDB 2.x org "${target.org}" not found (${orgs.status}): set KZM_INFLUX_ORG to an existing org`,
    );
  const buckets = await v2Json(target, `/api/v2/buckets?orgID=${org.id}&name=${encodeURIComponent(target.bucket)}`);
  let bucket = (buckets.body.buckets as { id: string }[] | undefined)?.[0];
  if (!bucket) {
    const created = await v2Json(target, '/api/v2/buckets', {
      method: 'POST',
      body: JSON.stringify({
        orgID: org.id,
        name: target.bucket,
        retentionRules: retentionDays > 0 ? [{ type: 'expire', everySeconds: retentionDays * 86_400 }] : [],
      }),
    });
    if (created.status >= 300)
      throw new InfluxQueryError(
        `cannot create bucket "${target.bucket}" (${created.status}): ${JSON.stringify(created.body)}; create it or grant the token write access`,
      );
    bucket = created.body as { id: string };
    log.info({ bucket: target.bucket }, 'Bucket created.');
  }
  const dbrps = await v2Json(target, `/api/v2/dbrps?orgID=${org.id}&db=${encodeURIComponent(target.database)}`);
  const list = (dbrps.body.content as unknown[] | undefined) ?? [];
  if (list.length === 0) {
    const created = await v2Json(target, '/api/v2/dbrps', {
      method: 'POST',
      body: JSON.stringify({
        orgID: org.id,
        bucketID: bucket.id,
        database: target.database,
        retention_policy: target.retentionPolicy ?? 'autogen',
        default: true,
      }),
    });
    if (created.status >= 300)
      throw new InfluxQueryError(
        `cannot create DBRP mapping for "${target.database}" (${created.status}): InfluxQL queries need it`,
      );
    log.info({ database: target.database }, 'DBRP mapping created.');
  }
}

/** 1.x: the database with its default retention policy of `retentionDays` (0: for ever) when it is missing. */
async function ensureV1(target: InfluxTarget, log: Logger, retentionDays: number): Promise<void> {
  const dbs = await influxql(target, 'SHOW DATABASES', { db: false });
  const exists = dbs.some((s) => s.values.some((v) => v[0] === target.database));
  if (!exists) {
    const duration = retentionDays > 0 ? ` WITH DURATION ${retentionDays}d` : '';
    await influxql(target, `CREATE DATABASE ${ident(target.database)}${duration}`, { db: false });
    log.info({ database: target.database, retentionDays }, 'Database created with its retention.');
    return;
  }
  // An existing database keeps its policy (the operator's to change): say when it deletes what the ledger needs.
  const rps = await influxql(target, `SHOW RETENTION POLICIES ON ${ident(target.database)}`, { db: false });
  const cols = rps[0]?.columns ?? [];
  const row = rps[0]?.values.find((v) =>
    target.retentionPolicy ? v[cols.indexOf('name')] === target.retentionPolicy : v[cols.indexOf('default')] === true,
  );
  const keptH = row ? durationHours(String(row[cols.indexOf('duration')])) : 0;
  if (retentionDays > 0 && keptH > 0 && keptH < retentionDays * 24)
    log.warn(
      { database: target.database, keptDays: keptH / 24, retentionDays },
      'InfluxDB deletes data sooner than influx.retentionDays: raw readings a reopened period, late data or verify need may be gone; see docs/deploy.md, Retention.',
    );
}

/** InfluxDB's duration text ("52608h0m0s", "0s" for ever) in whole hours. */
export function durationHours(text: string): number {
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text);
  return m ? Number(m[1] ?? 0) + Number(m[2] ?? 0) / 60 + Number(m[3] ?? 0) / 3600 : 0;
}

/**
 * Create the database/bucket when missing, where the server allows it, keeping data `retentionDays` (0: for
 * ever; the test helpers' databases). 3.x creates databases on first write.
 */
export async function ensureDatabase(target: InfluxTarget, log: Logger, retentionDays = 0): Promise<void> {
  const how = provisioning(target);
  if (how === 'bucket-and-dbrp') return ensureV2(target, log, retentionDays);
  if (how === 'none') return;
  await ensureV1(target, log, retentionDays);
}
