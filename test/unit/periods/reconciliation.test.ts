/** Issue 24: the supplier's invoice beside the meters, the pure sums and the statement's checks. */
import { describe, expect, it } from 'vitest';
import { InvoiceImportError, kwhToWh, parseStatement } from '../../../src/periods/invoice-csv.ts';
import {
  DEFAULT_BAND,
  energyInside,
  outOfBandItems,
  reconcile,
  siteMonths,
} from '../../../src/periods/reconciliation.ts';
import { BIN_A, line } from './fixtures.ts';

const SITES = new Set(['ekb-1', 'kpg-2']);

function refused(text: string): string[] {
  try {
    parseStatement(text, SITES);
  } catch (err) {
    expect(err).toBeInstanceOf(InvoiceImportError);
    expect((err as InvoiceImportError).code).toBe('invoice-invalid');
    return [...(err as InvoiceImportError).problems];
  }
  throw new Error('statement was accepted');
}

describe('supplier statement CSV', () => {
  it('reads site,month,kwh[,invoice_no] with a header, comments and decimals into integer Wh', () => {
    const rows = parseStatement(
      'site,month,kwh,invoice_no\n# July\nekb-1,2025-07,182400.5,INV-7\n\nkpg-2,2025-07,90000\n',
      SITES,
    );
    expect(rows).toEqual([
      { line: 3, siteId: 'ekb-1', month: '2025-07', energyWh: 182_400_500, invoiceNo: 'INV-7' },
      { line: 5, siteId: 'kpg-2', month: '2025-07', energyWh: 90_000_000, invoiceNo: null },
    ]);
    expect(kwhToWh('0.001')).toBe(1);
    expect(kwhToWh('12.34')).toBe(12_340);
  });

  it('refuses the whole file and names each bad line, column and value', () => {
    const problems = refused(
      'site,month,kwh\nekb-1,2025-07,182400\nekb-1,2025-13,5\nxyz-9,2025-07,5\nkpg-2,2025-07,"12,5"\nkpg-2,2025-08,1.2345\nekb-1,2025-07,1\nekb-1\n',
    );
    expect(problems).toEqual([
      'line 3, column month: "2025-13" is not a month written YYYY-MM, e.g. 2025-07',
      'line 4, column site: "xyz-9" is not a site of the registry (known: ekb-1, kpg-2)',
      'line 5: quoted cells are not read: write kWh with a dot for decimals (12.5), no quotes',
      'line 6, column kwh: "1.2345" is not kWh as digits with a dot for decimals, at most 3 decimals, e.g. 182400.5 (no spaces or commas)',
      'line 7: site ekb-1 month 2025-07 is already on line 2: one line per site and month',
      'line 8: 1 columns, want site,month,kwh[,invoice_no]',
    ]);
  });

  it('refuses an unquoted decimal comma instead of reading 182400,5 as 182,400 kWh with invoice number 5', () => {
    expect(refused('ekb-1,2025-07,182400,5')).toEqual([
      'line 1, column kwh: "182400,5" looks like a decimal comma: write 182400.5 (an invoice number of 1 to 3 digits alone is not read)',
    ]);
    expect(parseStatement('ekb-1,2025-07,182400,5001', SITES)[0]!.invoiceNo).toBe('5001');
  });

  it('refuses an empty statement and a negative figure', () => {
    expect(refused('site,month,kwh\n')).toEqual(['no rows: want lines site,month,kwh[,invoice_no]']);
    expect(refused('ekb-1,2025-07,-5')[0]).toMatch(/^line 1, column kwh: "-5" is not kWh/);
  });
});

