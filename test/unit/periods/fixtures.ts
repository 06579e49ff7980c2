/** Shared fixtures of the period tests: hand-made ledger lines, a snapshot, and raw writes to InfluxDB. */
import { rebuildRollups } from '../../../src/rollup/rebuild.ts';
import { postLines } from '../ledger/store-fixtures.ts';
import { type LedgerLine, type TariffSet, DEFAULT_POLICY, loadTariffs, parsePeriod } from '../../../src/fees/index.ts';
import { buildSnapshot } from '../../../src/periods/build-snapshot.ts';
import type { PeriodSnapshot } from '../../../src/periods/snapshot-types.ts';
import type { InfluxTarget } from '../../../src/store/influx-target.ts';

export const BIN_A = '940140000385';
export const BIN_B = '990140004654';
export const at = (iso: string) => Date.parse(iso);

export async function tariffs(): Promise<TariffSet> {
  const t = await loadTariffs('tariffs');
  if (!t.ok) throw new Error(t.reason);
  return t.value;
}

export function line(
  meterId: string,
  siteId: string,
  bin: string,
  from: string,
  to: string,
  energyWh: number,
  extra: Partial<LedgerLine> = {},
): LedgerLine {
  const rate = extra.rateTiynPerKwh ?? 200;
  return {
    meterId,
    siteId,
    taxpayerBin: bin,
    fromMs: at(from),
    toMs: at(to),
    basis: 'metered',
    energySource: 'grid',
    energyWh,
    registerDeltaWh: energyWh,
    maxLoadW: 100_000,
    rateTiynPerKwh: rate,
    feeMilliTiyn: energyWh * rate,
    tariffId: 'kz-2024',
    tariffVersion: 1,
    rule: 'grid',
    taxQuarter: '2025-Q3',
    roundingRule: 'half-up-tiyn',
    ...extra,
  };
}

export function sampleLines(): LedgerLine[] {
  return [
    line('ekb-1-m01', 'ekb-1', BIN_A, '2025-06-30T19:00:00Z', '2025-07-15T19:00:00Z', 32_400_123),
    line('ekb-1-m01', 'ekb-1', BIN_A, '2025-07-15T19:00:00Z', '2025-07-16T05:00:00Z', 1_000_000, {
      basis: 'substituted',
      reason: 'gap',
      registerDeltaWh: 900_000,
      feeMilliTiyn: 200_000_000,
    }),
    line('ekb-1-m01', 'ekb-1', BIN_A, '2025-07-16T05:00:00Z', '2025-09-30T19:00:00Z', 164_520_457),
    line('kpg-2-m01', 'kpg-2', BIN_A, '2025-06-30T19:00:00Z', '2025-09-30T19:00:00Z', 120_000_333, {
      energySource: 'own-offgrid',
      rateTiynPerKwh: 100,
      feeMilliTiyn: 120_000_333 * 100,
      rule: 'own-offgrid',
    }),
    line('ast-3-m02', 'ast-3', BIN_B, '2025-06-30T19:00:00Z', '2025-09-30T19:00:00Z', 66_240_007),
  ];
}

export async function sampleSnapshot(
  overrides: { closedAtMs?: number; roundingOverride?: 'half-up-tiyn' | 'half-up-tenge' } = {},
): Promise<PeriodSnapshot> {
  const p = parsePeriod('2025-Q3');
  if (!p.ok) throw new Error(p.reason);
  return buildSnapshot({
    period: p.value,
    taxpayerScope: null,
    lines: sampleLines(),
    version: 1,
    closedBy: 'accountant',
    closedAtMs: overrides.closedAtMs ?? at('2025-10-05T06:00:00Z'),
    reason: null,
    previousVersions: [],
    registryVersion: 'sha256:registry',
    tariffs: await tariffs(),
    policy: DEFAULT_POLICY,
    engineVersion: '0.1.0',
    ...(overrides.roundingOverride && { roundingOverride: overrides.roundingOverride }),
    taxpayers: [
      { bin: BIN_A, name: 'Ekibastuz Hash LLP' },
      { bin: BIN_B, name: 'Astana Compute JSC' },
    ],
    sites: [
      { id: 'ekb-1', name: 'Ekibastuz 1', taxpayerBin: BIN_A },
      { id: 'kpg-2', name: 'Kapshagay 2', taxpayerBin: BIN_A },
      { id: 'ast-3', name: 'Astana 3', taxpayerBin: BIN_B },
    ],
  });
}

/** Readings every `stepMs` from fromMs to toMs (both included) at a steady power, written with a given arrival time. */
export function steadyReadings(
  meterId: string,
  siteId: string,
  fromMs: number,
  toMs: number,
  stepMs: number,
  powerW: number,
  rxMs: (tsMs: number) => number,
  startWh = 1_000_000,
): string[] {
  const lines: string[] = [];
  for (let t = fromMs; t <= toMs; t += stepMs) {
    const wh = startWh + Math.floor((powerW * (t - fromMs)) / 3_600_000);
    lines.push(`reading,meter=${meterId},site=${siteId} wh=${wh}i,fault=0i,rx_ms=${rxMs(t)}i ${t}000000`);
  }
  return lines;
}

/** Writes reading lines around the service, then builds their rollups as `kzmeter rollup` would. */
export async function writeLines(target: InfluxTarget, lines: readonly string[]): Promise<void> {
  await postLines(target, lines);
  const meters = new Set<string>();
  let lo = Infinity;
  let hi = -Infinity;
  for (const l of lines) {
    const m = /^reading,meter=([^,]+),site=(\S+) \S+ (\d+)000000$/.exec(l); // the point's time, ms
    if (!m) continue;
    meters.add(m[1]!);
    lo = Math.min(lo, Number(m[3]));
    hi = Math.max(hi, Number(m[3]));
  }
  if (meters.size)
    await rebuildRollups({
      target,
      sink: { write: (l) => postLines(target, l) },
      meterIds: [...meters],
      fromMs: lo,
      toMs: hi + 1,
    });
}
