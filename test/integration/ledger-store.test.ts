/**
 * The store path (hour summaries in InfluxQL + raw readings of a few hours)
 * gives the same ledger as the pure core over every raw reading, on a real
 * InfluxDB, for meters with gaps, faults, resets, spikes and last wills,
 * across a month and a quarter boundary.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import {
  type MeterFacts,
  type SubstitutionPolicyName,
  type TariffSet,
  DEFAULT_POLICY,
  computeMeterLedger,
  loadTariffs,
  outageCost,
  parsePeriod,
  periodBounds,
} from '../../src/fees/index.ts';
import type { InfluxTarget } from '../../src/store/influx-target.ts';
import { computeRawLedger, computeStoreLedger, type MeterPeriod } from '../../src/ledger/store-ledger.ts';
import { useInflux } from '../helpers/influx.ts';
import {
  H,
  MIN,
  at,
  facts,
  generate,
  writeMeterData,
  type MeterData,
  type MeterSpec,
} from '../unit/ledger/store-fixtures.ts';

const T0 = at('2025-09-25T00:00+05:00');
const T1 = at('2025-10-06T00:00+05:00');
const B = at('2025-10-01T00:00+05:00'); // month and quarter boundary
const base = { fromMs: T0, toMs: T1, stepMs: MIN, powerW: 90_000 };

const specs: MeterSpec[] = [
  { ...base, facts: facts('calm') },
  { ...base, facts: facts('noisy'), fromMs: T0 + 17_000, jitterMs: 5_000, noise: 0.2, seed: 3 },
  { ...base, facts: facts('gap-over-boundary'), gaps: [[B - 4 * H, B + 6 * H]] },
  {
    ...base,
    facts: facts('faults'),
    faults: [
      [at('2025-09-27T10:00+05:00'), at('2025-09-27T11:00+05:00')],
      [at('2025-10-02T12:00+05:00'), at('2025-10-02T12:01+05:00')],
    ],
  },
  {
    ...base,
    facts: facts('resets'),
    resets: [
      { atMs: at('2025-09-29T08:00:30+05:00'), toWh: 500 },
      { atMs: B - 30_000, toWh: 0 },
    ],
  },
  {
    ...base,
    facts: facts('spikes'),
    spikes: [
      { atMs: at('2025-10-03T10:00+05:00'), jumpWh: 50_000 },
      { atMs: B, jumpWh: 20_000 },
    ],
  },
  {
    ...base,
    facts: facts('last-will'),
    noise: 0.05,
    seed: 11,
    gaps: [[B - 60_000, B + 60_000]],
    status: [
      { tsMs: at('2025-10-02T14:00:10+05:00'), state: 'offline' },
      { tsMs: at('2025-10-02T14:30:00+05:00'), state: 'online' },
      { tsMs: B - 90_000, state: 'offline' },
      { tsMs: B + 70_000, state: 'online' },
    ],
  },
  { ...base, facts: facts('silent-4-days'), gaps: [[at('2025-09-29T00:00+05:00'), at('2025-10-03T00:00+05:00')]] },
  {
    ...base,
    facts: facts('commissioned-mid', { commissionedMs: at('2025-09-28T12:00+05:00') }),
    fromMs: at('2025-09-28T13:00+05:00'),
  },
  {
    ...base,
    facts: facts('decommissioned', { decommissionedMs: at('2025-10-02T00:00+05:00') }),
    toMs: at('2025-10-02T06:00+05:00'),
  },
  { ...base, facts: facts('no-readings'), fromMs: T1 + 1, toMs: T1 },
  {
    ...base,
    facts: facts('source-and-load-change', {
      sources: [
        { fromMs: T0 - 86_400_000 * 400, source: 'grid' },
        { fromMs: at('2025-10-03T00:00+05:00'), source: 'renewable' },
      ],
      maxLoad: [
        { fromMs: T0 - 86_400_000 * 400, maxLoadW: 100_000 },
        { fromMs: at('2025-09-28T15:00:20+05:00'), maxLoadW: 120_000 },
      ],
      commissionedMs: T0 - 86_400_000 * 400,
    }),
  },
  { ...base, facts: facts('near-spike-limit'), powerW: 109_990 },
  {
    ...base,
    facts: facts('slow-reporter', { reportingIntervalS: 900 }),
    stepMs: 15 * MIN,
    gaps: [[at('2025-09-30T10:05+05:00'), at('2025-09-30T10:55+05:00')]],
  },
  {
    ...base,
    facts: facts('short-gaps'),
    gaps: [
      [at('2025-09-30T10:01+05:00'), at('2025-09-30T10:03:30+05:00')],
      [at('2025-10-01T03:10+05:00'), at('2025-10-01T03:14+05:00')],
    ],
  },
  { ...base, facts: facts('other-site', { siteId: 'site-b', taxpayerBin: '990140004654' }), noise: 0.1, seed: 5 },
];

const PERIODS = ['2025-09', '2025-10', '2025-Q3', '2025-Q4', '2025-09-28..2025-10-02', '2025-09-30..2025-09-30'];
const POLICIES: SubstitutionPolicyName[] = ['strict', 'register-reconciled'];

const influx = useInflux();
let target: InfluxTarget;
let tariffs: TariffSet;
let data: MeterData[];

beforeAll(async () => {
  target = influx.target();
  const t = await loadTariffs(fileURLToPath(new URL('../../tariffs', import.meta.url)));
  if (!t.ok) throw new Error(t.reason);
  tariffs = t.value;
  data = specs.map(generate);
  await writeMeterData(target, data);
});

function meterPeriods(label: string, list: readonly MeterFacts[]): MeterPeriod[] {
  const p = parsePeriod(label);
  if (!p.ok) throw new Error(p.reason);
  return list.map((f) => ({ facts: f, ...periodBounds(p.value, f.timeZone) }));
}

const cases = PERIODS.flatMap((period) =>
  POLICIES.map((policy) => ({ name: `${period} under ${policy}`, period, policy })),
);

describe('store path equals pure path (real InfluxDB)', () => {
  it.each(cases)('$name', async ({ period, policy }) => {
    const meters = meterPeriods(
      period,
      data.map((d) => d.facts),
    );
    const req = { target, meters, tariffs, policy: { ...DEFAULT_POLICY, name: policy } };
    const store = await computeStoreLedger(req);
    const raw = await computeRawLedger(req);
    expect(store.meters.map((m) => m.ledger)).toEqual(raw.meters.map((m) => m.ledger));
    expect(store.meters.map((m) => m.outage)).toEqual(raw.meters.map((m) => m.outage));
    // ... and both equal the pure core over the generated readings (nothing lost on the way through the store).
    meters.forEach((m, i) => {
      const d = data[i]!;
      const input = {
        facts: d.facts,
        readings: d.readings,
        statusEvents: d.statusEvents,
        fromMs: m.fromMs,
        toMs: m.toMs,
        tariffs,
        policy: req.policy,
      };
      const pure = computeMeterLedger(input);
      const cost = outageCost(input);
      if (!pure.ok || !cost.ok) throw new Error('pure core failed');
      expect(store.meters[i]!.ledger).toEqual(pure.value);
      expect(store.meters[i]!.outage).toEqual(cost.value);
    });
    // The store path read far fewer raw readings than the raw path.
    expect(store.stats.rawReadings).toBeLessThan(raw.stats.rawReadings / 5);
  });

  it('grouping per meter gives the same ledger as GROUP BY meter', async () => {
    const meters = meterPeriods(
      '2025-Q4',
      data.map((d) => d.facts),
    );
    const a = await computeStoreLedger({ target, meters, tariffs, options: { grouping: 'group-by-meter' } });
    const b = await computeStoreLedger({ target, meters, tariffs, options: { grouping: 'per-meter', concurrency: 3 } });
    const c = await computeStoreLedger({
      target,
      meters,
      tariffs,
      options: { grouping: 'group-by-meter', chunkSize: 4 },
    });
    expect(b.meters).toEqual(a.meters);
    expect(c.meters).toEqual(a.meters);
  });

  it('the scenarios exercise what they claim (raw hours, every reason)', async () => {
    const meters = meterPeriods(
      '2025-09-28..2025-10-04',
      data.map((d) => d.facts),
    );
    const strict = await computeStoreLedger({ target, meters, tariffs });
    const reconciled = await computeStoreLedger({
      target,
      meters,
      tariffs,
      policy: { ...DEFAULT_POLICY, name: 'register-reconciled' },
    });
    const reasons = new Set(
      [...strict.meters, ...reconciled.meters].flatMap((m) => m.ledger.lines.map((l) => l.reason ?? l.basis)),
    );
    for (const r of [
      'metered',
      'gap',
      'last-will',
      'fault-status',
      'register-reset',
      'spike',
      'before-first-reading',
      'no-readings',
      'gap-reconciled',
      'last-will-reconciled',
    ]) {
      expect(reasons, r).toContain(r);
    }
    expect(strict.stats.rawHours).toBeGreaterThan(0);
  });
});

describe('the store path does not pull every reading', () => {
  it('a calm meter over a quarter of 1-minute readings: few requests, few raw readings, rows ~ days', async () => {
    const db = await influx.database();
    const q3 = { fromMs: at('2025-07-01T00:00+05:00'), toMs: at('2025-10-01T00:00+05:00') };
    const calm = generate({
      facts: facts('calm-q3'),
      fromMs: q3.fromMs - 30 * MIN,
      toMs: q3.toMs + 30 * MIN,
      stepMs: MIN,
      powerW: 90_000,
      noise: 0.1,
      seed: 9,
    });
    await writeMeterData(db, [calm]);
    expect(calm.readings.length).toBeGreaterThan(132_000);
    const req = { target: db, meters: [{ facts: calm.facts, ...q3 }], tariffs };
    const store = await computeStoreLedger(req);
    // Day rollups (92 days + 1 each side), the two days holding the quarter's edges opened into hours,
    // and no raw readings: the edges (local midnight = 19:00 UTC) fall on hour starts, so no hour straddles them.
    expect(store.stats.requests).toBeLessThanOrEqual(3);
    expect(store.stats.dayBuckets).toBeLessThanOrEqual(95);
    expect(store.stats.hourBuckets).toBeLessThanOrEqual(48);
    expect(store.stats.hourBuckets).toBeGreaterThan(0);
    expect(store.stats.rawHours).toBe(0);
    expect(store.stats.rows).toBeLessThan(95 + 48 + 10);
    expect(store.meters[0]!.ledger.lines).toHaveLength(1);
    expect(store.meters[0]!.ledger.lines[0]!.basis).toBe('metered');
    // The raw path reads them all; same ledger.
    const raw = await computeRawLedger(req);
    expect(raw.stats.rawReadings).toBeGreaterThan(132_000);
    expect(store.meters).toEqual(raw.meters);
  });
});
