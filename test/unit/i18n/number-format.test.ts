/**
 * Issue 26: one number formatter for the dashboard, the close preview, the CLI and the exports. The issue's
 * figures: 124213248 tiyn is `1 242 132,48 ₸` in ru and kk (no-break spaces as Intl writes them) and
 * `1,242,132.48 ₸` in en; made from the integer's digits, never through a float division of money.
 */
import { describe, expect, it } from 'vitest';
import { decimalOf, fixedPoint, kwhOf, localizeDecimal, separators, tenge } from '../../../src/i18n/number-format.js';
import { formatMilliTiyn, formatTiyn, roundMilliTiynToTiyn } from '../../../src/fees/index.ts';

const plain = (s: string) => s.replace(/[\u00a0\u202f]/g, ' ');

describe('number formatter (issue 26)', () => {
  it('ru and kk group with a no-break space and write a decimal comma; en writes 1,242,132.48', () => {
    for (const lang of ['ru', 'kk']) {
      expect(separators(lang).decimal).toBe(',');
      expect(separators(lang).group).toMatch(/^[\u00a0\u202f]$/);
      expect(plain(tenge(124213248, lang))).toBe('1 242 132,48 ₸');
    }
    expect(plain(tenge(124213248, 'en'))).toBe('1,242,132.48 ₸');
  });

  it('zero, small, negative and large amounts, from integers and integer strings', () => {
    expect(plain(tenge(0, 'ru'))).toBe('0,00 ₸');
    expect(plain(tenge(5, 'en'))).toBe('0.05 ₸');
    expect(plain(tenge(-124213248, 'ru'))).toBe('-1 242 132,48 ₸');
    expect(plain(tenge(-7, 'kk'))).toBe('-0,07 ₸');
    // beyond Number's safe integers: the digits are kept exactly (a bigint or an integer string)
    expect(plain(tenge(123456789012345678901n, 'en'))).toBe('1,234,567,890,123,456,789.01 ₸');
    expect(plain(tenge('900719925474099312', 'ru'))).toBe('9 007 199 254 740 993,12 ₸');
    expect(() => fixedPoint(1.5, 2)).toThrow(RangeError);
    expect(() => fixedPoint(2 ** 60, 2)).toThrow(RangeError);
    expect(fixedPoint('-000', 2)).toBe('0.00');
  });

  it('kWh from Wh with three decimals; the engine strings (formatTiyn, formatMilliTiyn) localize unchanged in value', () => {
    expect(plain(kwhOf(1_107_000_123, 'ru'))).toBe('1 107 000,123');
    expect(plain(kwhOf(260, 'en'))).toBe('0.260');
    expect(plain(localizeDecimal(formatMilliTiyn(123456789), 'kk'))).toBe('1 234,56789');
    expect(localizeDecimal('not a number', 'ru')).toBe('not a number');
    expect(localizeDecimal('12', 'en')).toBe('12');
  });

  it('rounding happens in tiyn before formatting: 1242132.485 tenge half up is 1 242 132,49', () => {
    const milli = 124213248_500; // 1 242 132.48500 tenge in milli-tiyn
    expect(plain(tenge(roundMilliTiynToTiyn(milli, 'half-up-tiyn'), 'ru'))).toBe('1 242 132,49 ₸');
    expect(plain(tenge(roundMilliTiynToTiyn(milli - 1, 'half-up-tiyn'), 'ru'))).toBe('1 242 132,48 ₸');
    // the same digits as the engine's own fixed-point text
    expect(fixedPoint(124213249, 2)).toBe(formatTiyn(124213249));
  });

  it('measured quantities (kW, percent) with fixed decimals per language; no value is a dash', () => {
    expect(decimalOf(1234.56, 1, 'ru').replace(/[\u00a0\u202f]/g, ' ')).toBe('1 234,6');
    expect(decimalOf(1234.56, 1, 'en')).toBe('1,234.6');
    expect(decimalOf(null, 1, 'en')).toBe('—');
  });
});
