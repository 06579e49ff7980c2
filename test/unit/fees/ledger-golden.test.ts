/**
 * Golden cases: hand-computed fees for whole scenarios on the shipped tariffs.
 * Every meter is rated 100 kW (max load) and draws 90 kW unless stated; readings
 * every 6 minutes (90 kW x 0.1 h = 9,000 Wh a reading; max load x 0.1 h = 10,000 Wh).
 * Rates in tiyn/kWh: 1 Wh at R tiyn/kWh = R milli-tiyn; 1 tenge = 100 tiyn = 100,000 milli-tiyn.
 */
import { describe, expect, it } from 'vitest';
import { computeMeterLedger, type MeterLedgerInput } from '../../../src/fees/ledger.ts';
import { declaredLines, declaredTotalTiyn } from '../../../src/fees/declaration.ts';
import { outageCost } from '../../../src/fees/outage-cost.ts';
import type { LedgerLine, Reading, SubstitutionPolicy } from '../../../src/fees/types.ts';
import { H, MIN, at, meterFacts, shippedTariffs, steadyReadings } from './helpers.ts';

const tariffs = await shippedTariffs();
const STRICT: SubstitutionPolicy = { name: 'strict', graceIntervals: 3, spikeTolerance: 1.1 };
const RECONCILED: SubstitutionPolicy = { ...STRICT, name: 'register-reconciled' };

const Q3_2025 = { fromMs: at('2025-07-01T00:00+05:00'), toMs: at('2025-10-01T00:00+05:00') };
const steadyQ3 = (): Reading[] => steadyReadings(Q3_2025.fromMs, Q3_2025.toMs, 90_000);

interface Expected {
  energyWh: number;
  feeMilliTiyn: number;
  /** Declared amount due (sum of declared lines, each rounded once), tiyn. */
  declaredTiyn: number;
  lineCount: number;
  /** Non-plain lines: basis/reason/energy/rate. */
  special?: { basis: string; reason?: string; energyWh: number; rateTiynPerKwh: number; rule?: string }[];
  /** Outage cost under the case's policy, milli-tiyn. */
  outageCostMilliTiyn?: number;
}

interface Case {
  name: string;
  input: () => Omit<MeterLedgerInput, 'tariffs'>;
  expected: Expected;
}

const base = (over: Partial<Omit<MeterLedgerInput, 'tariffs'>> = {}): Omit<MeterLedgerInput, 'tariffs'> => ({
  facts: meterFacts(),
  readings: steadyQ3(),
  statusEvents: [],
  ...Q3_2025,
  policy: STRICT,
  ...over,
});

/** Q3 2025 with readings strictly inside (gapFrom, gapTo) removed. */
function withGap(gapFrom: number, gapTo: number): Reading[] {
  return steadyQ3().filter((r) => r.tsMs <= gapFrom || r.tsMs >= gapTo);
}

const GAP_FROM = at('2025-08-01T00:00+05:00');
const GAP_TO = GAP_FROM + 10 * H;
const T = at('2025-08-10T12:00+05:00'); // an ordinary reading instant inside Q3 2025

