/**
 * Loading the ledger benchmarks' data into InfluxDB (bench/ledger.ts, bench/readers-http.ts): raw readings as the
 * ingest writes them, or the rollups the service keeps (computed by the same functions) with the raw readings of
 * the days the engine opens.
 */
import { DAY_MS, type TariffSet, daysFromHours, rawHoursNeeded, summarizeHours } from '../src/fees/index.ts';
import { readingLine, rollupLine } from '../src/store/schema.ts';
import type { InfluxTarget } from '../src/store/influx-target.ts';
import { benchFacts, linesOf, readingsOf } from './ledger-data.ts';

/** 2025-Q3 at the sites (Asia/Almaty), the quarter the ledger bench reads, and the margin of readings around it. */
export const FROM = Date.parse('2025-07-01T00:00+05:00');
export const TO = Date.parse('2025-10-01T00:00+05:00');
export const MIN = 60_000;
const MARGIN = 30 * MIN;
const secs = (t0: number) => (performance.now() - t0) / 1000;

export async function post(target: InfluxTarget, lines: string[]): Promise<void> {
  const res = await fetch(`${target.url}/write?db=${target.database}&precision=ns`, {
    method: 'POST',
    body: lines.join('\n'),
  });
  if (res.status !== 204) throw new Error(`write failed ${res.status}: ${await res.text()}`);
}

/** Streams lines to InfluxDB in batches of 50,000, two in flight. */
function lineSink(target: InfluxTarget) {
  let batch: string[] = [];
  let points = 0;
  const inflight: Promise<void>[] = [];
  return {
    async push(line: string) {
      batch.push(line);
      if (batch.length < 50_000) return;
      points += batch.length;
      inflight.push(post(target, batch));
      batch = [];
      if (inflight.length >= 2) await inflight.shift();
    },
    async end() {
      if (batch.length) {
        points += batch.length;
        inflight.push(post(target, batch));
        batch = [];
      }
      await Promise.all(inflight);
      return points;
    },
  };
}

/** Raw readings as the ingest writes them (no rollups). */
export async function loadRaw(
  target: InfluxTarget,
  meters: number,
  stepMs: number,
): Promise<{ points: number; seconds: number }> {
  const t0 = performance.now();
  const sink = lineSink(target);
  for (let i = 0; i < meters; i++) {
    const lines: string[] = [];
    linesOf(benchFacts(i, stepMs), i, FROM - MARGIN, TO + MARGIN, stepMs, (l) => lines.push(l));
    for (const l of lines) await sink.push(l);
  }
  return { points: await sink.end(), seconds: secs(t0) };
}

/**
 * The rollups the service keeps, computed in Node by the same functions (summarizeHours, daysFromHours), plus the
 * raw readings of every day the engine opens (a superset of the raw hours it reads): what the store holds for the
 * ledger's purpose, without loading 132 M raw points this machine cannot hold in a bench run.
 */
export async function loadRollups(
  target: InfluxTarget,
  tariffs: TariffSet,
  meters: number,
  stepMs: number,
  /** The period the ledger will read, and the readings' span (default: 2025-Q3 with a margin either side). */
  span: { fromMs: number; toMs: number; readFromMs: number; readToMs: number } = {
    fromMs: FROM,
    toMs: TO,
    readFromMs: FROM - MARGIN,
    readToMs: TO + MARGIN,
  },
): Promise<{ points: number; rawPoints: number; seconds: number }> {
  const t0 = performance.now();
  const sink = lineSink(target);
  let rawPoints = 0;
  for (let i = 0; i < meters; i++) {
    const facts = benchFacts(i, stepMs);
    const readings = readingsOf(i, span.readFromMs, span.readToMs, stepMs);
    const hours = summarizeHours(readings);
    if (!hours.ok) throw new Error(hours.reason);
    const days = daysFromHours(hours.value);
    const ctx = { facts, statusEvents: [], fromMs: span.fromMs, toMs: span.toMs, tariffs };
    const opened = new Set(rawHoursNeeded(ctx, days));
    for (const h of hours.value) await sink.push(rollupLine('hour', facts.meterId, h));
    for (const d of days) await sink.push(rollupLine('day', facts.meterId, d));
    for (const r of readings) {
      if (!opened.has(Math.floor(r.tsMs / DAY_MS) * DAY_MS)) continue;
      rawPoints++;
      await sink.push(
        readingLine(
          { meterId: facts.meterId, siteId: facts.siteId, tsMs: r.tsMs, registerWh: r.registerWh, status: 'ok' },
          r.tsMs + 400,
        ),
      );
    }
  }
  return { points: await sink.end(), rawPoints, seconds: secs(t0) };
}
