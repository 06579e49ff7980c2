import { beforeAll, describe, expect, it } from 'vitest';
import {
  type LedgerLine,
  type TariffSet,
  computeMeterLedger,
  formatTiyn,
  outageCost,
  roundMilliTiynToTiyn,
} from '../../../src/fees/index.ts';
import { type LedgerReport, buildReport } from '../../../src/ledger/report.ts';
import { ledgerQuerySchema, resolveLedgerRequest } from '../../../src/ledger/request.ts';
import { emptyStats } from '../../../src/store/query/client.ts';
import { loadRegistry } from '../../../src/registry/load.ts';
import { overviewView, quarterClock, quotaMonth } from '../../../src/http/dashboard/overview-model.ts';
import { projectQuarter } from '../../../src/http/dashboard/projection.ts';
import { H, MIN, shippedTariffs, steadyReadings } from '../fees/helpers.ts';
import { DEVICES_DIR } from '../../helpers/service.ts';

const registry = loadRegistry(DEVICES_DIR);
const NOW = Date.parse('2025-08-10T12:00:00Z');
const Q3_FROM = Date.parse('2025-06-30T19:00:00Z');
/** Meters with readings (the others have none): steady power, one 2-hour gap on ekb-1-m01. */
const POWER_W: Record<string, number> = { 'ekb-1-m01': 70_000, 'kpg-2-m03': 50_000, 'ast-3-m01': 30_000 };
let tariffs: TariffSet;

/** The ledger report the service would build, computed by the pure engine on synthetic readings. */
function engineReport(query: Record<string, string>, nowMs: number): LedgerReport {
  const r = resolveLedgerRequest(registry, ledgerQuerySchema.parse(query), nowMs);
  if (!r.ok) throw new Error(r.reason);
  const results = r.value.meters.map(({ facts, fromMs, toMs }) => {
    const w = POWER_W[facts.meterId];
    const all = w ? steadyReadings(Q3_FROM - 10 * MIN, Math.min(nowMs, Q3_FROM + 100 * 24 * H), w, 10 * MIN) : [];
    const readings =
      facts.meterId === 'ekb-1-m01' ? all.filter((x) => x.tsMs < Q3_FROM + 100 * H || x.tsMs > Q3_FROM + 102 * H) : all;
    const input = { facts, readings, statusEvents: [], fromMs, toMs, tariffs };
    const ledger = computeMeterLedger(input);
    const outage = outageCost(input);
    if (!ledger.ok || !outage.ok) throw new Error('engine failed');
    return { facts, ledger: ledger.value, outage: outage.value };
  });
  return buildReport({
    request: r.value,
    scope: {},
    results,
    tariffs,
    registryVersion: registry.version,
    stats: emptyStats(),
  });
}

function monthLinesFor(
  report: LedgerReport,
  nowMs: number,
): Map<string, { month: string; lines: readonly LedgerLine[] }> {
  const out = new Map<string, { month: string; lines: readonly LedgerLine[] }>();
  for (const site of registry.sites.filter((s) => s.monthlyQuotaKwh !== undefined)) {
    const month = quotaMonth(quarterClock(report), site.timeZone);
    out.set(site.id, { month, lines: engineReport({ period: month, site: site.id }, nowMs).lines });
  }
  return out;
}

const sum = (lines: readonly LedgerLine[], f: (l: LedgerLine) => number) => lines.reduce((a, l) => a + f(l), 0);

beforeAll(async () => {
  tariffs = await shippedTariffs();
});

