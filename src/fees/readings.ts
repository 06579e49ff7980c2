/**
 * Readings as compact sorted columns (typed arrays): no object per reading
 * after this point. Arrival order and exact duplicates do not matter.
 */
import { type Reading } from './types.ts';
import { type Result, ok, fail } from '../util/result.ts';

export interface ReadingColumns {
  readonly n: number;
  readonly tsMs: Float64Array;
  readonly registerWh: Float64Array;
  /** 1 when the reading has status 'fault'. */
  readonly fault: Uint8Array;
  /**
   * 1 when the interval from this reading to the next is known to be metered
   * without looking at it (an anomaly-free hour summary, see hourly.ts).
   */
  readonly cleanToNext: Uint8Array;
}

export function emptyColumns(n: number): ReadingColumns {
  return {
    n,
    tsMs: new Float64Array(n),
    registerWh: new Float64Array(n),
    fault: new Uint8Array(n),
    cleanToNext: new Uint8Array(n),
  };
}

function isSorted(readings: readonly Reading[]): boolean {
  for (let i = 1; i < readings.length; i++) if (readings[i - 1]!.tsMs > readings[i]!.tsMs) return false;
  return true;
}

/**
 * Sorts by time and collapses readings with the same tsMs into one: the
 * largest registerWh is kept, and the reading is a fault if any copy is. Both
 * choices are independent of arrival order.
 */
export function readingsToColumns(readings: readonly Reading[]): Result<ReadingColumns> {
  const sorted = isSorted(readings) ? readings : [...readings].sort((a, b) => a.tsMs - b.tsMs);
  const cols = emptyColumns(sorted.length);
  let n = 0;
  for (let i = 0; i < sorted.length; i++) {
    const r = sorted[i]!;
    if (!Number.isSafeInteger(r.tsMs)) return fail(`reading ${i}: tsMs must be an integer, got ${r.tsMs}`);
    if (!Number.isSafeInteger(r.registerWh) || r.registerWh < 0) {
      return fail(`reading at ${r.tsMs}: registerWh must be a non-negative integer, got ${r.registerWh}`);
    }
    const fault = r.status === 'fault' ? 1 : 0;
    if (n > 0 && cols.tsMs[n - 1] === r.tsMs) {
      if (r.registerWh > cols.registerWh[n - 1]!) cols.registerWh[n - 1] = r.registerWh;
      cols.fault[n - 1] = cols.fault[n - 1]! | fault;
      continue;
    }
    cols.tsMs[n] = r.tsMs;
    cols.registerWh[n] = r.registerWh;
    cols.fault[n] = fault;
    n++;
  }
  return ok({ ...cols, n });
}
