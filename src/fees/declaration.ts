/**
 * Declared lines: one per taxpayer x tax quarter x energy source x basis x
 * rate (x tariff schedule), rounded once per declared line, never per ledger
 * line. The rounding rule comes from the tariff schedule unless overridden.
 */
import type { Basis, EnergySource, LedgerLine, RoundingRule } from './types.ts';
import { assertSafeInteger, roundMilliTiynToTiyn } from './money.ts';
import { parsePeriod, periodBounds } from './period.ts';
import type { TariffSet } from './tariff.ts';
import { addMonths, formatLocalDate } from './zoned-time.ts';

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

/** When a tax quarter must be declared and paid, by the rules of the schedule in force for it. */
export interface QuarterDueDates {
  readonly taxQuarter: string;
  /** Local date; null when no declaration was required (2022) or no rule is known. */
  readonly declareBy: string | null;
  /** Local date; null when no rule is known. */
  readonly payBy: string | null;
  /** false when the schedule marks its due-date rule unverified. */
  readonly verified: boolean;
  /** The schedule the dates come from, or null when none has a due-date rule. */
  readonly tariffId: string | null;
}

/**
 * Due dates of a tax quarter ('2025-Q3') from the tariff schedule in force on its first local day
 * (schedules carry them next to their rates: they changed in law as the rates did). A quarter no
 * schedule covers, or whose schedule has no due-date rule, gets nulls rather than a guess.
 */
export function quarterDueDatesOf(tariffs: TariffSet, taxQuarter: string): QuarterDueDates {
  const none: QuarterDueDates = { taxQuarter, declareBy: null, payBy: null, verified: false, tariffId: null };
  const p = parsePeriod(taxQuarter);
  if (!p.ok || p.value.kind !== 'quarter') return none;
  const q = p.value;
  let schedule: TariffSet['schedules'][number] | undefined;
  for (const s of tariffs.schedules) {
    const startMs = periodBounds(q, s.timeZone).fromMs;
    if (s.fromMs <= startMs && startMs < s.toMs) schedule = s;
  }
  const rule = schedule?.dueDates;
  if (!schedule || !rule) return none;
  const date = (r: { monthsAfterQuarter: number; day: number }): string =>
    formatLocalDate({ ...addMonths({ year: q.year, month: q.quarter * 3, day: 1 }, r.monthsAfterQuarter), day: r.day });
  return {
    taxQuarter,
    declareBy: rule.declaration === 'none' ? null : date(rule.declaration),
    payBy: date(rule.payment),
    verified: rule.verified,
    tariffId: schedule.id,
  };
}
