/** fast-check generators of small but nasty meter scenarios around tariff and zone boundaries. */
import fc from 'fast-check';
import type { MeterLedgerInput } from '../../../src/fees/ledger.ts';
import type { TariffSet } from '../../../src/fees/tariff.ts';
import type { EnergySource, Reading, StatusEvent, SubstitutionPolicyName } from '../../../src/fees/types.ts';
import { H, at, meterFacts } from './helpers.ts';

/** Starts near interesting boundaries: 2023/2024 schedule, Almaty UTC+6 -> +5, a quarter end, 2026. */
export const STARTS = [
  at('2023-12-31T12:00+06:00'),
  at('2024-02-29T20:00+06:00'),
  at('2025-09-30T18:00+05:00'),
  at('2025-12-31T21:00+05:00'),
];

export interface Step {
  readonly gapS: number;
  readonly powerW: number;
  readonly fault: boolean;
  readonly reset: boolean;
}

export const stepArb = (maxPowerW: number, anomalies: boolean): fc.Arbitrary<Step> =>
  fc.record({
    gapS: fc.oneof(
      { weight: 6, arbitrary: fc.constant(60) },
      { weight: 2, arbitrary: fc.integer({ min: 1, max: 600 }) },
      { weight: 1, arbitrary: fc.integer({ min: 600, max: 4 * 3600 }) },
    ),
    powerW: fc.integer({ min: 0, max: maxPowerW }),
    fault: anomalies ? fc.integer({ min: 0, max: 14 }).map((x) => x === 0) : fc.constant(false),
    reset: anomalies ? fc.integer({ min: 0, max: 24 }).map((x) => x === 0) : fc.constant(false),
  });

export interface Scenario {
  readonly startIdx: number;
  readonly firstOffsetS: number;
  readonly steps: readonly Step[];
  readonly maxLoadChange: { readonly atS: number; readonly maxLoadW: number } | null;
  readonly sourceChange: { readonly atS: number; readonly source: EnergySource } | null;
  readonly offlineAtS: readonly number[];
  readonly periodFromS: number;
  readonly periodLenS: number;
  readonly commissionedAtS: number | null;
  readonly policy: SubstitutionPolicyName;
  readonly withPrice: boolean;
}

export const scenarioArb = (opts: { maxPowerW?: number; anomalies?: boolean } = {}): fc.Arbitrary<Scenario> =>
  fc.record({
    startIdx: fc.integer({ min: 0, max: STARTS.length - 1 }),
    firstOffsetS: fc.integer({ min: -7200, max: 7200 }),
    steps: fc.array(stepArb(opts.maxPowerW ?? 130_000, opts.anomalies ?? true), {
      minLength: 0,
      maxLength: 80,
      size: 'medium',
    }),
    maxLoadChange: fc.option(
      fc.record({ atS: fc.integer({ min: 0, max: 5 * 3600 }), maxLoadW: fc.integer({ min: 50_000, max: 150_000 }) }),
    ),
    sourceChange: fc.option(
      fc.record({
        atS: fc.integer({ min: 0, max: 5 * 3600 }),
        source: fc.constantFrom<EnergySource>('grid', 'renewable', 'own-offgrid'),
      }),
    ),
    offlineAtS: fc.array(fc.integer({ min: -600, max: 4 * 3600 }), { maxLength: 3, size: 'max' }),
    periodFromS: fc.integer({ min: -2 * 3600, max: 3 * 3600 }),
    periodLenS: fc.integer({ min: 1, max: 10 * 3600 }),
    commissionedAtS: fc.option(fc.integer({ min: -3600, max: 10 * 3600 })),
    policy: fc.constantFrom<SubstitutionPolicyName>('strict', 'register-reconciled'),
    withPrice: fc.boolean(),
  });

export function scenarioReadings(s: Scenario, powerScale: (i: number, p: number) => number = (_i, p) => p): Reading[] {
  const start = STARTS[s.startIdx]!;
  let t = start + s.firstOffsetS * 1000;
  let reg = 1_000_000;
  const out: Reading[] = [{ tsMs: t, registerWh: reg, status: 'ok' }];
  s.steps.forEach((step, i) => {
    t += step.gapS * 1000;
    reg += Math.floor((powerScale(i, step.powerW) * step.gapS) / 3600);
    if (step.reset) reg = Math.floor(reg / 7);
    out.push({ tsMs: t, registerWh: reg, status: step.fault ? 'fault' : 'ok' });
  });
  return out;
}

export function scenarioInput(s: Scenario, tariffs: TariffSet, readings = scenarioReadings(s)): MeterLedgerInput {
  const start = STARTS[s.startIdx]!;
  const epoch = at('2020-01-01T00:00+06:00');
  const sec = (x: number): number => start + x * 1000;
  const statusEvents: StatusEvent[] = s.offlineAtS.map((x) => ({ tsMs: sec(x), state: 'offline' }));
  const facts = meterFacts({
    commissionedMs: s.commissionedAtS === null ? epoch : sec(s.commissionedAtS),
    sources: [
      { fromMs: epoch, source: 'grid' },
      ...(s.sourceChange ? [{ fromMs: sec(s.sourceChange.atS), source: s.sourceChange.source }] : []),
    ],
    maxLoad: [
      { fromMs: epoch, maxLoadW: 100_000 },
      ...(s.maxLoadChange ? [{ fromMs: sec(s.maxLoadChange.atS), maxLoadW: s.maxLoadChange.maxLoadW }] : []),
    ],
    reportingIntervalS: 60,
  });
  const fromMs = sec(s.periodFromS);
  return {
    facts,
    readings,
    statusEvents,
    fromMs,
    toMs: fromMs + s.periodLenS * 1000,
    tariffs,
    policy: { name: s.policy, graceIntervals: 3, spikeTolerance: 1.1 },
    prices: s.withPrice ? [{ siteId: 'site-1', quarter: '2023-Q4', averagePriceTiynPerKwh: 1750 }] : [],
  };
}

export const HOUR = H;
