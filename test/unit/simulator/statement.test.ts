/** Issue 24: the supplier's statement the simulator writes for a run (true energy plus the auxiliary share). */
import { describe, expect, it } from 'vitest';
import { dryRun } from '../../../simulator/dry-run.ts';
import { statementCsv } from '../../../simulator/statement.ts';
import { parseStatement } from '../../../src/periods/invoice-csv.ts';
import { planOf, registry } from './helpers.ts';

const truth = {
  meters: [
    {
      siteId: 'ekb-1',
      periods: [
        { period: '2025-07', kind: 'month', clipped: false, trueEnergyWh: 92_000_000 },
        { period: '2025-08', kind: 'month', clipped: true, trueEnergyWh: 10_000_000 },
        { period: '2025-Q3', kind: 'quarter', clipped: true, trueEnergyWh: 102_000_000 },
      ],
    },
    { siteId: 'ekb-1', periods: [{ period: '2025-07', kind: 'month', clipped: false, trueEnergyWh: 46_000_001 }] },
    { siteId: 'kpg-2', periods: [{ period: '2025-07', kind: 'month', clipped: false, trueEnergyWh: 1_000 }] },
  ],
};

describe('simulate statement', () => {
  it('per site and whole month: true energy / (1 - aux share), rounded to the Wh; clipped months left out', () => {
    // ekb-1 July: (92,000,000 + 46,000,001) / 0.92 = 150,000,001.09 -> 150,000,001 Wh; kpg-2: 1,000 / 0.92 = 1,087.
    expect(statementCsv(truth, { auxShare: 0.08 })).toBe(
      'site,month,kwh,invoice_no\nekb-1,2025-07,150000.001,SIM-2025-07-001\nkpg-2,2025-07,1.087,SIM-2025-07-002\n',
    );
    expect(statementCsv(truth, { auxShare: 0, partial: true, months: new Set(['2025-08']) })).toBe(
      'site,month,kwh,invoice_no\nekb-1,2025-08,10000.000,SIM-2025-08-001\n',
    );
  });

  it("a run's statement is one `kzmeter invoices import` reads, with every simulated site", () => {
    const plan = planOf({
      meters: ['ekb-1-m01', 'kpg-2-m01'],
      start: '2025-07-01',
      end: '2025-08-01',
      reportingIntervalS: 900,
    });
    const { truth: t } = dryRun(plan);
    const csv = statementCsv(t as unknown as Parameters<typeof statementCsv>[0], { auxShare: 0.1 });
    const rows = parseStatement(csv, new Set(registry.sites.map((s) => s.id)));
    expect(rows.map((r) => [r.siteId, r.month])).toEqual([
      ['ekb-1', '2025-07'],
      ['kpg-2', '2025-07'],
    ]);
    // The rigs drew something, and the invoice is above it by the auxiliary share.
    const trueWh = (t as unknown as typeof truth).meters
      .filter((m) => m.siteId === 'ekb-1')
      .flatMap((m) => m.periods.filter((p) => p.kind === 'month'))
      .reduce((a, p) => a + p.trueEnergyWh, 0);
    expect(trueWh).toBeGreaterThan(0);
    expect(rows[0]!.energyWh).toBe(Math.round(trueWh / 0.9));
  });
});
