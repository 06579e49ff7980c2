/**
 * Issue 17, part 3: at the example's hosting site pvl-4 (operated by Dala Hash) two hosted miners pay their own
 * fee. The ledger report, the period snapshot, its exports and the dashboard overview give per-taxpayer totals
 * with nothing of one taxpayer under another. Synthetic readings through the pure engine; 2025-08 at 20 kW.
 */
import { describe, expect, it } from 'vitest';
import { computeMeterLedger, outageCost, parsePeriod } from '../../../src/fees/index.ts';
import { overviewView } from '../../../src/http/dashboard/overview-model.ts';
import { toTable } from '../../../src/ledger/format.ts';
import { type LedgerReport, buildReport } from '../../../src/ledger/report.ts';
import { ledgerQuerySchema, resolveLedgerRequest } from '../../../src/ledger/request.ts';
import { emptyStats } from '../../../src/store/query/client.ts';
import { buildSnapshot, snapshotParties } from '../../../src/periods/build-snapshot.ts';
import { totalsCsv } from '../../../src/periods/export-csv.ts';
import { reportHtml } from '../../../src/periods/export-html.ts';
import { loadRegistry } from '../../../src/registry/load.ts';
import { DEVICES_DIR } from '../../helpers/service.ts';
import { MIN, shippedTariffs, steadyReadings } from '../fees/helpers.ts';

const DALA = '940140000385';
const STEPPE = '990140004654';
const IRTYSH = '210340012344';
const registry = loadRegistry(DEVICES_DIR);
const tariffs = await shippedTariffs();
/** Meters with readings (20 kW, every 2 min: inside the 3 x 60 s grace); the others are left out of the scope. */
const METERS = ['ekb-1-m01', 'ast-3-m01', 'pvl-4-m01', 'pvl-4-m02'];
// August 2025: 744 h x 20 kW = 14,880 kWh a meter, at 2 tenge = 29,760 tenge.
const METER_KWH = 14_880;
const METER_MILLI_TIYN = 14_880_000 * 200;
// Steppe: ast-3-m01 (renewable from 2025-08-01, 1 tenge) and the hosted pvl-4-m01 (grid): 44,640 tenge.
const STEPPE_MILLI_TIYN = 14_880_000 * 100 + METER_MILLI_TIYN;

function report(query: Record<string, string>): LedgerReport {
  const r = resolveLedgerRequest(registry, ledgerQuerySchema.parse(query), Date.parse('2025-09-15T00:00Z'));
  if (!r.ok) throw new Error(r.reason);
  const results = r.value.meters
    .filter((m) => METERS.includes(m.facts.meterId))
    .map(({ facts, fromMs, toMs }) => {
      const input = {
        facts,
        readings: steadyReadings(fromMs - 2 * MIN, toMs + 2 * MIN, 20_000, 2 * MIN),
        statusEvents: [],
        fromMs,
        toMs,
        tariffs,
      };
      const ledger = computeMeterLedger(input);
      const outage = outageCost(input);
      if (!ledger.ok || !outage.ok) throw new Error('engine failed');
      return { facts, ledger: ledger.value, outage: outage.value };
    });
  return buildReport({
    request: { ...r.value, meters: r.value.meters.filter((m) => METERS.includes(m.facts.meterId)) },
    scope: {},
    results,
    tariffs,
    registryVersion: registry.version,
    stats: emptyStats(),
    taxpayers: registry.taxpayers,
  });
}

function snapshot() {
  const r = report({ period: '2025-08' });
  const period = parsePeriod('2025-08');
  if (!period.ok) throw new Error(period.reason);
  return buildSnapshot({
    period: period.value,
    taxpayerScope: null,
    lines: r.lines,
    version: 1,
    closedBy: 'accountant',
    closedAtMs: Date.parse('2025-09-15T00:00Z'),
    reason: null,
    previousVersions: [],
    registryVersion: registry.version,
    tariffs,
    policy: r.policy,
    engineVersion: 'test',
    ...snapshotParties(
      registry,
      METERS.map((id) => registry.meterById.get(id)!),
    ),
  });
}

