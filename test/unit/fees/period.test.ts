import { describe, expect, it } from 'vitest';
import { parsePeriod, periodBounds, quarterAt, quarterDueDates } from '../../../src/fees/period.ts';
import { zonedMidnightMs, localDateOf } from '../../../src/fees/zoned-time.ts';

const hoursOf = (text: string, zone: string): number => {
  const p = parsePeriod(text);
  if (!p.ok) throw new Error(p.reason);
  const b = periodBounds(p.value, zone);
  return (b.toMs - b.fromMs) / 3_600_000;
};

describe('period lengths', () => {
  it.each([
    // Almaty: UTC+6 until 2024-03-01 00:00, then UTC+5 -> one extra hour in Q1 2024 and Feb 2024.
    { name: 'Q1 2024 in Asia/Almaty is 2185 h (91 days + 1 h)', period: '2024-Q1', zone: 'Asia/Almaty', hours: 2185 },
    { name: 'Feb 2024 in Asia/Almaty is 697 h (29 days + 1 h)', period: '2024-02', zone: 'Asia/Almaty', hours: 697 },
    { name: 'Mar 2024 in Asia/Almaty is 744 h', period: '2024-03', zone: 'Asia/Almaty', hours: 744 },
    { name: 'Q3 2025 in Asia/Almaty is 2208 h (92 days)', period: '2025-Q3', zone: 'Asia/Almaty', hours: 2208 },
    {
      name: 'Q1 2023 in Asia/Almaty is 2160 h (90 days, no change)',
      period: '2023-Q1',
      zone: 'Asia/Almaty',
      hours: 2160,
    },
    { name: 'Q1 2024 in UTC is 2184 h', period: '2024-Q1', zone: 'UTC', hours: 2184 },
    {
      name: 'Q3 2025 in Asia/Kolkata (UTC+5:30, no DST) is 2208 h',
      period: '2025-Q3',
      zone: 'Asia/Kolkata',
      hours: 2208,
    },
    { name: 'Mar 2025 in Europe/Berlin is 743 h (DST starts)', period: '2025-03', zone: 'Europe/Berlin', hours: 743 },
    { name: 'Oct 2025 in Europe/Berlin is 745 h (DST ends)', period: '2025-10', zone: 'Europe/Berlin', hours: 745 },
    { name: 'Q1 2025 in Europe/Berlin is 2159 h', period: '2025-Q1', zone: 'Europe/Berlin', hours: 2159 },
    {
      name: 'range 2025-03-30..2025-03-30 in Europe/Berlin is 23 h',
      period: '2025-03-30..2025-03-30',
      zone: 'Europe/Berlin',
      hours: 23,
    },
    {
      name: 'range 2025-07-01..2025-07-31 equals the month (744 h)',
      period: '2025-07-01..2025-07-31',
      zone: 'Asia/Almaty',
      hours: 744,
    },
  ])('$name', ({ period, zone, hours }) => {
    expect(hoursOf(period, zone)).toBe(hours);
  });
});

describe('zoned midnights', () => {
  it.each([
    {
      name: 'Almaty 2024-01-01 is UTC+6',
      date: { year: 2024, month: 1, day: 1 },
      zone: 'Asia/Almaty',
      iso: '2023-12-31T18:00:00.000Z',
    },
    {
      name: 'Almaty 2024-03-01 is UTC+5',
      date: { year: 2024, month: 3, day: 1 },
      zone: 'Asia/Almaty',
      iso: '2024-02-29T19:00:00.000Z',
    },
    {
      name: 'Almaty 2025-07-01',
      date: { year: 2025, month: 7, day: 1 },
      zone: 'Asia/Almaty',
      iso: '2025-06-30T19:00:00.000Z',
    },
    {
      name: 'Kolkata half-hour offset',
      date: { year: 2025, month: 7, day: 1 },
      zone: 'Asia/Kolkata',
      iso: '2025-06-30T18:30:00.000Z',
    },
    {
      name: 'Berlin summer (UTC+2)',
      date: { year: 2025, month: 7, day: 1 },
      zone: 'Europe/Berlin',
      iso: '2025-06-30T22:00:00.000Z',
    },
    // Sao Paulo started DST at midnight: 2018-11-04 00:00 did not exist; the day began at 01:00 -02 = 03:00Z.
    {
      name: 'midnight inside a DST gap starts the day at the transition',
      date: { year: 2018, month: 11, day: 4 },
      zone: 'America/Sao_Paulo',
      iso: '2018-11-04T03:00:00.000Z',
    },
    // Sao Paulo ended DST at midnight: 2019-02-17 00:00 -> 2019-02-16 23:00; 2019-02-16 starts at 00:00 -02 = 02:00Z.
    {
      name: 'a day before a fall-back at midnight',
      date: { year: 2019, month: 2, day: 16 },
      zone: 'America/Sao_Paulo',
      iso: '2019-02-16T02:00:00.000Z',
    },
  ])('$name', ({ date, zone, iso }) => {
    expect(new Date(zonedMidnightMs(date, zone)).toISOString()).toBe(iso);
  });

  it('localDateOf reads the calendar date in the zone', () => {
    expect(localDateOf(Date.parse('2023-12-31T18:00:00Z'), 'Asia/Almaty')).toEqual({ year: 2024, month: 1, day: 1 });
    expect(localDateOf(Date.parse('2023-12-31T17:59:59Z'), 'Asia/Almaty')).toEqual({ year: 2023, month: 12, day: 31 });
  });
});

describe('parsing, quarters and due dates', () => {
  it.each([
    { text: '2025-Q3', ok: true },
    { text: '2025-07', ok: true },
    { text: '2025-07-01..2025-07-15', ok: true },
    { text: '2025-Q5', ok: false },
    { text: '2025-13', ok: false },
    { text: '2025-02-30..2025-03-01', ok: false },
    { text: '2025-03-02..2025-03-01', ok: false },
    { text: 'Q3 2025', ok: false },
  ])('parsePeriod($text) ok=$ok', ({ text, ok }) => {
    expect(parsePeriod(text).ok).toBe(ok);
  });

  it('quarterAt labels an instant by the zone', () => {
    const q = quarterAt(Date.parse('2025-09-30T19:30:00Z'), 'Asia/Almaty'); // 2025-10-01 00:30 local
    expect(q.label).toBe('2025-Q4');
    expect(new Date(q.fromMs).toISOString()).toBe('2025-09-30T19:00:00.000Z');
  });

  it.each([
    { year: 2025, quarter: 3 as const, declareBy: '2025-11-15', payBy: '2025-11-25' },
    { year: 2025, quarter: 4 as const, declareBy: '2026-02-15', payBy: '2026-02-25' },
    { year: 2024, quarter: 1 as const, declareBy: '2024-05-15', payBy: '2024-05-25' },
  ])('due dates of $year Q$quarter', ({ year, quarter, declareBy, payBy }) => {
    expect(quarterDueDates(year, quarter)).toEqual({ declareBy, payBy });
  });
});
