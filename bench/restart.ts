/**
 * `npm run bench restart` (issue 25): what a start costs with a quarter of history. BENCH_RESTART_METERS meters
 * (default 1,000) x BENCH_RESTART_DAYS days (default 90) of 1-minute readings are written straight into InfluxDB
 * (line protocol in bulk from src/store/schema.ts) with their rollups (src/rollup/rebuild.ts), as a service that
 * had run that long would have left them. Then `kzmeter serve` runs on it as its own process twice: a first start
 * (no checkpoints: the service has never run on this data dir) and, after a clean stop, a restart. For each:
 * seconds from the spawn to /health ok and to the first 200 of /api/ledger for the running quarter, the InfluxDB
 * queries (/metrics kzm_influx_queries_total) and CPU seconds (service and influxd, from /proc) until then and
 * until its start-up work is done (fee_1d's start-up computation logged, no rollup pending).
 * Full size is 130 M points: run it small first, e.g. BENCH_RESTART_METERS=50 BENCH_RESTART_DAYS=10.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { quarterAt } from '../src/fees/index.ts';
import { freePort } from '../src/util/free-port.ts';
import type { InfluxTarget } from '../src/store/influx-target.ts';
import { writeHistory } from '../test/helpers/history.ts';
import { startInflux } from '../test/helpers/influx.ts';
import { spawnService, type ServiceProcess } from '../test/helpers/service-process.ts';
import { metricValue, scrapeMetrics } from './prom-scrape.ts';
import { childPids, processCpuMs } from './proc-cpu.ts';

const FEE_DAYS_DONE = /^Fee days (resumed from their checkpoint|of the running quarter computed)/;

interface Mark {
  readonly atS: number;
  readonly queries: number;
  readonly timeouts: number;
  readonly statements: number;
  readonly serviceCpuS: number;
  readonly influxdCpuS: number;
}

export interface StartFigures {
  readonly healthOkS: number;
  readonly ledgerS: number;
  /** Answers before the first 200 (503 while the rollups caught up, before issue 25). */
  readonly ledgerRefusals: number;
  readonly atLedger: Mark;
  /** Start-up work done: fee_1d's start-up computation logged and no rollup pending. */
  readonly settled: Mark;
  readonly feeDays: Record<string, unknown> | undefined;
  readonly rollupRecovery: Record<string, unknown> | undefined;
}

const envInt = (name: string, dflt: number): number => {
  const v = Number(process.env[name] ?? dflt);
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name} must be a whole number >= 1, got ${process.env[name]}`);
  return v;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (x: number) => Math.round(x * 10) / 10;

/** One start of the service on dataDir, measured; the service is stopped cleanly at the end. */
async function measureStart(target: InfluxTarget, registryDir: string, dataDir: string): Promise<StartFigures> {
  const influxd = childPids('influxd')[0];
  const influxCpu0 = influxd ? processCpuMs(influxd) : 0;
  const t0 = performance.now();
  const svc: ServiceProcess = await spawnService(
    {
      KZM_HTTP_PORT: String(await freePort()),
      KZM_MQTT_EMBEDDED_PORT: String(await freePort()),
      KZM_INFLUX_URL: target.url,
      KZM_INFLUX_DATABASE: target.database,
      KZM_DATA_DIR: dataDir,
      KZM_REGISTRY_DIR: registryDir,
    },
    600_000,
  );
  const sinceS = () => (performance.now() - t0) / 1000;
  const mark = async (): Promise<Mark> => {
    const text = await scrapeMetrics(svc.httpUrl);
    return {
      atS: round(sinceS()),
      queries: metricValue(text, 'kzm_influx_queries_total'),
      timeouts: Number(/kzm_influx_queries_total\{outcome="timeout"\} (\d+)/.exec(text)?.[1] ?? 0),
      statements: metricValue(text, 'kzm_influx_query_statements_total'),
      serviceCpuS: round(processCpuMs(svc.pid) / 1000),
      influxdCpuS: round(((influxd ? processCpuMs(influxd) : 0) - influxCpu0) / 1000),
    };
  };
  try {
    while ((await fetch(`${svc.httpUrl}/health`)).status !== 200) await sleep(100);
    const healthOkS = round(sinceS());
    const period = quarterAt(Date.now(), 'Asia/Almaty').label;
    let refusals = 0;
    for (;;) {
      const res = await fetch(`${svc.httpUrl}/api/ledger?period=${period}`);
      await res.arrayBuffer();
      if (res.status === 200) break;
      refusals++;
      if (res.status !== 503 || sinceS() > 1800) throw new Error(`ledger: HTTP ${res.status}`);
      await sleep(500);
    }
    const ledgerS = round(sinceS());
    const atLedger = await mark();
    const feeDone = () => svc.logLines().find((l) => FEE_DAYS_DONE.test(l.msg));
    while (!feeDone() || metricValue(await scrapeMetrics(svc.httpUrl), 'kzm_rollup_pending_hourly') > 0) {
      if (sinceS() > 3600) throw new Error(`start-up work not done in an hour: ${svc.logTail()}`);
      await sleep(500);
    }
    const settled = await mark();
    const recovery = svc
      .logLines()
      .find((l) => l.msg === 'Recomputing rollups of readings stored before the last stop.');
    const pick = (l: Record<string, unknown> | undefined, keys: string[]) =>
      l && Object.fromEntries(keys.filter((k) => k in l).map((k) => [k, l[k]]));
    return {
      healthOkS,
      ledgerS,
      ledgerRefusals: refusals,
      atLedger,
      settled,
      feeDays: pick(feeDone(), ['msg', 'days', 'points', 'ms', 'since', 'why']),
      rollupRecovery: pick(recovery, ['meterHours', 'since', 'cleanStop']),
    };
  } finally {
    await svc.kill('SIGTERM');
  }
}

export async function benchRestart() {
  const meters = envInt('BENCH_RESTART_METERS', 1000);
  const days = envInt('BENCH_RESTART_DAYS', 90);
  const loadBefore = loadavg().map(round);
  const influx = await startInflux();
  const dataDir = mkdtempSync(join(tmpdir(), 'kzm-bench-restart-'));
  let registryDir: string | undefined;
  try {
    const target = await influx.database();
    console.error(`restart: writing ${meters} meters x ${days} days of 1-minute readings and their rollups ...`);
    let shown = 0;
    const history = await writeHistory(target, {
      meters,
      days,
      stepMs: 60_000,
      onProgress: (p) => {
        const pct = Math.floor((p.done / p.total) * 10);
        if (pct === shown && p.done !== p.total) return;
        shown = pct;
        console.error(`  ${p.phase}: ${p.done} of ${p.total}`);
      },
    });
    registryDir = history.registryDir;
    console.error(`restart: first start (no checkpoints) ...`);
    const first = await measureStart(target, registryDir, dataDir);
    console.error(`restart: restart after a clean stop ...`);
    const restart = await measureStart(target, registryDir, dataDir);
    return {
      meters,
      days,
      readings: history.readings,
      writeS: { raw: round(history.rawSeconds), rollups: round(history.rollupSeconds) },
      firstStart: first,
      restart,
      loadAverage: { before: loadBefore, after: loadavg().map(round) },
    };
  } finally {
    await influx.stop();
    rmSync(dataDir, { recursive: true, force: true });
    if (registryDir) rmSync(registryDir, { recursive: true, force: true });
  }
}
