/**
 * The cost of outages where the register cannot be trusted (fault, reset, spike): the consumption
 * is estimated from the meter's own metered power around the span (docs/fees.md, "Cost of outages").
 * Every expected figure is computed by hand in the case's comment. Meter: max load 90 kW, grid,
 * 2 tenge/kWh (Q3 2025), readings every 6 minutes; 1 Wh at 200 tiyn/kWh = 200 milli-tiyn.
 */
import { describe, expect, it } from 'vitest';
import type { MeterLedgerInput } from '../../../src/fees/ledger.ts';
import { meteredPowerAroundW, outageCost } from '../../../src/fees/outage-cost.ts';
import type { LedgerLine, Reading, SubstitutionPolicy } from '../../../src/fees/types.ts';
import { H, MIN, at, meterFacts, shippedTariffs } from './helpers.ts';

const tariffs = await shippedTariffs();
const STRICT: SubstitutionPolicy = { name: 'strict', graceIntervals: 3, spikeTolerance: 1.1 };
const FROM = at('2025-08-10T00:00+05:00');
const TO = at('2025-08-12T00:00+05:00');
const T = at('2025-08-10T12:00+05:00');
const STEP = 6 * MIN;

/** A meter drawing powerW; `shape` may change each reading (status, register offset). */
function readings(
  powerW: number,
  shape: (t: number, wh: number) => Reading = (t, wh) => ({ tsMs: t, registerWh: wh, status: 'ok' }),
): Reading[] {
  const out: Reading[] = [];
  for (let t = FROM; t <= TO; t += STEP) out.push(shape(t, Math.floor((powerW * (t - FROM)) / H)));
  return out;
}

const input = (rs: Reading[]): MeterLedgerInput => ({
  facts: meterFacts({ maxLoad: [{ fromMs: at('2020-01-01T00:00+06:00'), maxLoadW: 90_000 }] }),
  readings: rs,
  statusEvents: [],
  fromMs: FROM,
  toMs: TO,
  policy: STRICT,
  tariffs,
});

function cost(rs: Reading[]) {
  const r = outageCost(input(rs));
  if (!r.ok) throw new Error(r.reason);
  return r.value;
}

