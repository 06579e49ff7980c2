/**
 * The overview of a quarter (so far): per site and energy source the kWh metered and substituted, the
 * fee accrued and its projection to the quarter's end, per site the cost of outages and this month's
 * grid consumption against the site's quota, and the declaration and payment due dates. Pure: the
 * ledger reports come in, the view model goes out; every amount is an integer with its display string.
 */
import {
  type EnergySource,
  type LedgerLine,
  formatTiyn,
  type QuarterDueDates,
  type TariffSet,
  formatWhAsKwh,
  localDateOf,
  quarterDueDatesOf,
  totalsOf,
} from '../../fees/index.ts';
import type { LedgerReport } from '../../ledger/report.ts';
import type { Registry } from '../../registry/types.ts';
import { type QuarterClock, projectQuarter, PROJECTION_WINDOW_MS } from './projection.ts';
import { tengeOf } from './tenge.ts';
import { type SiteDays, dailyEnergy } from './daily-energy.ts';

const HOUR_MS = 3_600_000;

export interface Amounts {
  readonly meteredWh: number;
  readonly meteredKwh: string;
  readonly substitutedWh: number;
  readonly substitutedKwh: string;
  readonly feeMilliTiyn: number;
  readonly feeTenge: string;
  readonly projectedMilliTiyn: number;
  readonly projectedTenge: string;
}

export interface QuotaView {
  /** The local month, e.g. '2025-09'. */
  readonly month: string;
  readonly quotaKwh: number;
  /** Grid energy of the month so far, metered + substituted (as charged). */
  readonly gridWh: number;
  readonly gridKwh: string;
  readonly gridMeteredWh: number;
  readonly usedPct: number;
}

/** One taxpayer's share of a site (a hosting site has one per hosted miner). */
export interface SiteTaxpayerView {
  readonly bin: string;
  readonly name: string;
  readonly total: Amounts;
}

/** One taxpayer's quarter: only its own meters, wherever they are hosted. */
export interface TaxpayerView {
  readonly bin: string;
  readonly name: string;
  readonly total: Amounts;
  /** Its amount due so far: its own declared lines, each rounded once. */
  readonly declaredTiyn: number;
  readonly declaredTenge: string;
  /** Its sites; operatorBin is set where another taxpayer operates the site (hosted). */
  readonly sites: readonly {
    readonly id: string;
    readonly operatorBin: string | null;
    /** The operator's name from the registry (issue 26: "hosted by Dala Hash LLP", not by a BIN). */
    readonly operatorName: string | null;
    readonly total: Amounts;
  }[];
}

export interface OverviewView {
  readonly period: {
    readonly label: string;
    readonly from: string;
    readonly to: string;
    readonly asOf: string | null;
    readonly complete: boolean;
    readonly elapsedHours: number;
    readonly totalHours: number;
    readonly remainingHours: number;
    readonly projectionWindowHours: number;
  };
  /** By the rules of the tariff schedule in force for the quarter; null for a month or a range. */
  readonly dueDates: QuarterDueDates | null;
  /** Energy per local day, per site and source, with the previous quarter's beside it (daily bars). */
  readonly daily: DailyView;
  /** Meters whose time before their first reading (or without any) is a large share of the energy charged. */
  readonly unreportedNotices: readonly UnreportedNotice[];
  readonly totals: Amounts & {
    readonly energyKwh: string;
    /** Exact fee of the lines (5 decimals): the same as /api/ledger totals.feeTenge. */
    readonly feeExactTenge: string;
    readonly declaredTiyn: number;
    readonly declaredTenge: string;
    readonly outageCostMilliTiyn: number;
    readonly outageCostTenge: string;
  };
  readonly sites: readonly {
    readonly id: string;
    readonly name: string;
    readonly timeZone: string;
    readonly total: Amounts;
    readonly sources: readonly (Amounts & { readonly source: EnergySource })[];
    readonly outageCostMilliTiyn: number;
    readonly outageCostTenge: string;
    readonly quota: QuotaView | null;
    /** Per taxpayer whose meters are at the site. */
    readonly taxpayers: readonly SiteTaxpayerView[];
  }[];
  readonly taxpayers: readonly TaxpayerView[];
}

export interface DailyView {
  readonly sites: readonly SiteDays[];
  /** The quarter before, per site: metered and substituted Wh per day (all sources); null when not asked. */
  readonly previous: {
    readonly label: string;
    readonly sites: readonly {
      siteId: string;
      days: readonly string[];
      meteredWh: number[];
      substitutedWh: number[];
      /** No meter of the site sent a reading in that quarter: its bars would be max load throughout (issue 26). */
      noData: boolean;
    }[];
  } | null;
}

