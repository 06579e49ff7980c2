/** Laws of the fee engine, checked by fast-check on generated meter scenarios. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { computeMeterLedger, type MeterLedger, type MeterLedgerInput } from '../../../src/fees/ledger.ts';
import { computeMeterLedgerFromHours, rawHoursNeeded } from '../../../src/fees/hourly.ts';
import { substitutedWh } from '../../../src/fees/energy.ts';
import { summarize } from '../../../src/fees/summary.ts';
import { declaredLines } from '../../../src/fees/declaration.ts';
import type { LedgerLine, Reading } from '../../../src/fees/types.ts';
import { H, shippedTariffs } from './helpers.ts';
import { type Scenario, scenarioArb, scenarioInput, scenarioReadings } from './scenario-arb.ts';
import { hourSummaries } from './hour-summaries.ts';

const tariffs = await shippedTariffs();
const RUNS = { numRuns: 300 };

function ledger(input: MeterLedgerInput): MeterLedger {
  const r = computeMeterLedger(input);
  if (!r.ok) throw new Error(r.reason);
  return r.value;
}
const total = (lines: readonly LedgerLine[], f: (l: LedgerLine) => number): number =>
  lines.reduce((s, l) => s + f(l), 0);

function expectTiled(l: MeterLedger): void {
  if (l.lines.length === 0) {
    expect(l.fromMs).toBe(l.toMs);
    return;
  }
  expect(l.lines[0]!.fromMs).toBe(l.fromMs);
  expect(l.lines.at(-1)!.toMs).toBe(l.toMs);
  for (let i = 0; i < l.lines.length; i++) {
    expect(l.lines[i]!.toMs).toBeGreaterThan(l.lines[i]!.fromMs);
    if (i > 0) expect(l.lines[i]!.fromMs).toBe(l.lines[i - 1]!.toMs);
  }
}

/** Independent statement of the anchor rule: floor(W*to/3.6e6) - floor(W*from/3.6e6), BigInt. */
function anchorWh(w: number, fromMs: number, toMs: number): number {
  const f = (t: number): bigint => (BigInt(w) * BigInt(t)) / 3_600_000n; // t > 0 here, so / is floor
  return Number(f(toMs) - f(fromMs));
}

