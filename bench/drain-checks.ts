/**
 * Issue 27's conditions on each kzmeter drain, beside its CPU: every reading stored exactly once, and the
 * rollups complete. Checked after the CPU span ends (the scrape and the queries are not the service's ingest).
 */
import type { InfluxTarget } from '../src/store/influx-target.ts';
import { eventually, queryRows } from '../test/helpers/service.ts';
import { metricValue, scrapeMetrics } from './prom-scrape.ts';

const HOUR_MS = 3_600_000;

/** The time span the drain's readings fall in (publishReadings: t0 + k x 1 s for the k-th reading of a meter). */
export function drainRange(t0Ms: number, n: number, meters: number): { fromMs: number; toMs: number } {
  return { fromMs: t0Ms, toMs: t0Ms + Math.ceil(n / meters) * 1000 };
}

const count = async (target: InfluxTarget, q: string) => Number((await queryRows(target, q))[0]?.n ?? 0);

/**
 * Waits until the drain's `n` readings are visible in InfluxDB: the end of the CPU span. A count over every
 * series cost influxd ~38 ms at 100,000 points, and polled 20 times a second it was a large part of the influxd
 * CPU a drain measured, the more the longer a consumer took. So the poll first counts the series of the meter
 * published last (publishReadings: reading i is meter i mod M's), which the broker delivers last, until it holds
 * all its readings; only then the whole count, until it is n.
 */
export async function untilStored(
  target: InfluxTarget,
  meters: readonly string[],
  n: number,
  what: string,
  timeoutMs = 300_000,
): Promise<void> {
  const last = (n - 1) % meters.length;
  const ofLast = Math.floor((n - 1 - last) / meters.length) + 1;
  const meter = meters[last]!.replace(/\\/g, '\\\\').replace(/'/g, "\\'");
  const opts = { what, intervalMs: 50 };
  await eventually(
    () => count(target, `SELECT count(wh) AS n FROM reading WHERE meter = '${meter}'`),
    (k) => k >= ofLast,
    timeoutMs,
    { ...opts, what: `${what}: the last meter's ${ofLast}` },
  );
  await eventually(
    () => count(target, 'SELECT count(wh) AS n FROM reading'),
    (k) => k >= n,
    timeoutMs,
    opts,
  );
}

export interface DrainChecks {
  /** count(wh) of `reading` inside the drain's time range, and in the whole database. */
  storedInRange: number;
  storedTotal: number;
  /**
   * kzm_ingest_readings_accepted_total: readings the service wrote. A message the broker delivered twice counts
   * twice here but is one point in InfluxDB (same series and time): shown, not part of exactlyOnce.
   */
  acceptedByService: number;
  /** Both stored counts equal the readings published: none lost, none stored twice. */
  exactlyOnce: boolean;
  /** sum(count) of reading_1h over the hours of the range, and how many hour rows hold it. */
  hourlyCount: number;
  hourRows: number;
  /** kzm_rollup_pending_hourly at the last look. */
  pendingHourly: number;
  /** The hourly rollups cover every stored reading and no meter-hour waits. */
  rollupsComplete: boolean;
  rollupSeconds: number;
}

/**
 * Polls (up to `timeoutMs`) until the hourly rollups of the range count every stored reading and the
 * service has no meter-hour pending, then reads the stored counts and the service's accepted counter.
 */
export async function checkDrain(
  target: InfluxTarget,
  httpUrl: string,
  n: number,
  range: { fromMs: number; toMs: number },
  timeoutMs = 120_000,
): Promise<DrainChecks> {
  const where = `time >= ${range.fromMs}ms AND time < ${range.toMs}ms`;
  const hourFrom = Math.floor(range.fromMs / HOUR_MS) * HOUR_MS;
  const hourTo = Math.ceil(range.toMs / HOUR_MS) * HOUR_MS;
  const hourWhere = `time >= ${hourFrom}ms AND time < ${hourTo}ms`;
  const started = performance.now();
  const until = Date.now() + timeoutMs;
  const storedInRange = await count(target, `SELECT count(wh) AS n FROM reading WHERE ${where}`);
  let hourlyCount: number;
  let pendingHourly = -1;
  for (;;) {
    hourlyCount = await count(target, `SELECT sum("count") AS n FROM "reading_1h" WHERE ${hourWhere}`);
    if (hourlyCount === storedInRange) {
      pendingHourly = metricValue(await scrapeMetrics(httpUrl), 'kzm_rollup_pending_hourly');
      if (pendingHourly === 0) break;
    }
    if (Date.now() > until) break;
    await new Promise((r) => setTimeout(r, 200)); // the rollup worker runs once a second
  }
  const rollupSeconds = (performance.now() - started) / 1000;
  const storedTotal = await count(target, 'SELECT count(wh) AS n FROM reading');
  const hourRows = await count(target, `SELECT count("count") AS n FROM "reading_1h" WHERE ${hourWhere}`);
  const acceptedByService = metricValue(await scrapeMetrics(httpUrl), 'kzm_ingest_readings_accepted_total');
  return {
    storedInRange,
    storedTotal,
    acceptedByService,
    exactlyOnce: storedInRange === n && storedTotal === n,
    hourlyCount,
    hourRows,
    pendingHourly,
    rollupsComplete: hourlyCount === storedInRange && storedInRange === n && pendingHourly === 0,
    rollupSeconds: +rollupSeconds.toFixed(1),
  };
}
