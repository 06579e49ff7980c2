/**
 * End to end through each device format: the short-e2e scenario with one meter on a Tasmota plug, one on a
 * Shelly Pro EM and one behind a Modbus gateway speaking the `mapped` format, backfilled over MQTT into the
 * running service (real aedes, real influxd). The gateway forwards its 45-minute outage after the fact as
 * timestamped DOWN/UP statuses; the ledger must apply it where it happened. The closed period equals the
 * simulator's ground truth to the milli-tiyn, per meter and per policy.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import { simDevices } from '../../simulator/formats.ts';
import { loadScenarioFile, runSimulation } from '../../simulator/index.ts';
import { DEFAULT_POLICY } from '../../src/fees/index.ts';
import { createPeriodService } from '../../src/periods/period-service.ts';
import type { PeriodSnapshot } from '../../src/periods/snapshot-types.ts';
import { devicesFileSchema } from '../../src/formats/device-schema.ts';
import { loadRegistry } from '../../src/registry/load.ts';
import { resolveDevices } from '../../src/registry/resolve-devices.ts';
import type { Registry } from '../../src/registry/types.ts';
import { useInflux } from '../helpers/influx.ts';
import { DEVICES_DIR, queryRows, startService, writerDrained } from '../helpers/service.ts';
import { tariffs } from '../unit/periods/fixtures.ts';

const FORMATS = { 'ekb-1-m01': 'tasmota', 'kpg-2-m03': 'shelly-gen2', 'ast-3-m02': 'mapped' } as const;
const PERIOD = '2025-07-01..2025-07-02';

interface Truth {
  meters: {
    meterId: string;
    reportingIntervalS: number;
    periods: { period: string; kind: string; expected: Record<string, { feeMilliTiyn: number; energyWh: number }> }[];
  }[];
}

const dirs: string[] = [];
const tmp = (p: string) => {
  const d = mkdtempSync(join(tmpdir(), p));
  dirs.push(d);
  return d;
};

/** The example registry with the devices the simulator wrote, and the scenario's 300 s interval. */
function registryFor(outDir: string, intervalS?: number): Registry {
  const base = loadRegistry(DEVICES_DIR);
  const file = devicesFileSchema.parse(parseYaml(readFileSync(join(outDir, 'devices.yaml'), 'utf8')));
  const r = resolveDevices(file.devices, file.mappings, new Set(base.meters.map((m) => m.id)), 'devices.yaml');
  if (r.problems.length) throw new Error(r.problems.join('\n'));
  const meters = base.meters.map((m) =>
    intervalS !== undefined && m.id in FORMATS ? { ...m, reportingIntervalS: intervalS } : m,
  );
  return { ...base, meters, meterById: new Map(meters.map((m) => [m.id, m])), devices: r.devices };
}

describe('device formats end to end: Tasmota, Shelly Gen2, mapped gateway', () => {
  const influx = useInflux();
  let svc: Awaited<ReturnType<typeof startService>>;
  let truth: Truth;
  let outDir: string;

  beforeAll(async () => {
    const scenario = { ...loadScenarioFile('simulator/scenarios/short-e2e.yaml'), formats: { ...FORMATS } };
    // The runner writes this devices.yaml next to the ground truth too; the service needs it before it starts.
    outDir = tmp('kzm-fmt-');
    writeFileSync(join(outDir, 'devices.yaml'), stringify(simDevices(scenario.formats)));
    svc = await startService(await influx.database(), {}, registryFor(outDir));
    const summary = await runSimulation({ scenario, brokerUrl: svc.brokerUrl, clock: 'backfill', outDir });
    expect(summary.publishFailures).toBe(0);
    await writerDrained(svc);
    truth = JSON.parse(readFileSync(summary.groundTruthPath!, 'utf8')) as Truth;
  }, 120_000);
  afterAll(async () => {
    await svc?.cleanup();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('every topic was understood: no unknown device or topic, and readings arrived through each adapter', async () => {
    const metrics = await svc.metrics.registry.metrics();
    expect(metrics).not.toMatch(/kzm_ingest_rejected_total\{reason="unknown-device"\} [1-9]/);
    expect(metrics).not.toMatch(/kzm_ingest_ignored_total\{reason="unknown-topic"\} [1-9]/);
    const rows = await queryRows(svc.influx, 'SELECT count(wh) AS n FROM reading GROUP BY meter');
    const n = new Map(rows.map((r) => [r.meter, r.n]));
    for (const id of Object.keys(FORMATS)) expect(n.get(id), id).toBeGreaterThan(500);
  });

  it('the gateway outage forwarded after the fact is stored at its own times, not on arrival', async () => {
    const rows = await queryRows(
      svc.influx,
      `SELECT state FROM meter_status WHERE meter = 'ast-3-m02' AND time >= '2025-07-01T00:00:00Z' AND time < '2025-07-03T00:00:00Z'`,
    );
    const at = (iso: string) => rows.filter((r) => r.time === Date.parse(iso)).map((r) => r.state);
    expect(at('2025-07-01T09:00:00Z')).toEqual(['offline']);
    expect(at('2025-07-01T09:45:00Z')).toEqual(['online']);
  });

  it.each(['strict', 'register-reconciled'] as const)(
    '%s: the closed period equals the ground truth per meter, to the milli-tiyn',
    async (policyName) => {
      const periods = createPeriodService({
        registry: registryFor(outDir, truth.meters[0]!.reportingIntervalS),
        tariffs: await tariffs(),
        target: svc.influx,
        dataDir: tmp('kzm-fmt-periods-'),
        beforeRead: () => svc.rollups.flush(),
        policy: { ...DEFAULT_POLICY, name: policyName },
      });
      const closed = await periods.close({
        period: PERIOD,
        closedBy: 'e2e',
        acknowledgement: 'test data: only the simulated meters report',
      });
      expect(closed.ok, closed.ok ? '' : closed.reason).toBe(true);
      const json = await periods.export(PERIOD, 'json');
      if (!json.ok) throw new Error('export failed');
      const snapshot = JSON.parse(json.value.body) as PeriodSnapshot;
      for (const m of truth.meters) {
        const expected = m.periods.find((p) => p.kind === 'run' && p.period === PERIOD)!.expected[policyName]!;
        const got = snapshot.totals.byMeter.find((t) => t.key === m.meterId)!;
        expect({ meter: m.meterId, fee: got.feeMilliTiyn, wh: got.energyWh }).toEqual({
          meter: m.meterId,
          fee: expected.feeMilliTiyn,
          wh: expected.energyWh,
        });
      }
      if (policyName === 'strict') {
        const lastWill = snapshot.lines.filter((l) => l.meterId === 'ast-3-m02' && l.reason === 'last-will');
        expect(lastWill.length).toBeGreaterThan(0);
      }
    },
  );
});
