/**
 * End to end: the simulator backfills the short-e2e scenario (outages silent and
 * with a last will, store-and-forward, fault, reset, spike, clock skew,
 * duplicates, late deliveries, garbage) over MQTT into the running service; the
 * period is closed and its exports equal the simulator's ground truth to the
 * milli-tiyn, per meter and per policy.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSimulation } from '../../simulator/index.ts';
import { DEFAULT_POLICY } from '../../src/fees/index.ts';
import { createPeriodService } from '../../src/periods/period-service.ts';
import type { PeriodSnapshot } from '../../src/periods/snapshot-types.ts';
import { loadRegistry } from '../../src/registry/load.ts';
import type { Registry } from '../../src/registry/types.ts';
import { useInflux } from '../helpers/influx.ts';
import { DEVICES_DIR, startService, writerDrained } from '../helpers/service.ts';
import { tariffs } from '../unit/periods/fixtures.ts';

interface Truth {
  meters: {
    meterId: string;
    reportingIntervalS: number;
    periods: {
      period: string;
      kind: string;
      expected: Record<'strict' | 'register-reconciled', { feeMilliTiyn: number; energyWh: number }>;
    }[];
  }[];
}

const dirs: string[] = [];
const tmp = (p: string) => {
  const d = mkdtempSync(join(tmpdir(), p));
  dirs.push(d);
  return d;
};

// The two-day scenario closes a custom range; the quarter scenario closes the tax period itself.
describe.each([
  { scenario: 'short-e2e', PERIOD: '2025-07-01..2025-07-02', periodKind: 'run' },
  { scenario: 'quarter-e2e', PERIOD: '2025-Q3', periodKind: 'quarter' },
])('$scenario: close $PERIOD after a simulator backfill', ({ scenario, PERIOD, periodKind }) => {
  const influx = useInflux();
  let svc: Awaited<ReturnType<typeof startService>>;
  let truth: Truth;

  beforeAll(async () => {
    svc = await startService(await influx.database());
    const summary = await runSimulation({
      scenario: `simulator/scenarios/${scenario}.yaml`,
      brokerUrl: svc.brokerUrl,
      clock: 'backfill',
      outDir: tmp('kzm-sim-'),
    });
    expect(summary.publishFailures).toBe(0);
    // Every reading is acknowledged only once written; let the writer drain anyway.
    await writerDrained(svc);
    truth = JSON.parse(readFileSync(summary.groundTruthPath!, 'utf8')) as Truth;
  }, 120_000);
  afterAll(async () => {
    await svc?.cleanup();
  });

  /**
   * The scenario overrides the meters' reporting interval (300 s, fast runs) and
   * its ground truth uses that interval for the grace period: so does the
   * registry the period is closed with.
   */
  function scenarioRegistry(): Registry {
    const r = loadRegistry(DEVICES_DIR);
    const intervalS = truth.meters[0]!.reportingIntervalS;
    const simulated = new Set(truth.meters.map((m) => m.meterId));
    const meters = r.meters.map((m) => (simulated.has(m.id) ? { ...m, reportingIntervalS: intervalS } : m));
    return { ...r, meters, meterById: new Map(meters.map((m) => [m.id, m])) };
  }

  /** Exact fee per meter from the lines CSV: fee_tenge has 5 decimals, i.e. milli-tiyn. */
  function csvFeeByMeter(csv: string): Map<string, number> {
    const [head, ...rows] = csv.trimEnd().split('\n');
    const cols = head!.split(',');
    const out = new Map<string, number>();
    for (const r of rows) {
      const c = r.split(',');
      const meter = c[cols.indexOf('meter')]!;
      out.set(meter, (out.get(meter) ?? 0) + Number(c[cols.indexOf('fee_tenge')]!.replace('.', '')));
    }
    return out;
  }

  it.each(['strict', 'register-reconciled'] as const)(
    '%s: exported fees equal the ground truth to the milli-tiyn',
    async (policyName) => {
      const periods = createPeriodService({
        registry: scenarioRegistry(),
        tariffs: await tariffs(),
        target: svc.influx,
        dataDir: tmp('kzm-e2e-periods-'),
        beforeRead: () => svc.rollups.flush(),
        policy: { ...DEFAULT_POLICY, name: policyName },
      });
      const closed = await periods.close({
        period: PERIOD,
        closedBy: 'e2e',
        acknowledgement: 'test data: substitution intended',
      });
      expect(closed.ok, closed.ok ? '' : closed.reason).toBe(true);
      const json = await periods.export(PERIOD, 'json');
      const csv = await periods.export(PERIOD, 'csv');
      if (!json.ok || !csv.ok) throw new Error('export failed');
      const snapshot = JSON.parse(json.value.body) as PeriodSnapshot;
      const fromCsv = csvFeeByMeter(csv.value.body);
      expect(truth.meters.map((m) => m.meterId).sort()).toEqual(['ast-3-m02', 'ekb-1-m01', 'kpg-2-m03']);
      let truthTotal = 0;
      for (const m of truth.meters) {
        const expected = m.periods.find((p) => p.kind === periodKind && p.period === PERIOD)!.expected[policyName];
        const got = snapshot.totals.byMeter.find((t) => t.key === m.meterId)!;
        expect({ meter: m.meterId, feeMilliTiyn: got.feeMilliTiyn, energyWh: got.energyWh }).toEqual({
          meter: m.meterId,
          feeMilliTiyn: expected.feeMilliTiyn,
          energyWh: expected.energyWh,
        });
        expect(fromCsv.get(m.meterId)).toBe(expected.feeMilliTiyn);
        truthTotal += expected.feeMilliTiyn;
      }
      const simulated = new Set(truth.meters.map((m) => m.meterId));
      const exportedSimulated = snapshot.lines
        .filter((l) => simulated.has(l.meterId))
        .reduce((a, l) => a + l.feeMilliTiyn, 0);
      expect(exportedSimulated).toBe(truthTotal);
      const verify = await periods.verify(PERIOD);
      expect(verify.ok && verify.value.ok).toBe(true);
    },
  );
});

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
