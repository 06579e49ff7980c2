/**
 * Roll-ups of ledger lines. Totals are sums of the lines' exact integer
 * amounts, so they equal the sum of lines to the milli-tiyn.
 */
import type { EnergySource, LedgerLine } from './types.ts';
import { assertSafeInteger } from './money.ts';

export interface Totals {
  readonly lineCount: number;
  readonly energyWh: number;
  readonly meteredWh: number;
  readonly substitutedWh: number;
  readonly feeMilliTiyn: number;
}

export interface KeyedTotals<K> extends Totals {
  readonly key: K;
}

interface MutableTotals {
  lineCount: number;
  energyWh: number;
  meteredWh: number;
  substitutedWh: number;
  feeMilliTiyn: number;
}

const zero = (): MutableTotals => ({ lineCount: 0, energyWh: 0, meteredWh: 0, substitutedWh: 0, feeMilliTiyn: 0 });

function add(t: MutableTotals, line: LedgerLine): void {
  t.lineCount++;
  t.energyWh = assertSafeInteger(t.energyWh + line.energyWh, 'energyWh total');
  if (line.basis === 'metered') t.meteredWh += line.energyWh;
  else t.substitutedWh += line.energyWh;
  t.feeMilliTiyn = assertSafeInteger(t.feeMilliTiyn + line.feeMilliTiyn, 'feeMilliTiyn total');
}

export function totalsOf(lines: Iterable<LedgerLine>): Totals {
  const t = zero();
  for (const line of lines) add(t, line);
  return t;
}

/** Totals per key, in order of first appearance. */
export function rollUp<K extends string | number>(
  lines: Iterable<LedgerLine>,
  keyOf: (line: LedgerLine) => K,
): KeyedTotals<K>[] {
  const groups = new Map<K, MutableTotals>();
  for (const line of lines) {
    const key = keyOf(line);
    let t = groups.get(key);
    if (t === undefined) {
      t = zero();
      groups.set(key, t);
    }
    add(t, line);
  }
  return [...groups].map(([key, t]) => ({ key, ...t }));
}

/** Totals of one taxpayer at one site (key `BIN/siteId`): a hosting site has one per hosted taxpayer. */
export interface TaxpayerSiteTotals extends KeyedTotals<string> {
  readonly taxpayerBin: string;
  readonly siteId: string;
}

export interface LedgerSummary {
  readonly total: Totals;
  readonly byMeter: KeyedTotals<string>[];
  /** A site's totals; at a hosting site they add up several taxpayers: see byTaxpayerSite. */
  readonly bySite: KeyedTotals<string>[];
  readonly byTaxpayer: KeyedTotals<string>[];
  readonly byTaxpayerSite: TaxpayerSiteTotals[];
  readonly bySource: KeyedTotals<EnergySource>[];
  readonly byRate: KeyedTotals<number>[];
}

export function summarize(lines: readonly LedgerLine[]): LedgerSummary {
  return {
    total: totalsOf(lines),
    byMeter: rollUp(lines, (l) => l.meterId),
    bySite: rollUp(lines, (l) => l.siteId),
    byTaxpayer: rollUp(lines, (l) => l.taxpayerBin),
    byTaxpayerSite: rollUp(lines, (l) => `${l.taxpayerBin}/${l.siteId}`).map((t) => {
      const [taxpayerBin = '', siteId = ''] = t.key.split('/');
      return { ...t, taxpayerBin, siteId };
    }),
    bySource: rollUp(lines, (l) => l.energySource),
    byRate: rollUp(lines, (l) => l.rateTiynPerKwh),
  };
}
