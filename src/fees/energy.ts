/**
 * Exact integer energy arithmetic that stays additive when a span is split at
 * any instant. BigInt only where a product can pass 2^53.
 */

const MS_PER_HOUR = 3_600_000n;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

function floorDivBig(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

/** Max-load energy from the epoch anchor to t: floor(W * t / 3_600_000) Wh. */
function anchoredWh(maxLoadW: number, t: number): bigint {
  return floorDivBig(BigInt(maxLoadW) * BigInt(t), MS_PER_HOUR);
}

/**
 * Substituted energy of [fromMs, toMs) at maxLoadW (volume substitution):
 * floor(W*(to-E)/3.6e6) - floor(W*(from-E)/3.6e6) with anchor E = 0 (Unix
 * epoch). Telescopes, so any split adds up exactly; differs from the exact
 * W x hours by less than 1 Wh.
 */
export function substitutedWh(maxLoadW: number, fromMs: number, toMs: number): number {
  return Number(anchoredWh(maxLoadW, toMs) - anchoredWh(maxLoadW, fromMs));
}

/** floor(a / b) for non-negative safe integers a, b > 0, exact. */
function floorDivSafe(a: number, b: number): number {
  let q = Math.floor(a / b);
  if (q * b > a) q--;
  else if ((q + 1) * b <= a) q++;
  return q;
}

/**
 * Register at t between readings (t1, r1) and (t2, r2), r2 >= r1:
 * r1 + floor((r2 - r1) * (t - t1) / (t2 - t1)). Only used at cut points.
 */
export function interpolateRegisterWh(t1: number, r1: number, t2: number, r2: number, t: number): number {
  if (t <= t1) return r1;
  if (t >= t2) return r2;
  const d = r2 - r1;
  const x = t - t1;
  const span = t2 - t1;
  if (d * x <= MAX_SAFE) return r1 + floorDivSafe(d * x, span);
  return r1 + Number((BigInt(d) * BigInt(x)) / BigInt(span));
}
