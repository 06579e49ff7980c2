/**
 * The supplier's invoice beside the meters (issue 24): per site and month, the kWh the electricity supplier
 * invoiced against the ledger's kWh (metered + substituted, the same lines the fee is computed from). The
 * difference is what the site used besides its mining meters (cooling, offices, transformer losses): expected
 * inside the site's band, never negative (metered above invoiced means a meter reading high or a meter on the
 * wrong site). Pure: integer Wh inside, kWh text out (formatWhAsKwh, as the ledger formats kWh).
 */
import type { CloseCheck } from './close-preview.ts';
import { type LedgerLine, type Period, formatWhAsKwh, periodBounds } from '../fees/index.ts';

/** Expected share of the invoice not on the mining meters, percent of the invoiced kWh. */
export interface ReconciliationBand {
  readonly minPct: number;
  readonly maxPct: number;
}

/** docs/fees.md "The supplier's invoice": auxiliary loads and losses of an air-cooled site, 0 to 15 %. */
export const DEFAULT_BAND: ReconciliationBand = Object.freeze({ minPct: 0, maxPct: 15 });

/** One site's local month: [fromMs, toMs) between local midnights of its zone. */
export interface SiteMonth {
  readonly siteId: string;
  /** 'YYYY-MM' */
  readonly month: string;
  readonly fromMs: number;
  readonly toMs: number;
  readonly band: ReconciliationBand;
}

/** The invoice figure in force for a site and month. */
export interface InvoicedMonth {
  readonly siteId: string;
  readonly month: string;
  readonly energyWh: number;
  readonly invoiceNo: string | null;
  readonly version: number;
}

export type ReconciliationStatus = 'within-band' | 'outside-band' | 'metered-above-invoiced' | 'no-invoice';

export interface ReconciliationRow {
  readonly site: string;
  readonly month: string;
  readonly invoicedWh: number | null;
  readonly meteredWh: number;
  readonly substitutedWh: number;
  /** invoiced - (metered + substituted); null without an invoice. */
  readonly differenceWh: number | null;
  readonly invoicedKwh: string | null;
  readonly meteredKwh: string;
  readonly substitutedKwh: string;
  readonly differenceKwh: string | null;
  /** difference / invoiced x 100, one decimal; null without an invoice or with 0 invoiced. */
  readonly differencePct: number | null;
  readonly band: ReconciliationBand;
  /** null without an invoice (nothing to compare yet). */
  readonly withinBand: boolean | null;
  readonly status: ReconciliationStatus;
  readonly invoiceNo: string | null;
  readonly invoiceVersion: number | null;
}

/** The local months a period covers (quarters and months; a day range does not match monthly invoices). */
export function periodMonths(period: Period): { year: number; month: number }[] | undefined {
  if (period.kind === 'month') return [{ year: period.year, month: period.month }];
  if (period.kind === 'quarter')
    return [0, 1, 2].map((i) => ({ year: period.year, month: (period.quarter - 1) * 3 + 1 + i }));
  return undefined;
}

export const monthLabel = (m: { year: number; month: number }) => `${m.year}-${String(m.month).padStart(2, '0')}`;

/** Each site's months of the period, cut at local midnight in the site's zone. */
export function siteMonths(
  period: Period,
  sites: readonly { id: string; timeZone: string; band: ReconciliationBand }[],
): SiteMonth[] {
  const months = periodMonths(period) ?? [];
  return sites.flatMap((s) =>
    months.map((m) => ({
      siteId: s.id,
      month: monthLabel(m),
      ...periodBounds({ kind: 'month', ...m }, s.timeZone),
      band: s.band,
    })),
  );
}

/**
 * The part of a line's energy inside [a, b): pro rata by time, floor of the cumulative share, so the pieces
 * of one line always add up to the line exactly (BigInt: Wh x ms passes 2^53 for a large site's quarter).
 */
export function energyInside(line: Pick<LedgerLine, 'fromMs' | 'toMs' | 'energyWh'>, a: number, b: number): number {
  const from = Math.max(line.fromMs, a);
  const to = Math.min(line.toMs, b);
  if (to <= from) return 0;
  if (from === line.fromMs && to === line.toMs) return line.energyWh;
  const span = BigInt(line.toMs - line.fromMs);
  const e = BigInt(line.energyWh);
  const cum = (t: number) => (e * BigInt(t - line.fromMs)) / span;
  return Number(cum(to) - cum(from));
}