describe('overview of a running quarter', () => {
  it("totals are the ledger report's: exact fee, declared amount, cost of outages", () => {
    const report = engineReport({ period: '2025-Q3' }, NOW);
    const v = overviewView(report, registry, monthLinesFor(report, NOW), tariffs);
    expect(report.period.complete).toBe(false);
    expect(v.totals.feeExactTenge).toBe(report.totals.feeTenge);
    expect(v.totals.declaredTenge).toBe(report.totals.declaredTenge);
    expect(v.totals.feeMilliTiyn).toBe(report.totals.feeMilliTiyn);
    expect(v.totals.outageCostMilliTiyn).toBe(report.outageCost.milliTiyn);
    expect(v.totals.feeTenge).toBe(formatTiyn(roundMilliTiynToTiyn(report.totals.feeMilliTiyn, 'half-up-tiyn')));
    expect(v.dueDates).toEqual({
      taxQuarter: '2025-Q3',
      declareBy: '2025-11-15',
      payBy: '2025-11-25',
      verified: true,
      tariffId: 'kz-2024',
    });
  });

  it('names each meter whose time without readings is a large share of the energy charged', () => {
    const report = engineReport({ period: '2025-Q3' }, NOW);
    const v = overviewView(report, registry, new Map(), tariffs);
    const total = sum(report.lines, (l) => l.energyWh);
    const meterWh = (id: string) =>
      sum(
        report.lines.filter((l) => l.meterId === id),
        (l) => l.energyWh,
      );
    // Meters without readings are charged at max load for the whole quarter so far; the small ones
    // (below 5 % of all energy charged) are not named.
    const silent = registry.meters.map((m) => m.id).filter((id) => !POWER_W[id]);
    const large = silent.filter((id) => meterWh(id) * 20 >= total);
    expect(large.length).toBeGreaterThan(3);
    expect(large.length).toBeLessThan(silent.length);
    expect(v.unreportedNotices.map((n) => n.meterId).sort()).toEqual(large.sort());
    for (const n of v.unreportedNotices) {
      expect(n.kind).toBe('no-readings');
      expect(n.energyWh).toBe(
        sum(
          report.lines.filter((l) => l.meterId === n.meterId),
          (l) => l.energyWh,
        ),
      );
      expect(n.sharePct).toBe(Math.round((n.energyWh * 1000) / total) / 10);
    }
  });

  it("per site and energy source: the sums of that site's lines; sites add up to the total", () => {
    const report = engineReport({ period: '2025-Q3' }, NOW);
    const v = overviewView(report, registry, new Map(), tariffs);
    for (const site of v.sites) {
      const lines = report.lines.filter((l) => l.siteId === site.id);
      expect(site.total.feeMilliTiyn).toBe(sum(lines, (l) => l.feeMilliTiyn));
      for (const s of site.sources) {
        const ls = lines.filter((l) => l.energySource === s.source);
        expect({ metered: s.meteredWh, substituted: s.substitutedWh, fee: s.feeMilliTiyn }).toEqual({
          metered: sum(ls, (l) => (l.basis === 'metered' ? l.energyWh : 0)),
          substituted: sum(ls, (l) => (l.basis === 'substituted' ? l.energyWh : 0)),
          fee: sum(ls, (l) => l.feeMilliTiyn),
        });
      }
      const meters = new Set(registry.meters.filter((m) => m.siteId === site.id).map((m) => m.id));
      expect(site.outageCostMilliTiyn).toBe(
        report.outageCost.byMeter.filter((o) => meters.has(o.meterId)).reduce((a, o) => a + o.outageCostMilliTiyn, 0),
      );
    }
    expect(v.sites.reduce((a, s) => a + s.total.feeMilliTiyn, 0)).toBe(report.totals.feeMilliTiyn);
    expect(
      v.sites
        .find((s) => s.id === 'ast-3')!
        .sources.map((s) => s.source)
        .sort(),
    ).toEqual(['grid', 'renewable']); // ast-3-m01 moves to renewable on 2025-08-01
  });

  it('the projection carries the last 24 h to the quarter end; the period says how far it is', () => {
    const report = engineReport({ period: '2025-Q3' }, NOW);
    const v = overviewView(report, registry, new Map(), tariffs);
    const clock = quarterClock(report);
    expect(v.totals.projectedMilliTiyn).toBe(projectQuarter(report.lines, clock).projectedMilliTiyn);
    expect(v.totals.projectedMilliTiyn).toBeGreaterThan(v.totals.feeMilliTiyn);
    expect(v.period.elapsedHours + v.period.remainingHours).toBeCloseTo(v.period.totalHours, 0);
    expect(v.period.asOf).toBe(new Date(NOW).toISOString());
  });

  it("monthly quota: this month's grid energy (metered + substituted) against the quota", () => {
    const report = engineReport({ period: '2025-Q3' }, NOW);
    const months = monthLinesFor(report, NOW);
    const v = overviewView(report, registry, months, tariffs);
    for (const site of registry.sites) {
      const q = v.sites.find((s) => s.id === site.id)!.quota;
      if (site.monthlyQuotaKwh === undefined) {
        expect(q).toBeNull();
        continue;
      }
      const grid = months.get(site.id)!.lines.filter((l) => l.energySource === 'grid');
      expect(q).toMatchObject({
        month: '2025-08',
        quotaKwh: site.monthlyQuotaKwh,
        gridWh: sum(grid, (l) => l.energyWh),
      });
      expect(q!.usedPct).toBeCloseTo((sum(grid, (l) => l.energyWh) / 1000 / site.monthlyQuotaKwh) * 100, 1);
    }
  });
});

describe('overview of a quarter that is over', () => {
  it('projects what accrued and shows the quota of its last month', () => {
    const report = engineReport({ period: '2025-Q3' }, Date.parse('2025-10-20T00:00:00Z'));
    const v = overviewView(report, registry, new Map(), tariffs);
    expect(v.period.complete).toBe(true);
    expect(v.totals.projectedMilliTiyn).toBe(v.totals.feeMilliTiyn);
    expect(v.period.remainingHours).toBe(0);
    expect(quotaMonth(quarterClock(report), 'Asia/Almaty')).toBe('2025-09');
  });
});
