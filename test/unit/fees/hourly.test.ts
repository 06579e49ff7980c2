import { describe, expect, it } from 'vitest';
import { computeMeterLedger } from '../../../src/fees/ledger.ts';
import { computeMeterLedgerFromHours, rawHoursNeeded } from '../../../src/fees/hourly.ts';
import { outageCost, outageCostFromHours } from '../../../src/fees/outage-cost.ts';
import type { Reading } from '../../../src/fees/types.ts';
import { H, MIN, at, meterFacts, shippedTariffs, steadyReadings } from './helpers.ts';
import { hourSummaries } from './hour-summaries.ts';

const tariffs = await shippedTariffs();
const fromMs = at('2025-07-01T00:00+05:00');
const toMs = at('2025-10-01T00:00+05:00');

describe('hourly aggregate path', () => {
  // A quarter of 1-minute readings at 90 kW with a fault, a 10-hour gap, a last will and a source change.
  const T = at('2025-08-10T12:00+05:00');
  const readings: Reading[] = steadyReadings(fromMs - MIN, toMs + MIN, 90_000, MIN)
    .filter((r) => !(r.tsMs > T && r.tsMs < T + 10 * H))
    .map((r) => (r.tsMs === T + 20 * H ? { ...r, status: 'fault' as const } : r));
  const ctx = {
    facts: meterFacts({
      reportingIntervalS: 60,
      sources: [
        { fromMs: 0, source: 'grid' as const },
        { fromMs: at('2025-09-01T10:30+05:00'), source: 'renewable' as const },
      ],
    }),
    statusEvents: [{ tsMs: T + 30 * H + 30_000, state: 'offline' as const }],
    fromMs,
    toMs,
    tariffs,
    policy: { name: 'strict' as const, graceIntervals: 3, spikeTolerance: 1.1 },
  };
  const hours = hourSummaries(readings, true);
  const needed = rawHoursNeeded(ctx, hours);

  it('asks for raw readings of only the few anomalous hours', () => {
    // The hour where readings resume after the gap (its aggregate includes the 10-hour step from the
    // previous hour: conservative), the fault hour, the last-will hour and the hour with the source
    // change (10:30 local) inside it.
    expect(needed.map((t) => new Date(t).toISOString())).toEqual([
      new Date(T + 10 * H).toISOString(),
      new Date(T + 20 * H).toISOString(),
      new Date(T + 30 * H).toISOString(),
      '2025-09-01T05:00:00.000Z',
    ]);
  });

  it('gives the same ledger and outage cost as the raw readings', () => {
    const set = new Set(needed);
    const rawReadings = readings.filter((r) => set.has(Math.floor(r.tsMs / H) * H));
    const fromHours = computeMeterLedgerFromHours({ ...ctx, hours, rawReadings });
    const raw = computeMeterLedger({ ...ctx, readings });
    expect(fromHours).toEqual(raw);
    expect(outageCostFromHours({ ...ctx, hours, rawReadings })).toEqual(outageCost({ ...ctx, readings }));
    // Counterfactual = register at 90 kW (1,500 Wh a minute); substituted = 100 kW on the epoch anchor
    // floor(100,000 W x t / 3,600,000) = floor(t / 36), T and whole hours divisible by 36:
    //  gap [T, T+10h):           1,000,000 - 900,000 = 100,000 Wh
    //  fault [T+20h-1m, +2m):    floor(+1666.67) - floor(-1666.67) = 1666 + 1667 = 3,333 - 3,000 = 333 Wh
    //  last will [T+30h, +1m):   1,666 - 1,500 = 166 Wh
    // at 200 tiyn/kWh -> (100,000 + 333 + 166) x 200 milli-tiyn.
    const oc = outageCost({ ...ctx, readings });
    if (!oc.ok) throw new Error(oc.reason);
    expect(oc.value.outageCostMilliTiyn).toBe((100_000 + 333 + 166) * 200);
  });

  it('refuses a raw hour whose readings do not match its summary', () => {
    const r = computeMeterLedgerFromHours({ ...ctx, hours, rawReadings: [] });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(/summary counts 60 readings, raw readings give 0/);
  });
});
