/**
 * Ledger benchmark: one quarter (2025-Q3, 2,208 h) of steady meters.
 *   pure core:  computeMeterLedger over in-memory readings, 1,000 meters at 1-minute readings (the
 *               issue's scale), 500 meters (meters halved) and 500 meters at 30 s (rate doubled).
 *   hourly core: the Node side of the store path at 1,000 meters (hour summaries + raw hours).
 *   store path: a real influxd 1.6 holding the rollups of 1,000 meters at 1 min and 500 meters at 30 s (as the
 *               service keeps them, computed by the same functions) plus the raw readings of every day the
 *               engine opens; ledger of 500 and 1,000 meters at 1 min and 500 at 30 s. Loading all 132 M raw
 *               points is out of reach here, so the full pipeline (raw -> rollup rebuild -> ledger, checked
 *               against the raw path) runs at 50 meters.
 * Prints a table, returns the figures (bench/run.mts) and writes .bench-results/ledger-*.json.
 * Run: npx tsx bench/ledger.ts   (about 3 minutes)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import {
  type TariffSet,
  computeMeterLedger,
  computeMeterLedgerFromHours,
  daysFromHours,
  expandFlaggedDays,
  loadTariffs,
  rawHoursNeeded,
  summarizeHours,
} from '../src/fees/index.ts';
import { rebuildRollups } from '../src/rollup/rebuild.ts';
import {
  computeRawLedger,
  computeStoreLedger,
  type MeterPeriod,
  type StoreLedgerOptions,
} from '../src/ledger/store-ledger.ts';
import { loadConfig } from '../src/config/load.ts';
import { influxTarget, type InfluxTarget } from '../src/store/influx-target.ts';
import { createLocalInflux } from '../src/store/local-influxd.ts';
import { emptyStats } from '../src/store/query/client.ts';
import { ensureDatabase } from '../src/store/setup.ts';
import { HOUR_MS, benchFacts, readingsOf } from './ledger-data.ts';
import { FROM, MIN, TO, loadRaw, loadRollups, post } from './ledger-load.ts';
import { saveResult } from './lib.ts';
import { machineCpuMs, processCpuMs } from './proc-cpu.ts';
import { benchReaders, type ReadersRow } from './readers.ts';
import { benchReadersHttp, type ReadersHttpRow } from './readers-http.ts';

export { FROM, MIN, TO, loadRollups } from './ledger-load.ts';
const MARGIN = 30 * MIN;

export interface LedgerBenchRow {
  readonly path: string;
  readonly meters: number;
  readonly stepS: number;
  readonly readings: number;
  readonly seconds: number;
  /** CPU time of this process (the ledger's Node side) and of influxd during the measured run. */
  readonly nodeCpuS?: number;
  readonly influxdCpuS?: number;
  readonly note?: string;
}

const secs = (t0: number) => (performance.now() - t0) / 1000;

async function tariffSet(): Promise<TariffSet> {
  const t = await loadTariffs(fileURLToPath(new URL('../tariffs', import.meta.url)));
  if (!t.ok) throw new Error(t.reason);
  return t.value;
}

/** Pure core: readings generated per meter (not timed), ledger timed. */
function benchPure(tariffs: TariffSet, meters: number, stepMs: number): LedgerBenchRow {
  let seconds = 0;
  let readings = 0;
  for (let i = 0; i < meters; i++) {
    const r = readingsOf(i, FROM - MARGIN, TO + MARGIN, stepMs);
    readings += r.length;
    const t0 = performance.now();
    const l = computeMeterLedger({
      facts: benchFacts(i, stepMs),
      readings: r,
      statusEvents: [],
      fromMs: FROM,
      toMs: TO,
      tariffs,
    });
    seconds += secs(t0);
    if (!l.ok) throw new Error(l.reason);
  }
  return { path: 'pure core (in memory)', meters, stepS: stepMs / 1000, readings, seconds };
}

