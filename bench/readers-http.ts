/**
 * Ledger readers over HTTP, the service as deployed (issue 22): its own process with the shipped heap cap
 * (--max-old-space-size=256), a registry of 2,000 meters (100 of them with two days of 1-minute readings, as the
 * service keeps them: rollups and the raw readings of the days the engine opens), and 200 concurrent identical
 * GET /api/ledger?period=<running quarter>. Before issue 22 this ran the service out of heap. Prints one request
 * alone, then the 200: p50/p99, 2xx/5xx (a failed connection counts as 5xx: the service died) and the service's
 * peak RSS. Target: all 200 answered 200, p99 under 2 s, peak RSS under 300 MB.
 * Run alone: npx tsx bench/readers-http.ts [meters] [readers] [gzip|identity]
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadTariffs } from '../src/fees/index.ts';
import { startInflux } from '../test/helpers/influx.ts';
import { ledgerStorm, runningQuarterLabel } from '../test/helpers/ledger-storm.ts';
import { writeBenchRegistry } from '../test/helpers/synthetic-registry.ts';
import { sampleRss, serveProcess } from './lib.ts';
import { metricValue, scrapeMetrics } from './prom-scrape.ts';
import { loadRollups } from './ledger-load.ts';

export interface ReadersHttpRow {
  readonly meters: number;
  readonly metersWithReadings: number;
  readonly readers: number;
  readonly gzip: boolean;
  readonly period: string;
  readonly answerBytes: number;
  /** One request with nothing else running, ms. */
  readonly aloneMs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly status2xx: number;
  readonly status5xx: number;
  readonly peakRssMb: number;
  /** The service's peak RSS before the 200 came (start, registry, one ledger alone). */
  readonly peakRssBeforeMb: number;
  readonly serviceAlive: boolean;
  /** From the service's /metrics: ledger computations for the 200 (ideally 1) and requests that shared one. */
  readonly computations: number;
  readonly shared: number;
}

const MIN = 60_000;
const DAY = 86_400_000;
const pct = (xs: number[], p: number) =>
  Math.round([...xs].sort((a, b) => a - b)[Math.floor((p / 100) * (xs.length - 1))]!);

/** Local midnight (UTC+5) starting the running quarter. */
function quarterStartMs(label: string): number {
  const [y, q] = label.split('-Q').map(Number) as [number, number];
  return Date.UTC(y, (q - 1) * 3, 1) - 5 * 3_600_000;
}

export async function benchReadersHttp(
  opts: {
    meters?: number;
    withReadings?: number;
    readers?: number;
    /** Ask for gzip as browsers do (default); false: the 2 MB JSON each, as a client without it. */
    gzip?: boolean;
    log?: (l: string) => void;
  } = {},
): Promise<ReadersHttpRow> {
  const gzip = opts.gzip ?? true;
  const meters = opts.meters ?? 2000;
  const withReadings = Math.min(meters, opts.withReadings ?? 100);
  const readers = opts.readers ?? 200;
  const log = opts.log ?? ((l: string) => console.error(l));
  const tariffs = await loadTariffs(fileURLToPath(new URL('../tariffs', import.meta.url)));
  if (!tariffs.ok) throw new Error(tariffs.reason);
  const dir = mkdtempSync(join(tmpdir(), 'kzm-bench-readers-'));
  const influx = await startInflux();
  try {
    const target = await influx.database('bench_readers');
    const registryDir = join(dir, 'registry');
    mkdirSync(registryDir);
    writeBenchRegistry(registryDir, meters);
    const period = runningQuarterLabel();
    const now = Math.floor(Date.now() / MIN) * MIN;
    const span = { fromMs: quarterStartMs(period), toMs: now, readFromMs: now - 2 * DAY, readToMs: now - MIN };
    const loaded = await loadRollups(target, tariffs.value, withReadings, MIN, span);
    log(`  readers over HTTP: ${meters} meters, ${withReadings} with 2 days of readings (${loaded.points} points)`);
    const svc = await serveProcess(target, registryDir);
    const rss = sampleRss(svc.svc.pid, 50);
    try {
      const url = `${svc.svc.httpUrl}/api/ledger?period=${period}`;
      // One request with nothing else running, then a pause longer than a running answer is reused (5 s), so the
      // 200 start a computation of their own, as a dashboard wall refreshing at once would.
      const first = (await ledgerStorm(url, 1, { gzip })).answers[0]!;
      if (first.status !== 200) throw new Error(`ledger alone answered ${first.status}`);
      const answerBytes = first.bytes; // on the wire: gzipped, as a browser asks
      await new Promise((r) => setTimeout(r, 6000));
      const peakRssBeforeMb = rss.peakMb();
      const answered = async (how: string) =>
        metricValue(await scrapeMetrics(svc.svc.httpUrl), `kzm_ledger_answers_total{how="${how}"}`);
      const [computed0, shared0] = [await answered('computed'), await answered('shared')];
      const storm = await ledgerStorm(url, readers, { gzip });
      const ok = storm.answers.filter((a) => a.status >= 200 && a.status < 300);
      const serviceAlive = await fetch(`${svc.svc.httpUrl}/health`).then(
        () => true,
        () => false,
      );
      const row: ReadersHttpRow = {
        meters,
        metersWithReadings: withReadings,
        readers,
        gzip,
        period,
        answerBytes,
        aloneMs: Math.round(first.ms),
        p50Ms: pct(
          storm.answers.map((a) => a.ms),
          50,
        ),
        p99Ms: pct(
          storm.answers.map((a) => a.ms),
          99,
        ),
        status2xx: ok.length,
        status5xx: storm.answers.filter((a) => a.status >= 500 || a.status === 0).length,
        peakRssMb: rss.stop().peakRssMb,
        peakRssBeforeMb,
        serviceAlive,
        computations: (await answered('computed')) - computed0,
        shared: (await answered('shared')) - shared0,
      };
      log(
        `  readers over HTTP x${readers} (identical, ${period}, ${meters} meters, ${Math.round(answerBytes / 1024)} KiB each${gzip ? ' gzipped' : ''}): ` +
          `alone ${row.aloneMs} ms; p50 ${row.p50Ms} ms, p99 ${row.p99Ms} ms, 2xx ${row.status2xx}, 5xx ${row.status5xx}, ` +
          `service peak RSS ${row.peakRssMb} MB (${row.peakRssBeforeMb} MB before the 200), ${row.computations} computations` +
          `${serviceAlive ? '' : ', SERVICE DIED'}`,
      );
      return row;
    } finally {
      rss.stop();
      await svc.stop();
    }
  } finally {
    await influx.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const row = await benchReadersHttp({
    meters: Number(process.argv[2] ?? 2000),
    readers: Number(process.argv[3] ?? 200),
    gzip: process.argv[4] !== 'identity',
  });
  console.log(JSON.stringify(row));
  process.exit(0);
}
