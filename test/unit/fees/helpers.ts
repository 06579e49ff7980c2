/** Test fixtures for the fee engine: facts, steady readings, the shipped tariffs. */
import { fileURLToPath } from 'node:url';
import { loadTariffs } from '../../../src/fees/tariff-load.ts';
import type { TariffSet } from '../../../src/fees/tariff.ts';
import type { MeterFacts, Reading } from '../../../src/fees/types.ts';

export const TARIFF_DIR = fileURLToPath(new URL('../../../tariffs', import.meta.url));

let cached: TariffSet | undefined;
export async function shippedTariffs(): Promise<TariffSet> {
  if (cached) return cached;
  const r = await loadTariffs(TARIFF_DIR);
  if (!r.ok) throw new Error(r.reason);
  cached = r.value;
  return cached;
}

export const H = 3_600_000;
export const MIN = 60_000;
/** Instant from an ISO string with explicit offset, e.g. '2025-07-01T00:00+05:00'. */
export const at = (iso: string): number => {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) throw new Error(`bad date ${iso}`);
  return t;
};

export function meterFacts(over: Partial<MeterFacts> = {}): MeterFacts {
  return {
    meterId: 'm-1',
    siteId: 'site-1',
    taxpayerBin: '940140000385',
    timeZone: 'Asia/Almaty',
    reportingIntervalS: 360,
    commissionedMs: at('2020-01-01T00:00+06:00'),
    sources: [{ fromMs: at('2020-01-01T00:00+06:00'), source: 'grid' }],
    maxLoad: [{ fromMs: at('2020-01-01T00:00+06:00'), maxLoadW: 100_000 }],
    ...over,
  };
}

/**
 * Readings every stepMs from fromMs to toMs inclusive at constant power:
 * register = startWh + floor(powerW * (t - fromMs) / 3_600_000).
 */
export function steadyReadings(fromMs: number, toMs: number, powerW: number, stepMs = 6 * MIN, startWh = 0): Reading[] {
  const out: Reading[] = [];
  for (let t = fromMs; t <= toMs; t += stepMs) {
    out.push({ tsMs: t, registerWh: startWh + Math.floor((powerW * (t - fromMs)) / H), status: 'ok' });
  }
  return out;
}