/** The Node side of the store path: day buckets, hours of opened days, raw readings of opened hours. */
function benchHourly(tariffs: TariffSet, meters: number, stepMs: number): LedgerBenchRow {
  let seconds = 0;
  let readings = 0;
  for (let i = 0; i < meters; i++) {
    const r = readingsOf(i, FROM - MARGIN, TO + MARGIN, stepMs);
    readings += r.length;
    const hours = summarizeHours(r);
    if (!hours.ok) throw new Error(hours.reason);
    const days = daysFromHours(hours.value);
    const ctx = { facts: benchFacts(i, stepMs), statusEvents: [], fromMs: FROM, toMs: TO, tariffs };
    // What the store answers (not timed: InfluxDB's work): hours of the opened days, raw readings of the opened hours.
    const opened = rawHoursNeeded(ctx, days);
    const buckets = expandFlaggedDays(days, opened, hours.value);
    const needed = new Set(rawHoursNeeded(ctx, buckets));
    const rawReadings = r.filter((x) => needed.has(Math.floor(x.tsMs / HOUR_MS) * HOUR_MS));
    const t0 = performance.now();
    rawHoursNeeded(ctx, days);
    rawHoursNeeded(ctx, buckets);
    const l = computeMeterLedgerFromHours({ ...ctx, hours: buckets, rawReadings });
    seconds += secs(t0);
    if (!l.ok) throw new Error(l.reason);
  }
  return { path: 'bucket core (Node side of store path)', meters, stepS: stepMs / 1000, readings, seconds };
}

export interface StoreRunOptions {
  /** The raw path instead (every reading into Node). */
  readonly raw?: boolean;
  /** influxd's pid: its CPU time is reported next to Node's (the machine is shared: CPU says more than wall). */
  readonly influxPid?: number | undefined;
  /** Runs; the row reports the median wall time and lists all. Default 1. */
  readonly runs?: number;
}

export async function benchStore(
  target: InfluxTarget,
  tariffs: TariffSet,
  meters: number,
  stepMs: number,
  options: StoreLedgerOptions = {},
  run: StoreRunOptions = {},
): Promise<LedgerBenchRow> {
  const list: MeterPeriod[] = Array.from({ length: meters }, (_, i) => ({
    facts: benchFacts(i, stepMs),
    fromMs: FROM,
    toMs: TO,
  }));
  const readings = meters * Math.floor((TO - FROM) / stepMs);
  const runs: { seconds: number; nodeCpuMs: number; influxdCpuMs: number; machineBusy: number }[] = [];
  const influxdCpuMs = () => (run.influxPid === undefined ? NaN : processCpuMs(run.influxPid));
  let s = emptyStats();
  for (let k = 0; k < Math.max(1, run.runs ?? 1); k++) {
    const [c0, i0, m0, t0] = [process.cpuUsage(), influxdCpuMs(), machineCpuMs(), performance.now()];
    const r = run.raw
      ? await computeRawLedger({ target, meters: list, tariffs })
      : await computeStoreLedger({ target, meters: list, tariffs, options });
    const [c, m1] = [process.cpuUsage(c0), machineCpuMs()];
    runs.push({
      seconds: secs(t0),
      nodeCpuMs: (c.user + c.system) / 1000,
      influxdCpuMs: influxdCpuMs() - i0,
      machineBusy: (m1.busy - m0.busy) / Math.max(1, m1.total - m0.total),
    });
    s = r.stats;
  }
  const median = [...runs].sort((a, b) => a.seconds - b.seconds)[Math.floor(runs.length / 2)]!;
  const grouping = run.raw
    ? 'raw path (every reading into Node)'
    : `store path (${options.grouping ?? 'group-by-meter'}${options.chunkSize ? `, ${options.chunkSize} a chunk` : ''}${options.concurrency ? `, ${options.concurrency} at once` : ''})`;
  const cpu =
    `; CPU node ${Math.round(median.nodeCpuMs)} ms` +
    (Number.isFinite(median.influxdCpuMs) ? ` + influxd ${Math.round(median.influxdCpuMs)} ms` : '') +
    `, machine ${Math.round(median.machineBusy * 100)}% busy`;
  const all = runs.length > 1 ? `; median of ${runs.map((x) => x.seconds.toFixed(2)).join(', ')} s` : '';
  return {
    path: grouping,
    meters,
    stepS: stepMs / 1000,
    readings,
    seconds: median.seconds,
    nodeCpuS: median.nodeCpuMs / 1000,
    ...(Number.isFinite(median.influxdCpuMs) && { influxdCpuS: median.influxdCpuMs / 1000 }),
    note: `${s.requests} requests, ${s.dayBuckets} day + ${s.hourBuckets} hour buckets, ${s.rawHours} raw hours, ${s.rawReadings} raw readings${cpu}${all}`,
  };
}

