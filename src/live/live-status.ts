/** A meter's live state, for live views and alerts only (billing derives offline time from what is stored). */
export type LiveStatus = 'online' | 'offline' | 'fault' | 'never-seen';

/** Nothing received for this many reporting intervals: offline in the live view. */
export const LIVE_GRACE_INTERVALS = 3;

/** 'offline' when the last will says so or nothing arrived for LIVE_GRACE_INTERVALS reporting intervals. */
export function liveStatus(
  last: { lastReadingTsMs?: number; lastReceivedMs?: number; status?: string; lastReadingStatus?: string } | undefined,
  intervalS: number,
  nowMs: number,
): LiveStatus {
  if (!last || (last.lastReceivedMs === undefined && last.status === undefined)) return 'never-seen';
  if (last.status === 'offline') return 'offline';
  if (last.lastReceivedMs === undefined || nowMs - last.lastReceivedMs > LIVE_GRACE_INTERVALS * intervalS * 1000)
    return 'offline';
  return last.lastReadingStatus === 'fault' ? 'fault' : 'online';
}
