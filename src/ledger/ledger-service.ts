/**
 * Service glue shared by the HTTP route and the CLI: validate a ledger query,
 * resolve it against the registry and the clock, compute the ledger from the
 * store, build the report. Bad input comes back as { ok: false, reason };
 * store failures throw (InfluxQueryError, LedgerStoreError).
 */
import type { QuarterPrice, Result, RoundingRule, SubstitutionPolicy, TariffSet } from '../fees/index.ts';
import { DEFAULT_POLICY } from '../fees/index.ts';
import type { Registry } from '../registry/types.ts';
import type { InfluxTarget } from '../store/influx-target.ts';
import { buildReport, type LedgerReport } from './report.ts';
import { describeIssues } from '../util/zod-error.ts';
import { ledgerQuerySchema, resolveLedgerRequest } from './request.ts';
import { computeStoreLedger, ensureRollupsCurrent, type StoreLedgerOptions } from './store-ledger.ts';

export interface LedgerServiceDeps {
  readonly registry: Registry;
  readonly tariffs: TariffSet;
  readonly target: InfluxTarget;
  readonly now?: () => number;
  /** The configured policy; a request may name another (grace and tolerance stay). */
  readonly policy?: SubstitutionPolicy;
  /** Quarter average electricity prices per site (2023 price-scale schedules). */
  readonly prices?: readonly QuarterPrice[];
  /** Operator override of the schedules' rounding of declared lines. */
  readonly roundingOverride?: RoundingRule;
  readonly storeOptions?: StoreLedgerOptions;
  /** Waits until the rollups hold every reading stored so far (the service's rollup flush). */
  readonly beforeRead?: () => Promise<boolean>;
}

export interface LedgerService {
  /** `query`: the raw HTTP query object or CLI flags; validated here. */
  ledger(query: unknown): Promise<Result<LedgerReport>>;
}

export function createLedgerService(deps: LedgerServiceDeps): LedgerService {
  return {
    async ledger(query) {
      const parsed = ledgerQuerySchema.safeParse(query);
      if (!parsed.success) return { ok: false, reason: describeIssues(parsed.error) };
      const q = parsed.data;
      const resolved = resolveLedgerRequest(deps.registry, q, (deps.now ?? Date.now)(), deps.policy ?? DEFAULT_POLICY);
      if (!resolved.ok) return resolved;
      const r = resolved.value;
      await ensureRollupsCurrent(deps.beforeRead);
      const result = await computeStoreLedger({
        target: deps.target,
        meters: r.meters,
        tariffs: deps.tariffs,
        policy: r.policy,
        prices: deps.prices ?? deps.registry.prices,
        ...(deps.storeOptions && { options: deps.storeOptions }),
      });
      return {
        ok: true,
        value: buildReport({
          request: r,
          scope: {
            ...(q.site !== undefined && { site: q.site }),
            ...(q.taxpayer !== undefined && { taxpayer: q.taxpayer }),
          },
          results: result.meters,
          tariffs: deps.tariffs,
          registryVersion: deps.registry.version,
          stats: result.stats,
          ...(deps.roundingOverride && { roundingOverride: deps.roundingOverride }),
        }),
      };
    },
  };
}
