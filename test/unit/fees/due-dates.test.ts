/** Due dates come from the tariff schedule in force for the quarter (tariffs/*.yaml, dueDates). */
import { describe, expect, it } from 'vitest';
import { quarterDueDatesOf } from '../../../src/fees/declaration.ts';
import { parseTariffSchedule } from '../../../src/fees/tariff-schema.ts';
import { shippedTariffs } from './helpers.ts';

const tariffs = await shippedTariffs();

describe('quarter due dates from the shipped schedules', () => {
  it.each([
    // 2022 (kz-2022, unverified): no declaration, payment by the 20th of the month after the quarter.
    { q: '2022-Q1', declareBy: null, payBy: '2022-04-20', verified: false, tariffId: 'kz-2022' },
    { q: '2022-Q4', declareBy: null, payBy: '2023-01-20', verified: false, tariffId: 'kz-2022' },
    // 2023 onwards: 15th and 25th of the second month after the quarter.
    { q: '2023-Q2', declareBy: '2023-08-15', payBy: '2023-08-25', verified: true, tariffId: 'kz-2023' },
    { q: '2025-Q3', declareBy: '2025-11-15', payBy: '2025-11-25', verified: true, tariffId: 'kz-2024' },
    { q: '2025-Q4', declareBy: '2026-02-15', payBy: '2026-02-25', verified: true, tariffId: 'kz-2024' },
    { q: '2026-Q3', declareBy: '2026-11-15', payBy: '2026-11-25', verified: false, tariffId: 'kz-2026' },
  ])('$q: declare by $declareBy, pay by $payBy', ({ q, ...expected }) => {
    expect(quarterDueDatesOf(tariffs, q)).toEqual({ taxQuarter: q, ...expected });
  });

  it('a quarter no schedule covers, or a month, has no dates rather than a guess', () => {
    const none = { declareBy: null, payBy: null, verified: false, tariffId: null };
    expect(quarterDueDatesOf(tariffs, '2021-Q4')).toEqual({ taxQuarter: '2021-Q4', ...none });
    expect(quarterDueDatesOf(tariffs, '2025-07')).toEqual({ taxQuarter: '2025-07', ...none });
  });

  it('a due-date rule with a day past the 28th is refused with the field named', () => {
    const r = parseTariffSchedule(
      `id: x\nversion: 1\ntitle: x\nvalidFrom: '2030-01-01'\ntimeZone: Asia/Almaty\nrounding: half-up-tenge\n` +
        `sources: { grid: [r], renewable: [r], own-offgrid: [r] }\nunmetered: { method: volume-substitution }\n` +
        `rules: [{ id: r, rateTiynPerKwh: 200 }]\ndueDates: { declaration: none, payment: { monthsAfterQuarter: 1, day: 31 } }\n`,
      'x.yaml',
    );
    expect(r).toEqual({ ok: false, reason: expect.stringContaining('x.yaml: dueDates.payment.day:') });
  });
});
