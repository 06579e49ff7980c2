/**
 * The built-in web dashboard: pages, their browser files, JSON view models and the event stream.
 *   GET /  /meters  /meters/:id  /periods        the pages (one HTML shell; dashboards/web/app.js picks the page)
 *   GET /assets/<file>                          dashboards/web/ and uPlot (vendor/)
 *   GET /api/dashboard/overview[?period=2025-Q3]  the quarter so far per site and source (default: the current quarter)
 *   GET /api/dashboard/meters                    every meter: live state and this quarter's substitution
 *   GET /api/dashboard/meters/:id[?from=&to=]     chart series, substituted intervals, rejected messages
 *   GET /api/dashboard/events[?topics=meters,overview,meter-ledger]   server-sent events
 *   GET /api/dashboard/demo                      the npm start demo's backfill ({ phase: 'none' } without it)
 * The Periods page uses the period API (/api/periods) as it is. Every query and path parameter is
 * checked with zod: 400 with a sentence; an unknown meter is 404.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { doc } from '../openapi-doc.ts';
import type { Lang } from '../../i18n/lang.js';
import { requestRegistry } from '../plugins/taxpayer-scope.ts';
import { type DashboardDataDeps, createDashboardData } from './dashboard-data.ts';
import { resolveDetailRange } from './detail-range.ts';
import { createLiveFeed } from './live-feed.ts';
import { pageRoutes } from './pages.ts';
import { demoStatusRoute } from './demo-status.ts';
import { eventsQuery, meterDetailQuery, meterParams, metersQuery, overviewQuery, parseInput } from './query-schemas.ts';

export interface DashboardDeps extends DashboardDataDeps {
  /** Browser files (default dashboards/web/). */
  readonly webDir?: string;
  /** Event stream timing (live-feed.ts): state re-evaluation, change batching, overview refresh. */
  readonly tickMs?: number;
  readonly flushMs?: number;
  readonly refreshMs?: number;
  /** Language of the pages when nothing in the request chooses one (http.defaultLang). */
  readonly defaultLang?: Lang;
}

export function dashboardRoutes(deps: DashboardDeps): (app: FastifyInstance) => Promise<void> {
  return async (app) => {
    pageRoutes(app, deps);
    demoStatusRoute(app);
    // One view model and event stream per taxpayer scope: a taxpayer's staff get theirs, built from their
    // part of the registry, so no answer or event can carry another taxpayer's meters.
    const scopes = new Map<
      string,
      { data: ReturnType<typeof createDashboardData>; feed: ReturnType<typeof createLiveFeed> }
    >();
    const { tickMs, flushMs, refreshMs } = deps;
    const scoped = (req: FastifyRequest) => {
      const key = req.principal?.taxpayer ?? '*';
      let s = scopes.get(key);
      if (!s) {
        const data = createDashboardData({ ...deps, registry: requestRegistry(req, deps.registry) });
        const feed = createLiveFeed({
          data,
          live: deps.live,
          log: app.log,
          ...(tickMs && { tickMs }),
          ...(flushMs && { flushMs }),
          ...(refreshMs && { refreshMs }),
        });
        scopes.set(key, (s = { data, feed }));
      }
      return s;
    };
    // Open event streams would hold app.close() for ever: end them first.
    app.addHook('preClose', async () => {
      for (const s of scopes.values()) s.feed.close();
    });

    app.get(
      '/api/dashboard/overview',
      doc("The overview page's data: a period's fee, kWh and outages by site and day"),
      async (req, reply) => {
        const q = parseInput(overviewQuery, req.query, reply, 'query');
        if (!q) return reply;
        const r = await scoped(req).data.overview(q.period);
        return r.ok ? r.value : reply.status(400).send({ error: r.reason });
      },
    );
    app.get(
      '/api/dashboard/meters',
      doc("The meters page's data: every meter with its state and running-quarter figures"),
      async (req, reply) => (parseInput(metersQuery, req.query, reply, 'query') ? scoped(req).data.meters() : reply),
    );
    app.get(
      '/api/dashboard/meters/:id',
      doc("One meter's detail: readings, statuses, substituted intervals and rejected payloads"),
      async (req, reply) => {
        const p = parseInput(meterParams, req.params, reply, 'path');
        const q = p && parseInput(meterDetailQuery, req.query, reply, 'query');
        if (!p || !q) return reply;
        const registry = requestRegistry(req, deps.registry);
        const meter = registry.meterById.get(p.id);
        if (!meter)
          return reply
            .status(404)
            .send({ error: `unknown meter "${p.id}" (known: ${registry.meters.map((m) => m.id).join(', ')})` });
        const range = resolveDetailRange(q, meter.timeZone, (deps.now ?? Date.now)());
        if (!range.ok) return reply.status(400).send({ error: range.reason });
        const r = await scoped(req).data.meterDetail(meter, range.value.fromMs, range.value.toMs);
        return r.ok ? r.value : reply.status(400).send({ error: r.reason });
      },
    );
    app.get(
      '/api/dashboard/events',
      doc('The live view: server-sent events of readings and statuses (text/event-stream)'),
      async (req, reply) => {
        const q = parseInput(eventsQuery, req.query, reply, 'query');
        if (!q) return reply;
        reply.hijack();
        scoped(req).feed.connect(reply.raw, q.topics);
      },
    );
  };
}
