/**
 * Synthetic quarter data for the ledger benchmark: steady meters (power with
 * +-10 % noise) reporting every `stepMs`, with one 20-minute silence each, as
 * readings in memory and as line protocol (as the ingest writes it).
 */
import type { MeterFacts, Reading } from '../src/fees/index.ts';
import { readingLine } from '../src/store/schema.ts';

export const HOUR_MS = 3_600_000;
const SINCE = Date.parse('2024-01-01T00:00+05:00');

export function benchFacts(i: number, stepMs: number): MeterFacts {
  return {
    meterId: `bench-${String(i).padStart(4, '0')}`,
    siteId: `bench-site-${Math.floor(i / 50)}`,
    taxpayerBin: '940140000385',
    timeZone: 'Asia/Almaty',
    reportingIntervalS: Math.round(stepMs / 1000),
    commissionedMs: SINCE,
    sources: [{ fromMs: SINCE, source: 'grid' }],
    maxLoad: [{ fromMs: SINCE, maxLoadW: 100_000 }],
  };
}

/** Calls `each(tsMs, registerWh)` for every reading of meter i from fromMs to toMs inclusive. */
export function forEachReading(
  i: number,
  fromMs: number,
  toMs: number,
  stepMs: number,
  each: (tsMs: number, registerWh: number) => void,
): void {
  let s = ((i + 1) * 2_654_435_761) >>> 0;
  const rnd = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
  const gapFrom = fromMs + ((i * 7_919) % 80) * 86_400_000 + 10 * HOUR_MS;
  const gapTo = gapFrom + 20 * 60_000;
  let wh = 1_000_000 + i * 1000;
  for (let t = fromMs; t <= toMs; t += stepMs) {
    wh += Math.floor((80_000 * (1 + (rnd() * 2 - 1) * 0.1) * stepMs) / HOUR_MS);
    if (t >= gapFrom && t < gapTo) continue;
    each(t, wh);
  }
}

export function readingsOf(i: number, fromMs: number, toMs: number, stepMs: number): Reading[] {
  const out: Reading[] = [];
  forEachReading(i, fromMs, toMs, stepMs, (tsMs, registerWh) => out.push({ tsMs, registerWh, status: 'ok' }));
  return out;
}

export function linesOf(
  facts: MeterFacts,
  i: number,
  fromMs: number,
  toMs: number,
  stepMs: number,
  push: (line: string) => void,
): void {
  forEachReading(i, fromMs, toMs, stepMs, (tsMs, registerWh) =>
    push(readingLine({ meterId: facts.meterId, siteId: facts.siteId, tsMs, registerWh, status: 'ok' }, tsMs + 400)),
  );
}
