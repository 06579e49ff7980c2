/** Period close and verify refuse a period whose readings the rollups do not cover (src/store/query/coverage.ts). */
import { DAY_MS } from '../fees/index.ts';
import { uncoveredReadings } from '../store/query/coverage.ts';
import { dayOf } from '../store/query/rollup-buckets.ts';
import type { InfluxTarget } from '../store/influx-target.ts';
import { LedgerStoreError } from './store-ledger.ts';

/** Refuses a period whose readings the rollups do not cover, naming the command that fixes it. */
export async function assertRollupsCover(
  target: InfluxTarget,
  meterIds: readonly string[],
  fromMs: number,
  toMs: number,
): Promise<void> {
  const missing = await uncoveredReadings(target, meterIds, fromMs, toMs);
  if (!missing.length) return;
  const list = missing
    .slice(0, 5)
    .map((m) => `${m.meterId} at ${new Date(m.tsMs).toISOString()}`)
    .join(', ');
  const from = new Date(dayOf(fromMs)).toISOString().slice(0, 10);
  const to = new Date(dayOf(toMs - 1) + DAY_MS).toISOString().slice(0, 10);
  throw new LedgerStoreError(
    `The hour/day rollups do not cover readings stored for this period (${list}${missing.length > 5 ? `, and ${missing.length - 5} more` : ''}), ` +
      `so the ledger would charge those hours as unmetered. Recompute them, then try again: kzmeter rollup --from ${from} --to ${to}`,
    'rollups-uncovered',
  );
}
