/**
 * Issue 17, part 2: a tariff's validity dates are calendar dates at the site, so the rate in force changes at
 * the site's local midnight, the instant that also cuts its tax period. Until 2024-03-01 Almaty was UTC+6
 * while Aqtobe and Oral were UTC+5 (as both have been since).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  buildTariffSet,
  computeMeterLedger,
  parsePeriod,
  parseTariffSchedule,
  periodBounds,
  totalsOf,
  declaredLines,
  declaredTotalTiyn,
  type LedgerLine,
  type MeterFacts,
  type TariffSet,
} from '../../../src/fees/index.ts';
import { H, MIN, TARIFF_DIR, at, meterFacts, shippedTariffs, steadyReadings } from './helpers.ts';

const tariffs = await shippedTariffs();
const origin = at('2023-01-01T00:00+05:00');
const siteIn = (timeZone: string): MeterFacts =>
  meterFacts({
    timeZone,
    commissionedMs: origin,
    sources: [{ fromMs: origin, source: 'grid' }],
    maxLoad: [{ fromMs: origin, maxLoadW: 100_000 }],
  });
const AQTOBE = siteIn('Asia/Aqtobe');
const ALMATY = siteIn('Asia/Almaty');
// 25 tenge/kWh paid for electricity in 2023-Q4: the 1-tenge band.
const prices = [{ siteId: 'site-1', quarter: '2023-Q4', averagePriceTiynPerKwh: 2500 }];

function ledger(facts: MeterFacts, period: string, set: TariffSet = tariffs): LedgerLine[] {
  const p = parsePeriod(period);
  if (!p.ok) throw new Error(p.reason);
  const { fromMs, toMs } = periodBounds(p.value, facts.timeZone);
  const r = computeMeterLedger({
    facts,
    // 100 kW all the time (the max load), a reading every 6 minutes from an hour before to an hour after.
    readings: steadyReadings(fromMs - H, toMs + H, 100_000, 6 * MIN),
    statusEvents: [],
    fromMs,
    toMs,
    tariffs: set,
    prices,
  });
  if (!r.ok) throw new Error(r.reason);
  return [...r.value.lines];
}

/** Where the rate changes: [from, rate tiyn/kWh, tax quarter] of each line. */
const rates = (lines: readonly LedgerLine[]) =>
  lines.map((l) => [new Date(l.fromMs).toISOString(), l.rateTiynPerKwh, l.taxQuarter]);

describe('tariff validity at the site local midnight', () => {
  it("the issue's example: an Aqtobe site's 2023-Q4 at 100 kW is 220,800 kWh / 220,800 tenge, every line 2023-Q4 at 1 tenge", () => {
    const lines = ledger(AQTOBE, '2023-Q4');
    const t = totalsOf(lines);
    expect([t.energyWh, t.feeMilliTiyn]).toEqual([220_800_000, 22_080_000_000_000 / 1000]);
    expect(new Set(lines.map((l) => `${l.tariffId} ${l.taxQuarter} ${l.rateTiynPerKwh}`))).toEqual(
      new Set(['kz-2023 2023-Q4 100']),
    );
    const declared = declaredLines(lines);
    expect(declared.map((d) => d.taxQuarter)).toEqual(['2023-Q4']);
    expect(declaredTotalTiyn(declared)).toBe(22_080_000);
  });

  it("a period's close holds only that period: the Aqtobe 2024-Q1 ledger is 2,184 h at 2 tenge, all 2024-Q1", () => {
    const lines = ledger(AQTOBE, '2024-Q1');
    expect(totalsOf(lines).energyWh).toBe(2184 * 100_000);
    expect(new Set(lines.map((l) => `${l.tariffId} ${l.taxQuarter} ${l.rateTiynPerKwh}`))).toEqual(
      new Set(['kz-2024 2024-Q1 200']),
    );
    // Almaty's 2024-Q1 has the extra hour of the move from UTC+6 to UTC+5.
    expect(totalsOf(ledger(ALMATY, '2024-Q1')).energyWh).toBe(2185 * 100_000);
  });

  it.each([
    { site: AQTOBE, start: '2023-12-30T19:00:00.000Z', change: '2023-12-31T19:00:00.000Z' },
    { site: ALMATY, start: '2023-12-30T18:00:00.000Z', change: '2023-12-31T18:00:00.000Z' },
  ])(
    'across 2023-12-31/2024-01-01 in $site.timeZone the rate and the tax quarter change at local midnight, $change',
    ({ site, start, change }) => {
      expect(rates(ledger(site, '2023-12-31..2024-01-01'))).toEqual([
        [start, 100, '2023-Q4'],
        [change, 200, '2024-Q1'],
      ]);
    },
  );

  it('across 2024-03-01, when Almaty joined UTC+5: a schedule starting that day starts at 2024-02-29T19:00Z at both sites', async () => {
    const kz2024 = await readFile(join(TARIFF_DIR, 'kz-2024.yaml'), 'utf8');
    const march = parseTariffSchedule(
      kz2024
        .replace('id: kz-2024', 'id: test-2024-03')
        .replace("validFrom: '2024-01-01'", "validFrom: '2024-03-01'")
        .replace('rateTiynPerKwh: 200', 'rateTiynPerKwh: 300'),
      'test-2024-03.yaml',
    );
    if (!march.ok) throw new Error(march.reason);
    const set = buildTariffSet([
      ...tariffs.schedules.map((s) => ({ file: s.file, schedule: s, layer: 0 })),
      { file: 'test-2024-03.yaml', schedule: march.value, layer: 1 },
    ]);
    if (!set.ok) throw new Error(set.reason);
    for (const [site, start, hours] of [
      [AQTOBE, '2024-02-28T19:00:00.000Z', 48],
      // Almaty's 2024-02-29 was 25 hours long: it ended on UTC+5.
      [ALMATY, '2024-02-28T18:00:00.000Z', 49],
    ] as const) {
      const lines = ledger(site, '2024-02-29..2024-03-01', set.value);
      expect(rates(lines)).toEqual([
        [start, 200, '2024-Q1'],
        ['2024-02-29T19:00:00.000Z', 300, '2024-Q1'],
      ]);
      expect(totalsOf(lines).energyWh).toBe(hours * 100_000);
    }
    // The Aqtobe February ends where its March starts, at the same instant as Almaty's.
    const feb = ledger(AQTOBE, '2024-02', set.value);
    expect(feb.at(-1)!.toMs).toBe(at('2024-03-01T00:00+05:00'));
    expect(new Set(feb.map((l) => l.tariffId))).toEqual(new Set(['kz-2024']));
  });
});
