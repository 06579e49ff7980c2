import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DAY_MS,
  daysFromHours,
  expandFlaggedDays,
  mergeBuckets,
  summarizeHours,
} from '../../../src/fees/bucket-summary.ts';
import { computeMeterLedgerFromHours, rawHoursNeeded } from '../../../src/fees/hourly.ts';
import { computeMeterLedger } from '../../../src/fees/ledger.ts';
import { ledgerAndOutageFromHours, outageCost, outageCostFromHours } from '../../../src/fees/outage-cost.ts';
import type { BucketSummary } from '../../../src/fees/hourly.ts';
import type { Reading } from '../../../src/fees/types.ts';
import { H, MIN, at, meterFacts, shippedTariffs } from './helpers.ts';
import { hourSummaries } from './hour-summaries.ts';
import { scenarioArb, scenarioInput, scenarioReadings } from './scenario-arb.ts';

const tariffs = await shippedTariffs();

function ok<T>(r: { ok: true; value: T } | { ok: false; reason: string }): T {
  if (!r.ok) throw new Error(r.reason);
  return r.value;
}

/** A day bucket computed naively over all readings of the day, as if the day were one hour-like bucket. */
function naiveDay(readings: readonly Reading[], dayStart: number): BucketSummary | undefined {
  const inDay = readings.filter((r) => r.tsMs >= dayStart && r.tsMs < dayStart + DAY_MS);
  if (!inDay.length) return undefined;
  const sorted = [...inDay].sort((a, b) => a.tsMs - b.tsMs);
  let maxGap = 0,
    minStep = 0,
    maxPw = 0,
    faults = 0;
  for (let i = 0; i < sorted.length; i++) {
    if (sorted[i]!.status === 'fault') faults++;
    if (i === 0) continue;
    const gap = sorted[i]!.tsMs - sorted[i - 1]!.tsMs;
    const step = sorted[i]!.registerWh - sorted[i - 1]!.registerWh;
    maxGap = Math.max(maxGap, gap);
    minStep = Math.min(minStep, step);
    maxPw = Math.max(maxPw, (step * H) / gap);
  }
  return {
    startMs: dayStart,
    count: sorted.length,
    firstTsMs: sorted[0]!.tsMs,
    firstRegisterWh: sorted[0]!.registerWh,
    lastTsMs: sorted.at(-1)!.tsMs,
    lastRegisterWh: sorted.at(-1)!.registerWh,
    faultCount: faults,
    maxGapMs: maxGap,
    minStepWh: minStep,
    maxStepPowerW: maxPw,
  };
}

/** The readings of scenarios with unique timestamps (the store keeps one reading per timestamp). */
const uniqueReadings = (readings: readonly Reading[]): Reading[] => [
  ...new Map(readings.map((r) => [r.tsMs, r])).values(),
];

