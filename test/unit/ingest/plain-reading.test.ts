/**
 * Issue 27: plainReading() is readingPayloadSchema's answer for the common shape without zod's machinery. It may
 * only ever accept what the schema accepts, with the same result; and it must cover the whole common shape (integer
 * epoch ms, no other key), or the hot path quietly falls back to zod. Checked on every combination of edge values.
 */
import { describe, expect, it } from 'vitest';
import { plainReading, readingPayloadSchema } from '../../../src/formats/payload-schema.ts';

const ABSENT = Symbol('absent');
const MIN = Date.UTC(2000, 0, 1);
const MAX = Date.UTC(2100, 0, 1);
const values = {
  ts: [
    ABSENT,
    MIN - 1,
    MIN,
    MIN + 0.5,
    Date.UTC(2025, 6, 1),
    MAX,
    MAX + 1,
    '2025-07-01T00:00:00Z',
    '1751328000000',
    null,
    true,
    -5,
  ],
  kwh: [ABSENT, -1, -0, 0, 1.234, 118472.5, 1e12, 1e12 + 1, '5', null, false],
  kw: [ABSENT, -0.1, 0, 198.5, 1e7, 1e7 + 1, null, '1'],
  status: [ABSENT, 'ok', 'fault', 'OK', '', null, 1],
  extra: [ABSENT, 1, 'x'],
} as const;

function* combinations(): Generator<string> {
  for (const ts of values.ts)
    for (const kwh of values.kwh)
      for (const kw of values.kw)
        for (const status of values.status)
          for (const extra of values.extra) {
            const o: Record<string, unknown> = {};
            if (ts !== ABSENT) o.ts = ts;
            if (kwh !== ABSENT) o.kwh = kwh;
            if (kw !== ABSENT) o.kw = kw;
            if (status !== ABSENT) o.status = status;
            if (extra !== ABSENT) o.note = extra;
            yield JSON.stringify(o);
          }
  // A key JSON.parse makes an own property although it names the prototype.
  yield `{"ts":${MIN},"kwh":1,"__proto__":{"x":1}}`;
  yield `{"ts":${MIN},"kwh":1,"constructor":1}`;
}

describe('plainReading (the hot path beside readingPayloadSchema)', () => {
  it('accepts only what the schema accepts, with the same result, and covers every plain reading', () => {
    let checked = 0;
    let fast = 0;
    for (const text of combinations()) {
      const doc = JSON.parse(text) as Record<string, unknown>;
      const mine = plainReading(doc);
      const zod = readingPayloadSchema.safeParse(doc);
      checked++;
      if (mine !== undefined) {
        fast++;
        expect(zod.success, text).toBe(true);
        expect(mine, text).toEqual(zod.data);
      } else if (zod.success && typeof doc.ts === 'number') {
        expect.fail(`the schema accepts ${text} with epoch-ms ts, but plainReading left it to zod`);
      }
    }
    expect(checked).toBeGreaterThan(20_000);
    // ts: 3 in range; kwh: 5 in range (-0 included); kw: absent + 3; status: absent + 2; no extra key.
    expect(fast).toBe(3 * 5 * 4 * 3);
  });

  it('gives the schema the ISO ts, the wrong types and the unknown keys (its messages explain them)', () => {
    expect(plainReading({ ts: '2025-07-01T00:00:00Z', kwh: 1 })).toBeUndefined();
    expect(plainReading({ ts: Date.UTC(2025, 6, 1), kwh: '1' })).toBeUndefined();
    expect(plainReading({ ts: Date.UTC(2025, 6, 1), kwh: 1, unit: 'kWh' })).toBeUndefined();
    expect(plainReading({ ts: Date.UTC(2025, 6, 1), kwh: 1 })).toEqual({
      ts: Date.UTC(2025, 6, 1),
      kwh: 1,
      status: 'ok',
    });
  });
});