describe('fee engine laws', () => {
  it('lines tile the range exactly and are additive over any split of the period', () => {
    fc.assert(
      fc.property(scenarioArb(), fc.double({ min: 0, max: 1, noNaN: true }), (s, cut) => {
        const whole = scenarioInput(s, tariffs);
        const mid = whole.fromMs + Math.floor((whole.toMs - whole.fromMs) * cut);
        const a = ledger({ ...whole, toMs: mid });
        const b = ledger({ ...whole, fromMs: mid });
        const w = ledger(whole);
        [a, b, w].forEach(expectTiled);
        const parts = [...a.lines, ...b.lines];
        expect(total(parts, (l) => l.energyWh)).toBe(total(w.lines, (l) => l.energyWh));
        expect(total(parts, (l) => l.feeMilliTiyn)).toBe(total(w.lines, (l) => l.feeMilliTiyn));
      }),
      RUNS,
    );
  });

  it('fees and energies are never negative, and fee = energy x rate exactly', () => {
    fc.assert(
      fc.property(scenarioArb(), (s) => {
        for (const l of ledger(scenarioInput(s, tariffs)).lines) {
          expect(l.energyWh).toBeGreaterThanOrEqual(0);
          expect(l.feeMilliTiyn).toBeGreaterThanOrEqual(0);
          expect(l.rateTiynPerKwh).toBeGreaterThan(0);
          expect(l.feeMilliTiyn).toBe(l.energyWh * l.rateTiynPerKwh);
          expect(Number.isInteger(l.energyWh)).toBe(true);
        }
      }),
      RUNS,
    );
  });

  /**
   * Monotonicity is exact over whole reading intervals. A line that is a slice of one interval
   * cut at BOTH ends (period boundary and a rate change inside the same interval) gets
   * floor(d*x2/s) - floor(d*x1/s) Wh, which can drop by 1 Wh when d grows: so in general the
   * fee may drop by at most 1 Wh at the line's rate per line.
   */
  const consumptionPair = fc.tuple(
    scenarioArb({ maxPowerW: 50_000 }),
    fc.array(fc.integer({ min: 0, max: 50_000 }), { minLength: 80, maxLength: 80 }),
  );
  const lessAndMore = (s: Scenario, extra: number[], alignToReadings: boolean): [MeterLedger, MeterLedger] => {
    // Max load stays 100 kW and power <= 100 kW: no spikes; no register resets.
    const fixed: Scenario = { ...s, maxLoadChange: null, steps: s.steps.map((st) => ({ ...st, reset: false })) };
    const lessReadings = scenarioReadings(fixed);
    const moreReadings = scenarioReadings(fixed, (i, p) => p + extra[i]!);
    const input = scenarioInput(fixed, tariffs, lessReadings);
    const period = alignToReadings
      ? { fromMs: lessReadings[0]!.tsMs, toMs: lessReadings.at(-1)!.tsMs + (lessReadings.length === 1 ? 1 : 0) }
      : {};
    return [ledger({ ...input, ...period }), ledger({ ...input, ...period, readings: moreReadings })];
  };

  it('more consumption (within max load) never lowers the fee over whole reading intervals', () => {
    fc.assert(
      fc.property(consumptionPair, ([s, extra]) => {
        const [less, more] = lessAndMore({ ...s, sourceChange: null }, extra, true);
        expect(total(more.lines, (l) => l.feeMilliTiyn)).toBeGreaterThanOrEqual(
          total(less.lines, (l) => l.feeMilliTiyn),
        );
      }),
      RUNS,
    );
  });

  it('more consumption lowers the fee of any period by at most 1 Wh per line (interpolation floor)', () => {
    fc.assert(
      fc.property(consumptionPair, ([s, extra]) => {
        const [less, more] = lessAndMore(s, extra, false);
        const slack = total(less.lines, (l) => l.rateTiynPerKwh);
        expect(total(more.lines, (l) => l.feeMilliTiyn)).toBeGreaterThanOrEqual(
          total(less.lines, (l) => l.feeMilliTiyn) - slack,
        );
      }),
      RUNS,
    );
  });

  it('substituted energy equals the anchor formula and is within 1 Wh of max load x hours', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 200_000_000 }),
        fc.integer({ min: 1_500_000_000_000, max: 2_000_000_000_000 }),
        fc.integer({ min: 0, max: 400 * 24 * 3_600_000 }),
        (w, fromMs, lenMs) => {
          const got = substitutedWh(w, fromMs, fromMs + lenMs);
          expect(got).toBe(anchorWh(w, fromMs, fromMs + lenMs));
          // |got - W*len/3.6e6| < 1  <=>  |got*3.6e6 - W*len| < 3.6e6
          const diff = BigInt(got) * 3_600_000n - BigInt(w) * BigInt(lenMs);
          expect(diff < 3_600_000n && diff > -3_600_000n).toBe(true);
        },
      ),
      RUNS,
    );
    fc.assert(
      fc.property(scenarioArb(), (s) => {
        for (const l of ledger(scenarioInput(s, tariffs)).lines) {
          if (l.basis === 'substituted' && l.tariffId !== 'kz-2023') {
            expect(l.energyWh).toBe(anchorWh(l.maxLoadW, l.fromMs, l.toMs));
          }
        }
      }),
      RUNS,
    );
  });

  it('roll-ups and declared lines equal the sum of lines; rounding moves each declared line by at most half a unit', () => {
    fc.assert(
      fc.property(fc.array(scenarioArb(), { minLength: 1, maxLength: 4 }), (ss) => {
        const lines = ss.flatMap((s, i) => {
          const input = scenarioInput(s, tariffs);
          return ledger({ ...input, facts: { ...input.facts, meterId: `m-${i}`, siteId: `site-${i % 2}` } }).lines;
        });
        const exact = total(lines, (l) => l.feeMilliTiyn);
        const sum = summarize(lines);
        expect(sum.total.feeMilliTiyn).toBe(exact);
        expect(sum.total.energyWh).toBe(total(lines, (l) => l.energyWh));
        for (const group of [sum.byMeter, sum.bySite, sum.byTaxpayer, sum.bySource, sum.byRate]) {
          expect(group.reduce((a, g) => a + g.feeMilliTiyn, 0)).toBe(exact);
        }
        const declared = declaredLines(lines);
        expect(declared.reduce((a, d) => a + d.feeMilliTiyn, 0)).toBe(exact);
        for (const d of declared) {
          const unitMilli = d.roundingRule === 'half-up-tenge' ? 100_000 : 1_000;
          expect(Math.abs(d.amountTiyn * 1000 - d.feeMilliTiyn)).toBeLessThanOrEqual(unitMilli / 2);
          expect((d.amountTiyn * 1000) % unitMilli).toBe(0);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('is independent of reading arrival order and duplicates', () => {
    fc.assert(
      fc.property(
        scenarioArb(),
        fc.array(fc.nat(), { maxLength: 20 }),
        fc.array(fc.nat(), { maxLength: 60 }),
        (s, dupIdx, order) => {
          const readings = scenarioReadings(s);
          const noisy: Reading[] = [...readings, ...dupIdx.map((i) => readings[i % readings.length]!)];
          // A keyed shuffle of the noisy list.
          const shuffled = noisy
            .map((r, i) => ({ r, k: order[i % Math.max(order.length, 1)] ?? i }))
            .sort((x, y) => x.k - y.k)
            .map((x) => x.r);
          const input = scenarioInput(s, tariffs);
          expect(ledger({ ...input, readings: shuffled })).toEqual(ledger(input));
        },
      ),
      RUNS,
    );
  });

  it('hourly aggregates + raw readings of flagged hours give the same ledger as raw readings', () => {
    fc.assert(
      fc.property(scenarioArb(), fc.boolean(), fc.array(fc.nat(), { maxLength: 10 }), (s, crossEdges, dupIdx) => {
        const readings = scenarioReadings(s);
        const input = scenarioInput(s, tariffs);
        const hours = hourSummaries(readings, crossEdges);
        const needed = new Set(rawHoursNeeded(input, hours));
        const raw = readings.filter((r) => needed.has(Math.floor(r.tsMs / H) * H));
        const rawWithDups = [...raw, ...dupIdx.filter(() => raw.length > 0).map((i) => raw[i % raw.length]!)];
        const fromHours = computeMeterLedgerFromHours({ ...input, hours, rawReadings: rawWithDups });
        if (!fromHours.ok) throw new Error(fromHours.reason);
        expect(fromHours.value).toEqual(ledger(input));
      }),
      { numRuns: 500 },
    );
  });
});
