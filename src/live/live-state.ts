import type { AcceptedReading, AcceptedStatus } from '../model/reading.ts';

export interface MeterLive {
  lastReadingTsMs?: number;
  lastReceivedMs?: number;
  lastRegisterWh?: number;
  lastKw?: number;
  lastReadingStatus?: 'ok' | 'fault';
  status?: 'online' | 'offline';
  statusSinceMs?: number;
  /** Time of the newest status seen: an older one (a gateway forwarding an outage) does not change `status`. */
  statusAtMs?: number;
}

/**
 * In-memory "last seen" per meter for live views only (architecture principle 2: whether a meter was
 * offline for billing is derived from what is stored, never from this).
 */
export function createLiveState() {
  const byMeter = new Map<string, MeterLive>();
  const listeners = new Set<(meterId: string) => void>();
  const get = (id: string) => {
    let s = byMeter.get(id);
    if (!s) byMeter.set(id, (s = {}));
    return s;
  };
  // A listener that throws must not break ingest: live views are best effort.
  const changed = (meterId: string) => {
    for (const l of listeners)
      try {
        l(meterId);
      } catch {}
  };
  return {
    onReading(r: AcceptedReading, receivedMs: number) {
      const s = get(r.meterId);
      s.lastReceivedMs = receivedMs;
      // A late batch says nothing about now: only its arrival counts.
      if (s.lastReadingTsMs === undefined || r.tsMs >= s.lastReadingTsMs) {
        s.lastReadingTsMs = r.tsMs;
        s.lastRegisterWh = r.registerWh;
        s.lastReadingStatus = r.status;
        if (r.kw !== undefined) s.lastKw = r.kw;
      }
      changed(r.meterId);
    },
    onStatus(st: AcceptedStatus, atMs: number) {
      const s = get(st.meterId);
      if (s.statusAtMs !== undefined && atMs < s.statusAtMs) return;
      s.statusAtMs = atMs;
      if (s.status !== st.state) s.statusSinceMs = atMs;
      s.status = st.state;
      changed(st.meterId);
    },
    seed(meterId: string, v: MeterLive) {
      Object.assign(get(meterId), v);
      changed(meterId);
    },
    /** Called (synchronously, with the meter id) after every change; returns the unsubscribe function. */
    subscribe(listener: (meterId: string) => void): () => void {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    get(meterId: string): MeterLive | undefined {
      return byMeter.get(meterId);
    },
  };
}
export type LiveState = ReturnType<typeof createLiveState>;
