import type { FastifyInstance } from 'fastify';
import type { LiveState } from '../../live/live-state.ts';
import type { Registry } from '../../registry/types.ts';

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

/** Live view: 'offline' when the last will says so or nothing arrived for 3 reporting intervals. */
export function liveStatus(
  last: { lastReadingTsMs?: number; lastReceivedMs?: number; status?: string; lastReadingStatus?: string } | undefined,
  intervalS: number,
  nowMs: number,
): 'online' | 'offline' | 'fault' | 'never-seen' {
  if (!last || (last.lastReceivedMs === undefined && last.status === undefined)) return 'never-seen';
  if (last.status === 'offline') return 'offline';
  if (last.lastReceivedMs === undefined || nowMs - last.lastReceivedMs > 3 * intervalS * 1000) return 'offline';
  return last.lastReadingStatus === 'fault' ? 'fault' : 'online';
}

export async function meterRoutes(
  app: FastifyInstance,
  deps: { registry: Registry; live: LiveState; now?: () => number },
): Promise<void> {
  app.get('/api/meters', async () => {
    const now = (deps.now ?? Date.now)();
    return {
      meters: deps.registry.meters.map((m) => {
        const last = deps.live.get(m.id);
        const maxLoadW = m.maxLoad.filter((x) => x.fromMs <= now).at(-1)?.maxLoadW ?? m.maxLoad[0]?.maxLoadW ?? 0;
        return {
          id: m.id,
          site: m.siteId,
          taxpayer: m.taxpayerBin,
          energySource: m.sources.filter((s) => s.fromMs <= now).at(-1)?.source ?? m.sources[0]?.source,
          reportingIntervalS: m.reportingIntervalS,
          maxLoadKw: maxLoadW / 1000,
          status: liveStatus(last, m.reportingIntervalS, now),
          statusSince: iso(last?.statusSinceMs),
          lastReadingAt: iso(last?.lastReadingTsMs),
          lastReceivedAt: iso(last?.lastReceivedMs),
          lastKw: last?.lastKw ?? null,
          lastRegisterKwh: last?.lastRegisterWh === undefined ? null : last.lastRegisterWh / 1000,
        };
      }),
    };
  });
}