/** The previous quarter's daily totals per site (all sources together). */
export function previousDaily(report: LedgerReport, registry: Registry): NonNullable<DailyView['previous']> {
  const days = dailyEnergy(report.lines, registry.sites, Date.parse(report.period.from), Date.parse(report.period.to));
  return {
    label: report.period.label,
    sites: days.map((d) => {
      const meteredWh = d.days.map(() => 0);
      const substitutedWh = d.days.map(() => 0);
      for (const series of Object.values(d.sources))
        series.forEach((x, i) => {
          meteredWh[i]! += x.meteredWh;
          substitutedWh[i]! += x.substitutedWh;
        });
      // Substituted energy with nothing metered is no data, not consumption: show "no data", not max load.
      const noData = meteredWh.every((x) => x === 0);
      return noData
        ? { siteId: d.siteId, days: d.days, meteredWh: meteredWh, substitutedWh: meteredWh.slice(), noData }
        : { siteId: d.siteId, days: d.days, meteredWh, substitutedWh, noData };
    }),
  };
}

export interface UnreportedNotice {
  readonly meterId: string;
  /** 'before-first-reading': charged at max load until the meter first reported; 'no-readings': it never did. */
  readonly kind: 'before-first-reading' | 'no-readings';
  readonly energyWh: number;
  readonly energyKwh: string;
  /** Share of all energy charged in the period, percent with one decimal. */
  readonly sharePct: number;
  /** When the meter first reported (the end of its before-first-reading span); null for 'no-readings'. */
  readonly firstReadingAt: string | null;
}

/** A meter's unreported share is named on the overview from this share of the period's energy. */
export const UNREPORTED_NOTICE_SHARE = 0.05;

export function unreportedNotices(lines: readonly LedgerLine[]): UnreportedNotice[] {
  const total = lines.reduce((s, l) => s + l.energyWh, 0);
  const byMeter = new Map<string, { kind: UnreportedNotice['kind']; energyWh: number; toMs: number }>();
  for (const l of lines) {
    if (l.reason !== 'before-first-reading' && l.reason !== 'no-readings') continue;
    const m = byMeter.get(l.meterId) ?? { kind: l.reason, energyWh: 0, toMs: l.toMs };
    m.energyWh += l.energyWh;
    m.toMs = Math.max(m.toMs, l.toMs);
    byMeter.set(l.meterId, m);
  }
  return [...byMeter]
    .filter(([, m]) => total > 0 && m.energyWh >= total * UNREPORTED_NOTICE_SHARE)
    .map(([meterId, m]) => ({
      meterId,
      kind: m.kind,
      energyWh: m.energyWh,
      energyKwh: formatWhAsKwh(m.energyWh),
      sharePct: Math.round((m.energyWh * 1000) / total) / 10,
      firstReadingAt: m.kind === 'before-first-reading' ? new Date(m.toMs).toISOString() : null,
    }))
    .sort((a, b) => b.energyWh - a.energyWh);
}

export function quarterClock(report: LedgerReport): QuarterClock {
  const toMs = Date.parse(report.period.to);
  return {
    fromMs: Date.parse(report.period.from),
    toMs,
    asOfMs: report.period.asOf ? Date.parse(report.period.asOf) : toMs,
  };
}

/** The month whose quota is shown: the one the ledger runs to (the quarter's last month once it is over). */
export function quotaMonth(clock: QuarterClock, timeZone: string): string {
  const d = localDateOf(Math.min(clock.asOfMs, clock.toMs - 1), timeZone);
  return `${d.year}-${String(d.month).padStart(2, '0')}`;
}

export function amountsOf(lines: readonly LedgerLine[], clock: QuarterClock): Amounts {
  const { meteredWh, substitutedWh } = totalsOf(lines);
  const p = projectQuarter(lines, clock);
  return {
    meteredWh,
    meteredKwh: formatWhAsKwh(meteredWh),
    substitutedWh,
    substitutedKwh: formatWhAsKwh(substitutedWh),
    feeMilliTiyn: p.accruedMilliTiyn,
    feeTenge: tengeOf(p.accruedMilliTiyn),
    projectedMilliTiyn: p.projectedMilliTiyn,
    projectedTenge: tengeOf(p.projectedMilliTiyn),
  };
}

export function quotaView(month: string, quotaKwh: number, monthLines: readonly LedgerLine[]): QuotaView {
  const grid = monthLines.filter((l) => l.energySource === 'grid');
  const gridWh = grid.reduce((s, l) => s + l.energyWh, 0);
  const gridMeteredWh = grid.reduce((s, l) => s + (l.basis === 'metered' ? l.energyWh : 0), 0);
  // Wh per quota kWh is ten times the percentage: one decimal.
  return {
    month,
    quotaKwh,
    gridWh,
    gridKwh: formatWhAsKwh(gridWh),
    gridMeteredWh,
    usedPct: Math.round(gridWh / quotaKwh) / 10,
  };
}

