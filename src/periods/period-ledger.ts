/**
 * The ledger of a period for a scope (every taxpayer or one BIN), from the
 * store, and the count of readings that arrived after a close. Thin shell over
 * computeStoreLedger (src/ledger/store-ledger.ts).
 */
import {
  type LedgerLine,
  type Period,
  type QuarterPrice,
  type SubstitutionPolicy,
  type TariffSet,
  periodBounds,
} from '../fees/index.ts';
import type { Result } from '../util/result.ts';
import { computeStoreLedger, ensureRollupsCurrent, type MeterPeriod } from '../ledger/store-ledger.ts';
import { assertRollupsCover } from '../ledger/rollup-coverage.ts';
import { metersInScope } from '../ledger/scope.ts';
import type { Registry } from '../registry/types.ts';
import type { InfluxTarget } from '../store/influx-target.ts';

export interface PeriodMeters {
  readonly meters: MeterPeriod[];
  /** Earliest start and latest end over the meters' zones. */
  readonly fromMs: number;
  readonly toMs: number;
}

/** Meters of the scope with the period's bounds in each meter's zone; unknown BIN is an error naming the known ones. */
export function periodMeters(registry: Registry, period: Period, taxpayer: string | null): Result<PeriodMeters> {
  const facts = metersInScope(registry, taxpayer === null ? {} : { taxpayerBin: taxpayer });
  if (!facts.ok) return facts;
  const meters = facts.value.map((f) => ({ facts: f, ...periodBounds(period, f.timeZone) }));
  return {
    ok: true,
    value: { meters, fromMs: Math.min(...meters.map((m) => m.fromMs)), toMs: Math.max(...meters.map((m) => m.toMs)) },
  };
}

export interface LedgerDeps {
  readonly target: InfluxTarget;
  readonly tariffs: TariffSet;
  readonly policy: SubstitutionPolicy;
  readonly prices?: readonly QuarterPrice[];
  /** Waits until the rollups hold every reading stored so far (the service's rollup flush). */
  readonly beforeRead?: () => Promise<boolean>;
}

export async function ledgerLines(deps: LedgerDeps, meters: readonly MeterPeriod[]): Promise<LedgerLine[]> {
  await ensureRollupsCurrent(deps.beforeRead);
  if (meters.length) {
    await assertRollupsCover(
      deps.target,
      meters.map((m) => m.facts.meterId),
      Math.min(...meters.map((m) => m.fromMs)),
      Math.max(...meters.map((m) => m.toMs)),
    );
  }
  const r = await computeStoreLedger({
    target: deps.target,
    meters,
    tariffs: deps.tariffs,
    policy: deps.policy,
    ...(deps.prices && { prices: deps.prices }),
  });
  return r.meters.flatMap((m) => m.ledger.lines);
}
