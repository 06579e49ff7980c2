/**
 * The supplier's reconciliation in the evidence package (issue 24): reconciliation.json (as GET
 * /api/reconciliation answers it, from the closed period's snapshot) and reconciliation.csv (one row per site and
 * month, kWh as the ledger prints them). No invoices imported: no files (the package says what it holds).
 */
import type { EvidenceFile } from './evidence.ts';
import type { ReconciliationRow } from './reconciliation.ts';

type Reconcile = (
  period: string,
  taxpayer: string | null,
) => Promise<{ ok: true; value: { rows: readonly ReconciliationRow[] } } | { ok: false }>;

const CSV_HEADER = [
  'site',
  'month',
  'invoiced_kwh',
  'metered_kwh',
  'substituted_kwh',
  'difference_kwh',
  'difference_pct',
  'band_min_pct',
  'band_max_pct',
  'within_band',
];

export function reconciliationEvidence(reconcile: Reconcile) {
  return async (period: string, taxpayer: string | null): Promise<EvidenceFile[]> => {
    const r = await reconcile(period, taxpayer);
    if (!r.ok || !r.value.rows.some((row) => row.invoicedWh !== null)) return [];
    const csv = [
      CSV_HEADER.join(','),
      ...r.value.rows.map((x) =>
        [
          x.site,
          x.month,
          x.invoicedKwh ?? '',
          x.meteredKwh,
          x.substitutedKwh,
          x.differenceKwh ?? '',
          x.differencePct ?? '',
          x.band.minPct,
          x.band.maxPct,
          x.withinBand === null ? '' : String(x.withinBand),
        ].join(','),
      ),
    ].join('\r\n');
    const enc = new TextEncoder();
    return [
      { name: 'reconciliation.json', bytes: enc.encode(`${JSON.stringify(r.value, null, 2)}\n`) },
      { name: 'reconciliation.csv', bytes: enc.encode(`${csv}\r\n`) },
    ];
  };
}
