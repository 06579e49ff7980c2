import type { LiveState } from './live-state.ts';
import type { InfluxTarget } from '../store/influx-target.ts';
import { readLastReadings, readLastStatuses } from '../store/query/live.ts';

/** Fill the live view from what is stored, so /api/meters is right right after a restart. */
export async function seedLiveState(target: InfluxTarget, live: LiveState): Promise<void> {
  for (const r of await readLastReadings(target)) {
    live.seed(r.meterId, {
      lastReadingTsMs: r.tsMs,
      lastRegisterWh: r.registerWh,
      ...(r.kw !== undefined && { lastKw: r.kw }),
      ...(r.receivedMs !== undefined && { lastReceivedMs: r.receivedMs }),
      lastReadingStatus: r.fault ? 'fault' : 'ok',
    });
  }
  for (const s of await readLastStatuses(target)) live.seed(s.meterId, { status: s.state, statusSinceMs: s.sinceMs });
}
