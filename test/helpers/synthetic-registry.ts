import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { HOUR_MS, benchFacts } from '../../bench/ledger-data.ts';
import type { MeterFacts } from '../../src/fees/index.ts';

/**
 * A registry directory of `n` synthetic meters (bench/ledger-data.ts benchFacts: 50 a site, 100 kW, grid), for
 * benches and tests at fleet scale (2,000 meters: the ledger readers of issue 22).
 */
export function writeBenchRegistry(dir: string, n: number, stepMs = 60_000): MeterFacts[] {
  const facts = Array.from({ length: n }, (_, i) => benchFacts(i, stepMs));
  const day = (ms: number) => new Date(ms + 5 * HOUR_MS).toISOString().slice(0, 10); // local date in Asia/Almaty
  const bins = [...new Set(facts.map((f) => f.taxpayerBin))];
  writeFileSync(
    join(dir, 'taxpayers.yaml'),
    stringify({ taxpayers: bins.map((bin) => ({ bin, name: `Bench ${bin}`, licenceSubtype: 'I' })) }),
  );
  const sites = [...new Map(facts.map((f) => [f.siteId, f])).values()].map((f) => ({
    id: f.siteId,
    name: f.siteId,
    taxpayer: f.taxpayerBin,
    timeZone: f.timeZone,
  }));
  writeFileSync(join(dir, 'sites.yaml'), stringify({ sites }));
  const meters = facts.map((f) => ({
    id: f.meterId,
    site: f.siteId,
    reportingIntervalS: f.reportingIntervalS,
    commissionedAt: day(f.commissionedMs),
    sources: f.sources.map((s) => ({ from: day(s.fromMs), source: s.source })),
    maxLoadKw: f.maxLoad[0]!.maxLoadW / 1000,
  }));
  writeFileSync(join(dir, 'meters.yaml'), stringify({ meters }));
  return facts;
}
