/**
 * Declared lines: one per taxpayer x tax quarter x energy source x basis x
 * rate (x tariff schedule), rounded once per declared line, never per ledger
 * line. The rounding rule comes from the tariff schedule unless overridden.
 */
import type { Basis, EnergySource, LedgerLine, RoundingRule } from './types.ts';
import { assertSafeInteger, roundMilliTiynToTiyn } from './money.ts';

export interface DeclaredLine {
  readonly taxpayerBin: string;
  readonly taxQuarter: string;
  readonly energySource: EnergySource;
  readonly basis: Basis;
  readonly rateTiynPerKwh: number;
  readonly tariffId: string;
  readonly tariffVersion: number;
  readonly roundingRule: RoundingRule;
  readonly lineCount: number;
  readonly energyWh: number;
  /** Exact sum of the ledger lines. */
  readonly feeMilliTiyn: number;
  /** The declared amount: feeMilliTiyn rounded once by roundingRule. */
  readonly amountTiyn: number;
}

export interface DeclarationOptions {
  /** Replaces the schedules' rounding rule (operator setting). */
  readonly roundingOverride?: RoundingRule;
}

export function declaredLines(lines: readonly LedgerLine[], options: DeclarationOptions = {}): DeclaredLine[] {
  const groups = new Map<string, { first: LedgerLine; count: number; energyWh: number; feeMilliTiyn: number }>();
  for (const l of lines) {
    const key = [
      l.taxpayerBin,
      l.taxQuarter,
      l.energySource,
      l.basis,
      l.rateTiynPerKwh,
      l.tariffId,
      l.tariffVersion,
    ].join('|');
    const g = groups.get(key);
    if (g === undefined) groups.set(key, { first: l, count: 1, energyWh: l.energyWh, feeMilliTiyn: l.feeMilliTiyn });
    else {
      g.count++;
      g.energyWh = assertSafeInteger(g.energyWh + l.energyWh, 'declared energyWh');
      g.feeMilliTiyn = assertSafeInteger(g.feeMilliTiyn + l.feeMilliTiyn, 'declared feeMilliTiyn');
    }
  }
  const out: DeclaredLine[] = [];
  for (const g of groups.values()) {
    const l = g.first;
    const roundingRule = options.roundingOverride ?? l.roundingRule;
    out.push({
      taxpayerBin: l.taxpayerBin,
      taxQuarter: l.taxQuarter,
      energySource: l.energySource,
      basis: l.basis,
      rateTiynPerKwh: l.rateTiynPerKwh,
      tariffId: l.tariffId,
      tariffVersion: l.tariffVersion,
      roundingRule,
      lineCount: g.count,
      energyWh: g.energyWh,
      feeMilliTiyn: g.feeMilliTiyn,
      amountTiyn: roundMilliTiynToTiyn(g.feeMilliTiyn, roundingRule),
    });
  }
  const order = (d: DeclaredLine): string =>
    [d.taxpayerBin, d.taxQuarter, d.energySource, d.basis, String(d.rateTiynPerKwh).padStart(9, '0')].join('|');
  return out.sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0));
}

/** The amount due: sum of the rounded declared lines (tiyn). */
export function declaredTotalTiyn(declared: readonly DeclaredLine[]): number {
  return assertSafeInteger(
    declared.reduce((sum, d) => sum + d.amountTiyn, 0),
    'declared total',
  );
}
