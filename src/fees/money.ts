/**
 * Money and energy as integers only: fees in milli-tiyn (exact per line),
 * declared amounts in tiyn (rounded once per declared line). No floats.
 * 1 Wh charged at 1 tiyn/kWh = 1/1000 tiyn = 1 milli-tiyn.
 */
import type { RoundingRule } from './types.ts';

/** Throws when an integer left the exactly representable range: a broken assumption, not bad input. */
export function assertSafeInteger(value: number, what: string): number {
  if (!Number.isSafeInteger(value)) throw new RangeError(`${what} is not a safe integer: ${value}`);
  return value;
}

/** Exact fee of energy at a rate: energyWh * rateTiynPerKwh milli-tiyn. */
export function feeMilliTiyn(energyWh: number, rateTiynPerKwh: number): number {
  return assertSafeInteger(energyWh * rateTiynPerKwh, 'feeMilliTiyn');
}

export function sumSafe(values: Iterable<number>, what: string): number {
  let total = 0;
  for (const v of values) total += v;
  return assertSafeInteger(total, what);
}

/**
 * Rounds half away from zero ("half-up" for the positive amounts declared) to
 * a multiple of `unit`, integers only.
 */
function roundHalfUp(value: number, unit: number): number {
  const sign = value < 0 ? -1 : 1;
  const abs = Math.abs(value);
  const q = Math.floor(abs / unit);
  const r = abs - q * unit;
  return sign * (r * 2 >= unit ? q + 1 : q) * unit;
}

/**
 * Rounds an exact milli-tiyn amount to the declared amount in tiyn.
 * 'half-up-tiyn': to the tiyn (1 tiyn = 1000 milli-tiyn), before 2026.
 * 'half-up-tenge': to whole tenge (100 tiyn = 100_000 milli-tiyn), from 2026.
 */
/** The unit a rule rounds a declared line to, in milli-tiyn: a tiyn (1,000) or a tenge (100,000). */
export const roundingUnitMilliTiyn = (rule: RoundingRule): number => (rule === 'half-up-tenge' ? 100_000 : 1_000);

export function roundMilliTiynToTiyn(milliTiyn: number, rule: RoundingRule): number {
  assertSafeInteger(milliTiyn, 'milliTiyn');
  return roundHalfUp(milliTiyn, roundingUnitMilliTiyn(rule)) / 1_000;
}

/** Inserts a decimal point `decimals` places from the right of an integer. */
function fixedPoint(value: number | bigint, decimals: number): string {
  const negative = value < 0;
  const digits = (negative ? -BigInt(value) : BigInt(value)).toString().padStart(decimals + 1, '0');
  const cut = digits.length - decimals;
  const text = decimals === 0 ? digits : `${digits.slice(0, cut)}.${digits.slice(cut)}`;
  return negative ? `-${text}` : text;
}

/** 123456 tiyn -> '1234.56' (tenge). */
export const formatTiyn = (tiyn: number | bigint): string => fixedPoint(tiyn, 2);
/** 123456789 milli-tiyn -> '1234.56789' (tenge). */
export const formatMilliTiyn = (milliTiyn: number | bigint): string => fixedPoint(milliTiyn, 5);
/** 198720000 Wh -> '198720.000' (kWh). */
export const formatWhAsKwh = (wh: number | bigint): string => fixedPoint(wh, 3);
