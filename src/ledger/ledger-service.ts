/**
 * Service glue shared by the HTTP route and the CLI: validate a ledger query,
 * resolve it against the registry and the clock, compute the ledger from the
 * store, build the report. Bad input comes back as { ok: false, reason };
 * store failures throw (InfluxQueryError, LedgerStoreError).
 */
import type { QuarterPrice, RoundingRule, SubstitutionPolicy, TariffSet } from '../fees/index.ts';
import type { Result } from '../util/result.ts';
import { DEFAULT_POLICY } from '../fees/index.ts';
import type { Registry } from '../registry/types.ts';
import type { InfluxTarget } from '../store/influx-target.ts';
import { buildReport, type LedgerReport } from './report.ts';
import { describeIssues } from '../util/zod-error.ts';
import { type CacheStats, type ChangeSource, type LedgerCacheOptions, createLedgerCache } from './ledger-cache.ts';
import { type LedgerQuery, ledgerQuerySchema, type ResolvedLedgerRequest, resolveLedgerRequest } from './request.ts';
import { computeStoreLedger, ensureRollupsCurrent, type StoreLedgerOptions } from './store-ledger.ts';
import { KzmError } from '../util/errors.ts';

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
  /** What the rollups changed since a ledger was computed; without it nothing is kept after it is answered. */
  readonly rollupChanges?: ChangeSource;
  /** Bounds of the ledger cache (computations at once, waiting, kept); defaults in ledger-cache.ts. */
  readonly cacheLimits?: Pick<LedgerCacheOptions, 'maxActive' | 'maxQueued' | 'maxEntries'>;
}

export interface LedgerService {
  /** `query`: the raw HTTP query object or CLI flags; validated here. */
  ledger(query: unknown): Promise<Result<LedgerReport>>;
  /** Computations run, shared with a request in flight, answered from the cache. */
  cacheStats(): CacheStats;
}

/**
 * The ledger as `finish` makes it of each report (the HTTP route: its serialised bytes). `finish` runs once per
 * computation, inside it: identical requests share its result, not only the report (issue 22: 200 readers of a
 * 2,000-meter quarter each serialised the shared report, and the heap ran out).
 */
export interface LedgerReader<T> {
  read(query: unknown): Promise<Result<T>>;
  cacheStats(): CacheStats;
}

/** The stored range a ledger reads around its period: the summary window's day on each side and a margin. */
const READ_MARGIN_MS = 3 * 86_400_000;

export function createLedgerService(deps: LedgerServiceDeps): LedgerService {
  const reader = createLedgerReader(deps, (report) => report);
  return { ledger: (query) => reader.read(query), cacheStats: () => reader.cacheStats() };
}

export function createLedgerReader<T>(
  deps: LedgerServiceDeps,
  finish: (report: LedgerReport) => T,
  sharing: Pick<LedgerCacheOptions, 'reuseRunning' | 'sizeOf' | 'maxKeptBytes'> = {},
): LedgerReader<T> {
  const cache = createLedgerCache<T>({
    ...sharing,
    ...deps.cacheLimits,
    ...(deps.rollupChanges && { changes: deps.rollupChanges }),
  });
  async function compute(r: ResolvedLedgerRequest, scope: { site?: string; taxpayer?: string }) {
    const result = await computeStoreLedger({
      target: deps.target,
      meters: r.meters,
      tariffs: deps.tariffs,
      policy: r.policy,
      prices: deps.prices ?? deps.registry.prices,
      ...(deps.storeOptions && { options: deps.storeOptions }),
    });
    const report = buildReport({
      request: r,
      scope,
      results: result.meters,
      tariffs: deps.tariffs,
      registryVersion: deps.registry.version,
      taxpayers: deps.registry.taxpayers,
      stats: result.stats,
      ...(deps.roundingOverride && { roundingOverride: deps.roundingOverride }),
    });
    // Kept only when the clock cannot change it; a meter whose boundary reading was looked for beyond the
    // read window depends on its data anywhere in time.
    const keep = r.complete
      ? new Map(
          result.meters.map((m) => [
            m.facts.meterId,
            (result.lookedBeyond?.has(m.facts.meterId) ?? true)
              ? { fromMs: -Infinity, toMs: Infinity }
              : { fromMs: r.fromMs - READ_MARGIN_MS, toMs: r.toMs + READ_MARGIN_MS },
          ]),
        )
      : undefined;
    return { value: finish(report), ...(keep && { keep }) };
  }
  /** Resolve the request against the registry and the clock: once per computation, not once per reader. */
  function computeFor(q: LedgerQuery) {
    const resolved = resolveLedgerRequest(deps.registry, q, (deps.now ?? Date.now)(), deps.policy ?? DEFAULT_POLICY);
    if (!resolved.ok) throw new LedgerRequestError(resolved.reason);
    const scope = {
      ...(q.site !== undefined && { site: q.site }),
      ...(q.taxpayer !== undefined && { taxpayer: q.taxpayer }),
    };
    return compute(resolved.value, scope);
  }
  return {
    async read(query) {
      const parsed = ledgerQuerySchema.safeParse(query);
      if (!parsed.success) return { ok: false, reason: describeIssues(parsed.error) };
      const q = parsed.data;
      await ensureRollupsCurrent(deps.beforeRead);
      // The key is the request as asked: resolving it walks every meter of the scope (2,000 of them: issue 22),
      // which identical readers of one computation need not repeat. Only an ended period is ever kept (its
      // answer cannot change with the clock), so a running period's key never finds a stale complete one.
      const key = JSON.stringify([
        q.site,
        q.taxpayer,
        q.period,
        q.from,
        q.to,
        q.policy ?? deps.policy ?? DEFAULT_POLICY,
      ]);
      try {
        return { ok: true, value: await cache.get(key, () => computeFor(q)) };
      } catch (err) {
        if (err instanceof LedgerRequestError) return { ok: false, reason: err.message };
        throw err;
      }
    },
    cacheStats: () => cache.stats(),
  };
}

/** A request the registry or the clock refuses (an unknown site, a period not started yet): a 400, shared by its sharers. */
class LedgerRequestError extends KzmError {
  constructor(message: string) {
    super(message, { code: 'bad-request', httpStatus: 400 });
  }
}