describe('reconcile', () => {
  const months = siteMonths({ kind: 'quarter', year: 2025, quarter: 3 }, [
    { id: 'ekb-1', timeZone: 'Asia/Almaty', band: DEFAULT_BAND },
  ]);

  it('cuts the months at local midnight (Asia/Almaty, UTC+5)', () => {
    expect(months.map((m) => [m.month, new Date(m.fromMs).toISOString()])).toEqual([
      ['2025-07', '2025-06-30T19:00:00.000Z'],
      ['2025-08', '2025-07-31T19:00:00.000Z'],
      ['2025-09', '2025-08-31T19:00:00.000Z'],
    ]);
  });

  it('splits a line across a month pro rata by time, the pieces adding up to the line', () => {
    // 2 days, 1,000,001 Wh: half in each month (floor of the cumulative share), nothing lost.
    const l = line('ekb-1-m01', 'ekb-1', BIN_A, '2025-07-30T19:00:00Z', '2025-08-01T19:00:00Z', 1_000_001);
    const [jul, aug] = months;
    expect(energyInside(l, jul!.fromMs, jul!.toMs)).toBe(500_000);
    expect(energyInside(l, aug!.fromMs, aug!.toMs)).toBe(500_001);
  });

  it('hand-computed rows: within band, out of band, metered above invoiced, no invoice', () => {
    const lines = [
      // July: 100,000 kWh metered + 2,000 kWh substituted; invoice 110,000 kWh -> 8,000 kWh = 7.3 % (in 0..15).
      line('ekb-1-m01', 'ekb-1', BIN_A, '2025-06-30T19:00:00Z', '2025-07-31T19:00:00Z', 100_000_000),
      line('ekb-1-m02', 'ekb-1', BIN_A, '2025-07-10T19:00:00Z', '2025-07-11T19:00:00Z', 2_000_000, {
        basis: 'substituted',
        reason: 'gap',
      }),
      // August: 80,000 kWh; invoice 100,000 kWh -> 20 % (above 15).
      line('ekb-1-m01', 'ekb-1', BIN_A, '2025-07-31T19:00:00Z', '2025-08-31T19:00:00Z', 80_000_000),
      // September: 90,000.5 kWh metered; invoice 90,000 kWh -> -0.5 kWh: metered above invoiced.
      line('ekb-1-m01', 'ekb-1', BIN_A, '2025-08-31T19:00:00Z', '2025-09-30T19:00:00Z', 90_000_500),
    ];
    const invoices = [
      { siteId: 'ekb-1', month: '2025-07', energyWh: 110_000_000, invoiceNo: 'A-7', version: 1 },
      { siteId: 'ekb-1', month: '2025-08', energyWh: 100_000_000, invoiceNo: null, version: 2 },
      { siteId: 'ekb-1', month: '2025-09', energyWh: 90_000_000, invoiceNo: null, version: 1 },
    ];
    const rows = reconcile(months, lines, invoices);
    expect(
      rows.map((r) => [
        r.month,
        r.invoicedKwh,
        r.meteredKwh,
        r.substitutedKwh,
        r.differenceKwh,
        r.differencePct,
        r.withinBand,
        r.status,
      ]),
    ).toEqual([
      ['2025-07', '110000.000', '100000.000', '2000.000', '8000.000', 7.3, true, 'within-band'],
      ['2025-08', '100000.000', '80000.000', '0.000', '20000.000', 20, false, 'outside-band'],
      ['2025-09', '90000.000', '90000.500', '0.000', '-0.500', 0, false, 'metered-above-invoiced'],
    ]);
    expect(outOfBandItems(rows)).toEqual([
      "site ekb-1 2025-08: invoiced 100000.000 kWh is 20% above the meters' 80000.000 kWh, outside the expected 0..15%",
      'site ekb-1 2025-09: the meters hold 90000.500 kWh, more than the 90000.000 kWh invoiced (a meter reading high or on the wrong site?)',
    ]);
    const none = reconcile(months, lines, invoices.slice(0, 1));
    expect(none[1]).toMatchObject({
      status: 'no-invoice',
      withinBand: null,
      invoicedKwh: null,
      meteredKwh: '80000.000',
    });
  });

  it('the band edges are inclusive, in tenths of a percent', () => {
    const m = [{ ...months[0]!, band: { minPct: 2.5, maxPct: 10 } }];
    const l = (wh: number) => [line('ekb-1-m01', 'ekb-1', BIN_A, '2025-06-30T19:00:00Z', '2025-07-31T19:00:00Z', wh)];
    const inv = [{ siteId: 'ekb-1', month: '2025-07', energyWh: 1_000_000, invoiceNo: null, version: 1 }];
    expect(reconcile(m, l(900_000), inv)[0]!.withinBand).toBe(true); // 10.0 %
    expect(reconcile(m, l(899_999), inv)[0]!.withinBand).toBe(false); // 10.0001 %
    expect(reconcile(m, l(975_000), inv)[0]!.withinBand).toBe(true); // 2.5 %
    expect(reconcile(m, l(975_001), inv)[0]!.withinBand).toBe(false);
  });
});