export interface LedgerBenchResult {
  readonly scale: string;
  readonly rows: LedgerBenchRow[];
  readonly load: { what: string; points: number; seconds: number; pointsPerS: number }[];
  readonly rollupRebuild: { meters: number; readings: number; seconds: number; readingsPerS: number };
  readonly growth: Record<string, number>;
  /** Median wall time of 3 runs. */
  readonly store1000MetersS: number;
  /** CPU of that run: the ledger's Node side and influxd (on a shared machine wall time also counts waiting for a core). */
  readonly store1000MetersCpuS: { readonly node: number; readonly influxd?: number };
  readonly targetS: number;
  readonly readers: ReadersRow[];
  /** Issue 22: 200 identical running-quarter ledgers over HTTP, 2,000 meters, the service under its heap cap. */
  readonly readersHttp: ReadersHttpRow[];
}

export async function benchLedger(opts: { log?: (line: string) => void } = {}): Promise<LedgerBenchResult> {
  const log = opts.log ?? ((l: string) => console.error(l));
  const tariffs = await tariffSet();
  const rows: LedgerBenchRow[] = [];
  const step = (r: LedgerBenchRow) => {
    rows.push(r);
    log(`  ${r.path}: ${r.meters} meters @ ${r.stepS} s: ${r.seconds.toFixed(2)} s ${r.note ?? ''}`);
    return r;
  };

  log('pure core ...');
  const p1000 = step(benchPure(tariffs, 1000, MIN));
  const p500 = step(benchPure(tariffs, 500, MIN));
  const p500f = step(benchPure(tariffs, 500, MIN / 2));
  step(benchHourly(tariffs, 1000, MIN));

  const dir = mkdtempSync(join(tmpdir(), 'kzm-bench-ledger-'));
  const influx = createLocalInflux({ dataDir: dir });
  await influx.start();
  try {
    const silent = pino({ level: 'silent' });
    const db = async (name: string) => {
      const t = influxTarget(
        loadConfig({ env: {}, overrides: { influx: { database: name, timeoutMs: 600_000 } } }).influx,
        influx.url,
      );
      await ensureDatabase(t, silent);
      return t;
    };
    const [a, b, c] = [await db('bench_1min'), await db('bench_30s'), await db('bench_raw')];
    const load: LedgerBenchResult['load'] = [];
    const loaded = (what: string, l: { points: number; seconds: number }) => {
      load.push({ what, points: l.points, seconds: l.seconds, pointsPerS: Math.round(l.points / l.seconds) });
      log(`  loaded ${what}: ${l.points} points in ${l.seconds.toFixed(1)} s`);
    };
    log('loading rollups (+ raw readings of opened days): 1,000 meters @ 60 s, 500 meters @ 30 s ...');
    loaded('rollups + opened days, 1,000 meters @ 60 s', await loadRollups(a, tariffs, 1000, MIN));
    loaded('rollups + opened days, 500 meters @ 30 s', await loadRollups(b, tariffs, 500, MIN / 2));
    await benchStore(a, tariffs, 20, MIN); // warm-up: the first query after a load pays for compaction and cache
    log('store path ...');
    // The headline rows: median of 3 runs, influxd's CPU next to Node's.
    const m3 = { influxPid: influx.pid, runs: 3 };
    const dflt: StoreLedgerOptions = { grouping: 'group-by-meter', chunkSize: 100, concurrency: 2 };
    const s500 = step(await benchStore(a, tariffs, 500, MIN, dflt, m3));
    const s1000 = step(await benchStore(a, tariffs, 1000, MIN, dflt, m3));
    const s500f = step(await benchStore(b, tariffs, 500, MIN / 2, dflt, m3));
    const once = { influxPid: influx.pid };
    step(await benchStore(a, tariffs, 1000, MIN, { grouping: 'per-meter', concurrency: 4 }, once));
    step(await benchStore(a, tariffs, 1000, MIN, { grouping: 'group-by-meter', chunkSize: 250, concurrency: 4 }, once));

    log('readers: 1, 20 and 200 at once, through the ledger cache ...');
    const readers = await benchReaders(
      a,
      tariffs,
      Array.from({ length: 1000 }, (_, i) => ({ facts: benchFacts(i, MIN), fromMs: FROM, toMs: TO })),
      log,
    );

    log('readers over HTTP: the service process, 2,000 meters, 200 identical running-quarter ledgers at once ...');
    const readersHttp = [
      await benchReadersHttp({ log }), // gzip, as browsers, curl --compressed and fetch ask
      await benchReadersHttp({ log, gzip: false }),
    ];

    log('full pipeline at 50 meters: raw readings, rollups rebuilt from them, ledger ...');
    const nRaw = 50;
    loaded(`raw readings, ${nRaw} meters @ 60 s`, await loadRaw(c, nRaw, MIN));
    const sink = { write: (lines: readonly string[]) => (lines.length ? post(c, [...lines]) : Promise.resolve()) };
    const t0 = performance.now();
    const rb = await rebuildRollups({
      target: c,
      sink,
      meterIds: Array.from({ length: nRaw }, (_, i) => benchFacts(i, MIN).meterId),
      fromMs: FROM - MARGIN,
      toMs: TO + MARGIN,
    });
    const rollupRebuild = {
      meters: nRaw,
      readings: rb.rawReadings,
      seconds: secs(t0),
      readingsPerS: Math.round(rb.rawReadings / secs(t0)),
    };
    log(
      `  rollups rebuilt from ${rb.rawReadings} readings in ${rollupRebuild.seconds.toFixed(1)} s (${rollupRebuild.readingsPerS}/s)`,
    );
    const sFull = step(await benchStore(c, tariffs, nRaw, MIN, { grouping: 'group-by-meter', chunkSize: 100 }));
    const rawRef = step(await benchStore(c, tariffs, 2, MIN, {}, { raw: true }));
    const ledgerOf = async (meters: number) =>
      (
        await computeStoreLedger({
          target: c,
          meters: Array.from({ length: meters }, (_, i) => ({ facts: benchFacts(i, MIN), fromMs: FROM, toMs: TO })),
          tariffs,
        })
      ).meters;
    const rawOf = async (meters: number) =>
      (
        await computeRawLedger({
          target: c,
          meters: Array.from({ length: meters }, (_, i) => ({ facts: benchFacts(i, MIN), fromMs: FROM, toMs: TO })),
          tariffs,
        })
      ).meters;
    if (JSON.stringify(await ledgerOf(2)) !== JSON.stringify(await rawOf(2)))
      throw new Error('store path and raw path disagree on the bench data');
    void sFull;
    void rawRef;
    const result: LedgerBenchResult = {
      scale:
        'store path: rollups of 1,000 meters x 2025-Q3 at 60 s and 500 meters at 30 s, as the service keeps them, plus the raw readings of the days the engine opens; ' +
        `full pipeline (raw -> rollups -> ledger) at ${nRaw} meters; pure core: 1000/500 meters at 60 s, 500 at 30 s`,
      rows,
      load,
      rollupRebuild,
      growth: {
        pureMetersX2: p1000.seconds / p500.seconds,
        pureRateX2: p500f.seconds / p500.seconds,
        storeMetersX2: s1000.seconds / s500.seconds,
        storeRateX2: s500f.seconds / s500.seconds,
      },
      store1000MetersS: s1000.seconds,
      store1000MetersCpuS: {
        node: s1000.nodeCpuS ?? NaN,
        ...(s1000.influxdCpuS !== undefined && { influxd: s1000.influxdCpuS }),
      },
      targetS: 1,
      readers,
      readersHttp,
    };
    printTable(result);
    return result;
  } finally {
    await influx.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function printTable(r: LedgerBenchResult): void {
  const head = ['path', 'meters', 'step s', 'readings', 'seconds', 'details'];
  const body = r.rows.map((x) => [
    x.path,
    String(x.meters),
    String(x.stepS),
    String(x.readings),
    x.seconds.toFixed(2),
    x.note ?? '',
  ]);
  const w = head.map((_, i) => Math.max(...[head, ...body].map((row) => row[i]!.length)));
  const fmt = (row: string[]) =>
    row.map((c, i) => (i === 0 || i === 5 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ');
  console.log(`\nLedger of one quarter (2025-Q3, 2,208 h). ${r.scale}`);
  console.log(fmt(head));
  console.log(w.map((n) => '-'.repeat(n)).join('  '));
  for (const row of body) console.log(fmt(row));
  console.log(
    `\ngrowth: pure core meters x2 -> x${r.growth.pureMetersX2!.toFixed(2)}, rate x2 -> x${r.growth.pureRateX2!.toFixed(2)}; ` +
      `store path meters x2 -> x${r.growth.storeMetersX2!.toFixed(2)}, rate x2 -> x${r.growth.storeRateX2!.toFixed(2)}`,
  );
  console.log(
    `store path, 1,000 meters at 60 s: ${r.store1000MetersS.toFixed(2)} s (median of 3) = ${(r.store1000MetersS / r.targetS).toFixed(2)} of the ${r.targetS} s target; ` +
      `CPU node ${r.store1000MetersCpuS.node.toFixed(2)} s + influxd ${r.store1000MetersCpuS.influxd?.toFixed(2) ?? '?'} s`,
  );
  console.log(
    `rollups rebuilt from raw readings: ${r.rollupRebuild.readingsPerS} readings/s (${r.rollupRebuild.meters} meters, ${r.rollupRebuild.seconds.toFixed(1)} s)`,
  );
  console.log('\nLedger readers (one quarter; identical: 1,000 meters each; distinct: a 100-meter subset each):');
  console.log('kind               readers   p50 ms   p99 ms   2xx   5xx  peak RSS MB  (growth)  computations');
  printReadersHttp(r.readersHttp);
  for (const x of r.readers) {
    console.log(
      `${x.kind.padEnd(17)}  ${String(x.concurrent).padStart(7)}  ${String(x.p50Ms).padStart(7)}  ${String(x.p99Ms).padStart(7)}` +
        `  ${String(x.status2xx).padStart(4)}  ${String(x.status5xx).padStart(4)}  ${String(x.peakRssMb).padStart(11)}  ${`+${x.peakRssGrowthMb}`.padStart(8)}  ${String(x.computations).padStart(12)}`,
    );
  }
}

/** Issue 22's case: target all 200 answered 200, p99 under 2 s, service peak RSS under 300 MB. */
function printReadersHttp(rows: readonly ReadersHttpRow[]): void {
  console.log(
    '\nLedger readers over HTTP (the service process, --max-old-space-size=256; 200 identical running-quarter ledgers; target: all 2xx, p99 < 2 s, peak RSS < 300 MB):',
  );
  console.log('meters  encoding  answer KiB  alone ms   p50 ms   p99 ms   2xx   5xx  peak RSS MB  computations');
  for (const x of rows)
    console.log(
      `${String(x.meters).padStart(6)}  ${(x.gzip ? 'gzip' : 'identity').padEnd(8)}  ${String(Math.round(x.answerBytes / 1024)).padStart(10)}` +
        `  ${String(x.aloneMs).padStart(8)}  ${String(x.p50Ms).padStart(7)}  ${String(x.p99Ms).padStart(7)}  ${String(x.status2xx).padStart(4)}` +
        `  ${String(x.status5xx).padStart(4)}  ${String(x.peakRssMb).padStart(11)}  ${String(x.computations).padStart(12)}`,
    );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const t0 = performance.now();
  const result = await benchLedger();
  console.log(
    `results: ${saveResult('ledger', { at: new Date().toISOString(), node: process.version, totalSeconds: secs(t0), ...result })}`,
  );
  process.exit(0);
}
