/**
 * The one CSV vocabulary for ledger lines and declared lines, in the accountant's names (docs/accountant.md):
 * the `ledger` command (`--format csv`) and the period exports (export.csv, export-totals.csv) all write
 * through here. UTF-8, "\n" line ends, one header row (machine names; in ru and kk the catalogue's headers), '.' as decimal point, no thousands separators,
 * times in UTC ISO 8601; energy in kWh with 3 decimals (exact Wh), rates in tenge with 2 decimals (exact
 * tiyn), fees in tenge with 5 decimals (exact milli-tiyn). Columns are only ever appended.
 */
import { type DeclaredLine, type LedgerLine, formatMilliTiyn, formatTiyn, formatWhAsKwh } from '../fees/index.ts';

/**
 * Version of the line columns. 1: the ten columns of exports up to 0.1 (snapshots without `csvFormat`
 * re-export exactly so); 2: the same ten plus the line's time span, tax quarter, register delta, max load
 * and tariff rule, for one vocabulary with the ledger command's CSV.
 */
export const CSV_FORMAT = 2;
export type CsvFormat = 1 | 2;

/** A ledger line as the CSV needs it (the engine's line; a snapshot's line has reason null for none). */
export type CsvLine = Omit<LedgerLine, 'reason' | 'roundingRule'> & { readonly reason?: string | null };

type Column<T> = readonly [name: string, value: (row: T) => string | number];

/** A plain decimal number: data a spreadsheet reads as a number, never as a formula. */
const NUMBER = /^-?\d+(\.\d+)?$/;
/** What a spreadsheet may take for a formula (or a DDE call) at the start of a cell. */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One CSV cell. Text that a spreadsheet would run as a formula (=, +, -, @, tab, CR first: OWASP "CSV
 * injection") gets a leading apostrophe, which Excel and LibreOffice show as text. A plain decimal number
 * (-12.345) is left as it is: it matches no formula syntax (digits and one point only), so it stays a number
 * in the sheet and the numeric columns stay machine-readable; only text is guarded.
 */
export function csvCell(v: string | number): string {
  let s = String(v);
  if (typeof v === 'string' && FORMULA_START.test(s) && !NUMBER.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const csvRow = (values: readonly (string | number)[]): string => `${values.map(csvCell).join(',')}\n`;

/** Headers for people: a column's name in the language's catalogue (src/i18n), else its machine name. */
export type CsvHeaders = Readonly<Record<string, string>> | null | undefined;
export const headerRow = (names: readonly string[], headers?: CsvHeaders): string =>
  csvRow(names.map((n) => headers?.[n] ?? n));

/** The byte order mark Excel needs to read a UTF-8 CSV as UTF-8 (Cyrillic names), when asked for. */
export const UTF8_BOM = '\ufeff';

const rateTenge = (tiynPerKwh: number): string => formatTiyn(tiynPerKwh);
const iso = (ms: number): string => new Date(ms).toISOString();

const LINE_CORE: readonly Column<{ period: string; l: CsvLine }>[] = [
  ['period', (r) => r.period],
  ['taxpayer_bin', (r) => r.l.taxpayerBin],
  ['site', (r) => r.l.siteId],
  ['meter', (r) => r.l.meterId],
  ['energy_source', (r) => r.l.energySource],
  ['basis', (r) => r.l.basis],
  ['reason', (r) => r.l.reason ?? ''],
  ['kwh', (r) => formatWhAsKwh(r.l.energyWh)],
  ['rate_tenge_per_kwh', (r) => rateTenge(r.l.rateTiynPerKwh)],
  ['fee_tenge', (r) => formatMilliTiyn(r.l.feeMilliTiyn)],
];

const LINE_DETAIL: readonly Column<{ period: string; l: CsvLine }>[] = [
  ['from_utc', (r) => iso(r.l.fromMs)],
  ['to_utc', (r) => iso(r.l.toMs)],
  ['tax_quarter', (r) => r.l.taxQuarter],
  ['register_delta_kwh', (r) => (r.l.registerDeltaWh === null ? '' : formatWhAsKwh(r.l.registerDeltaWh))],
  // W to kW with 3 decimals is the same fixed-point step as Wh to kWh.
  ['max_load_kw', (r) => formatWhAsKwh(r.l.maxLoadW)],
  ['tariff_id', (r) => r.l.tariffId],
  ['tariff_version', (r) => r.l.tariffVersion],
  ['rule', (r) => r.l.rule],
];

export function lineColumnNames(format: CsvFormat = CSV_FORMAT): string[] {
  return (format === 1 ? LINE_CORE : [...LINE_CORE, ...LINE_DETAIL]).map(([n]) => n);
}

/** One row per ledger line, in the given order. `period` labels every row (a quarter, month or range). */
export function ledgerLinesCsv(
  period: string,
  lines: readonly CsvLine[],
  format: CsvFormat = CSV_FORMAT,
  headers?: CsvHeaders,
): string {
  const cols = format === 1 ? LINE_CORE : [...LINE_CORE, ...LINE_DETAIL];
  let out = headerRow(
    cols.map(([n]) => n),
    headers,
  );
  for (const l of lines) out += csvRow(cols.map(([, f]) => f({ period, l })));
  return out;
}

/** Declared lines: one per taxpayer x quarter x source x basis x rate x schedule, each rounded once. */
const DECLARED: readonly Column<DeclaredLine>[] = [
  ['taxpayer_bin', (d) => d.taxpayerBin],
  ['tax_quarter', (d) => d.taxQuarter],
  ['energy_source', (d) => d.energySource],
  ['basis', (d) => d.basis],
  ['rate_tenge_per_kwh', (d) => rateTenge(d.rateTiynPerKwh)],
  ['tariff_id', (d) => d.tariffId],
  ['tariff_version', (d) => d.tariffVersion],
  ['rounding_rule', (d) => d.roundingRule],
  ['line_count', (d) => d.lineCount],
  ['kwh', (d) => formatWhAsKwh(d.energyWh)],
  ['fee_tenge_exact', (d) => formatMilliTiyn(d.feeMilliTiyn)],
  ['rounding_tenge', (d) => formatMilliTiyn(d.amountTiyn * 1000 - d.feeMilliTiyn)],
  ['declared_tenge', (d) => formatTiyn(d.amountTiyn)],
];

export function declaredLinesCsv(declared: readonly DeclaredLine[], headers?: CsvHeaders): string {
  let out = headerRow(
    DECLARED.map(([n]) => n),
    headers,
  );
  for (const d of declared) out += csvRow(DECLARED.map(([, f]) => f(d)));
  return out;
}
