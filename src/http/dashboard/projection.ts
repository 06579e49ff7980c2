/**
 * Projection of a quarter's fee from what has accrued so far:
 *
 *   projected = accrued + (fee of the last 24 h / 24 h) x hours left in the quarter
 *
 * i.e. the current rate of accrual carried to the end of the quarter. The "last 24 h" is cut to the
 * quarter's start in its first day. A line's fee counts in the window in proportion to its overlap
 * (a metered run is taken as even over its span): an estimate for operators, never a declared amount.
 */
import type { LedgerLine } from '../../fees/index.ts';

export const PROJECTION_WINDOW_MS = 24 * 3_600_000;

/** The quarter's bounds and how far the ledger runs: asOfMs = toMs once the quarter is over. */
export interface QuarterClock {
  readonly fromMs: number;
  readonly toMs: number;
  readonly asOfMs: number;
}

export interface Projection {
  readonly accruedMilliTiyn: number;
  /** The window the rate is taken over, [asOfMs - windowMs, asOfMs). */
  readonly windowMs: number;
  readonly windowFeeMilliTiyn: number;
  readonly remainingMs: number;
  readonly projectedMilliTiyn: number;
}

type FeeLine = Pick<LedgerLine, 'fromMs' | 'toMs' | 'feeMilliTiyn'>;

/** a x b / c in integers, rounded half-up (no floating-point money; BigInt keeps a x b exact). */
function mulDiv(a: number, b: number, c: number): bigint {
  const n = BigInt(Math.trunc(a)) * BigInt(Math.trunc(b));
  const d = BigInt(Math.trunc(c));
  return (2n * n + d) / (2n * d);
}

/** The part of the lines' fees that falls in [fromMs, toMs), each line prorated by time (milli-tiyn, integer). */
export function feeInWindow(lines: readonly FeeLine[], fromMs: number, toMs: number): number {
  let fee = 0n;
  for (const l of lines) {
    const overlap = Math.min(l.toMs, toMs) - Math.max(l.fromMs, fromMs);
    if (overlap <= 0 || l.toMs <= l.fromMs) continue;
    fee += mulDiv(l.feeMilliTiyn, overlap, l.toMs - l.fromMs);
  }
  return Number(fee);
}

export function projectQuarter(
  lines: readonly FeeLine[],
  clock: QuarterClock,
  windowMs = PROJECTION_WINDOW_MS,
): Projection {
  const accruedMilliTiyn = lines.reduce((s, l) => s + l.feeMilliTiyn, 0);
  const asOf = Math.min(Math.max(clock.asOfMs, clock.fromMs), clock.toMs);
  const window = Math.min(windowMs, asOf - clock.fromMs);
  const remainingMs = clock.toMs - asOf;
  const windowFeeMilliTiyn = window > 0 ? feeInWindow(lines, asOf - window, asOf) : 0;
  const projectedMilliTiyn =
    window > 0 && remainingMs > 0
      ? accruedMilliTiyn + Number(mulDiv(windowFeeMilliTiyn, remainingMs, window))
      : accruedMilliTiyn;
  return { accruedMilliTiyn, windowMs: window, windowFeeMilliTiyn, remainingMs, projectedMilliTiyn };
}