const cases: Case[] = [
  {
    // 2208 h x 90 kW = 198,720 kWh; x 2 tenge = 397,440 tenge = 39,744,000 tiyn.
    name: 'constant 90 kW grid meter over Q3 2025: 2208 h, 198,720 kWh, 397,440 tenge',
    input: () => base(),
    expected: { energyWh: 198_720_000, feeMilliTiyn: 39_744_000_000, declaredTiyn: 39_744_000, lineCount: 1 },
  },
  {
    // Gap 10 h charged at max load: 100 kW x 10 h = 1,000 kWh instead of the 900 kWh used.
    // 2198 h x 90 kW = 197,820 kWh + 1,000 kWh = 198,820 kWh x 2 = 397,640 tenge.
    // Outage cost: 100 kWh x 2 tenge = 200 tenge = 20,000,000 milli-tiyn.
    name: '10-hour silent gap under strict: charged at max load (397,640 tenge)',
    input: () => base({ readings: withGap(GAP_FROM, GAP_TO) }),
    expected: {
      energyWh: 198_820_000,
      feeMilliTiyn: 39_764_000_000,
      declaredTiyn: 39_764_000,
      lineCount: 3,
      special: [{ basis: 'substituted', reason: 'gap', energyWh: 1_000_000, rateTiynPerKwh: 200 }],
      outageCostMilliTiyn: 20_000_000,
    },
  },
  {
    // The register across the gap says 900 kWh (90 kW x 10 h): charged as metered, 397,440 tenge.
    name: '10-hour silent gap under register-reconciled: charged at the register (397,440 tenge)',
    input: () => base({ readings: withGap(GAP_FROM, GAP_TO), policy: RECONCILED }),
    expected: {
      energyWh: 198_720_000,
      feeMilliTiyn: 39_744_000_000,
      declaredTiyn: 39_744_000,
      lineCount: 3,
      special: [{ basis: 'metered', reason: 'gap-reconciled', energyWh: 900_000, rateTiynPerKwh: 200 }],
      outageCostMilliTiyn: 0,
    },
  },
  {
    // 198,720 kWh x 1 tenge = 198,720 tenge.
    name: 'own off-grid meter at 1 tenge/kWh (2024+): 198,720 tenge',
    input: () => base({ facts: meterFacts({ sources: [{ fromMs: 0, source: 'own-offgrid' }] }) }),
    expected: { energyWh: 198_720_000, feeMilliTiyn: 19_872_000_000, declaredTiyn: 19_872_000, lineCount: 1 },
  },
  {
    // Grid Jul 1 - Aug 15 (45 days = 1080 h): 97,200 kWh x 2 = 194,400 tenge.
    // Renewable Aug 15 - Oct 1 (1128 h): 101,520 kWh x 1 = 101,520 tenge. Total 295,920 tenge.
    name: 'source changes grid -> renewable on 2025-08-15: two lines, 295,920 tenge',
    input: () =>
      base({
        facts: meterFacts({
          sources: [
            { fromMs: 0, source: 'grid' },
            { fromMs: at('2025-08-15T00:00+05:00'), source: 'renewable' },
          ],
        }),
      }),
    expected: {
      energyWh: 198_720_000,
      feeMilliTiyn: 19_440_000_000 + 10_152_000_000,
      declaredTiyn: 29_592_000,
      lineCount: 2,
    },
  },
  {
    // 2023-12-31 (UTC+6): 24 h x 90 kW = 2,160 kWh x 1 tenge (2023, price 25 tenge >= 24) = 2,160 tenge.
    // 2024-01-01: 2,160 kWh x 2 tenge = 4,320 tenge. Total 6,480 tenge, split at 2023-12-31T18:00Z.
    name: 'across 2023-12-31 / 2024-01-01: split at the tariff boundary, 1 then 2 tenge',
    input: () => {
      const fromMs = at('2023-12-31T00:00+06:00');
      const toMs = at('2024-01-02T00:00+06:00');
      return base({
        readings: steadyReadings(fromMs, toMs, 90_000),
        fromMs,
        toMs,
        prices: [{ siteId: 'site-1', quarter: '2023-Q4', averagePriceTiynPerKwh: 2500 }],
      });
    },
    expected: { energyWh: 4_320_000, feeMilliTiyn: 216_000_000 + 432_000_000, declaredTiyn: 648_000, lineCount: 2 },
  },
  {
    // Q1 2024 in Asia/Almaty: 91 days + 1 h (UTC+6 -> UTC+5 on 2024-03-01) = 2185 h.
    // 2185 h x 90 kW = 196,650 kWh x 2 = 393,300 tenge.
    name: 'Q1 2024 is 2185 hours in Asia/Almaty: 196,650 kWh, 393,300 tenge',
    input: () => {
      const fromMs = at('2024-01-01T00:00+06:00');
      const toMs = at('2024-04-01T00:00+05:00');
      return base({ readings: steadyReadings(fromMs, toMs, 90_000), fromMs, toMs });
    },
    expected: { energyWh: 196_650_000, feeMilliTiyn: 39_330_000_000, declaredTiyn: 39_330_000, lineCount: 1 },
  },
  {
    // Meter replaced at T: register restarts at 0. [T-6min, T) is a register reset: 10,000 Wh
    // substituted instead of 9,000. 198,720,000 - 9,000 + 10,000 = 198,721,000 Wh x 2 = 397,442 tenge.
    name: 'register reset: the backwards interval is substituted at max load (397,442 tenge)',
    input: () =>
      base({
        readings: steadyQ3().map((r) =>
          r.tsMs >= T ? { ...r, registerWh: r.registerWh - (T - Q3_2025.fromMs) / 40 } : r,
        ),
      }),
    expected: {
      energyWh: 198_721_000,
      feeMilliTiyn: 39_744_200_000,
      declaredTiyn: 39_744_200,
      lineCount: 3,
      special: [{ basis: 'substituted', reason: 'register-reset', energyWh: 10_000, rateTiynPerKwh: 200 }],
    },
  },
  {
    // From T+6min on, the register is 100 kWh higher: [T, T+6min) shows 109 kWh in 0.1 h = 1,090 kW
    // > 110 kW -> spike, substituted at 10,000 Wh. Same total as the reset: 397,442 tenge.
    name: 'spike above max load x 1.1: the interval is substituted at max load',
    input: () =>
      base({ readings: steadyQ3().map((r) => (r.tsMs > T ? { ...r, registerWh: r.registerWh + 100_000 } : r)) }),
    expected: {
      energyWh: 198_721_000,
      feeMilliTiyn: 39_744_200_000,
      declaredTiyn: 39_744_200,
      lineCount: 3,
      special: [{ basis: 'substituted', reason: 'spike', energyWh: 10_000, rateTiynPerKwh: 200 }],
    },
  },
  {
    // Commissioned 2025-08-01 00:00, first reading an hour later. Aug + Sep = 61 days = 1464 h.
    // Before the first reading: 1 h x 100 kW = 100 kWh; then 1463 h x 90 kW = 131,670 kWh.
    // 131,770 kWh x 2 = 263,540 tenge.
    name: 'commissioned mid-quarter, first reading an hour later (263,540 tenge)',
    input: () => {
      const commissionedMs = at('2025-08-01T00:00+05:00');
      return base({
        facts: meterFacts({ commissionedMs }),
        readings: steadyReadings(commissionedMs + H, Q3_2025.toMs, 90_000),
      });
    },
    expected: {
      energyWh: 131_770_000,
      feeMilliTiyn: 26_354_000_000,
      declaredTiyn: 26_354_000,
      lineCount: 2,
      special: [{ basis: 'substituted', reason: 'before-first-reading', energyWh: 100_000, rateTiynPerKwh: 200 }],
    },
  },
  {
    // Last will at T+1min; the meter buffered its readings and sent them late (they arrive
    // last, out of order). Only [T, T+6min) is substituted: 10,000 Wh for 9,000 -> 397,442 tenge.
    name: 'last-will offline then a late batch of buffered readings: one interval substituted',
    input: () => {
      const all = steadyQ3();
      const late = all.filter((r) => r.tsMs > T && r.tsMs < T + 3 * H).reverse();
      return base({
        readings: [...all.filter((r) => !(r.tsMs > T && r.tsMs < T + 3 * H)), ...late],
        statusEvents: [
          { tsMs: T + MIN, state: 'offline' },
          { tsMs: T + 3 * H, state: 'online' },
        ],
      });
    },
    expected: {
      energyWh: 198_721_000,
      feeMilliTiyn: 39_744_200_000,
      declaredTiyn: 39_744_200,
      lineCount: 3,
      special: [{ basis: 'substituted', reason: 'last-will', energyWh: 10_000, rateTiynPerKwh: 200 }],
      outageCostMilliTiyn: 200_000, // 1,000 Wh x 200
    },
  },
  {
    // Q2 2023 (UTC+6): 91 days = 2184 h; average price 25 tenge -> 1 tenge band.
    // Fault readings T..T+60min: the spans touching them, T-6min..T+66min = 1.2 h, are faulty:
    // penalty RATE 25 tenge on the register delta 1.2 h x 90 kW = 108 kWh = 2,700 tenge.
    // The rest 2182.8 h x 90 kW = 196,452 kWh x 1 tenge = 196,452 tenge. Total 199,152 tenge.
    name: '2023 faulty meter: penalty rate 25 tenge on the register delta (199,152 tenge)',
    input: () => {
      const fromMs = at('2023-04-01T00:00+06:00');
      const toMs = at('2023-07-01T00:00+06:00');
      const t = at('2023-05-10T12:00+06:00');
      return base({
        readings: steadyReadings(fromMs, toMs, 90_000).map((r) =>
          r.tsMs >= t && r.tsMs <= t + H ? { ...r, status: 'fault' as const } : r,
        ),
        fromMs,
        toMs,
        prices: [{ siteId: 'site-1', quarter: '2023-Q2', averagePriceTiynPerKwh: 2500 }],
      });
    },
    expected: {
      energyWh: 196_560_000,
      feeMilliTiyn: 19_645_200_000 + 270_000_000,
      declaredTiyn: 19_915_200,
      lineCount: 3,
      special: [
        {
          basis: 'substituted',
          reason: 'fault-status',
          energyWh: 108_000,
          rateTiynPerKwh: 2500,
          rule: 'no-or-faulty-meter',
        },
      ],
      outageCostMilliTiyn: 108_000 * (2500 - 100),
    },
  },
  {
    // Q2 2023 with no average price given: the highest grid band (25 tenge) applies.
    // 2184 h x 90 kW = 196,560 kWh x 25 = 4,914,000 tenge.
    name: '2023 without a quarter price: highest grid band, rule says price-missing',
    input: () => {
      const fromMs = at('2023-04-01T00:00+06:00');
      const toMs = at('2023-07-01T00:00+06:00');
      return base({ readings: steadyReadings(fromMs, toMs, 90_000), fromMs, toMs });
    },
    expected: { energyWh: 196_560_000, feeMilliTiyn: 491_400_000_000, declaredTiyn: 491_400_000, lineCount: 1 },
  },
  {
    // Q1 2026 (UTC+5): 90 days = 2160 h at 90,003 W = 194,406,480 Wh x 2 tenge = 388,812.96 tenge,
    // declared in whole tenge (half-up, once per declared line): 388,813 tenge = 38,881,300 tiyn.
    name: '2026 rounds the declared line to whole tenge (388,812.96 -> 388,813)',
    input: () => {
      const fromMs = at('2026-01-01T00:00+05:00');
      const toMs = at('2026-04-01T00:00+05:00');
      return base({ readings: steadyReadings(fromMs, toMs, 90_003), fromMs, toMs });
    },
    expected: { energyWh: 194_406_480, feeMilliTiyn: 38_881_296_000, declaredTiyn: 38_881_300, lineCount: 1 },
  },
  {
    // Decommissioned 2025-09-01 00:00: Jul + Aug = 62 days = 1488 h x 90 kW = 133,920 kWh x 2 = 267,840 tenge.
    name: 'decommissioned mid-quarter: the ledger stops at decommissioning',
    input: () => base({ facts: meterFacts({ decommissionedMs: at('2025-09-01T00:00+05:00') }) }),
    expected: { energyWh: 133_920_000, feeMilliTiyn: 26_784_000_000, declaredTiyn: 26_784_000, lineCount: 1 },
  },
  {
    // Readings stop 30 min before the quarter ends: tail after the last reading, 0.5 h x 100 kW = 50 kWh.
    // 2207.5 h x 90 kW = 198,675 kWh + 50 = 198,725 kWh x 2 = 397,450 tenge.
    name: 'no reading after the last one: the tail is substituted, never extrapolated',
    input: () => base({ readings: steadyQ3().filter((r) => r.tsMs <= Q3_2025.toMs - 30 * MIN) }),
    expected: {
      energyWh: 198_725_000,
      feeMilliTiyn: 39_745_000_000,
      declaredTiyn: 39_745_000,
      lineCount: 2,
      special: [{ basis: 'substituted', reason: 'after-last-reading', energyWh: 50_000, rateTiynPerKwh: 200 }],
    },
  },
];