describe('hosted miners are their own taxpayers', () => {
  it('the ledger report of the hosting site gives each hosted miner its own totals and amount due, none to the host', () => {
    const r = report({ period: '2025-08', site: 'pvl-4' });
    expect(r.taxpayers.map((t) => [t.bin, t.name, t.sites, t.meters, t.energyWh, t.declaredTiyn])).toEqual([
      [STEPPE, 'Steppe Compute LLP', ['pvl-4'], ['pvl-4-m01'], METER_KWH * 1000, METER_MILLI_TIYN / 1000],
      [IRTYSH, 'Irtysh Digital LLP', ['pvl-4'], ['pvl-4-m02'], METER_KWH * 1000, METER_MILLI_TIYN / 1000],
    ]);
    expect(r.declared.map((d) => d.taxpayerBin)).toEqual([IRTYSH, STEPPE]);
    expect(r.summaries.byTaxpayerSite.map((t) => t.key)).toEqual([`${STEPPE}/pvl-4`, `${IRTYSH}/pvl-4`]);
    // The CLI's text page has the same per-taxpayer table.
    const text = toTable(r);
    expect(text).toMatch(
      new RegExp(
        `${STEPPE}\\s+Steppe Compute LLP\\s+pvl-4\\s+14,880\\.000\\s+0\\.000\\s+29,760\\.00000\\s+29,760\\.00`,
      ),
    );
    expect(text).toMatch(new RegExp(`${IRTYSH}\\s+Irtysh Digital LLP\\s+pvl-4\\s+14,880\\.000`));
    expect(text).not.toMatch(new RegExp(`${DALA}\\s+Dala`));
  });

  it("a taxpayer's scope is its own meters wherever they are: Steppe's own site and its hosted meter, nothing of Irtysh", () => {
    const r = report({ period: '2025-08', taxpayer: STEPPE });
    expect(r.scope.meters).toEqual(['ast-3-m01', 'pvl-4-m01']);
    expect(r.taxpayers.map((t) => [t.bin, t.sites, t.feeMilliTiyn])).toEqual([
      [STEPPE, ['ast-3', 'pvl-4'], STEPPE_MILLI_TIYN],
    ]);
  });

  it('the snapshot lists the hosting site once per hosted taxpayer, with its operator, and totals each apart', () => {
    const s = snapshot();
    expect(s.sites.filter((x) => x.id === 'pvl-4')).toEqual([
      { id: 'pvl-4', name: 'Pavlodar hosting hall', taxpayerBin: STEPPE, operatorBin: DALA },
      { id: 'pvl-4', name: 'Pavlodar hosting hall', taxpayerBin: IRTYSH, operatorBin: DALA },
    ]);
    expect(s.totals.byTaxpayer.map((t) => [t.key, t.feeMilliTiyn])).toEqual([
      [DALA, METER_MILLI_TIYN],
      [STEPPE, STEPPE_MILLI_TIYN],
      [IRTYSH, METER_MILLI_TIYN],
    ]);
    expect(s.totals.byTaxpayerSite?.map((t) => [t.taxpayerBin, t.siteId])).toEqual([
      [DALA, 'ekb-1'],
      [STEPPE, 'ast-3'],
      [STEPPE, 'pvl-4'],
      [IRTYSH, 'pvl-4'],
    ]);
  });

  it('the totals CSV has one site row per taxpayer at the hosting site; the HTML puts it on each miner page, not the host page', () => {
    const s = snapshot();
    const siteRows = totalsCsv(s)
      .split('\n')
      .filter((l) => l.startsWith('site,'));
    expect(siteRows.map((l) => l.split(',').slice(2, 5))).toEqual([
      ['ekb-1', DALA, ''],
      ['ast-3', STEPPE, ''],
      ['pvl-4', STEPPE, ''],
      ['pvl-4', IRTYSH, ''],
    ]);
    const pages = reportHtml(s).split('<section class="taxpayer"').slice(1);
    const page = (bin: string) => pages.find((p) => p.includes(`data-bin="${bin}"`))!;
    expect(page(DALA)).not.toContain('pvl-4');
    // Issue 26: the host by its name, not only its BIN.
    expect(page(STEPPE)).toMatch(new RegExp(`Pavlodar hosting hall \\(pvl-4, hosted by Dala[^,]*, BIN ${DALA}\\)`));
    expect(page(IRTYSH)).toContain('pvl-4');
    expect(page(IRTYSH)).toContain('<td class="amount-due">29,760.00</td>');
    expect(page(STEPPE)).toContain('<td class="amount-due">44,640.00</td>');
  });

  it('the overview gives per-taxpayer totals and amounts due, and splits the hosting site by taxpayer', () => {
    const v = overviewView(report({ period: '2025-08' }), registry, new Map(), tariffs);
    expect(v.taxpayers.map((t) => [t.bin, t.total.feeMilliTiyn, t.declaredTenge])).toEqual([
      [DALA, METER_MILLI_TIYN, '29760.00'],
      [STEPPE, STEPPE_MILLI_TIYN, '44640.00'],
      [IRTYSH, METER_MILLI_TIYN, '29760.00'],
    ]);
    expect(v.taxpayers.find((t) => t.bin === STEPPE)!.sites.map((x) => [x.id, x.operatorBin])).toEqual([
      ['ast-3', null],
      ['pvl-4', DALA],
    ]);
    const hall = v.sites.find((x) => x.id === 'pvl-4')!;
    expect(hall.taxpayers.map((t) => [t.bin, t.name, t.total.feeMilliTiyn])).toEqual([
      [STEPPE, 'Steppe Compute LLP', METER_MILLI_TIYN],
      [IRTYSH, 'Irtysh Digital LLP', METER_MILLI_TIYN],
    ]);
  });
});
