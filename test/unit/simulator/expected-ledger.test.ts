import { describe, expect, it } from 'vitest';
import { loadTariffs } from '../../../src/fees/tariff-load.ts';
import { expectedLedger, maxLoadWh } from '../../../simulator/truth/expected-ledger.ts';
import type { SimMeter } from '../../../simulator/plan-types.ts';
import type { ReadingColumns } from '../../../simulator/truth/collector.ts';

const tariffsR = await loadTariffs('tariffs');
const tariffs = tariffsR.ok ? tariffsR.value : undefined;
const T0 = Date.parse('2025-07-01T00:00:00+05:00');
const MIN = 60_000;
const W = 36_000; // 36 kW: 600 Wh a minute
const meter: SimMeter = {
  id: 'm',
  siteId: 's',
  timeZone: 'Asia/Almaty',
  intervalMs: MIN,
  commissionedMs: T0 - 86_400_000,
  maxLoad: [{ fromMs: T0 - 86_400_000, maxLoadW: W }],
  sources: [{ fromMs: T0 - 86_400_000, source: 'grid' }],
  rigs: [],
  syntheticRigs: false,
};
/** Readings at the given minutes, 500 Wh a minute, optional overrides. */
function cols(minutes: number[], patch: Record<number, { wh?: number; fault?: boolean }> = {}): ReadingColumns {
  return {
    tsMs: minutes.map((m) => T0 + m * MIN),
    registerWh: minutes.map((m) => patch[m]?.wh ?? 1_000_000 + 500 * m),
    fault: minutes.map((m) => (patch[m]?.fault ? 1 : 0)),
  };
}
const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);
const sum = (lines: { energyWh: number }[]) => lines.reduce((s, l) => s + l.energyWh, 0);

describe('expected ledger', () => {
  it('clean readings: metered at the register delta, 2 tenge/kWh on grid in 2025', () => {
    const lines = expectedLedger(meter, cols(range(0, 60)), [], T0, T0 + 60 * MIN, 'strict', tariffs);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      basis: 'metered',
      energyWh: 30_000,
      rateTiynPerKwh: 200,
      feeMilliTiyn: 6_000_000,
    });
  });

  it('a gap longer than 3 intervals is max load x time (floor-telescoped) under strict, the register delta when reconciled', () => {
    const minutes = [...range(0, 10), ...range(20, 60)];
    const strict = expectedLedger(meter, cols(minutes), [], T0, T0 + 60 * MIN, 'strict', tariffs);
    expect(strict.find((l) => l.reason === 'gap')).toMatchObject({
      energyWh: maxLoadWh(W, T0 + 10 * MIN, T0 + 20 * MIN),
    });
    expect(sum(strict)).toBe(50 * 500 + 6000);
    const rec = expectedLedger(meter, cols(minutes), [], T0, T0 + 60 * MIN, 'register-reconciled', tariffs);
    expect(rec.find((l) => l.reason === 'gap-reconciled')).toMatchObject({ basis: 'metered', energyWh: 5000 });
    expect(sum(rec)).toBe(30_000);
  });

  it('a gap of 3 intervals is still metered', () => {
    const lines = expectedLedger(
      meter,
      cols([...range(0, 10), ...range(13, 60)]),
      [],
      T0,
      T0 + 60 * MIN,
      'strict',
      tariffs,
    );
    expect(lines.every((l) => l.basis === 'metered')).toBe(true);
  });

  it.each([
    { name: 'fault', patch: { 30: { fault: true } }, reason: 'fault-status', spans: 2 },
    {
      name: 'reset',
      patch: Object.fromEntries(range(30, 60).map((m) => [m, { wh: 500 * (m - 30) }])),
      reason: 'register-reset',
      spans: 1,
    },
    { name: 'spike', patch: { 30: { wh: 1_000_000 + 500 * 29 + 1000 } }, reason: 'spike', spans: 1 },
  ])('$name is substituted under both policies', ({ patch, reason, spans }) => {
    for (const policy of ['strict', 'register-reconciled'] as const) {
      const lines = expectedLedger(meter, cols(range(0, 60), patch), [], T0, T0 + 60 * MIN, policy, tariffs);
      const sub = lines.filter((l) => l.basis === 'substituted');
      expect(sub.length).toBeGreaterThan(0);
      expect(sub[0]!.reason).toBe(reason);
      expect(sum(sub)).toBeGreaterThanOrEqual(spans * 600 - 1);
    }
  });

  it('a last will inside a short gap makes it last-will (reconciled: last-will-reconciled)', () => {
    const minutes = [...range(0, 10), ...range(12, 60)];
    const drop = [T0 + 10.5 * MIN];
    expect(
      expectedLedger(meter, cols(minutes), drop, T0, T0 + 60 * MIN, 'strict', tariffs).find(
        (l) => l.basis === 'substituted',
      )?.reason,
    ).toBe('last-will');
    expect(
      expectedLedger(meter, cols(minutes), drop, T0, T0 + 60 * MIN, 'register-reconciled', tariffs).find(
        (l) => l.reason,
      )?.reason,
    ).toBe('last-will-reconciled');
  });

  it('before the first and after the last reading are substituted; duplicates and order do not matter', () => {
    const c = cols(range(10, 50));
    const shuffled: ReadingColumns = {
      tsMs: [...c.tsMs].reverse().concat(c.tsMs),
      registerWh: [...c.registerWh].reverse().concat(c.registerWh),
      fault: [...c.fault, ...c.fault],
    };
    const lines = expectedLedger(meter, shuffled, [], T0, T0 + 60 * MIN, 'strict', tariffs);
    expect(lines.map((l) => l.reason ?? 'metered')).toEqual(['before-first-reading', 'metered', 'after-last-reading']);
    expect(sum(lines)).toBe(6000 + 20_000 + 6000);
  });
});
