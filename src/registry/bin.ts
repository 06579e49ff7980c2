/**
 * Kazakh BIN/IIN check digit (12 digits).
 * s = sum(d_i * i) for i = 1..11 mod 11; if s == 10 recompute with weights 3..11,1,2;
 * if still 10 the number is invalid; otherwise s must equal digit 12.
 */
const WEIGHTS_1 = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
const WEIGHTS_2 = [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2];

export type BinCheck = { ok: true } | { ok: false; reason: string };

function weightedMod11(digits: readonly number[], weights: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < 11; i++) sum += (digits[i] ?? 0) * (weights[i] ?? 0);
  return sum % 11;
}

export function checkBin(value: string): BinCheck {
  if (!/^\d{12}$/.test(value)) return { ok: false, reason: 'must be exactly 12 digits' };
  const digits = [...value].map(Number);
  let s = weightedMod11(digits, WEIGHTS_1);
  if (s === 10) s = weightedMod11(digits, WEIGHTS_2);
  if (s === 10)
    return { ok: false, reason: 'check digit cannot be computed (sum is 10 with both weight sets): not a valid BIN' };
  if (s !== digits[11]) return { ok: false, reason: `check digit is ${digits[11]}, expected ${s}` };
  return { ok: true };
}
