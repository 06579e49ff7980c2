import type { LiveState } from './live-state.ts';
import type { InfluxTarget } from '../store/influx-target.ts';
import type { QueryStats } from '../store/query/client.ts';
import { readLastReadingsAndBounds, readLastStatuses } from '../store/query/live.ts';

/** How far back the live view looks for a meter's last reading and status. */
export const LIVE_SEED_LOOKBACK_MS = 30 * 86_400_000;

/**
 * Fill the live view from what is stored, so /api/meters is right right after a restart. Its cost does not grow
 * with history: the day rollups say where each meter's newest reading is (src/store/query/live.ts). Returns, per
 * meter, the instant from which nothing of it was stored before this start (the rollup worker's fresh hours).
 */
export async function seedLiveState(
  target: InfluxTarget,
  live: LiveState,
  meterIds: readonly string[],
  nowMs: number,
  stats?: QueryStats,
): Promise<ReadonlyMap<string, number>> {
  const { readings, nothingFromMs } = await readLastReadingsAndBounds(
    target,
    meterIds,
    nowMs - LIVE_SEED_LOOKBACK_MS,
    stats,
  );
  for (const r of readings) {
    live.seed(r.meterId, {
      lastReadingTsMs: r.tsMs,
      lastRegisterWh: r.registerWh,
      ...(r.kw !== undefined && { lastKw: r.kw }),
      ...(r.receivedMs !== undefined && { lastReceivedMs: r.receivedMs }),
      lastReadingStatus: r.fault ? 'fault' : 'ok',
    });
  }
  for (const s of await readLastStatuses(target)) live.seed(s.meterId, { status: s.state, statusSinceMs: s.sinceMs });
  return nothingFromMs;
}
