/** The reconciliation in the evidence package (issue 24): the rows as JSON and CSV, nothing without invoices. */
import { describe, expect, it } from 'vitest';
import { reconciliationEvidence } from '../../../src/periods/reconciliation-evidence.ts';
import type { ReconciliationRow } from '../../../src/periods/reconciliation.ts';

const row = (over: Partial<ReconciliationRow>): ReconciliationRow => ({
  site: 'rx-1',
  month: '2025-07',
  invoicedWh: 100_000_000,
  meteredWh: 93_000_000,
  substitutedWh: 200_000,
  differenceWh: 6_800_000,
  invoicedKwh: '100000.000',
  meteredKwh: '93000.000',
  substitutedKwh: '200.000',
  differenceKwh: '6800.000',
  differencePct: 6.8,
  band: { minPct: 0, maxPct: 15 },
  withinBand: true,
  status: 'within-band',
  invoiceNo: null,
  invoiceVersion: 1,
  ...over,
});

describe('reconciliation files of the evidence package', () => {
  it('writes the answer as JSON and one CSV row per site and month, the out-of-band month marked false', async () => {
    const rows = [
      row({}),
      row({ month: '2025-08', differencePct: 17.3, differenceKwh: '17300.000', withinBand: false }),
      row({
        month: '2025-09',
        invoicedWh: null,
        invoicedKwh: null,
        differenceWh: null,
        differenceKwh: null,
        differencePct: null,
        withinBand: null,
      }),
    ];
    const value = { period: '2025-Q3', taxpayer: null, ledger: { snapshotVersion: 1 }, rows };
    const files = await reconciliationEvidence(async () => ({ ok: true, value }))('2025-Q3', null);
    expect(files.map((f) => f.name)).toEqual(['reconciliation.json', 'reconciliation.csv']);
    expect(JSON.parse(new TextDecoder().decode(files[0]!.bytes))).toEqual(value);
    expect(new TextDecoder().decode(files[1]!.bytes).split('\r\n')).toEqual([
      'site,month,invoiced_kwh,metered_kwh,substituted_kwh,difference_kwh,difference_pct,band_min_pct,band_max_pct,within_band',
      'rx-1,2025-07,100000.000,93000.000,200.000,6800.000,6.8,0,15,true',
      'rx-1,2025-08,100000.000,93000.000,200.000,17300.000,17.3,0,15,false',
      'rx-1,2025-09,,93000.000,200.000,,,0,15,',
      '',
    ]);
  });

  it('adds nothing when no invoice was imported or the reconciliation is not available', async () => {
    const none = { period: '2025-Q3', taxpayer: null, ledger: 'current' as const, rows: [row({ invoicedWh: null })] };
    expect(await reconciliationEvidence(async () => ({ ok: true, value: none }))('2025-Q3', null)).toEqual([]);
    expect(await reconciliationEvidence(async () => ({ ok: false }))('2025-Q3', null)).toEqual([]);
  });
});
