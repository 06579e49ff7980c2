/**
 * Cost of outages: the fee under the active policy minus the fee had every
 * substituted span been metered at its register delta, where a trusted delta
 * exists (>= 0, not a spike); spans with no trusted delta keep their fee.
 * Shown to operators so they see what communication and meter failures cost.
 */
import { type LedgerLine, type LineReason, type Result, DEFAULT_POLICY, ok } from './types.ts';
import { type MeterLedger, type MeterLedgerInput, buildLedger } from './ledger.ts';
import { type HourlyLedgerInput, buildLedgerFromHours } from './hourly.ts';
import { readingsToColumns } from './readings.ts';
import { sumSafe } from './money.ts';

export interface OutageCost {
  readonly meterId: string;
  readonly policy: MeterLedger['policy'];
  /** Fee under the policy (exact). */
  readonly feeMilliTiyn: number;
  /** Fee with every trusted register delta charged as metered. */
  readonly counterfactualFeeMilliTiyn: number;
  /** feeMilliTiyn - counterfactualFeeMilliTiyn. Can be slightly negative when registers ran above max load (within the spike tolerance). */
  readonly outageCostMilliTiyn: number;
  /** Substituted energy and its fee under the policy, per reason. */
  readonly substitutedByReason: Readonly<Partial<Record<LineReason, { energyWh: number; feeMilliTiyn: number }>>>;
}

export function compareLedgers(actual: MeterLedger, counterfactual: MeterLedger): OutageCost {
  const fee = (lines: readonly LedgerLine[]): number =>
    sumSafe(
      lines.map((l) => l.feeMilliTiyn),
      'fee',
    );
  const byReason: Partial<Record<LineReason, { energyWh: number; feeMilliTiyn: number }>> = {};
  for (const l of actual.lines) {
    if (l.basis !== 'substituted' || l.reason === undefined) continue;
    const r = (byReason[l.reason] ??= { energyWh: 0, feeMilliTiyn: 0 });
    r.energyWh += l.energyWh;
    r.feeMilliTiyn += l.feeMilliTiyn;
  }
  const feeMilliTiyn = fee(actual.lines);
  const counterfactualFeeMilliTiyn = fee(counterfactual.lines);
  return {
    meterId: actual.meterId,
    policy: actual.policy,
    feeMilliTiyn,
    counterfactualFeeMilliTiyn,
    outageCostMilliTiyn: feeMilliTiyn - counterfactualFeeMilliTiyn,
    substitutedByReason: byReason,
  };
}

export function outageCost(input: MeterLedgerInput): Result<OutageCost> {
  const cols = readingsToColumns(input.readings);
  if (!cols.ok) return cols;
  const actual = buildLedger(cols.value, input, input.policy?.name ?? DEFAULT_POLICY.name);
  if (!actual.ok) return actual;
  const counterfactual = buildLedger(cols.value, input, 'counterfactual');
  if (!counterfactual.ok) return counterfactual;
  return ok(compareLedgers(actual.value, counterfactual.value));
}

export function outageCostFromHours(input: HourlyLedgerInput): Result<OutageCost> {
  const actual = buildLedgerFromHours(input, input.policy?.name ?? DEFAULT_POLICY.name);
  if (!actual.ok) return actual;
  const counterfactual = buildLedgerFromHours(input, 'counterfactual');
  if (!counterfactual.ok) return counterfactual;
  return ok(compareLedgers(actual.value, counterfactual.value));
}
