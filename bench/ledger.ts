/**
 * Ledger benchmark: one quarter (2025-Q3, 2,208 h) of steady meters.
 *   pure core:  computeMeterLedger over in-memory readings, 1,000 meters at 1-minute readings (the
 *               issue's scale), 500 meters (meters halved) and 500 meters at 30 s (rate doubled).
 *   hourly core: the Node side of the store path at 1,000 meters (hour summaries + raw hours).
 *   store path: a real influxd 1.6 loaded with a scaled set - 50 meters x 1 quarter at 1 min (6.6 M points)
 *               and 25 meters at 30 s (6.6 M points) - queried for 25 and 50 meters at 1 min and 25 at 30 s;
 *               BENCH_LEDGER_SCALE=2 doubles the meter counts. Loading 130 M points is out of reach here.
 * Prints a table, returns the figures (bench/run.mts) and writes .bench-results/ledger-*.json.
 * Run: npx tsx bench/ledger.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { type TariffSet, computeMeterLedger, computeMeterLedgerFromHours, loadTariffs, rawHoursNeeded } from '../src/fees/index.ts';
import { computeRawLedger, computeStoreLedger, type MeterPeriod, type StoreLedgerOptions } from '../src/ledger/store-ledger.ts';
import { loadConfig } from '../src/config/load.ts';
import { influxTarget, type InfluxTarget } from '../src/store/influx-target.ts';
import { createLocalInflux } from '../src/store/local-influxd.ts';
import { ensureDatabase } from '../src/store/setup.ts';
import { HOUR_MS, benchFacts, linesOf, readingsOf, summariesOf } from './ledger-data.ts';
import { saveResult } from './lib.ts';

const FROM = Date.parse('2025-07-01T00:00+05:00');
const TO = Date.parse('2025-10-01T00:00+05:00');
const MIN = 60_000;
const MARGIN = 30 * MIN;

export interface LedgerBenchRow {
  readonly path: string;
  readonly meters: number;
  readonly stepS: number;
  readonly readings: number;
  readonly seconds: number;
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
    const l = computeMeterLedger({ facts: benchFacts(i, stepMs), readings: r, statusEvents: [], fromMs: FROM, toMs: TO, tariffs });
    seconds += secs(t0);
    if (!l.ok) throw new Error(l.reason);
  }
  return { path: 'pure core (in memory)', meters, stepS: stepMs / 1000, readings, seconds };
}

/** The Node side of the store path: hour summaries + raw readings of the hours that need them. */
function benchHourly(tariffs: TariffSet, meters: number, stepMs: number): LedgerBenchRow {
  let seconds = 0;
  let readings = 0;
  for (let i = 0; i < meters; i++) {
    const r = readingsOf(i, FROM - MARGIN, TO + MARGIN, stepMs);
    readings += r.length;
    const hours = summariesOf(r);
    const ctx = { facts: benchFacts(i, stepMs), statusEvents: [], fromMs: FROM, toMs: TO, tariffs };
    // What the store answers for the hours rawHoursNeeded names (not timed: InfluxDB's work).
    const needed = new Set(rawHoursNeeded(ctx, hours));
    const rawReadings = r.filter((x) => needed.has(Math.floor(x.tsMs / HOUR_MS) * HOUR_MS));
    const t0 = performance.now();
    rawHoursNeeded(ctx, hours);
    const l = computeMeterLedgerFromHours({ ...ctx, hours, rawReadings });
    seconds += secs(t0);
    if (!l.ok) throw new Error(l.reason);
  }
  return { path: 'hourly core (Node side of store path)', meters, stepS: stepMs / 1000, readings, seconds };
}

async function load(target: InfluxTarget, meters: number, stepMs: number): Promise<{ points: number; seconds: number }> {
  const t0 = performance.now();
  let points = 0;
  let batch: string[] = [];
  const inflight: Promise<void>[] = [];
  const post = async (body: string) => {
    const res = await fetch(`${target.url}/write?db=${target.database}&precision=ns`, { method: 'POST', body });
    if (res.status !== 204) throw new Error(`write failed ${res.status}: ${await res.text()}`);
  };
  for (let i = 0; i < meters; i++) {
    linesOf(benchFacts(i, stepMs), i, FROM - MARGIN, TO + MARGIN, stepMs, (l) => batch.push(l));
    while (batch.length >= 50_000) {
      const body = batch.splice(0, 50_000).join('\n');
      points += 50_000;
      inflight.push(post(body));
      if (inflight.length >= 2) await inflight.shift();
    }
  }
  if (batch.length) { points += batch.length; inflight.push(post(batch.join('\n'))); batch = []; }
  await Promise.all(inflight);
  return { points, seconds: secs(t0) };
}

async function benchStore(target: InfluxTarget, tariffs: TariffSet, meters: number, stepMs: number, readings: number, options: StoreLedgerOptions = {}, raw = false): Promise<LedgerBenchRow> {
  const list: MeterPeriod[] = Array.from({ length: meters }, (_, i) => ({ facts: benchFacts(i, stepMs), fromMs: FROM, toMs: TO }));
  const t0 = performance.now();
  const r = raw ? await computeRawLedger({ target, meters: list, tariffs }) : await computeStoreLedger({ target, meters: list, tariffs, options });
  const seconds = secs(t0);
  const s = r.stats;
  const grouping = raw ? 'raw path (every reading into Node)' : `store path (${options.grouping ?? 'per-meter'}${options.chunkSize ? `, ${options.chunkSize} a chunk` : ''})`;
  return { path: grouping, meters, stepS: stepMs / 1000, readings, seconds, note: `${s.requests} requests, ${s.rows} rows, ${s.rawHours} raw hours, ${s.rawReadings} raw readings` };
}

