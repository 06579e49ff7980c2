/**
 * CSV exports: pure functions of a snapshot (and of the late-data report, when
 * given). UTF-8, "\n" line ends, one header row (in the reader's language: column names translate, data never),
 * decimal point, no thousands
 * separators, no locale. Column order is documented in docs/accountant.md; the line columns and their
 * names are the ledger API's (src/ledger/csv.ts).
 */
import { formatMilliTiyn, formatTiyn, formatWhAsKwh } from '../fees/index.ts';
import { type CsvHeaders, csvRow, headerRow, ledgerLinesCsv } from '../ledger/csv.ts';
import type { LateDataReport, PeriodSnapshot } from './snapshot-types.ts';
import { dueDatesText } from './due-marks.ts';

export const TOTALS_COLUMNS = [
  'section',
  'period',
  'key',
  'taxpayer_bin',
  'tax_quarter',
  'energy_source',
  'basis',
  'rate_tenge_per_kwh',
  'kwh',
  'substituted_kwh',
  'fee_tenge_exact',
  'rounding_rule',
  'rounding_tenge',
  'declared_tenge',
] as const;

const row = csvRow;
const rateTenge = (tiynPerKwh: number) => formatTiyn(tiynPerKwh);

/** One row per ledger line, in snapshot order, in the column version the snapshot was frozen with. */
export function linesCsv(s: PeriodSnapshot, headers?: CsvHeaders): string {
  return ledgerLinesCsv(s.period, s.lines, s.csvFormat ?? 1, headers);
}

type TotalsRow = Partial<Record<(typeof TOTALS_COLUMNS)[number], string | number>>;

/** Declared lines, totals per taxpayer / site / source / rate, the grand total, the snapshot identity and post-close adjustments. */
export function totalsCsv(s: PeriodSnapshot, late?: LateDataReport, headers?: CsvHeaders): string {
  const rows: TotalsRow[] = [];
  const base = { period: s.period };
  for (const d of s.declared) {
    rows.push({
      ...base,
      section: 'declared',
      key: `${d.taxpayerBin}/${d.taxQuarter}/${d.energySource}/${d.basis}/${d.rateTiynPerKwh}`,
      taxpayer_bin: d.taxpayerBin,
      tax_quarter: d.taxQuarter,
      energy_source: d.energySource,
      basis: d.basis,
      rate_tenge_per_kwh: rateTenge(d.rateTiynPerKwh),
      kwh: formatWhAsKwh(d.energyWh),
      fee_tenge_exact: formatMilliTiyn(d.feeMilliTiyn),
      rounding_rule: d.roundingRule,
      rounding_tenge: formatMilliTiyn(d.roundingMilliTiyn),
      declared_tenge: formatTiyn(d.amountTiyn),
    });
  }
  const declaredOf = (bin: string) =>
    s.declared.filter((d) => d.taxpayerBin === bin).reduce((a, d) => a + d.amountTiyn, 0);
  for (const t of s.totals.byTaxpayer) {
    rows.push({
      ...base,
      section: 'taxpayer',
      key: t.key,
      taxpayer_bin: t.key,
      kwh: formatWhAsKwh(t.energyWh),
      substituted_kwh: formatWhAsKwh(t.substitutedWh),
      fee_tenge_exact: formatMilliTiyn(t.feeMilliTiyn),
      declared_tenge: formatTiyn(declaredOf(t.key)),
    });
  }
  // One row per taxpayer at a site: a hosting site's hosted miners each get their own row.
  const siteBin = new Map(s.sites.map((x) => [x.id, x.taxpayerBin]));
  const siteRows =
    s.totals.byTaxpayerSite ??
    s.totals.bySite.map((t) => ({ ...t, siteId: t.key, taxpayerBin: siteBin.get(t.key) ?? '' }));
  for (const t of siteRows) {
    rows.push({
      ...base,
      section: 'site',
      key: t.siteId,
      taxpayer_bin: t.taxpayerBin,
      kwh: formatWhAsKwh(t.energyWh),
      substituted_kwh: formatWhAsKwh(t.substitutedWh),
      fee_tenge_exact: formatMilliTiyn(t.feeMilliTiyn),
    });
  }
  for (const t of s.totals.bySource) {
    rows.push({
      ...base,
      section: 'energy_source',
      key: t.key,
      energy_source: t.key,
      kwh: formatWhAsKwh(t.energyWh),
      substituted_kwh: formatWhAsKwh(t.substitutedWh),
      fee_tenge_exact: formatMilliTiyn(t.feeMilliTiyn),
    });
  }
  for (const t of s.totals.byRate) {
    rows.push({
      ...base,
      section: 'rate',
      key: rateTenge(t.key),
      rate_tenge_per_kwh: rateTenge(t.key),
      kwh: formatWhAsKwh(t.energyWh),
      substituted_kwh: formatWhAsKwh(t.substitutedWh),
      fee_tenge_exact: formatMilliTiyn(t.feeMilliTiyn),
    });
  }
  const t = s.totals.total;
  rows.push({
    ...base,
    section: 'total',
    key: 'all',
    kwh: formatWhAsKwh(t.energyWh),
    substituted_kwh: formatWhAsKwh(t.substitutedWh),
    fee_tenge_exact: formatMilliTiyn(t.feeMilliTiyn),
    declared_tenge: formatTiyn(s.declaredTotalTiyn),
  });
  rows.push({ ...base, section: 'snapshot', key: `v${s.version} ${s.digest}` });
  // The dates of each tax quarter's own rules (tariff data), as the snapshot froze them.
  for (const d of s.dueDates)
    rows.push({ ...base, section: 'due-dates', key: dueDatesText(d), tax_quarter: d.taxQuarter });
  for (const m of late?.meters ?? []) {
    rows.push({
      ...base,
      section: 'post-close-adjustment',
      key: `${m.meterId} (${m.lateReadings} late readings)`,
      kwh: formatWhAsKwh(m.differenceWh),
      fee_tenge_exact: formatMilliTiyn(m.differenceMilliTiyn),
    });
  }
  return headerRow(TOTALS_COLUMNS, headers) + rows.map((r) => row(TOTALS_COLUMNS.map((c) => r[c] ?? ''))).join('');
}