describe('bucket summaries (what the rollups hold)', () => {
  it('summarizeHours equals the naive per-hour aggregation inside each hour', () => {
    fc.assert(
      fc.property(scenarioArb(), (s) => {
        const readings = uniqueReadings(scenarioReadings(s));
        expect(ok(summarizeHours(readings))).toEqual(hourSummaries(readings, false));
      }),
      { numRuns: 300 },
    );
  });

  it('a day merged from its hours equals the day summarized from its readings (steps between hours included)', () => {
    fc.assert(
      fc.property(scenarioArb(), (s) => {
        const readings = uniqueReadings(scenarioReadings(s));
        const days = daysFromHours(ok(summarizeHours(readings)));
        for (const d of days) expect(d).toEqual(naiveDay(readings, d.startMs));
        expect(days.reduce((a, d) => a + d.count, 0)).toBe(readings.length);
      }),
      { numRuns: 300 },
    );
  });

  it('an hour so far merged with the readings stored after it equals the hour summarized whole (incremental rollups)', () => {
    fc.assert(
      fc.property(scenarioArb(), fc.double({ min: 0, max: 1, noNaN: true }), (s, cut) => {
        const readings = uniqueReadings(scenarioReadings(s));
        for (const whole of ok(summarizeHours(readings))) {
          const inHour = readings.filter((r) => r.tsMs >= whole.startMs && r.tsMs < whole.startMs + H);
          const splitTs = whole.firstTsMs + Math.floor(cut * (whole.lastTsMs - whole.firstTsMs));
          const [before] = ok(summarizeHours(inHour.filter((r) => r.tsMs <= splitTs)));
          const after = ok(summarizeHours(inHour.filter((r) => r.tsMs > splitTs)));
          expect(mergeBuckets(whole.startMs, [before!, ...after])).toEqual(whole);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('day buckets, opened days as hours, opened hours as raw: the same ledger and outage cost as the raw readings', () => {
    let opened = 0;
    let kept = 0;
    fc.assert(
      fc.property(scenarioArb(), (s) => {
        const readings = uniqueReadings(scenarioReadings(s));
        const input = scenarioInput(s, tariffs);
        const { readings: _unused, ...ctx } = input;
        const hours = ok(summarizeHours(readings));
        const days = daysFromHours(hours);
        const flagged = rawHoursNeeded(ctx, days);
        opened += flagged.length;
        kept += days.length - flagged.length;
        const buckets = expandFlaggedDays(days, flagged, hours);
        const rawHours = new Set(rawHoursNeeded(ctx, buckets));
        const rawReadings = readings.filter((r) => rawHours.has(Math.floor(r.tsMs / H) * H));
        const hourly = { ...input, hours: buckets, rawReadings };
        expect(ok(computeMeterLedgerFromHours(hourly))).toEqual(ok(computeMeterLedger({ ...input, readings })));
        expect(ok(outageCostFromHours(hourly))).toEqual(ok(outageCost({ ...input, readings })));
        // Both at once (the store path's call) is the same pair.
        expect(ok(ledgerAndOutageFromHours(hourly))).toEqual({
          ledger: ok(computeMeterLedger({ ...input, readings })),
          outage: ok(outageCost({ ...input, readings })),
        });
      }),
      { numRuns: 400 },
    );
    // The property saw both kinds of day.
    expect(opened).toBeGreaterThan(0);
    expect(kept).toBeGreaterThan(0);
  });

  it('over several days with rare anomalies: clean days passed over whole give the same ledger as the raw readings', () => {
    const start = at('2025-08-01T00:00Z');
    const anomaly = fc.oneof(
      { weight: 400, arbitrary: fc.constant('none' as const) },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          'gap' as const,
          'fault' as const,
          'reset' as const,
          'spike' as const,
          'offline' as const,
        ),
      },
    );
    const arb = fc.record({
      days: fc.integer({ min: 3, max: 6 }),
      stepMin: fc.constantFrom(5, 10, 15),
      anomalies: fc.array(anomaly, { minLength: 6 * 24 * 12, maxLength: 6 * 24 * 12 }),
      fromH: fc.integer({ min: 0, max: 30 }),
      toBackH: fc.integer({ min: 0, max: 30 }),
      policy: fc.constantFrom('strict' as const, 'register-reconciled' as const),
    });
    let keptInside = 0;
    fc.assert(
      fc.property(arb, (c) => {
        const readings: Reading[] = [];
        const statusEvents: { tsMs: number; state: 'offline' }[] = [];
        let wh = 5_000_000;
        let skip = 0;
        const n = (c.days * DAY_MS) / (c.stepMin * MIN);
        for (let i = 0; i < n; i++) {
          const t = start + i * c.stepMin * MIN;
          const a = c.anomalies[i % c.anomalies.length]!;
          wh += a === 'spike' ? 900_000 : Math.floor((80_000 * c.stepMin) / 60);
          if (a === 'reset') wh = 1000;
          if (a === 'gap') skip = 6 + (i % 30);
          if (a === 'offline') statusEvents.push({ tsMs: t + 7_000, state: 'offline' });
          if (skip > 0) {
            skip--;
            continue;
          }
          readings.push({ tsMs: t, registerWh: wh, status: a === 'fault' ? 'fault' : 'ok' });
        }
        const input = {
          facts: meterFacts({ reportingIntervalS: c.stepMin * 60 }),
          statusEvents,
          tariffs,
          fromMs: start + c.fromH * H,
          toMs: start + c.days * DAY_MS - c.toBackH * H,
          policy: { name: c.policy, graceIntervals: 3, spikeTolerance: 1.1 },
        };
        const hours = ok(summarizeHours(readings));
        const days = daysFromHours(hours);
        const flagged = rawHoursNeeded(input, days);
        keptInside += days.filter(
          (d) => !flagged.includes(d.startMs) && d.startMs > input.fromMs && d.startMs + DAY_MS < input.toMs,
        ).length;
        const buckets = expandFlaggedDays(days, flagged, hours);
        const rawHours = new Set(rawHoursNeeded(input, buckets));
        const hourly = {
          ...input,
          hours: buckets,
          rawReadings: readings.filter((r) => rawHours.has(Math.floor(r.tsMs / H) * H)),
        };
        expect(ok(computeMeterLedgerFromHours(hourly))).toEqual(ok(computeMeterLedger({ ...input, readings })));
        expect(ok(outageCostFromHours(hourly))).toEqual(ok(outageCost({ ...input, readings })));
      }),
      { numRuns: 150 },
    );
    expect(keptInside).toBeGreaterThan(50);
  });

  it('a clean day is passed over whole; a day with a fault is opened, and only its fault hour goes to raw', () => {
    const from = at('2025-08-01T00:00Z');
    const readings: Reading[] = [];
    for (let t = from; t < from + 3 * DAY_MS; t += MIN)
      readings.push({
        tsMs: t,
        registerWh: 1_000_000 + ((t - from) / MIN) * 1500,
        status: t === from + DAY_MS + 5 * H + 7 * MIN ? 'fault' : 'ok',
      });
    const ctx = {
      facts: meterFacts({ reportingIntervalS: 60 }),
      statusEvents: [],
      fromMs: from + 2 * H,
      toMs: from + 3 * DAY_MS - 2 * H,
      tariffs,
    };
    const days = daysFromHours(ok(summarizeHours(readings)));
    expect(days).toHaveLength(3);
    const flagged = rawHoursNeeded(ctx, days);
    // Day 1 and day 3 hold the period's edges (a cut inside them); day 2 holds the fault.
    expect(flagged).toEqual([from, from + DAY_MS, from + 2 * DAY_MS]);
    const buckets = expandFlaggedDays(days, flagged, ok(summarizeHours(readings)));
    // The edges fall on hour starts, so no hour straddles them: only the fault's hour is read raw.
    expect(rawHoursNeeded(ctx, buckets)).toEqual([from + DAY_MS + 5 * H]);
    expect(buckets.filter((b) => b.startMs >= from + DAY_MS && b.startMs < from + 2 * DAY_MS)).toHaveLength(24);
    expect(mergeBuckets(from, [])).toBeUndefined();
  });
});
