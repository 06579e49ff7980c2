/**
 * HTTP request metrics (issue 26: operators expect a duration histogram by route and status). The route label
 * is the registered pattern (/api/periods/:period/:file), never the requested URL, so a scanner trying
 * a million paths adds one series ("unmatched"), not a million. Event streams (hijacked replies) end when the
 * browser goes and are not timed.
 */
import type { FastifyInstance } from 'fastify';
import { Histogram, type Registry } from 'prom-client';

const BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const started = Symbol('kzmRequestStartNs');

export function requestMetrics(app: FastifyInstance, registry: Registry): void {
  const duration = new Histogram({
    name: 'kzm_http_request_duration_seconds',
    help: 'HTTP requests answered, by method, route pattern (unmatched for unknown URLs) and status; time to the answer',
    labelNames: ['method', 'route', 'status'],
    buckets: BUCKETS_S,
    registers: [registry],
  });
  app.addHook('onRequest', async (req) => {
    (req as unknown as Record<symbol, bigint>)[started] = process.hrtime.bigint();
  });
  app.addHook('onResponse', async (req, reply) => {
    const t0 = (req as unknown as Record<symbol, bigint | undefined>)[started];
    if (t0 === undefined) return;
    const route = req.routeOptions.url ?? 'unmatched';
    duration.observe(
      { method: req.method, route, status: String(reply.statusCode) },
      Number(process.hrtime.bigint() - t0) / 1e9,
    );
  });
}