export function dueDatesOf(label: string, tariffs: TariffSet): OverviewView['dueDates'] {
  return /^\d{4}-Q[1-4]$/.test(label) ? quarterDueDatesOf(tariffs, label) : null;
}

const nameOf = (registry: Registry, bin: string): string => registry.taxpayers.find((t) => t.bin === bin)?.name ?? bin;
const binsOf = (lines: readonly LedgerLine[]): string[] => [...new Set(lines.map((l) => l.taxpayerBin))];

export function taxpayerViews(report: LedgerReport, registry: Registry, clock: QuarterClock): TaxpayerView[] {
  return binsOf(report.lines).map((bin) => {
    const own = report.lines.filter((l) => l.taxpayerBin === bin);
    const declaredTiyn = report.taxpayers.find((t) => t.bin === bin)?.declaredTiyn ?? 0;
    return {
      bin,
      name: nameOf(registry, bin),
      total: amountsOf(own, clock),
      declaredTiyn,
      declaredTenge: formatTiyn(declaredTiyn),
      sites: [...new Set(own.map((l) => l.siteId))].map((id) => {
        const operator = registry.siteById.get(id)?.taxpayer;
        return {
          id,
          operatorBin: operator !== undefined && operator !== bin ? operator : null,
          operatorName: operator !== undefined && operator !== bin ? (nameOf(registry, operator) ?? null) : null,
          total: amountsOf(
            own.filter((l) => l.siteId === id),
            clock,
          ),
        };
      }),
    };
  });
}

/** `monthLines`: per site with a quota, the ledger lines of that site for quotaMonth(...). */
export function overviewView(
  report: LedgerReport,
  registry: Registry,
  monthLines: ReadonlyMap<string, { month: string; lines: readonly LedgerLine[] }>,
  tariffs: TariffSet,
  previous: LedgerReport | null = null,
): OverviewView {
  const clock = quarterClock(report);
  const outageBySite = new Map<string, number>();
  for (const o of report.outageCost.byMeter) {
    const site = registry.meterById.get(o.meterId)?.siteId ?? '';
    outageBySite.set(site, (outageBySite.get(site) ?? 0) + o.outageCostMilliTiyn);
  }
  const sites = registry.sites.map((site) => {
    const lines = report.lines.filter((l) => l.siteId === site.id);
    const sources = [...new Set(lines.map((l) => l.energySource))].map((source) => ({
      source,
      ...amountsOf(
        lines.filter((l) => l.energySource === source),
        clock,
      ),
    }));
    const month = monthLines.get(site.id);
    const outage = outageBySite.get(site.id) ?? 0;
    return {
      id: site.id,
      name: site.name,
      timeZone: site.timeZone,
      total: amountsOf(lines, clock),
      sources,
      outageCostMilliTiyn: outage,
      outageCostTenge: tengeOf(outage),
      quota:
        site.monthlyQuotaKwh !== undefined && month ? quotaView(month.month, site.monthlyQuotaKwh, month.lines) : null,
      taxpayers: binsOf(lines).map((bin) => ({
        bin,
        name: nameOf(registry, bin),
        total: amountsOf(
          lines.filter((l) => l.taxpayerBin === bin),
          clock,
        ),
      })),
    };
  });
  const hours = (ms: number) => Math.round((ms / HOUR_MS) * 10) / 10;
  const total = amountsOf(report.lines, clock);
  return {
    period: {
      label: report.period.label,
      from: report.period.from,
      to: report.period.to,
      asOf: report.period.asOf ?? null,
      complete: report.period.complete,
      elapsedHours: hours(clock.asOfMs - clock.fromMs),
      totalHours: hours(clock.toMs - clock.fromMs),
      remainingHours: hours(clock.toMs - clock.asOfMs),
      projectionWindowHours: hours(Math.min(PROJECTION_WINDOW_MS, clock.asOfMs - clock.fromMs)),
    },
    dueDates: dueDatesOf(report.period.label, tariffs),
    unreportedNotices: unreportedNotices(report.lines),
    daily: {
      sites: dailyEnergy(report.lines, registry.sites, clock.fromMs, clock.toMs),
      previous: previous ? previousDaily(previous, registry) : null,
    },
    totals: {
      ...total,
      energyKwh: report.totals.energyKwh,
      feeExactTenge: report.totals.feeTenge,
      declaredTiyn: report.totals.declaredTiyn,
      declaredTenge: report.totals.declaredTenge,
      outageCostMilliTiyn: report.outageCost.milliTiyn,
      outageCostTenge: tengeOf(report.outageCost.milliTiyn),
    },
    sites,
    taxpayers: taxpayerViews(report, registry, clock),
  };
}
