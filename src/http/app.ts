import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import { hasZodFastifySchemaValidationErrors, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { LiveState } from '../live/live-state.ts';
import { registerMeterGauges, type IngestMetrics } from '../ingest/metrics.ts';
import type { Registry } from '../registry/types.ts';
import { packageVersion } from '../util/version.ts';
import { authPlugin, type HttpAuthDeps } from './plugins/auth.ts';
import { scopeMetricsText } from './plugins/taxpayer-scope.ts';
import { BODY_LIMIT_BYTES, boundedJsonBodies } from './plugins/json-body.ts';
import { publicOriginCheck, type PublicOriginOptions } from './plugins/public-origin.ts';
import { securityHeaders } from './plugins/security-headers.ts';
import { requestMetrics } from './plugins/request-metrics.ts';
import { scopeRegistry } from '../auth/scope-registry.ts';
import { healthRoutes, type HealthDeps } from './routes/health.ts';
import { meterRoutes } from './routes/meters.ts';
import { isKzmError } from '../util/errors.ts';
import { documentRoute, SECURITY_SCHEMES } from './openapi-doc.ts';

export interface AppDeps {
  registry: Registry;
  live: LiveState;
  metrics: IngestMetrics;
  health: HealthDeps;
  log: Logger;
  now?: () => number;
  /** Further route plugins (ledger, periods, dashboard) registered by the composition root. */
  plugins?: ((app: FastifyInstance) => Promise<void> | void)[];
  /** People: tokens, sessions, roles per route (src/auth/route-rights.ts). Without it no route is guarded. */
  auth?: HttpAuthDeps;
  /** Host and Origin checked against the listen address and http.publicOrigin. Without it neither is. */
  origin?: PublicOriginOptions;
}

/** Where the API description lives (README "HTTP API"). */
export const OPENAPI_PATH = '/openapi.json';
export const API_DOCS_PATH = '/docs';

type Validation = { instancePath?: string; message?: string; keyword?: string; params?: { keys?: string[] } }[];

/** A request validation failure as one sentence, in the words of describeIssues (src/util/zod-error.ts). */
function describeValidation(validation: Validation, context: string | undefined): string {
  const root = context === 'querystring' ? 'query' : context === 'params' ? 'path' : (context ?? 'request');
  return validation
    .map((v) => {
      const key = (v.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.') || root;
      const keys = v.params?.keys ?? [];
      const what =
        v.keyword === 'unrecognized_keys'
          ? `unknown parameter${keys.length > 1 ? 's' : ''} ${keys.join(', ')}`
          : (v.message ?? 'invalid');
      return `${key}: ${what}`;
    })
    .join('; ');
}

/** One error shape, { error }, for every error: our routes, validation, unknown routes, 5xx. */
function errorHandling(app: FastifyInstance, log: Logger): void {
  app.setErrorHandler((err: FastifyError & { validationContext?: string; retryAfterS?: number }, _req, reply) => {
    if (hasZodFastifySchemaValidationErrors(err) || err.validation)
      return reply.status(400).send({ error: describeValidation(err.validation as Validation, err.validationContext) });
    // Our errors map by their code (KzmError: httpStatus, retryAfterS); fastify's own carry statusCode.
    const ours = isKzmError(err) ? err : undefined;
    const given = ours?.httpStatus ?? err.statusCode;
    const status = given && given >= 400 ? given : 500;
    // A 503 is "not now": say when to come back (overload, InfluxDB unreachable, rollups catching up).
    if (status === 503) void reply.header('retry-after', String(ours?.retryAfterS ?? err.retryAfterS ?? 5));
    if (status >= 500 && status !== 503) log.error({ err, code: ours?.code }, 'HTTP handler failed.');
    else if (status === 503) log.warn({ err: err.message, code: ours?.code }, 'HTTP request refused for now.');
    // 503 says what to wait for (rollups catching up); other 5xx details stay in the log.
    const hidden = status >= 500 && status !== 503;
    return reply.status(status).send({
      error: hidden ? 'internal error: see the service log' : err.message,
      ...(ours && !hidden && { code: ours.code }),
    });
  });
  app.setNotFoundHandler((req, reply) =>
    reply
      .status(404)
      .send({ error: `no route ${req.method} ${req.url.split('?')[0]}: the API is described at ${OPENAPI_PATH}` }),
  );
}

/** OpenAPI from the routes' zod schemas; Swagger UI at /docs, served from the package (no CDN). */
async function apiDocs(app: FastifyInstance, publicOrigin: string | undefined): Promise<void> {
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      // Relative to where the document is read, unless the address browsers use is configured.
      servers: [{ url: publicOrigin ?? '/', description: 'this kzmeter' }],
      components: { securitySchemes: SECURITY_SCHEMES },
      info: {
        title: 'kzmeter',
        description:
          'Metering and fee service for licensed crypto-mining data centres (Kazakhstan). Every error answers `{ "error": "<sentence>" }`.',
        version: packageVersion(),
      },
      tags: [
        { name: 'service', description: 'Health and metrics' },
        { name: 'meters', description: 'Meters and their live state' },
        { name: 'ledger', description: 'The fee ledger' },
        { name: 'periods', description: 'Tax-period close and exports' },
        { name: 'invoices', description: "The supplier's invoices and their reconciliation with the meters" },
        { name: 'dashboard', description: "The built-in web dashboard's pages and data" },
      ],
    },
    transform: documentRoute,
  });
  // Swagger UI reads the same document at /docs/json; its files come from the package (no CDN).
  await app.register(fastifySwaggerUi, { routePrefix: API_DOCS_PATH });
  app.get(
    OPENAPI_PATH,
    {
      schema: {
        tags: ['service'],
        summary: 'This API described as OpenAPI 3',
        response: { 200: z.looseObject({ openapi: z.string(), paths: z.record(z.string(), z.unknown()) }) },
      },
    },
    async () => app.swagger(),
  );
}

/** The HTTP app without listen(): tests inject requests, `serve` listens. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    bodyLimit: BODY_LIMIT_BYTES,
    loggerInstance: deps.log.child({ component: 'http' }, { level: 'warn' }) as FastifyBaseLogger,
  }) as unknown as FastifyInstance;
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  errorHandling(app, deps.log);
  boundedJsonBodies(app);
  securityHeaders(app);
  requestMetrics(app, deps.metrics.registry);
  // Host and Origin first: a rebinding name or another site's page is answered before any credential is read.
  const origin = deps.origin && publicOriginCheck(deps.origin);
  origin?.register(app);
  // Before every route (the API docs' too), so its onRoute hook sees each one and its hooks guard them all.
  if (deps.auth) await authPlugin({ ...deps.auth, ...(origin && { isPublicOrigin: origin.isPublicOrigin }) })(app);
  await apiDocs(app, deps.origin?.publicOrigin);
  registerMeterGauges(deps.metrics.registry, {
    meters: deps.registry.meters,
    live: deps.live,
    ...(deps.now && { now: deps.now }),
  });
  await healthRoutes(app, deps.health);
  await meterRoutes(app, deps);
  app.get(
    '/metrics',
    {
      schema: {
        tags: ['service'],
        summary: 'Prometheus metrics (text exposition format); the names are listed in README "Metrics"',
        produces: ['text/plain'],
      },
    },
    async (req, reply) => {
      void reply.header('content-type', deps.metrics.registry.contentType);
      const text = await deps.metrics.registry.metrics();
      const bin = req.principal?.taxpayer;
      return bin === undefined ? text : scopeMetricsText(text, scopeRegistry(deps.registry, bin));
    },
  );
  for (const p of deps.plugins ?? []) await p(app);
  return app;
}