/** Is the difference inside the band? Integer comparison in tenths of a percent (no float rounding at the edges). */
function inBand(differenceWh: number, invoicedWh: number, band: ReconciliationBand): boolean {
  if (differenceWh < 0) return false; // metered above invoiced: always out of band
  if (invoicedWh === 0) return differenceWh === 0;
  const d = differenceWh * 1000;
  return d >= Math.round(band.minPct * 10) * invoicedWh && d <= Math.round(band.maxPct * 10) * invoicedWh;
}

function row(sm: SiteMonth, meteredWh: number, substitutedWh: number, inv: InvoicedMonth | undefined) {
  const base = {
    site: sm.siteId,
    month: sm.month,
    meteredWh,
    substitutedWh,
    meteredKwh: formatWhAsKwh(meteredWh),
    substitutedKwh: formatWhAsKwh(substitutedWh),
    band: sm.band,
  };
  if (!inv)
    return {
      ...base,
      invoicedWh: null,
      differenceWh: null,
      invoicedKwh: null,
      differenceKwh: null,
      differencePct: null,
      withinBand: null,
      status: 'no-invoice' as const,
      invoiceNo: null,
      invoiceVersion: null,
    };
  const differenceWh = inv.energyWh - meteredWh - substitutedWh;
  const within = inBand(differenceWh, inv.energyWh, sm.band);
  return {
    ...base,
    invoicedWh: inv.energyWh,
    differenceWh,
    invoicedKwh: formatWhAsKwh(inv.energyWh),
    differenceKwh: formatWhAsKwh(differenceWh),
    differencePct: inv.energyWh > 0 ? Math.round((differenceWh * 1000) / inv.energyWh) / 10 || 0 : null,
    withinBand: within,
    status: within
      ? ('within-band' as const)
      : differenceWh < 0
        ? ('metered-above-invoiced' as const)
        : ('outside-band' as const),
    invoiceNo: inv.invoiceNo,
    invoiceVersion: inv.version,
  };
}

/**
 * One row per site and month, in the order of `months`: the lines' energy of the site inside the month (a
 * line across a month boundary is split pro rata by time, see energyInside) against the invoice in force.
 */
export function reconcile(
  months: readonly SiteMonth[],
  lines: readonly LedgerLine[],
  invoices: readonly InvoicedMonth[],
): ReconciliationRow[] {
  const bySite = new Map<string, LedgerLine[]>();
  for (const l of lines) {
    let list = bySite.get(l.siteId);
    if (!list) bySite.set(l.siteId, (list = []));
    list.push(l);
  }
  const invoiceOf = new Map(invoices.map((i) => [`${i.siteId}|${i.month}`, i]));
  return months.map((sm) => {
    let metered = 0;
    let substituted = 0;
    for (const l of bySite.get(sm.siteId) ?? []) {
      const wh = energyInside(l, sm.fromMs, sm.toMs);
      if (l.basis === 'metered') metered += wh;
      else substituted += wh;
    }
    return row(sm, metered, substituted, invoiceOf.get(`${sm.siteId}|${sm.month}`));
  });
}

/** Sentences for the close preview: each site-month with an invoice outside its band. */
/** The out-of-band months as data, for a reader to word in its language (the close preview's checks). */
export function outOfBandChecks(rows: readonly ReconciliationRow[]): CloseCheck[] {
  return rows
    .filter((r) => r.withinBand === false)
    .map((r) => ({
      kind: 'invoice' as const,
      site: r.site,
      month: r.month,
      status: r.status === 'metered-above-invoiced' ? ('metered-above-invoiced' as const) : ('outside-band' as const),
      invoicedKwh: r.invoicedKwh ?? '0.000',
      ledgerKwh: formatWhAsKwh(r.meteredWh + r.substitutedWh),
      differencePct: r.differencePct,
      minPct: r.band.minPct,
      maxPct: r.band.maxPct,
    }));
}

export function outOfBandItems(rows: readonly ReconciliationRow[]): string[] {
  return rows
    .filter((r) => r.withinBand === false)
    .map((r) =>
      r.status === 'metered-above-invoiced'
        ? `site ${r.site} ${r.month}: the meters hold ${formatWhAsKwh(r.meteredWh + r.substitutedWh)} kWh, more than the ${r.invoicedKwh} kWh invoiced (a meter reading high or on the wrong site?)`
        : `site ${r.site} ${r.month}: invoiced ${r.invoicedKwh} kWh is ${r.differencePct ?? '-'}% above the meters' ${formatWhAsKwh(r.meteredWh + r.substitutedWh)} kWh, outside the expected ${r.band.minPct}..${r.band.maxPct}%`,
    );
}
