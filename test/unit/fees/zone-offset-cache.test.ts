import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { zoneOffsetMs } from '../../../src/fees/zoned-time.ts';

/** The offset straight from Intl, written apart from the engine's. */
function intlOffset(utcMs: number, timeZone: string): number {
  const whole = Math.floor(utcMs / 1000) * 1000;
  const f = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  });
  const p = Object.fromEntries(f.formatToParts(new Date(whole)).map((x) => [x.type, Number(x.value)]));
  return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!) - whole;
}

// Zones with transitions of every kind: Almaty's UTC+6 -> UTC+5 (2024-03-01), DST in Berlin,
// half-hour DST on Lord Howe, a -03:30 zone, and Kathmandu's +05:45.
const ZONES = [
  'Asia/Almaty',
  'Asia/Aqtobe',
  'Europe/Berlin',
  'Australia/Lord_Howe',
  'America/St_Johns',
  'Asia/Kathmandu',
];

describe('zone offsets cached per UTC hour', () => {
  it('equal Intl at every instant, around transitions too', () => {
    const from = Date.UTC(2023, 0, 1);
    const to = Date.UTC(2026, 0, 1);
    fc.assert(
      fc.property(fc.constantFrom(...ZONES), fc.integer({ min: from, max: to }), (zone, t) => {
        expect(zoneOffsetMs(t, zone)).toBe(intlOffset(t, zone));
      }),
      { numRuns: 3000 },
    );
  });

  it('every second around the Almaty change of 2024-03-01 and a Lord Howe half-hour change', () => {
    // Almaty: 2024-03-01T00:00+06:00 became 2024-02-29T19:00Z... checked second by second over 2 hours.
    for (const [zone, at] of [
      ['Asia/Almaty', Date.UTC(2024, 1, 29, 18, 0)],
      ['Australia/Lord_Howe', Date.UTC(2024, 9, 5, 15, 0)],
    ] as const) {
      for (let t = at - 3_600_000; t < at + 3_600_000; t += 1000)
        expect(zoneOffsetMs(t, zone)).toBe(intlOffset(t, zone));
    }
  });
});