export interface LedgerBenchResult {
  readonly scale: string;
  readonly rows: LedgerBenchRow[];
  readonly load: { points: number; seconds: number; pointsPerS: number }[];
  readonly growth: Record<string, number>;
  readonly estimate1000MetersStoreS: number;
}

export async function benchLedger(opts: { scale?: number; log?: (line: string) => void } = {}): Promise<LedgerBenchResult> {
  const scale = opts.scale ?? Number(process.env.BENCH_LEDGER_SCALE ?? 1);
  const log = opts.log ?? ((l: string) => console.error(l));
  const tariffs = await tariffSet();
  const rows: LedgerBenchRow[] = [];
  const step = (r: LedgerBenchRow) => { rows.push(r); log(`  ${r.path}: ${r.meters} meters @ ${r.stepS} s: ${r.seconds.toFixed(2)} s ${r.note ?? ''}`); return r; };

  log('pure core ...');
  const p1000 = step(benchPure(tariffs, 1000, MIN));
  const p500 = step(benchPure(tariffs, 500, MIN));
  const p500f = step(benchPure(tariffs, 500, MIN / 2));
  step(benchHourly(tariffs, 1000, MIN));

  const dir = mkdtempSync(join(tmpdir(), 'kzm-bench-ledger-'));
  const influx = createLocalInflux({ dataDir: dir });
  await influx.start();
  try {
    const cfg = (db: string) => loadConfig({ env: {}, overrides: { influx: { database: db, timeoutMs: 600_000 } } });
    const a = influxTarget(cfg('bench_1min').influx, influx.url);
    const b = influxTarget(cfg('bench_30s').influx, influx.url);
    const silent = pino({ level: 'silent' });
    await ensureDatabase(a, silent);
    await ensureDatabase(b, silent);
    const nA = 50 * scale;
    const nB = 25 * scale;
    log(`loading ${nA} meters @ 60 s and ${nB} meters @ 30 s into influxd ...`);
    const loads = [await load(a, nA, MIN), await load(b, nB, MIN / 2)].map((l) => ({ ...l, pointsPerS: Math.round(l.points / l.seconds) }));
    for (const l of loads) log(`  loaded ${l.points} points in ${l.seconds.toFixed(1)} s (${l.pointsPerS}/s)`);
    const perMeter1 = loads[0]!.points / nA;
    const perMeter2 = loads[1]!.points / nB;
    // Warm-up (first query after a load pays for compaction and cache).
    await benchStore(a, tariffs, 5, MIN, 0);
    log('store path ...');
    const sHalf = step(await benchStore(a, tariffs, nA / 2, MIN, perMeter1 * nA / 2));
    const sFull = step(await benchStore(a, tariffs, nA, MIN, perMeter1 * nA));
    const sFast = step(await benchStore(b, tariffs, nB, MIN / 2, perMeter2 * nB));
    step(await benchStore(a, tariffs, nA, MIN, perMeter1 * nA, { grouping: 'group-by-meter', chunkSize: 10 }));
    step(await benchStore(a, tariffs, 2, MIN, perMeter1 * 2, {}, true));
    step(await benchStore(a, tariffs, 2, MIN, perMeter1 * 2));
    const growth = {
      pureMetersX2: p1000.seconds / p500.seconds,
      pureRateX2: p500f.seconds / p500.seconds,
      storeMetersX2: sFull.seconds / sHalf.seconds,
      storeRateX2: sFast.seconds / sHalf.seconds,
    };
    const result: LedgerBenchResult = {
      scale: `store: ${nA} meters x 2025-Q3 at 60 s (${loads[0]!.points} points), ${nB} meters at 30 s (${loads[1]!.points} points); pure core: 1000/500 meters at 60 s, 500 at 30 s`,
      rows, load: loads, growth,
      estimate1000MetersStoreS: (sFull.seconds * 1000) / nA,
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
  const body = r.rows.map((x) => [x.path, String(x.meters), String(x.stepS), String(x.readings), x.seconds.toFixed(2), x.note ?? '']);
  const w = head.map((_, i) => Math.max(...[head, ...body].map((row) => row[i]!.length)));
  const fmt = (row: string[]) => row.map((c, i) => (i === 0 || i === 5 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ');
  console.log(`\nLedger of one quarter (2025-Q3, 2,208 h). ${r.scale}`);
  console.log(fmt(head));
  console.log(w.map((n) => '-'.repeat(n)).join('  '));
  for (const row of body) console.log(fmt(row));
  console.log(`\ngrowth: pure core meters x2 -> x${r.growth.pureMetersX2!.toFixed(2)}, rate x2 -> x${r.growth.pureRateX2!.toFixed(2)}; ` +
    `store path meters x2 -> x${r.growth.storeMetersX2!.toFixed(2)}, rate x2 -> x${r.growth.storeRateX2!.toFixed(2)}`);
  console.log(`store path, 1,000 meters at 60 s extrapolated linearly: ~${r.estimate1000MetersStoreS.toFixed(0)} s`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const t0 = performance.now();
  const result = await benchLedger();
  console.log(`results: ${saveResult('ledger', { at: new Date().toISOString(), node: process.version, totalSeconds: secs(t0), ...result })}`);
  process.exit(0);
}
