import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { LiveState } from '../live/live-state.ts';
import { registerMeterGauges, type IngestMetrics } from '../ingest/metrics.ts';
import type { Registry } from '../registry/types.ts';
import { healthRoutes, type HealthDeps } from './routes/health.ts';
import { meterRoutes } from './routes/meters.ts';

export interface AppDeps {
  registry: Registry;
  live: LiveState;
  metrics: IngestMetrics;
  health: HealthDeps;
  log: Logger;
  now?: () => number;
  /** Further route plugins (ledger, periods, dashboard) registered by the composition root. */
  plugins?: ((app: FastifyInstance) => Promise<void> | void)[];
}

/** The HTTP app without listen(): tests inject requests, `serve` listens. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.log.child({ component: 'http' }, { level: 'warn' }) as FastifyBaseLogger,
  }) as unknown as FastifyInstance;
  app.setErrorHandler((err: Error & { statusCode?: number; retryAfterS?: number }, _req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 ? err.statusCode : 500;
    // A 503 is "not now": say when to come back (overload, InfluxDB unreachable, rollups catching up).
    if (status === 503) void reply.header('retry-after', String(err.retryAfterS ?? 5));
    if (status >= 500 && status !== 503) deps.log.error({ err }, 'HTTP handler failed.');
    else if (status === 503) deps.log.warn({ err: err.message }, 'HTTP request refused for now.');
    // 503 says what to wait for (rollups catching up); other 5xx details stay in the log.
    void reply
      .status(status)
      .send({ error: status >= 500 && status !== 503 ? 'internal error: see the service log' : err.message });
  });
  registerMeterGauges(deps.metrics.registry, {
    meters: deps.registry.meters,
    live: deps.live,
    ...(deps.now && { now: deps.now }),
  });
  await healthRoutes(app, deps.health);
  await meterRoutes(app, deps);
  app.get('/metrics', async (_req, reply) => {
    void reply.header('content-type', deps.metrics.registry.contentType);
    return deps.metrics.registry.metrics();
  });
  for (const p of deps.plugins ?? []) await p(app);
  return app;
}
