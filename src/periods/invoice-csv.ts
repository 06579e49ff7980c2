/**
 * The supplier's statement as CSV: `site,month,kwh[,invoice_no]`, one line per site and month, an optional
 * header line, `#` comments and blank lines skipped. kWh may carry up to three decimals (1 Wh); stored as
 * integer Wh. Every problem names its line, column and value and says what to write instead. Pure.
 */
import { z } from 'zod';
import { KzmError } from '../util/errors.ts';

/** Bounded work: a statement is a few hundred lines; a file larger than this is not a statement. */
export const MAX_STATEMENT_BYTES = 1024 * 1024;
export const MAX_STATEMENT_ROWS = 10_000;
/** Problems listed in one answer, at most (the rest counted). */
const MAX_PROBLEMS = 20;

export interface InvoiceRow {
  /** 1-based line of the file. */
  readonly line: number;
  readonly siteId: string;
  readonly month: string;
  readonly energyWh: number;
  readonly invoiceNo: string | null;
}

/** A statement refused whole: nothing of it is stored. `problems` name line, column and value. */
export class InvoiceImportError extends KzmError {
  readonly problems: readonly string[];
  constructor(problems: readonly string[], more = 0) {
    super(`supplier statement refused, nothing imported: ${problems.join('; ')}${more ? `; and ${more} more` : ''}`, {
      code: 'invoice-invalid',
      httpStatus: 400,
    });
    this.problems = problems;
  }
}

const KWH = /^\d{1,12}(\.\d{1,3})?$/;
const cell = {
  site: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'a site id of the registry (lower-case letters, digits, - or _)'),
  month: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'a month written YYYY-MM, e.g. 2025-07'),
  kwh: z
    .string()
    .regex(KWH, 'kWh as digits with a dot for decimals, at most 3 decimals, e.g. 182400.5 (no spaces or commas)'),
  invoice_no: z
    .string()
    .max(64, 'an invoice number of at most 64 characters')
    .refine(
      (v) => ![...v].some((c) => c === '"' || c.charCodeAt(0) < 32),
      'an invoice number without quotes or control characters',
    ),
};
const COLUMNS = ['site', 'month', 'kwh', 'invoice_no'] as const;

/** '182400.5' -> 182400500 Wh, exactly (no float). */
export function kwhToWh(text: string): number {
  const [whole, frac = ''] = text.split('.');
  return Number(whole) * 1000 + Number(frac.padEnd(3, '0'));
}

const quote = (v: string) => JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);

/** One data line's cells checked; problems name the line and column. */
function parseLine(
  n: number,
  text: string,
  known: { sites: ReadonlySet<string>; what: string },
  problems: string[],
): InvoiceRow | undefined {
  if (text.includes('"')) {
    // Usually a decimal comma quoted by a spreadsheet ("12,5"): say so rather than miscount the columns.
    problems.push(`line ${n}: quoted cells are not read: write kWh with a dot for decimals (12.5), no quotes`);
    return undefined;
  }
  const cells = text.split(',').map((c) => c.trim());
  if (cells.length < 3 || cells.length > 4) {
    problems.push(`line ${n}: ${cells.length} columns, want site,month,kwh[,invoice_no]`);
    return undefined;
  }
  let bad = false;
  cells.forEach((v, i) => {
    const col = COLUMNS[i]!;
    const r = cell[col].safeParse(v);
    if (!r.success) {
      problems.push(`line ${n}, column ${col}: ${quote(v)} is not ${r.error.issues[0]!.message}`);
      bad = true;
    }
  });
  if (bad) return undefined;
  const [siteId, month, kwh, invoiceNo] = cells as [string, string, string, string | undefined];
  if (invoiceNo !== undefined && /^\d{1,3}$/.test(invoiceNo) && /^\d+$/.test(kwh)) {
    // "182400,5" unquoted reads as 182400 kWh with invoice number 5: refused rather than off by the decimals.
    problems.push(
      `line ${n}, column kwh: "${kwh},${invoiceNo}" looks like a decimal comma: write ${kwh}.${invoiceNo} (an invoice number of 1 to 3 digits alone is not read)`,
    );
    return undefined;
  }
  if (!known.sites.has(siteId)) {
    problems.push(
      `line ${n}, column site: ${quote(siteId)} is not ${known.what} (known: ${[...known.sites].join(', ')})`,
    );
    return undefined;
  }
  return { line: n, siteId, month, energyWh: kwhToWh(kwh), invoiceNo: invoiceNo ? invoiceNo : null };
}

/** All rows of a statement, or InvoiceImportError listing the problems (one site and month at most once). */
export function parseStatement(
  text: string,
  knownSites: ReadonlySet<string>,
  what = 'a site of the registry',
): InvoiceRow[] {
  if (Buffer.byteLength(text) > MAX_STATEMENT_BYTES)
    throw new InvoiceImportError([`the statement is larger than ${MAX_STATEMENT_BYTES} bytes: split it by month`]);
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const problems: string[] = [];
  const rows: InvoiceRow[] = [];
  const seen = new Map<string, number>();
  let capped = false;
  lines.forEach((raw, i) => {
    const t = raw.trim();
    if (!t || t.startsWith('#')) return;
    if (rows.length === 0 && problems.length === 0 && /^site\s*,/i.test(t)) return; // the header
    if (rows.length >= MAX_STATEMENT_ROWS) {
      if (!capped) problems.push(`more than ${MAX_STATEMENT_ROWS} rows: split the statement`);
      capped = true;
      return;
    }
    const r = parseLine(i + 1, t, { sites: knownSites, what }, problems);
    if (!r) return;
    const key = `${r.siteId}|${r.month}`;
    const first = seen.get(key);
    if (first !== undefined)
      problems.push(
        `line ${r.line}: site ${r.siteId} month ${r.month} is already on line ${first}: one line per site and month`,
      );
    else seen.set(key, r.line);
    rows.push(r);
  });
  if (problems.length)
    throw new InvoiceImportError(problems.slice(0, MAX_PROBLEMS), Math.max(0, problems.length - MAX_PROBLEMS));
  if (!rows.length) throw new InvoiceImportError(['no rows: want lines site,month,kwh[,invoice_no]']);
  return rows;
}
