/**
 * Issue 26: in the running quarter every healthy meter showed 0.08-1.1 kWh "substituted" (the seconds since its
 * last reading charged at max load) and the live ledger declared lines like 0.260 kWh -> 1.00 tenge. The open
 * tail of a running period (openEnd) is pending until the grace has passed; an ended period keeps the exact rule.
 * Meter: reading every 6 min, grace 3 intervals = 18 min, max load 100 kW.
 */
import { describe, expect, it } from 'vitest';
import { computeMeterLedger } from '../../../src/fees/ledger.ts';
import { MIN, at, meterFacts, shippedTariffs, steadyReadings } from './helpers.ts';

const tariffs = await shippedTariffs();
const fromMs = at('2026-10-01T00:00+05:00');
const lastMs = at('2026-10-01T06:00+05:00');
const base = {
  facts: meterFacts(),
  readings: steadyReadings(fromMs, lastMs, 90_000),
  statusEvents: [],
  fromMs,
  tariffs,
};

function tail(toMs: number, openEnd?: boolean) {
  const r = computeMeterLedger({ ...base, toMs, ...(openEnd !== undefined && { openEnd }) });
  if (!r.ok) throw new Error(r.reason);
  const last = r.value.lines.at(-1)!;
  const metered = r.value.lines.filter((l) => l.basis === 'metered');
  return { last, metered, lines: r.value.lines };
}

describe('the open tail of a running period (issue 26)', () => {
  it('within grace (10 min after the last reading) it is pending: no kWh, no fee', () => {
    const { last, metered } = tail(lastMs + 10 * MIN, true);
    expect([last.reason, last.energyWh, last.feeMilliTiyn]).toEqual(['no-reading-yet', 0, 0]);
    expect([last.fromMs, last.toMs]).toEqual([lastMs, lastMs + 10 * MIN]);
    // the metered part is untouched: 6 h at 90 kW
    expect(metered.reduce((s, l) => s + l.energyWh, 0)).toBe(540_000);
  });

  it('an ended period keeps the exact rule: the same 10 min within grace are charged at max load (16.666 kWh)', () => {
    const { last } = tail(lastMs + 10 * MIN);
    expect(last.reason).toBe('no-reading-yet');
    expect(last.energyWh).toBe(16_666);
    expect(last.feeMilliTiyn).toBeGreaterThan(0);
    expect(tail(lastMs + 10 * MIN, false).last.energyWh).toBe(16_666);
  });

  it('once the grace has passed (30 min > 18 min) the running tail is substituted from the last reading: 50 kWh', () => {
    const { last } = tail(lastMs + 30 * MIN, true);
    expect([last.reason, last.basis, last.energyWh]).toEqual(['after-last-reading', 'substituted', 50_000]);
  });

  it('a meter decommissioned inside the running period keeps the rule for its own end', () => {
    const facts = meterFacts({ decommissionedMs: lastMs + 10 * MIN });
    const r = computeMeterLedger({ ...base, facts, toMs: lastMs + 60 * MIN, openEnd: true });
    if (!r.ok) throw new Error(r.reason);
    expect(r.value.lines.at(-1)!.energyWh).toBe(16_666);
  });
});
