import type { FastifyInstance } from 'fastify';
import type { LiveState } from '../../live/live-state.ts';
import type { Registry } from '../../registry/types.ts';
import { z } from 'zod';
import { liveStatus } from '../../live/live-status.ts';
import { errorSchema, meterListSchema, zodCompilers } from './schemas.ts';

export { liveStatus };
import { requestRegistry } from '../plugins/taxpayer-scope.ts';

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

export async function meterRoutes(
  app: FastifyInstance,
  deps: { registry: Registry; live: LiveState; now?: () => number },
): Promise<void> {
  const schema = {
    tags: ['meters'],
    summary: 'Every meter of the registry with its live state (last reading, kW, status)',
    querystring: z.strictObject({}),
    response: { 200: meterListSchema, 400: errorSchema },
  };
  app.get('/api/meters', { schema, ...zodCompilers }, async (req) => {
    const now = (deps.now ?? Date.now)();
    return {
      meters: requestRegistry(req, deps.registry).meters.map((m) => {
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
