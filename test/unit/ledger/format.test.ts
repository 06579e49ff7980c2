import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { computeMeterLedger, loadTariffs, outageCost } from '../../../src/fees/index.ts';
import { lineColumnNames } from '../../../src/ledger/csv.ts';
import { toCsv, toTable } from '../../../src/ledger/format.ts';
import { buildReport } from '../../../src/ledger/report.ts';
import { emptyStats } from '../../../src/store/query/client.ts';
import { MIN, at, facts, generate } from './store-fixtures.ts';

async function report() {
  const t = await loadTariffs(fileURLToPath(new URL('../../../tariffs', import.meta.url)));
  if (!t.ok) throw new Error(t.reason);
  const fromMs = at('2025-07-01T00:00+05:00');
  const toMs = at('2025-07-02T00:00+05:00');
  const f = facts('m,"quoted"', { siteId: 'site-a' });
  const d = generate({
    facts: f,
    fromMs: fromMs - MIN,
    toMs: toMs + MIN,
    stepMs: MIN,
    powerW: 90_000,
    gaps: [[at('2025-07-01T10:00:01+05:00'), at('2025-07-01T12:00+05:00')]],
  });
  const input = { facts: f, readings: d.readings, statusEvents: [], fromMs, toMs, tariffs: t.value };
  const ledger = computeMeterLedger(input);
  const outage = outageCost(input);
  if (!ledger.ok || !outage.ok) throw new Error('engine failed');
  return buildReport({
    request: {
      label: '2025-07-01..2025-07-01',
      meters: [{ facts: f, fromMs, toMs }],
      policy: { name: 'strict', graceIntervals: 3, spikeTolerance: 1.1 },
      complete: true,
      fromMs,
      toMs,
      timeZones: ['Asia/Almaty'],
    },
    scope: { site: 'site-a' },
    results: [{ facts: f, ledger: ledger.value, outage: outage.value }],
    tariffs: t.value,
    registryVersion: 'test',
    stats: emptyStats(),
  });
}

describe('ledger report formats', () => {
  it('report: integers and their decimal strings agree; declared total is the sum of rounded lines', async () => {
    const r = await report();
    expect(r.lines).toHaveLength(3);
    expect(r.lines[1]).toMatchObject({
      reason: 'gap',
      energyWh: 200_000,
      energyKwh: '200.000',
      feeMilliTiyn: 40_000_000,
      feeTenge: '400.00000',
    });
    expect(r.totals.energyWh).toBe(22 * 90_000 + 200_000);
    expect(r.totals.declaredTenge).toBe('4360.00');
    expect(r.outageCost.tenge).toBe('40.00000');
    expect(r.tariffs).toEqual([expect.objectContaining({ id: 'kz-2024', version: 1 })]);
  });

  it("csv: the accountant's vocabulary (as the period exports), quoted cells, decimal points", async () => {
    const r = await report();
    const rows = toCsv(r).trimEnd().split('\n');
    expect(rows[0]).toBe(
      'period,taxpayer_bin,site,meter,energy_source,basis,reason,kwh,rate_tenge_per_kwh,fee_tenge,' +
        'from_utc,to_utc,tax_quarter,register_delta_kwh,max_load_kw,tariff_id,tariff_version,rule',
    );
    expect(rows[0]).toBe(lineColumnNames().join(','));
    expect(rows).toHaveLength(1 + r.lines.length);
    expect(rows[2]).toBe(
      `${r.period.label},940140000385,site-a,"m,""quoted""",grid,substituted,gap,200.000,2.00,400.00000,` +
        '2025-07-01T05:00:00.000Z,2025-07-01T07:00:00.000Z,2025-Q3,180.000,100.000,kz-2024,1,grid',
    );
    const declared = toCsv(r, 'declared').trimEnd().split('\n');
    expect(declared[0]).toBe(
      'taxpayer_bin,tax_quarter,energy_source,basis,rate_tenge_per_kwh,tariff_id,tariff_version,rounding_rule,' +
        'line_count,kwh,fee_tenge_exact,rounding_tenge,declared_tenge',
    );
    expect(declared).toHaveLength(1 + r.declared.length);
  });

  it('table: totals, substituted lines and outage cost', async () => {
    const text = toTable(await report());
    // issue 26: grouped by the one number formatter
    expect(text).toMatch(/amount due 4,360\.00 tenge/);
    expect(text).toMatch(/gap\s+200\.000\s+180\.000\s+400\.00000/);
    expect(text).toMatch(/Cost of outages under strict: 40\.00000 tenge/);
  });
});