describe('outage cost of untrusted registers', () => {
  it('a 12.2 h fault with a frozen register, 10 kW drawn around it: 122 kWh estimated, not 2 kWh', () => {
    // Fault readings T..T+12h (121 readings), register frozen at its value at T, counting again after.
    // Spans touching a fault reading: T-6min..T+12h6min = 12.2 h, charged 12.2 h x 90 kW = 1,098 kWh
    // = 219,600,000 milli-tiyn. Around it the meter metered 10 kW, so it stands for 12.2 h x 10 kW =
    // 122 kWh = 24,400,000 milli-tiyn. Cost of the outage: 195,200,000 milli-tiyn = 1,952 tenge.
    // (The frozen register moved 2 kWh over the span: taken as evidence it gave 2,195.60 tenge.)
    const frozenWh = Math.floor((10_000 * (T - FROM)) / H);
    const c = cost(
      readings(10_000, (t, wh) => {
        if (t >= T && t <= T + 12 * H) return { tsMs: t, registerWh: frozenWh, status: 'fault' };
        return { tsMs: t, registerWh: t > T ? wh - 12 * 10_000 : wh, status: 'ok' };
      }),
    );
    expect(c.substitutedByReason['fault-status']).toEqual({ energyWh: 1_098_000, feeMilliTiyn: 219_600_000 });
    expect(c.estimate).toEqual({ spans: 1, durationMs: 12.2 * H, estimatedWh: 122_000, spansWithoutEvidence: 0 });
    expect(c.outageCostMilliTiyn).toBe(219_600_000 - 24_400_000);
  });

  it('a register reset (meter replaced) on a 45 kW meter: one 6-minute span, 4.5 kWh estimated', () => {
    // At T+6min the register restarts at 0. The span T..T+6min went backwards: charged 0.1 h x 90 kW =
    // 9,000 Wh = 1,800,000 milli-tiyn; the meter drew 45 kW around it: 0.1 h x 45 kW = 4,500 Wh =
    // 900,000 milli-tiyn. Cost 900,000 milli-tiyn = 9 tenge.
    const c = cost(
      readings(45_000, (t, wh) => ({
        tsMs: t,
        registerWh: t > T ? wh - Math.floor((45_000 * (T + STEP - FROM)) / H) : wh,
        status: 'ok',
      })),
    );
    expect(c.substitutedByReason['register-reset']?.energyWh).toBe(9_000);
    expect(c.estimate.estimatedWh).toBe(4_500);
    expect(c.outageCostMilliTiyn).toBe(1_800_000 - 900_000);
  });

  it('a spike: the two spans around the jumped reading are estimated at the metered 30 kW', () => {
    // The reading at T carries +500 kWh: T-6min..T implies far above max load (spike) and T..T+6min goes
    // backwards (reset): 0.2 h at 90 kW = 18,000 Wh charged (3,600,000 milli-tiyn); estimate 0.2 h x 30 kW
    // = 6,000 Wh (1,200,000). Cost 2,400,000 milli-tiyn = 24 tenge.
    const c = cost(readings(30_000, (t, wh) => ({ tsMs: t, registerWh: t === T ? wh + 500_000 : wh, status: 'ok' })));
    expect(c.estimate.spans).toBe(1);
    expect(c.estimate.estimatedWh).toBe(6_000);
    expect(c.outageCostMilliTiyn).toBe(3_600_000 - 1_200_000);
  });

  it('a communications gap keeps using its trusted register delta', () => {
    // Readings T+6min..T+54min missing: gap T..T+1h, charged 90 kW x 1 h = 90,000 Wh; the register moved
    // 20 kW x 1 h = 20,000 Wh. Cost (90,000 - 20,000) x 200 = 14,000,000 milli-tiyn; nothing estimated.
    const c = cost(readings(20_000).filter((r) => r.tsMs <= T || r.tsMs >= T + H));
    expect(c.estimate).toEqual({ spans: 0, durationMs: 0, estimatedWh: 0, spansWithoutEvidence: 0 });
    expect(c.outageCostMilliTiyn).toBe(14_000_000);
  });

  it('a fault with nothing metered within 6 h: no estimate, the span keeps its fee (cost counted as 0)', () => {
    // Every reading of the range carries a fault status: no metered power to estimate from.
    const c = cost(readings(10_000, (t, wh) => ({ tsMs: t, registerWh: wh, status: 'fault' })));
    expect(c.estimate.spansWithoutEvidence).toBe(1);
    expect(c.estimate.estimatedWh).toBe(0);
  });
});

describe('meteredPowerAroundW', () => {
  const line = (fromMs: number, toMs: number, energyWh: number, reason?: LedgerLine['reason']): LedgerLine =>
    ({ fromMs, toMs, energyWh, basis: reason ? 'substituted' : 'metered', ...(reason && { reason }) }) as LedgerLine;
  it('weights each metered line by its overlap with the 6 h windows and ignores other substituted spans', () => {
    // Before: 0..6h at 12 kW (72 kWh) fully in the window; after: 10h..22h at 6 kW (72 kWh), 6 h in the window
    // = 36 kWh; a gap line 22h..23h is ignored. (72 + 36) kWh / 12 h = 9 kW.
    const lines = [
      line(0, 6 * H, 72_000),
      line(6 * H, 10 * H, 360_000, 'fault-status'),
      line(10 * H, 22 * H, 72_000),
      line(22 * H, 23 * H, 90_000, 'gap'),
    ];
    expect(meteredPowerAroundW(lines, 6 * H, 10 * H)).toBeCloseTo(9_000, 6);
    expect(meteredPowerAroundW([lines[1]!], 6 * H, 10 * H)).toBeUndefined();
  });
});
