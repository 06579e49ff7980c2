/**
 * Issue 4: every failure the simulator injects is seen by the service the way the fee engine describes it:
 * a reason on the ledger line, or a rejected reason in /metrics. short-e2e is backfilled through the
 * embedded broker into a real InfluxDB; the ledger is read back through the store path.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSimulation } from '../../simulator/index.ts';
import { DEFAULT_POLICY, loadTariffs, type LedgerLine } from '../../src/fees/index.ts';
import { meterFacts } from '../../src/ledger/scope.ts';
import { computeStoreLedger } from '../../src/ledger/store-ledger.ts';
import { loadRegistry } from '../../src/registry/load.ts';
import { useInflux } from '../helpers/influx.ts';
import { DEVICES_DIR, queryRows, startService } from '../helpers/service.ts';

const influx = useInflux();
let svc: Awaited<ReturnType<typeof startService>>;
let lines: LedgerLine[] = [];
let metricsText = '';
const out = mkdtempSync(join(tmpdir(), 'kzm-sim-seen-'));
const FROM = Date.parse('2025-07-01T00:00:00+05:00');
const TO = Date.parse('2025-07-03T00:00:00+05:00');
const local = (s: string) => Date.parse(`${s}+05:00`);

beforeAll(async () => {
  svc = await startService(await influx.database());
  const summary = await runSimulation({
    scenario: 'simulator/scenarios/short-e2e.yaml',
    brokerUrl: svc.brokerUrl,
    clock: 'backfill',
    outDir: out,
  });
  expect(summary.publishFailures).toBe(0);
  const truth = JSON.parse(readFileSync(summary.groundTruthPath!, 'utf8')) as {
    meters: { meterId: string; reportingIntervalS: number }[];
  };
  const registry = loadRegistry(DEVICES_DIR);
  const tariffs = await loadTariffs('tariffs');
  if (!tariffs.ok) throw new Error(tariffs.reason);
  // The scenario runs its meters at a 5-minute interval: the grace period follows it.
  const meters = truth.meters.map((t) => ({
    facts: { ...meterFacts(registry.meterById.get(t.meterId)!), reportingIntervalS: t.reportingIntervalS },
    fromMs: FROM,
    toMs: TO,
  }));
  expect(await svc.rollups.flush()).toBe(true);
  const result = await computeStoreLedger({
    target: svc.influx,
    meters,
    tariffs: tariffs.value,
    policy: DEFAULT_POLICY,
  });
  lines = result.meters.flatMap((m) => m.ledger.lines);
  metricsText = await svc.metrics.registry.metrics();
}, 120_000);
afterAll(async () => {
  await svc?.cleanup();
  rmSync(out, { recursive: true, force: true });
});

const substituted = (meterId: string, fromIso: string, toIso: string) =>
  lines.filter(
    (l) => l.meterId === meterId && l.basis === 'substituted' && l.fromMs < local(toIso) && l.toMs > local(fromIso),
  );

const rejected = (reason: string) =>
  Number(metricsText.match(new RegExp(`^kzm_ingest_rejected_total\\{reason="${reason}"\\} (\\d+)`, 'm'))?.[1] ?? 0);

describe('failures of short-e2e as the service sees them', () => {
  it.each([
    {
      failure: 'silent outage (1 h)',
      meter: 'ekb-1-m01',
      from: '2025-07-01T06:00:00',
      to: '2025-07-01T07:00:00',
      reason: 'gap',
    },
    {
      failure: 'outage with last will (45 min, will stamped on arrival in backfill)',
      meter: 'ast-3-m02',
      from: '2025-07-01T14:00:00',
      to: '2025-07-01T14:45:00',
      reason: 'gap',
    },
    {
      failure: 'meter fault (1 h)',
      meter: 'ast-3-m02',
      from: '2025-07-02T03:00:00',
      to: '2025-07-02T04:00:00',
      reason: 'fault-status',
    },
    {
      failure: 'register reset on replacement',
      meter: 'ekb-1-m01',
      from: '2025-07-02T08:55:00',
      to: '2025-07-02T09:05:00',
      reason: 'register-reset',
    },
    {
      failure: 'clock skew (readings 40 s early: more energy than max load allows in the interval)',
      meter: 'ekb-1-m01',
      from: '2025-07-02T15:00:00',
      to: '2025-07-02T16:05:00',
      reason: 'spike',
    },
    { failure: 'spike', meter: 'kpg-2-m03', from: '2025-07-02T11:55:00', to: '2025-07-02T12:05:00', reason: 'spike' },
  ])('$failure on $meter: substituted with reason $reason', ({ meter, from, to, reason }) => {
    const hit = substituted(meter, from, to);
    expect(hit.length, `no substituted line for ${meter} in ${from}..${to}`).toBeGreaterThan(0);
    expect(hit.map((l) => l.reason)).toContain(reason);
  });

  it('store-and-forward: the 2 h buffered by the gateway arrive in one flush and are metered, not substituted', () => {
    expect(substituted('kpg-2-m03', '2025-07-01T20:05:00', '2025-07-01T21:55:00')).toEqual([]);
  });

  it('garbage payloads are rejected with their own reasons in /metrics', () => {
    const total = ['invalid-json', 'schema', 'invalid-utf8', 'empty-batch'].reduce((s, r) => s + rejected(r), 0);
    expect(total).toBeGreaterThanOrEqual(6);
  });

  it('the last will reached the store as an offline event', async () => {
    const rows = await queryRows(
      svc.influx,
      `SELECT state FROM meter_status WHERE meter = 'ast-3-m02' AND state = 'offline'`,
    );
    expect(rows.length).toBeGreaterThan(0);
  });

  it('duplicates and out-of-order deliveries leave one point per reading', async () => {
    const rows = await queryRows(
      svc.influx,
      `SELECT count(wh) AS n FROM reading WHERE meter = 'kpg-2-m03' AND time >= ${FROM}ms AND time <= ${TO}ms`,
    );
    // 2 days at 5 min, both ends included
    expect(rows[0]?.n).toBe(2 * 288 + 1);
  });
});