const sum = (lines: readonly LedgerLine[], f: (l: LedgerLine) => number): number => lines.reduce((s, l) => s + f(l), 0);

describe('fee ledger golden cases', () => {
  it.each(cases)('$name', ({ input, expected }) => {
    const ctx = { ...input(), tariffs };
    const r = computeMeterLedger(ctx);
    if (!r.ok) throw new Error(r.reason);
    const lines = r.value.lines;
    expect(sum(lines, (l) => l.energyWh)).toBe(expected.energyWh);
    expect(sum(lines, (l) => l.feeMilliTiyn)).toBe(expected.feeMilliTiyn);
    expect(lines).toHaveLength(expected.lineCount);
    expect(declaredTotalTiyn(declaredLines(lines))).toBe(expected.declaredTiyn);
    // Lines tile the covered range: no gaps, no overlaps.
    expect(lines[0]!.fromMs).toBe(r.value.fromMs);
    expect(lines.at(-1)!.toMs).toBe(r.value.toMs);
    for (let i = 1; i < lines.length; i++) expect(lines[i]!.fromMs).toBe(lines[i - 1]!.toMs);
    const special = lines
      .filter((l) => l.reason !== undefined)
      .map((l) => ({
        basis: l.basis,
        reason: l.reason,
        energyWh: l.energyWh,
        rateTiynPerKwh: l.rateTiynPerKwh,
        ...(expected.special?.some((s) => s.rule) ? { rule: l.rule } : {}),
      }));
    expect(special).toEqual(expected.special ?? []);
    if (expected.outageCostMilliTiyn !== undefined) {
      const oc = outageCost(ctx);
      if (!oc.ok) throw new Error(oc.reason);
      expect(oc.value.outageCostMilliTiyn).toBe(expected.outageCostMilliTiyn);
    }
  });
});
