import { describe, expect, it } from 'vitest';
import {
  formatMilliTiyn,
  formatTiyn,
  formatWhAsKwh,
  roundMilliTiynToTiyn,
  feeMilliTiyn,
} from '../../../src/fees/money.ts';

describe('money', () => {
  it.each([
    { name: 'to the tiyn, below half', milli: 12_345_499, rule: 'half-up-tiyn' as const, tiyn: 12_345 },
    { name: 'to the tiyn, exactly half goes up', milli: 12_345_500, rule: 'half-up-tiyn' as const, tiyn: 12_346 },
    {
      name: 'to whole tenge, 388,812.96 -> 388,813',
      milli: 38_881_296_000,
      rule: 'half-up-tenge' as const,
      tiyn: 38_881_300,
    },
    { name: 'to whole tenge, x.49999 goes down', milli: 149_999, rule: 'half-up-tenge' as const, tiyn: 100 },
    { name: 'to whole tenge, x.50 goes up', milli: 150_000, rule: 'half-up-tenge' as const, tiyn: 200 },
    { name: 'negative amounts round half away from zero', milli: -150_000, rule: 'half-up-tenge' as const, tiyn: -200 },
    { name: 'zero', milli: 0, rule: 'half-up-tiyn' as const, tiyn: 0 },
  ])('$name', ({ milli, rule, tiyn }) => {
    expect(roundMilliTiynToTiyn(milli, rule)).toBe(tiyn);
  });

  it('formats without floats', () => {
    expect(formatTiyn(123_456)).toBe('1234.56');
    expect(formatTiyn(5)).toBe('0.05');
    expect(formatTiyn(-5)).toBe('-0.05');
    expect(formatTiyn(39_744_000n)).toBe('397440.00');
    expect(formatWhAsKwh(198_720_000)).toBe('198720.000');
    expect(formatWhAsKwh(1)).toBe('0.001');
    expect(formatMilliTiyn(38_881_296_000)).toBe('388812.96000');
    expect(formatTiyn(9_007_199_254_740_993n)).toBe('90071992547409.93');
  });

  it('fee is energy x rate, and refuses to lose precision', () => {
    expect(feeMilliTiyn(198_720_000, 200)).toBe(39_744_000_000);
    expect(() => feeMilliTiyn(2 ** 52, 4)).toThrow(RangeError);
  });
});
