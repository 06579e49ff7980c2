/**
 * The ledger report handed out by the API and the CLI: ledger lines, roll-ups,
 * declared lines (rounded once each), totals and the cost of outages. Every
 * amount is an integer (Wh, milli-tiyn, tiyn); the *Kwh / *Tenge strings next
 * to them are the same numbers with a decimal point, for people.
 */
import {
  type DeclaredLine,
  type LedgerLine,
  type LedgerSummary,
  type OutageCost,
  type RoundingRule,
  type SubstitutionPolicy,
  type TariffSet,
  type Totals,
  declaredLines,
  declaredTotalTiyn,
  formatMilliTiyn,
  formatTiyn,
  formatWhAsKwh,
  rollUp,
  summarize,
  totalsOf,
} from '../fees/index.ts';
import { type QueryStats } from '../store/query/client.ts';
import type { MeterResult } from './store-ledger.ts';
import type { ResolvedLedgerRequest } from './request.ts';

export interface ReportLine extends LedgerLine {
  readonly from: string;
  readonly to: string;
  readonly energyKwh: string;
  /** Exact fee (milli-tiyn precision) in tenge. */
  readonly feeTenge: string;
}

export interface ReportDeclaredLine extends DeclaredLine {
  readonly energyKwh: string;
  readonly feeTenge: string;
  readonly amountTenge: string;
}

/** One taxpayer's part of the report: only its own meters' lines (a hosted miner's are never the host's). */
export interface ReportTaxpayer extends Totals {
  readonly bin: string;
  /** From the registry; null when unknown to it. */
  readonly name: string | null;
  readonly sites: readonly string[];
  readonly meters: readonly string[];
  readonly energyKwh: string;
  readonly feeTenge: string;
  /** Amount due: the sum of this taxpayer's rounded declared lines. */
  readonly declaredTiyn: number;
  readonly declaredTenge: string;
}

export interface LedgerReport {
  readonly period: {
    readonly label: string;
    readonly from: string;
    readonly to: string;
    readonly timeZones: readonly string[];
    /** false: the period is still running; the ledger runs to asOf ("so far") and will change. */
    readonly complete: boolean;
    readonly asOf?: string;
  };
  readonly scope: { readonly site?: string; readonly taxpayer?: string; readonly meters: readonly string[] };
  readonly policy: SubstitutionPolicy;
  readonly registryVersion: string;
  readonly tariffs: readonly { id: string; version: number; title: string; validFrom: string; validTo?: string }[];
  readonly totals: {
    readonly lineCount: number;
    readonly energyWh: number;
    readonly energyKwh: string;
    readonly meteredWh: number;
    readonly substitutedWh: number;
    /** Exact sum of the ledger lines. */
    readonly feeMilliTiyn: number;
    readonly feeTenge: string;
    /** Amount due: the sum of the rounded declared lines. */
    readonly declaredTiyn: number;
    readonly declaredTenge: string;
  };
  readonly declared: readonly ReportDeclaredLine[];
  /** Per taxpayer (BIN) totals and amount due: at a hosting site, one entry per hosted miner. */
  readonly taxpayers: readonly ReportTaxpayer[];
  readonly summaries: LedgerSummary;
  readonly outageCost: {
    readonly milliTiyn: number;
    readonly tenge: string;
    readonly byMeter: readonly (OutageCost & { tenge: string })[];
  };
  readonly lines: readonly ReportLine[];
  readonly query: QueryStats;
}

const iso = (ms: number): string => new Date(ms).toISOString();

function taxpayerParts(
  lines: readonly LedgerLine[],
  declared: readonly DeclaredLine[],
  names: readonly { bin: string; name: string }[],
): ReportTaxpayer[] {
  return rollUp(lines, (l) => l.taxpayerBin).map((t) => {
    const own = lines.filter((l) => l.taxpayerBin === t.key);
    const declaredTiyn = declaredTotalTiyn(declared.filter((d) => d.taxpayerBin === t.key));
    const { key: bin, ...totals } = t;
    return {
      bin,
      name: names.find((n) => n.bin === bin)?.name ?? null,
      sites: [...new Set(own.map((l) => l.siteId))],
      meters: [...new Set(own.map((l) => l.meterId))],
      ...totals,
      energyKwh: formatWhAsKwh(t.energyWh),
      feeTenge: formatMilliTiyn(t.feeMilliTiyn),
      declaredTiyn,
      declaredTenge: formatTiyn(declaredTiyn),
    };
  });
}

export function buildReport(args: {
  request: ResolvedLedgerRequest;
  scope: { site?: string; taxpayer?: string };
  results: readonly MeterResult[];
  tariffs: TariffSet;
  registryVersion: string;
  stats: QueryStats;
  roundingOverride?: RoundingRule;
  /** The registry's taxpayers, for names in the per-taxpayer part. */
  taxpayers?: readonly { bin: string; name: string }[];
}): LedgerReport {
  const { request, results } = args;
  const lines = results.flatMap((r) => r.ledger.lines);
  const declared = declaredLines(lines, args.roundingOverride ? { roundingOverride: args.roundingOverride } : {});
  const totals = totalsOf(lines);
  const declaredTiyn = declaredTotalTiyn(declared);
  const used = new Set(lines.map((l) => `${l.tariffId}@${l.tariffVersion}`));
  const outage = results.map((r) => ({ ...r.outage, tenge: formatMilliTiyn(r.outage.outageCostMilliTiyn) }));
  const outageMilli = outage.reduce((s, o) => s + o.outageCostMilliTiyn, 0);
  return {
    period: {
      label: request.label,
      from: iso(request.fromMs),
      to: iso(request.toMs),
      timeZones: request.timeZones,
      complete: request.complete,
      ...(request.asOfMs !== undefined && { asOf: iso(request.asOfMs) }),
    },
    scope: { ...args.scope, meters: results.map((r) => r.facts.meterId) },
    policy: request.policy,
    registryVersion: args.registryVersion,
    tariffs: args.tariffs.schedules
      .filter((s) => used.has(`${s.id}@${s.version}`))
      .map((s) => ({
        id: s.id,
        version: s.version,
        title: s.title,
        validFrom: s.validFrom,
        ...(s.validTo !== undefined && { validTo: s.validTo }),
      })),
    totals: {
      ...totals,
      energyKwh: formatWhAsKwh(totals.energyWh),
      feeTenge: formatMilliTiyn(totals.feeMilliTiyn),
      declaredTiyn,
      declaredTenge: formatTiyn(declaredTiyn),
    },
    declared: declared.map((d) => ({
      ...d,
      energyKwh: formatWhAsKwh(d.energyWh),
      feeTenge: formatMilliTiyn(d.feeMilliTiyn),
      amountTenge: formatTiyn(d.amountTiyn),
    })),
    taxpayers: taxpayerParts(lines, declared, args.taxpayers ?? []),
    summaries: summarize(lines),
    outageCost: { milliTiyn: outageMilli, tenge: formatMilliTiyn(outageMilli), byMeter: outage },
    lines: lines.map((l) => ({
      ...l,
      from: iso(l.fromMs),
      to: iso(l.toMs),
      energyKwh: formatWhAsKwh(l.energyWh),
      feeTenge: formatMilliTiyn(l.feeMilliTiyn),
    })),
    query: args.stats,
  };
}
