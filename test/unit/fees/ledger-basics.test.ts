import { describe, expect, it } from 'vitest';
import { computeMeterLedger } from '../../../src/fees/ledger.ts';
import { H, at, meterFacts, shippedTariffs, steadyReadings } from './helpers.ts';

const tariffs = await shippedTariffs();
const fromMs = at('2023-04-01T00:00+06:00');
const toMs = at('2023-04-02T00:00+06:00');
const base = {
  facts: meterFacts(),
  readings: steadyReadings(fromMs, toMs, 90_000),
  statusEvents: [],
  fromMs,
  toMs,
  tariffs,
};

describe('ledger basics', () => {
  it('labels the tariff, rule and quarter of each line, including a missing 2023 price', () => {
    const r = computeMeterLedger(base);
    if (!r.ok) throw new Error(r.reason);
    expect(r.value.lines.map((l) => [l.tariffId, l.rule, l.rateTiynPerKwh, l.taxQuarter])).toEqual([
      ['kz-2023', 'grid-price-scale:price-missing', 2500, '2023-Q2'],
    ]);
  });

  it('is empty when the meter was not in service during the period', () => {
    const r = computeMeterLedger({ ...base, facts: meterFacts({ commissionedMs: toMs + H }) });
    expect(r.ok && r.value.lines).toEqual([]);
  });

  it('without any reading the whole range is substituted (no-readings): 24 h x 100 kW at 25 tenge', () => {
    const r = computeMeterLedger({ ...base, readings: [] });
    if (!r.ok) throw new Error(r.reason);
    expect(r.value.lines.map((l) => [l.reason, l.energyWh, l.feeMilliTiyn])).toEqual([
      ['no-readings', 2_400_000, 6_000_000_000],
    ]);
  });

  it.each([
    {
      name: 'no tariff covers the period',
      over: { fromMs: at('2021-03-01T00:00+06:00'), toMs: at('2021-03-01T01:00+06:00') },
      message: /no tariff schedule covers 2021-02-28T18:00:00.000Z/,
    },
    {
      name: 'max load not in whole watts',
      over: { facts: meterFacts({ maxLoad: [{ fromMs: 0, maxLoadW: 1.5 }] }) },
      message: /maxLoadW must be a non-negative integer/,
    },
    {
      name: 'unknown time zone',
      over: { facts: meterFacts({ timeZone: 'Mars/Olympus' }) },
      message: /unknown time zone/,
    },
    {
      name: 'a register that is not an integer',
      over: { readings: [{ tsMs: fromMs, registerWh: 1.5, status: 'ok' as const }] },
      message: /registerWh must be a non-negative integer/,
    },
    {
      name: 'a policy with zero grace',
      over: { policy: { name: 'strict' as const, graceIntervals: 0, spikeTolerance: 1.1 } },
      message: /graceIntervals/,
    },
  ])('refuses: $name', ({ over, message }) => {
    const r = computeMeterLedger({ ...base, ...over });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(message);
  });
});
